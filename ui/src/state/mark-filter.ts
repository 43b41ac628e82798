// The markers filter: show only connection starts, app starts, or failed version checks.
// Markers are worked out in the browser, so this one is not part of the export filters.
import { MARK_APP_START, MARK_CONNECTION, MARK_VERSION_FAILS } from './markers.ts';
import { createSlice } from './slice.ts';

export type MarkFilter = 'all' | 'connection' | 'app-start' | 'version-check';

export const MARK_FILTERS: { value: MarkFilter; label: string; bit: number }[] = [
  { value: 'all', label: 'Any marker', bit: 0 },
  { value: 'connection', label: 'New connection', bit: MARK_CONNECTION },
  { value: 'app-start', label: 'Likely app start', bit: MARK_APP_START },
  { value: 'version-check', label: 'Version check fails', bit: MARK_VERSION_FAILS },
];

export const markFilter = createSlice<MarkFilter>('all');

export function markBit(f: MarkFilter): number {
  return MARK_FILTERS.find((m) => m.value === f)?.bit ?? 0;
}
