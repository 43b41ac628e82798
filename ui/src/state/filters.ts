// Table filters as plain data, and the one predicate that applies them. The server applies
// the same predicate to exports (server/capture/filters.ts, same names); a test holds the two
// to the same answers, since ui/ may share types with the server but never code.
//
// The search text is words, all of which must match: a bare word is a substring of any field
// (session id, app id and hash, client address, operation, lock cookie, status, header text);
// `field:value` narrows a word to one field (session, app, client, cookie, status, header, op).
import type { ExchangeFilters, ExchangeSummary, StatusFilter } from '../../../server/capture/wire-types.ts';
import { createSlice } from './slice.ts';

export type { StatusFilter };
export type Filters = ExchangeFilters;

export const EMPTY_FILTERS: Filters = { kind: 'all', status: 'all', version: 'all', text: '' };

export const filters = createSlice<Filters>(EMPTY_FILTERS);

export const SEARCH_FIELDS = ['session', 'app', 'client', 'cookie', 'status', 'header', 'op'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

export function isFiltering(f: Filters): boolean {
  return f.kind !== 'all' || f.status !== 'all' || f.version !== 'all' || f.text.trim() !== '';
}

/** The search word that selects exactly `value` in `field` (what a click on a value adds). */
export function searchWord(field: SearchField, value: string): string {
  return `${field}:${value}`;
}

/** The header lines a summary knows of, as they read on the wire (lower-cased for search). */
function headerText(s: ExchangeSummary): string {
  const lines: string[] = [];
  if (s.versionValue !== null) lines.push(`x-aspnet-version: ${s.versionValue}`);
  if (s.lockCookie !== null) lines.push(`lockcookie: ${s.lockCookie}`);
  if (s.lockAgeSeconds !== null) lines.push(`lockage: ${s.lockAgeSeconds}`);
  if (s.kind === 'GetExclusive') lines.push('exclusive: acquire');
  if (s.kind === 'ReleaseExclusive') lines.push('exclusive: release');
  return lines.join('\n').toLowerCase();
}

function fieldText(s: ExchangeSummary, field: SearchField): string {
  switch (field) {
    case 'session':
      return (s.sessionId ?? '').toLowerCase();
    case 'app':
      return `${s.appId ?? ''} ${s.appHash ?? ''}`.toLowerCase();
    case 'client':
      return s.client.toLowerCase();
    case 'cookie':
      return s.lockCookie ?? '';
    case 'status':
      return s.status === null ? `none ${s.outcome}` : String(s.status);
    case 'header':
      return headerText(s);
    case 'op':
      return `${s.kind ?? ''} ${s.verb ?? ''}`.toLowerCase();
  }
}

/** Fields compared whole (a lock cookie of 1 is not one of 12); the others by substring. */
const EXACT: ReadonlySet<SearchField> = new Set(['cookie', 'status']);

type Word = { field: SearchField | null; value: string };

function parseWords(text: string): Word[] {
  const words: Word[] = [];
  for (const raw of text.trim().toLowerCase().split(/\s+/)) {
    if (raw === '') continue;
    const colon = raw.indexOf(':');
    const field = colon > 0 ? raw.slice(0, colon) : '';
    if ((SEARCH_FIELDS as readonly string[]).includes(field)) words.push({ field: field as SearchField, value: raw.slice(colon + 1) });
    else words.push({ field: null, value: raw });
  }
  return words;
}

function wordMatches(s: ExchangeSummary, w: Word): boolean {
  if (w.field !== null) {
    const text = fieldText(s, w.field);
    return EXACT.has(w.field) ? text.split(' ').includes(w.value) : text.includes(w.value);
  }
  return SEARCH_FIELDS.some((field) => fieldText(s, field).includes(w.value));
}

export function matcher(f: Filters): (s: ExchangeSummary) => boolean {
  const words = parseWords(f.text);
  return (s) => {
    if (f.kind !== 'all' && s.kind !== f.kind) return false;
    if (f.version !== 'all' && s.version !== f.version) return false;
    if (f.status !== 'all' && !statusMatches(f.status, s.status)) return false;
    for (const w of words) if (!wordMatches(s, w)) return false;
    return true;
  };
}

function statusMatches(filter: StatusFilter, status: number | null): boolean {
  switch (filter) {
    case 'none':
      return status === null;
    case '2xx':
      return status !== null && status >= 200 && status < 300;
    case '5xx':
      return status !== null && status >= 500;
    default:
      return status === Number(filter);
  }
}

/** Adds a `field:value` word to the search (replacing one on the same field). */
export function filterBy(field: SearchField, value: string): void {
  filters.set((f) => {
    const kept = f.text
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '' && !w.toLowerCase().startsWith(`${field}:`));
    return { ...f, text: [...kept, searchWord(field, value)].join(' ') };
  });
}
