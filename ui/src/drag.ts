// Follows a pointer drag from pointerdown until release, reporting how far it moved along x.
import type { PointerEvent } from 'react';

export function trackDragX(e: PointerEvent<HTMLElement>, onMove: (dx: number) => void): void {
  e.preventDefault();
  const el = e.currentTarget;
  const startX = e.clientX;
  el.setPointerCapture(e.pointerId);
  const move = (ev: globalThis.PointerEvent): void => onMove(ev.clientX - startX);
  const up = (): void => {
    el.removeEventListener('pointermove', move);
    el.removeEventListener('pointerup', up);
    el.removeEventListener('pointercancel', up);
  };
  el.addEventListener('pointermove', move);
  el.addEventListener('pointerup', up);
  el.addEventListener('pointercancel', up);
}
