// Filters for the exchange list. "/" focuses the search box (wired in ExchangeGrid).
import type { Ref } from 'react';
import type { RequestKind, VersionState } from '../../../server/capture/wire-types.ts';
import { EMPTY_FILTERS, filters, isFiltering, type StatusFilter } from '../state/filters.ts';
import { MARK_FILTERS, markFilter, type MarkFilter } from '../state/mark-filter.ts';
import { useSlice } from '../state/slice.ts';

const KINDS: RequestKind[] = ['Get', 'GetExclusive', 'ReleaseExclusive', 'Set', 'CreateUninitialized', 'Remove', 'ResetTimeout', 'Unknown'];
const STATUSES: { value: StatusFilter; label: string }[] = [
  { value: 'all', label: 'All statuses' },
  { value: '2xx', label: '2xx' },
  { value: '400', label: '400 Bad Request' },
  { value: '404', label: '404 Not Found' },
  { value: '423', label: '423 Locked' },
  { value: '5xx', label: '5xx' },
  { value: 'none', label: 'No reply' },
];
const VERSIONS: { value: VersionState | 'all'; label: string }[] = [
  { value: 'all', label: 'Any header state' },
  { value: 'present', label: 'present' },
  { value: 'missing', label: 'missing' },
  { value: 'injected', label: 'injected' },
  { value: 'none', label: 'no reply' },
];

export function FilterBar({ inputRef, shown, total }: { inputRef: Ref<HTMLInputElement>; shown: number; total: number }) {
  const f = useSlice(filters);
  const mark = useSlice(markFilter);
  const filtering = isFiltering(f) || mark !== 'all';
  return (
    <div className="filter-bar" role="search" aria-label="Filter exchanges">
      <input
        ref={inputRef}
        type="search"
        placeholder="Search: session, app, client, cookie, status, header  ( / )"
        aria-label="Search exchanges"
        title="Words must all match; field:value narrows one to a field (session, app, client, cookie, status, header, op)"
        value={f.text}
        onChange={(e) => filters.set({ ...f, text: e.target.value })}
      />
      <select aria-label="Operation" value={f.kind} onChange={(e) => filters.set({ ...f, kind: e.target.value as RequestKind | 'all' })}>
        <option value="all">All operations</option>
        {KINDS.map((k) => (
          <option key={k} value={k}>
            {k}
          </option>
        ))}
      </select>
      <select aria-label="Status" value={f.status} onChange={(e) => filters.set({ ...f, status: e.target.value as StatusFilter })}>
        {STATUSES.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </select>
      <select
        aria-label="Version header"
        value={f.version}
        onChange={(e) => filters.set({ ...f, version: e.target.value as VersionState | 'all' })}
      >
        {VERSIONS.map((v) => (
          <option key={v.value} value={v.value}>
            {v.label}
          </option>
        ))}
      </select>
      <select aria-label="Markers" value={mark} onChange={(e) => markFilter.set(e.target.value as MarkFilter)}>
        {MARK_FILTERS.map((m) => (
          <option key={m.value} value={m.value}>
            {m.label}
          </option>
        ))}
      </select>
      {filtering && (
        <button
          type="button"
          onClick={() => {
            filters.set(EMPTY_FILTERS);
            markFilter.set('all');
          }}
        >
          Clear filters
        </button>
      )}
      <span className="muted" role="status" aria-live="off">
        {filtering ? `${shown} of ${total}` : `${total}`} exchanges
      </span>
    </div>
  );
}
