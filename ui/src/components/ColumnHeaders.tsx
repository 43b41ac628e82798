// The grid's header row. Each column edge is a separator that resizes the column by dragging
// or with the arrow keys; widths are kept (state/columns.ts).
import type { KeyboardEvent, PointerEvent } from 'react';
import { trackDragX } from '../drag.ts';
import { setColumnWidth, widthOf, type ColumnDef, type ColumnPrefs } from '../state/columns.ts';

export function ColumnHeaders({ columns, prefs }: { columns: readonly ColumnDef[]; prefs: ColumnPrefs }) {
  return (
    <div className="row header-row" role="row" aria-rowindex={1}>
      {columns.map((c, i) => (
        <span key={c.id} role="columnheader" aria-colindex={i + 1} className="cell" data-col={c.id} title={c.short ? c.label : undefined}>
          {c.short ?? c.label}
          <ResizeHandle column={c} width={widthOf(c, prefs)} />
        </span>
      ))}
    </div>
  );
}

function ResizeHandle({ column, width }: { column: ColumnDef; width: number }) {
  const onPointerDown = (e: PointerEvent<HTMLSpanElement>): void =>
    trackDragX(e, (dx) => setColumnWidth(column.id, Math.max(column.min, width + dx)));
  const onKeyDown = (e: KeyboardEvent<HTMLSpanElement>): void => {
    const delta = e.key === 'ArrowRight' ? 16 : e.key === 'ArrowLeft' ? -16 : 0;
    if (delta === 0) return;
    e.preventDefault();
    e.stopPropagation();
    setColumnWidth(column.id, Math.max(column.min, width + delta));
  };
  return (
    <span
      className="resize-handle"
      role="separator"
      aria-orientation="vertical"
      aria-label={`Resize ${column.label}`}
      aria-valuenow={width}
      aria-valuemin={column.min}
      aria-valuemax={800}
      tabIndex={0}
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
      onClick={(e) => e.stopPropagation()}
    />
  );
}
