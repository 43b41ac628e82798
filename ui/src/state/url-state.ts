// Filters and selection live in the page URL (query string), so a link to what you are looking
// at can be shared: read once at start, then kept up to date with history.replaceState (no
// history entry per keystroke). The token never goes here (see api/token.ts).
import type { RequestKind, StatusFilter, VersionState } from '../../../server/capture/wire-types.ts';
import { EMPTY_FILTERS, filters, type Filters } from './filters.ts';
import { MARK_FILTERS, markFilter, type MarkFilter } from './mark-filter.ts';
import { selection, type Pane, type Selection } from './selection.ts';

const KINDS = ['Get', 'GetExclusive', 'ReleaseExclusive', 'Set', 'CreateUninitialized', 'Remove', 'ResetTimeout', 'Unknown'];
const STATUSES = ['2xx', '400', '404', '423', '5xx', 'none'];
const VERSIONS = ['present', 'missing', 'injected', 'none'];
const OWN = ['q', 'kind', 'status', 'version', 'mark', 'sel', 'detail', 'session', 'app', 'pane'];

function oneOf<T extends string>(value: string | null, allowed: readonly string[], fallback: T): T {
  return value !== null && allowed.includes(value) ? (value as T) : fallback;
}

export function readUrlState(search: string): { filters: Filters; mark: MarkFilter; selection: Selection } {
  const p = new URLSearchParams(search);
  const sel = Number(p.get('sel'));
  const selectedId = Number.isSafeInteger(sel) && sel > 0 ? sel : null;
  const sessionId = p.get('session');
  const pane = oneOf<Pane | 'none'>(p.get('pane'), ['exchange', 'insights'], 'none');
  const detailOpen = p.get('detail') === '1' && selectedId !== null;
  const session = sessionId ? { sessionId, appId: p.get('app') } : null;
  return {
    filters: {
      kind: oneOf<RequestKind | 'all'>(p.get('kind'), KINDS, 'all'),
      status: oneOf<StatusFilter>(p.get('status'), STATUSES, 'all'),
      version: oneOf<VersionState | 'all'>(p.get('version'), VERSIONS, 'all'),
      text: (p.get('q') ?? '').slice(0, 256),
    },
    mark: oneOf<MarkFilter>(p.get('mark'), MARK_FILTERS.map((m) => m.value), 'all'),
    selection: {
      selectedId,
      detailOpen,
      session,
      pane: pane !== 'none' ? pane : detailOpen || session ? 'exchange' : null,
    },
  };
}

export function writeUrlState(search: string, f: Filters, mark: MarkFilter, s: Selection): string {
  const p = new URLSearchParams(search);
  for (const key of OWN) p.delete(key);
  if (f.text.trim() !== '') p.set('q', f.text);
  if (f.kind !== EMPTY_FILTERS.kind) p.set('kind', f.kind);
  if (f.status !== EMPTY_FILTERS.status) p.set('status', f.status);
  if (f.version !== EMPTY_FILTERS.version) p.set('version', f.version);
  if (mark !== 'all') p.set('mark', mark);
  if (s.selectedId !== null) p.set('sel', String(s.selectedId));
  if (s.detailOpen && s.selectedId !== null) p.set('detail', '1');
  if (s.session) {
    p.set('session', s.session.sessionId);
    if (s.session.appId) p.set('app', s.session.appId);
  }
  if (s.pane !== null) p.set('pane', s.pane);
  const query = p.toString();
  return query ? `?${query}` : '';
}

/** Load the state from the URL, then mirror every change back into it. */
export function syncUrlState(): void {
  const initial = readUrlState(window.location.search);
  filters.set(initial.filters);
  markFilter.set(initial.mark);
  selection.set(initial.selection);
  const write = (): void => {
    const search = writeUrlState(window.location.search, filters.get(), markFilter.get(), selection.get());
    if (search !== window.location.search) window.history.replaceState(null, '', window.location.pathname + search + window.location.hash);
  };
  filters.subscribe(write);
  markFilter.subscribe(write);
  selection.subscribe(write);
}
