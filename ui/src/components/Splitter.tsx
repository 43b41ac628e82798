// The handle between the exchange list and the side pane: drag it, or focus it and use the
// arrow keys. The list keeps its rows where they were; only its width changes.
import type { KeyboardEvent, PointerEvent } from 'react';
import { trackDragX } from '../drag.ts';
import { clampSide, LIST_MIN, MIN_SIDE, sideWidth } from '../state/side-width.ts';

export function Splitter({ width }: { width: number }) {
  const onPointerDown = (e: PointerEvent<HTMLDivElement>): void =>
    trackDragX(e, (dx) => sideWidth.set(clampSide(width - dx, window.innerWidth)));
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const delta = e.key === 'ArrowLeft' ? 24 : e.key === 'ArrowRight' ? -24 : 0;
    if (delta === 0) return;
    e.preventDefault();
    sideWidth.set(clampSide(width + delta, window.innerWidth));
  };
  return (
    <div
      className="splitter"
      role="separator"
      aria-orientation="vertical"
      aria-label="Resize side pane"
      aria-controls="side-pane"
      aria-valuenow={width}
      aria-valuemin={MIN_SIDE}
      aria-valuemax={Math.max(MIN_SIDE, window.innerWidth - LIST_MIN)}
      tabIndex={0}
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
    />
  );
}
