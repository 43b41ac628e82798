// Show or hide columns; says which ones are left out for lack of room.
import { useEffect, useRef, useState } from 'react';
import { COLUMNS, columnPrefs, resetColumns, setColumnHidden, type ColumnDef } from '../state/columns.ts';
import { useSlice } from '../state/slice.ts';

export function ColumnMenu({ squeezed }: { squeezed: readonly ColumnDef[] }) {
  const prefs = useSlice(columnPrefs);
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent): void => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  const squeezedIds = new Set(squeezed.map((c) => c.id));
  return (
    <div className="column-menu" ref={ref}>
      <button type="button" aria-expanded={open} aria-controls={open ? 'column-menu-list' : undefined} onClick={() => setOpen(!open)}>
        Columns{squeezed.length > 0 ? ` (${squeezed.length} left out)` : ''}
      </button>
      {open && (
        <div id="column-menu-list" className="popover" role="group" aria-label="Columns">
          {COLUMNS.map((c) => (
            <label key={c.id} className="check">
              <input type="checkbox" checked={!prefs.hidden.includes(c.id)} onChange={(e) => setColumnHidden(c.id, !e.target.checked)} />
              {c.label}
              {squeezedIds.has(c.id) && <span className="muted small"> (no room: widen the window or hide another)</span>}
            </label>
          ))}
          <button type="button" onClick={resetColumns}>
            Reset widths and columns
          </button>
        </div>
      )}
    </div>
  );
}
