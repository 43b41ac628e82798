// The exchange table's filters, applied on the server for exports (GET /api/export.har). The
// browser applies the same predicate in ui/src/state/filters.ts: ui/ may share types with the
// server but never code, so the two files carry the same names and a test holds them to the
// same answers. The search text is words that must all match: a bare word anywhere, or
// `field:value` in one field (session, app, client, cookie, status, header, op).
import { REQUEST_KINDS } from '../protocol/index.ts';
import type { ExchangeFilters, ExchangeSummary, StatusFilter, VersionState } from './wire-types.ts';

export const STATUS_FILTERS: readonly StatusFilter[] = ['all', '2xx', '400', '404', '423', '5xx', 'none'];
const VERSION_FILTERS: readonly (VersionState | 'all')[] = ['all', 'present', 'missing', 'injected', 'none'];
const KIND_FILTERS: readonly string[] = ['all', ...REQUEST_KINDS];
/** Longer search text than any session id or app id; refusing more keeps a query small. */
const MAX_TEXT = 256;

export const EMPTY_FILTERS: ExchangeFilters = { kind: 'all', status: 'all', version: 'all', text: '' };

export class InvalidFilterError extends Error {}

export function isFiltering(f: ExchangeFilters): boolean {
  return f.kind !== 'all' || f.status !== 'all' || f.version !== 'all' || f.text.trim() !== '';
}

/** Reads kind, status, version and text from a query string; absent or empty means "all". */
export function parseFilters(params: URLSearchParams): ExchangeFilters {
  const pick = <T extends string>(name: keyof ExchangeFilters, allowed: readonly string[]): T => {
    const value = params.get(name) ?? '';
    if (value === '') return 'all' as T;
    if (!allowed.includes(value)) throw new InvalidFilterError(`"${name}" must be one of ${allowed.join(', ')}; got "${value}"`);
    return value as T;
  };
  const text = params.get('text') ?? '';
  if (text.length > MAX_TEXT) throw new InvalidFilterError(`"text" is longer than ${MAX_TEXT} characters`);
  return {
    kind: pick('kind', KIND_FILTERS),
    status: pick('status', STATUS_FILTERS),
    version: pick('version', VERSION_FILTERS),
    text,
  };
}

const SEARCH_FIELDS = ['session', 'app', 'client', 'cookie', 'status', 'header', 'op'] as const;
type SearchField = (typeof SEARCH_FIELDS)[number];

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

export function matcher(f: ExchangeFilters): (s: ExchangeSummary) => boolean {
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
