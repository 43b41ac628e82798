// What the user is looking at: the selected row, whether its detail is open, the session whose
// timeline is shown, and which side pane is up (the exchange, or diagnoses and charts).
import { createSlice } from './slice.ts';

export interface SessionKey {
  sessionId: string;
  appId: string | null;
}

export type Pane = 'exchange' | 'insights';

export interface Selection {
  selectedId: number | null;
  detailOpen: boolean;
  session: SessionKey | null;
  /** The side pane's tab; null when the pane is closed. */
  pane: Pane | null;
}

export const selection = createSlice<Selection>({ selectedId: null, detailOpen: false, session: null, pane: null });

export function openDetail(id: number): void {
  selection.set((s) => ({ ...s, selectedId: id, detailOpen: true, pane: 'exchange' }));
}

export function select(id: number | null): void {
  selection.set((s) => (s.selectedId === id ? s : { ...s, selectedId: id }));
}

export function closePanels(): void {
  selection.set((s) => ({ ...s, detailOpen: false, session: null, pane: null }));
}

export function showSession(session: SessionKey): void {
  selection.set((s) => ({ ...s, session, pane: 'exchange' }));
}

export function showPane(pane: Pane | null): void {
  selection.set((s) => ({ ...s, pane }));
}

/** The exchange tab has something to show. */
export function hasExchangeView(s: Selection): boolean {
  return (s.detailOpen && s.selectedId !== null) || s.session !== null;
}
