// The live table: virtualised (only visible rows exist in the DOM), auto-following the newest
// row until the user scrolls up, with a view pause that freezes what is shown while capture
// goes on underneath.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ExchangeSummary } from '../../../server/capture/wire-types.ts';
import { exchanges } from '../state/exchanges.ts';
import { filters, matcher } from '../state/filters.ts';
import { closePanels, openDetail, select, selection } from '../state/selection.ts';
import { useSlice } from '../state/slice.ts';
import { ExchangeRow, ROW_HEIGHT } from './ExchangeRow.tsx';
import { FilterBar } from './FilterBar.tsx';

const COLUMNS = ['Time', 'Client', 'Operation', 'Session id', 'App', 'Status', 'Version header', 'Lock cookie', 'Latency', 'Sizes (req / reply)'];

export function ExchangeTable() {
  const live = useSlice(exchanges).items;
  const f = useSlice(filters);
  const { selectedId } = useSlice(selection);
  const [viewPaused, setViewPaused] = useState(false);
  const [frozen, setFrozen] = useState<readonly ExchangeSummary[]>(live);
  const [follow, setFollow] = useState(true);
  const scrollRef = useRef<HTMLDivElement>(null);
  const filterRef = useRef<HTMLInputElement>(null);

  const source = viewPaused ? frozen : live;
  const rows = useMemo(() => source.filter(matcher(f)), [source, f]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });

  const scrollToEnd = useCallback(() => {
    const el = scrollRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, []);

  // Stick to the newest row while following.
  useLayoutEffect(() => {
    if (follow) scrollToEnd();
  }, [rows, follow, scrollToEnd]);

  const onScroll = (): void => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= ROW_HEIGHT;
    if (atBottom !== follow) setFollow(atBottom);
  };

  const togglePause = (): void => {
    if (!viewPaused) setFrozen(live);
    setViewPaused(!viewPaused);
  };

  // Keyboard: "/" filter, j/k move, Enter open, Esc close.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const target = e.target as HTMLElement | null;
      const typing = target !== null && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA');
      if (e.key === 'Escape') {
        if (typing) target.blur();
        closePanels();
        return;
      }
      if (typing) return;
      if (e.key === '/') {
        e.preventDefault();
        filterRef.current?.focus();
      } else if (e.key === 'j' || e.key === 'k') {
        if (rows.length === 0) return;
        e.preventDefault();
        const at = selectedId === null ? -1 : rows.findIndex((r) => r.id === selectedId);
        const next = at === -1 ? (e.key === 'j' ? 0 : rows.length - 1) : Math.max(0, Math.min(rows.length - 1, at + (e.key === 'j' ? 1 : -1)));
        select(rows[next]!.id);
        virtualizer.scrollToIndex(next, { align: 'auto' });
      } else if (e.key === 'Enter' && selectedId !== null && target?.tagName !== 'BUTTON' && target?.tagName !== 'A') {
        openDetail(selectedId);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rows, selectedId, virtualizer]);

  return (
    <section className="card table-card" aria-label="Live exchanges">
      <div className="table-toolbar">
        <FilterBar inputRef={filterRef} shown={rows.length} total={source.length} />
        <div className="buttons">
          <button type="button" aria-pressed={viewPaused} onClick={togglePause}>
            {viewPaused ? 'Resume view' : 'Pause view'}
          </button>
          {!follow && (
            <button
              type="button"
              onClick={() => {
                setFollow(true);
                scrollToEnd();
              }}
            >
              Jump to latest
            </button>
          )}
        </div>
      </div>
      <div className="table" role="table" aria-label="Exchanges" aria-rowcount={rows.length + 1}>
        <div className="row header-row" role="row" aria-rowindex={1}>
          {COLUMNS.map((c) => (
            <span key={c} role="columnheader" className="cell">
              {c}
            </span>
          ))}
        </div>
        <div className="table-body" ref={scrollRef} onScroll={onScroll} role="rowgroup" tabIndex={0} aria-label="Exchange rows">
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((v) => {
              const row = rows[v.index]!;
              return <ExchangeRow key={row.id} s={row} index={v.index} top={v.start} selected={row.id === selectedId} />;
            })}
          </div>
        </div>
      </div>
      {viewPaused && <p className="muted small">View paused: capture continues; resume to see new exchanges.</p>}
    </section>
  );
}
