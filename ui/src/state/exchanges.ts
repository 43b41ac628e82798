// The client-side list of exchange summaries. Live items arrive thousands a second; they are
// collected in a plain array and published to React at most every FLUSH_MS, and the list keeps
// only the newest CAP so a tab left open all day stays responsive.
import type { ExchangeSummary } from '../../../server/capture/wire-types.ts';
import { createSlice } from './slice.ts';

export const CAP = 50_000;
const FLUSH_MS = 250;

export interface ExchangeList {
  /** In arrival (completion) order, as the server stores them. Replaced, never mutated. */
  items: readonly ExchangeSummary[];
}

export const exchanges = createSlice<ExchangeList>({ items: [] });

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

/** Replace everything with a snapshot (newest last); queued live items are merged after it. */
export function resetTo(items: readonly ExchangeSummary[]): void {
  const trimmed = items.length > CAP ? items.slice(items.length - CAP) : items.slice();
  byId.clear();
  for (const item of trimmed) byId.set(item.id, item);
  exchanges.set({ items: trimmed });
  held = false;
  if (pending.length > 0) flush();
}

export function clearAll(): void {
  pending = [];
  byId.clear();
  exchanges.set({ items: [] });
}

export function findExchange(id: number): ExchangeSummary | undefined {
  return byId.get(id);
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
  let items = exchanges.get().items.concat(fresh);
  if (items.length > CAP) {
    const cut = items.length - CAP;
    for (let i = 0; i < cut; i++) byId.delete(items[i]!.id);
    items = items.slice(cut);
  }
  exchanges.set({ items });
}
