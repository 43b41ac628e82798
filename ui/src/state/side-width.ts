// The side pane's width, kept across visits; clamped to the window when used.
import { createSlice } from './slice.ts';
import { readStored, writeStored } from './stored.ts';

const KEY = 'statescope.sideWidth';
export const MIN_SIDE = 300;
export const DEFAULT_SIDE = 440;

export const sideWidth = createSlice<number>(readStored(KEY, DEFAULT_SIDE, (v): v is number => typeof v === 'number' && Number.isFinite(v)));
sideWidth.subscribe(() => writeStored(KEY, sideWidth.get()));

/** The list keeps at least LIST_MIN px (its most important columns), the pane at least MIN_SIDE. */
export const LIST_MIN = 590;
export function clampSide(width: number, windowWidth: number): number {
  return Math.round(Math.max(MIN_SIDE, Math.min(width, windowWidth - LIST_MIN)));
}
