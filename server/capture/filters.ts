// The exchange table's filters, applied on the server for exports (GET /api/export.har). The
// browser applies the same predicate in ui/src/state/filters.ts: ui/ may share types with the
// server but never code, so the two files carry the same names and a test holds them to the
// same answers.
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

export function matcher(f: ExchangeFilters): (s: ExchangeSummary) => boolean {
  const text = f.text.trim().toLowerCase();
  return (s) => {
    if (f.kind !== 'all' && s.kind !== f.kind) return false;
    if (f.version !== 'all' && s.version !== f.version) return false;
    if (f.status !== 'all' && !statusMatches(f.status, s.status)) return false;
    if (text !== '') {
      const hay = `${s.sessionId ?? ''} ${s.appId ?? ''} ${s.appHash ?? ''}`.toLowerCase();
      if (!hay.includes(text)) return false;
    }
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
