// Table filters as plain data, and the one predicate that applies them. The server applies
// the same predicate to exports (server/capture/filters.ts, same names); a test holds the two
// to the same answers, since ui/ may share types with the server but never code.
import type { ExchangeFilters, ExchangeSummary, StatusFilter } from '../../../server/capture/wire-types.ts';
import { createSlice } from './slice.ts';

export type { StatusFilter };
export type Filters = ExchangeFilters;

export const EMPTY_FILTERS: Filters = { kind: 'all', status: 'all', version: 'all', text: '' };

export const filters = createSlice<Filters>(EMPTY_FILTERS);

export function isFiltering(f: Filters): boolean {
  return f.kind !== 'all' || f.status !== 'all' || f.version !== 'all' || f.text.trim() !== '';
}

export function matcher(f: Filters): (s: ExchangeSummary) => boolean {
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
