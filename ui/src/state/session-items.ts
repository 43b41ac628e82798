// The session-item views' data: the "largest items" overview across sessions, and the item
// sizes over time of the session whose timeline is open. Both come from GET /api/session-items
// (computed by the server from the stored item tables) and are refreshed while shown.
import type { SessionItemsOverview, SessionItemsTimeline } from '../../../server/capture/session-items-report.ts';
import { call } from '../api/rest.ts';
import { createSlice } from './slice.ts';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
}

export const itemsOverview = createSlice<Loaded<SessionItemsOverview>>({ data: null, error: null });
export const itemsTimeline = createSlice<Loaded<SessionItemsTimeline>>({ data: null, error: null });

/** How often an open view asks again: the tables change with traffic, not per exchange. */
export const ITEMS_REFRESH_MS = 2000;

export async function refreshItemsOverview(): Promise<void> {
  try {
    itemsOverview.set({ data: await call<SessionItemsOverview>('/api/session-items'), error: null });
  } catch (err) {
    itemsOverview.set((prev) => ({ data: prev.data, error: String(err instanceof Error ? err.message : err) }));
  }
}

export async function refreshItemsTimeline(sessionId: string): Promise<void> {
  try {
    const data = await call<SessionItemsTimeline>(`/api/session-items?session=${encodeURIComponent(sessionId)}`);
    itemsTimeline.set({ data, error: null });
  } catch (err) {
    itemsTimeline.set({ data: null, error: String(err instanceof Error ? err.message : err) });
  }
}

/** Calls `refresh` now and every ITEMS_REFRESH_MS until the returned stop is called. */
export function pollWhileShown(refresh: () => Promise<void>): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async (): Promise<void> => {
    await refresh();
    if (!stopped) timer = setTimeout(() => void tick(), ITEMS_REFRESH_MS);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
