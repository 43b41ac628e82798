// The exchange list's columns: what each shows, how wide, and how much it matters. When the
// list is too narrow, the least important columns are left out whole (never cut mid-text);
// the user can resize and hide columns, and that is remembered in localStorage.
import { createSlice } from './slice.ts';
import { readStored, writeStored } from './stored.ts';

export type ColumnId = 'marks' | 'time' | 'client' | 'operation' | 'session' | 'app' | 'status' | 'version' | 'lock' | 'latency' | 'sizes';

export interface ColumnDef {
  id: ColumnId;
  label: string;
  /** Shorter text for the column header when the label would not fit its default width. */
  short?: string;
  /** Default width, px. */
  width: number;
  min: number;
  /** 1 matters most; higher numbers give way first when space runs out. */
  priority: number;
}

export const COLUMNS: readonly ColumnDef[] = [
  { id: 'marks', label: 'Markers', short: 'Mark', width: 52, min: 40, priority: 2 },
  { id: 'time', label: 'Time', width: 108, min: 96, priority: 3 },
  { id: 'client', label: 'Client', width: 140, min: 90, priority: 6 },
  { id: 'operation', label: 'Operation', width: 150, min: 90, priority: 1 },
  { id: 'session', label: 'Session id', width: 196, min: 120, priority: 2 },
  { id: 'app', label: 'App', width: 90, min: 50, priority: 8 },
  { id: 'status', label: 'Status', width: 80, min: 60, priority: 1 },
  { id: 'version', label: 'Version header', short: 'Version', width: 96, min: 90, priority: 1 },
  { id: 'lock', label: 'Lock cookie', width: 92, min: 70, priority: 5 },
  { id: 'latency', label: 'Latency', width: 82, min: 64, priority: 4 },
  { id: 'sizes', label: 'Sizes (req / reply)', short: 'Req / reply', width: 128, min: 100, priority: 7 },
];

export interface ColumnPrefs {
  widths: Partial<Record<ColumnId, number>>;
  hidden: ColumnId[];
}

const KEY = 'statescope.columns';
const isPrefs = (v: unknown): v is ColumnPrefs =>
  typeof v === 'object' && v !== null && Array.isArray((v as ColumnPrefs).hidden) && typeof (v as ColumnPrefs).widths === 'object';

export const columnPrefs = createSlice<ColumnPrefs>(readStored(KEY, { widths: {}, hidden: [] }, isPrefs));
columnPrefs.subscribe(() => writeStored(KEY, columnPrefs.get()));

export function widthOf(c: ColumnDef, prefs: ColumnPrefs): number {
  const w = prefs.widths[c.id];
  return typeof w === 'number' && Number.isFinite(w) ? Math.max(c.min, Math.min(800, w)) : c.width;
}

export function setColumnWidth(id: ColumnId, width: number): void {
  columnPrefs.set((p) => ({ ...p, widths: { ...p.widths, [id]: Math.round(width) } }));
}

export function setColumnHidden(id: ColumnId, hidden: boolean): void {
  columnPrefs.set((p) => ({ ...p, hidden: hidden ? [...new Set([...p.hidden, id])] : p.hidden.filter((h) => h !== id) }));
}

export function resetColumns(): void {
  columnPrefs.set({ widths: {}, hidden: [] });
}

export interface Layout {
  shown: ColumnDef[];
  /** Columns the user did not hide but that did not fit. */
  squeezed: ColumnDef[];
}

/** Which columns fit in `available` px: user-hidden ones out, then the least important. */
export function layoutColumns(prefs: ColumnPrefs, available: number): Layout {
  const wanted = COLUMNS.filter((c) => !prefs.hidden.includes(c.id));
  const dropOrder = [...wanted].sort((a, b) => b.priority - a.priority || COLUMNS.indexOf(b) - COLUMNS.indexOf(a));
  const out = new Set<ColumnId>();
  let total = wanted.reduce((n, c) => n + widthOf(c, prefs), 0);
  for (const c of dropOrder) {
    if (total <= available || c.priority <= 1) break;
    out.add(c.id);
    total -= widthOf(c, prefs);
  }
  return { shown: wanted.filter((c) => !out.has(c.id)), squeezed: wanted.filter((c) => out.has(c.id)) };
}
