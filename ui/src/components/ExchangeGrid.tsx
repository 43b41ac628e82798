// The exchange list: an ARIA grid, virtualised (only visible rows exist in the DOM), filling the
// height it is given. It follows the newest row until the user scrolls up or picks a row, keeps
// the selected row rendered (so keyboard focus survives live traffic), and moves with the
// arrow keys as well as j / k. A view pause freezes what is shown while capture goes on.
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import type { ExchangeSummary } from '../../../server/capture/wire-types.ts';
import { columnPrefs, layoutColumns, widthOf } from '../state/columns.ts';
import { exchanges, marksOf } from '../state/exchanges.ts';
import { filters, matcher } from '../state/filters.ts';
import { markBit, markFilter } from '../state/mark-filter.ts';
import { closePanels, hasExchangeView, openDetail, select, selection } from '../state/selection.ts';
import { useSlice } from '../state/slice.ts';
import { ColumnHeaders } from './ColumnHeaders.tsx';
import { ColumnMenu } from './ColumnMenu.tsx';
import { ExchangeRow, ROW_HEIGHT } from './ExchangeRow.tsx';
import { FilterBar } from './FilterBar.tsx';

function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(1200);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return width;
}

export function ExchangeGrid() {
  const list = useSlice(exchanges);
  const live = list.items;
  const f = useSlice(filters);
  const mark = useSlice(markFilter);
  const sel = useSlice(selection);
  const { selectedId } = sel;
  const prefs = useSlice(columnPrefs);
  const [viewPaused, setViewPaused] = useState(false);
  const [frozen, setFrozen] = useState<readonly ExchangeSummary[]>(live);
  const [follow, setFollow] = useState(selectedId === null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const filterRef = useRef<HTMLInputElement>(null);
  /** Set when the keyboard moved the selection: focus the new row once it is rendered. */
  const focusSelected = useRef(false);
  const width = useWidth(gridRef);
  // Memoised: rows are memo components and re-render only when their props change.
  const { shown: columns, squeezed, template } = useMemo(() => {
    const layout = layoutColumns(prefs, width - 2);
    const tmpl = layout.shown.map((c) => (c.id === 'session' ? `minmax(${widthOf(c, prefs)}px, 1fr)` : `${widthOf(c, prefs)}px`)).join(' ');
    return { ...layout, template: tmpl };
  }, [prefs, width]);

  const source = viewPaused ? frozen : live;
  const bit = markBit(mark);
  // Marker filters depend on marks, which settle a moment after the rows arrive.
  const marksVersion = bit === 0 ? 0 : list.marksVersion;
  const rows = useMemo(() => {
    const match = matcher(f);
    return source.filter((s) => match(s) && (bit === 0 || (marksOf(list, s.id) & bit) !== 0));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [source, f, bit, marksVersion]);
  const selectedIndex = useMemo(() => (selectedId === null ? -1 : rows.findIndex((r) => r.id === selectedId)), [rows, selectedId]);

  const rangeExtractor = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      // Keep the selected row in the DOM even when scrolled away, so it never loses focus.
      if (selectedIndex >= 0 && !indexes.includes(selectedIndex)) indexes.push(selectedIndex);
      return indexes;
    },
    [selectedIndex],
  );
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    rangeExtractor,
  });

  const scrollToEnd = useCallback(() => {
    const el = scrollRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, []);

  // Picking a row (click, keys, a shared link) stops following, so the row stays put.
  useEffect(() => {
    if (selectedId !== null) setFollow(false);
  }, [selectedId]);

  // Stick to the newest row while following.
  useLayoutEffect(() => {
    if (follow) scrollToEnd();
  }, [rows, follow, scrollToEnd]);

  // The selected row stays in view when its detail opens (or a shared link selects it).
  const exchangeView = hasExchangeView(sel);
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [exchangeView, selectedId, selectedIndex >= 0]);

  useLayoutEffect(() => {
    if (!focusSelected.current || selectedId === null) return;
    const row = scrollRef.current?.querySelector<HTMLElement>(`[data-id="${selectedId}"]`);
    if (row) {
      row.focus({ preventScroll: true });
      focusSelected.current = false;
    }
  });

  // When the side pane opens the toolbar may wrap onto another line, pushing the list down:
  // scroll by the same amount, so the rows (the one just clicked above all) stay where they were.
  const toolbarRef = useRef<HTMLDivElement>(null);
  const followRef = useRef(follow);
  followRef.current = follow && selectedId === null;
  useLayoutEffect(() => {
    const bar = toolbarRef.current;
    const body = scrollRef.current;
    if (!bar || !body) return;
    let top = body.getBoundingClientRect().top;
    const ro = new ResizeObserver(() => {
      const now = body.getBoundingClientRect().top;
      if (now !== top && !followRef.current) body.scrollTop += now - top;
      top = now;
    });
    ro.observe(bar);
    return () => ro.disconnect();
  }, []);

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

  const moveTo = useCallback(
    (index: number, focus: boolean) => {
      if (rows.length === 0) return;
      const next = Math.max(0, Math.min(rows.length - 1, index));
      setFollow(false);
      focusSelected.current = focus;
      select(rows[next]!.id);
      virtualizer.scrollToIndex(next, { align: 'auto' });
    },
    [rows, virtualizer],
  );

  // Keyboard anywhere on the page: "/" search, j/k move, Enter open, Esc close.
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
        const inGrid = gridRef.current?.contains(document.activeElement) ?? false;
        // Nothing selected yet: start at the newest row, the one just seen arriving.
        if (selectedIndex === -1) return moveTo(rows.length - 1, inGrid);
        moveTo(selectedIndex + (e.key === 'j' ? 1 : -1), inGrid);
      } else if (e.key === 'Enter' && selectedId !== null && target?.tagName !== 'BUTTON' && target?.tagName !== 'A' && target?.getAttribute('role') !== 'row') {
        openDetail(selectedId);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rows, selectedId, selectedIndex, moveTo]);

  // Keys on a focused row (the grid's own navigation).
  const onGridKey = (e: ReactKeyboardEvent): void => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT * 10) / ROW_HEIGHT) - 1);
    const at = selectedIndex === -1 ? rows.length - 1 : selectedIndex;
    const step: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (e.key in step) {
      e.preventDefault();
      moveTo(selectedIndex === -1 ? rows.length - 1 : at + step[e.key]!, true);
    } else if (e.key === 'Home') {
      e.preventDefault();
      moveTo(0, true);
    } else if (e.key === 'End') {
      e.preventDefault();
      moveTo(rows.length - 1, true);
    } else if (e.key === 'Enter' && (e.target as HTMLElement).getAttribute('role') === 'row') {
      e.preventDefault();
      const id = Number((e.target as HTMLElement).dataset.id);
      if (Number.isSafeInteger(id)) openDetail(id);
    }
  };

  const items = virtualizer.getVirtualItems();
  // Roving tabindex: the selected row, or the newest one shown, takes Tab.
  const tabbableId = selectedIndex >= 0 ? selectedId : items.length > 0 ? rows[items[items.length - 1]!.index]?.id ?? null : null;

  return (
    <section className="traffic" aria-label="Live exchanges">
      <div className="table-toolbar" ref={toolbarRef}>
        <FilterBar inputRef={filterRef} shown={rows.length} total={source.length} />
        <div className="buttons">
          <ColumnMenu squeezed={squeezed} />
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
      {viewPaused && <p className="muted small paused-note">View paused: capture continues; resume to see new exchanges.</p>}
      <div
        className="grid"
        ref={gridRef}
        role="grid"
        aria-label="Exchanges"
        aria-rowcount={rows.length + 1}
        aria-colcount={columns.length}
        style={{ ['--cols' as string]: template }}
        onKeyDown={onGridKey}
      >
        <ColumnHeaders columns={columns} prefs={prefs} />
        <div className="grid-body" ref={scrollRef} onScroll={onScroll} role="rowgroup">
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {items.map((v) => {
              const row = rows[v.index]!;
              return (
                <ExchangeRow
                  key={row.id}
                  s={row}
                  index={v.index}
                  top={v.start}
                  selected={row.id === selectedId}
                  tabbable={row.id === tabbableId}
                  marks={marksOf(list, row.id)}
                  columns={columns}
                />
              );
            })}
          </div>
        </div>
      </div>
    </section>
  );
}
