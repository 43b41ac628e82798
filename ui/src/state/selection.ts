// What the user is looking at: the selected row, whether its detail panel is open, and the
// session whose timeline is shown.
import { createSlice } from './slice.ts';

export interface SessionKey {
  sessionId: string;
  appId: string | null;
}

export interface Selection {
  selectedId: number | null;
  detailOpen: boolean;
  session: SessionKey | null;
}

export const selection = createSlice<Selection>({ selectedId: null, detailOpen: false, session: null });

export function openDetail(id: number): void {
  selection.set((s) => ({ ...s, selectedId: id, detailOpen: true }));
}

export function select(id: number | null): void {
  selection.set((s) => ({ ...s, selectedId: id }));
}

export function closePanels(): void {
  selection.set((s) => ({ ...s, detailOpen: false, session: null }));
}

export function showSession(session: SessionKey): void {
  selection.set((s) => ({ ...s, session }));
}
