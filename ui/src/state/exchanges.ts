// The client-side list of exchange summaries. Live items arrive thousands a second; they are
// collected in a plain array and published to React at most every FLUSH_MS, and the list keeps
// only the newest CAP so a tab left open all day stays responsive. Markers (connection and
// app starts) are worked out once per item as it joins the list.
import type { ExchangeSummary } from '../../../server/capture/wire-types.ts';
import { MarkerTracker } from './markers.ts';
import { createSlice } from './slice.ts';

export const CAP = 50_000;
const FLUSH_MS = 250;

export interface ExchangeList {
  /** In arrival (completion) order, as the server stores them. Replaced, never mutated. */
  items: readonly ExchangeSummary[];
  /** Marker bits by exchange id (see markers.ts); read through marksOf. */
  marks: ReadonlyMap<number, number>;
  /** Bumped whenever marks change, so views that show them re-render. */
  marksVersion: number;
}

const tracker = new MarkerTracker();
export const exchanges = createSlice<ExchangeList>({ items: [], marks: tracker.marks, marksVersion: 0 });

// Records are delivered when complete, so ids can arrive slightly out of order: dedupe by id,
// not by "greater than the last one".
const byId = new Map<number, ExchangeSummary>();
let pending: ExchangeSummary[] = [];
let timer: ReturnType<typeof setTimeout> | null = null;
/** While a snapshot is being fetched, live items wait so none slips between snapshot and feed. */
let held = false;

export function holdLive(hold: boolean): void {
  held = hold;
  if (!hold && pending.length > 0 && timer === null) timer = setTimeout(flush, FLUSH_MS);
}

/** Queue live items; cheap, called straight from the ws handler. */
export function addLive(items: readonly ExchangeSummary[]): void {
  for (const item of items) pending.push(item);
  // A burst larger than the cap would be trimmed at the flush anyway.
  if (pending.length > CAP * 2) pending = pending.slice(pending.length - CAP);
  if (timer === null) timer = setTimeout(flush, FLUSH_MS);
}

/**
 * Replace everything with a snapshot (newest last); queued live items are merged after it.
 * `complete`: the snapshot starts at the first exchange ever captured (so the first one of each
 * connection is really its first). `final`: nothing more will come (a saved capture).
 */
export function resetTo(items: readonly ExchangeSummary[], complete = false, final = false): void {
  const trimmed = items.length > CAP ? items.slice(items.length - CAP) : items.slice();
  byId.clear();
  for (const item of trimmed) byId.set(item.id, item);
  tracker.reset(trimmed, complete && trimmed.length === items.length);
  if (final) tracker.settleAll();
  publish(trimmed);
  held = false;
  if (pending.length > 0) flush();
}

export function clearAll(): void {
  pending = [];
  byId.clear();
  tracker.reset([], true);
  publish([]);
}

/** The server's clock (from its stats): lets a pending app-start marker settle when traffic pauses. */
export function advanceClock(now: number): void {
  if (tracker.advance(now)) publish(exchanges.get().items);
}

export function findExchange(id: number): ExchangeSummary | undefined {
  return byId.get(id);
}

export function marksOf(list: ExchangeList, id: number): number {
  return list.marks.get(id) ?? 0;
}

function publish(items: readonly ExchangeSummary[]): void {
  exchanges.set((prev) => ({ items, marks: tracker.marks, marksVersion: prev.marksVersion + 1 }));
}

function flush(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  if (held) return;
  const batch = pending;
  pending = [];
  const fresh: ExchangeSummary[] = [];
  for (const item of batch) {
    if (byId.has(item.id)) continue;
    byId.set(item.id, item);
    fresh.push(item);
  }
  if (fresh.length === 0) return;
  tracker.add(fresh);
  let items = exchanges.get().items.concat(fresh);
  if (items.length > CAP) {
    const cut = items.length - CAP;
    const gone = items.slice(0, cut);
    for (const item of gone) byId.delete(item.id);
    tracker.forget(gone);
    items = items.slice(cut);
  }
  publish(items);
}
