// One bounded table of per-key state shared by the rules: a record's session key (its target,
// "appId(hash)/sessionId") is looked up once per record, and each rule keeps its own fields in
// the slot. One string-keyed lookup instead of one per rule keeps the ingest path cheap.
import { BoundedMap } from './bounded-map.ts';
import type { LogHistogram } from './log-histogram.ts';
import type { Finding } from './rule.ts';

/** State the lock rules keep for a key while it is locked. */
export interface LockEpisode {
  cookie: string;
  takenAt: number;
  /** The GetExclusive that took it; 0 when it was taken before statescope saw it. */
  takenId: number;
  takenWithoutVersionHeader: boolean;
  polls: number;
  firstPollId: number;
  lastPollId: number;
  maxAgeSeconds: number;
  /** Connection ids of the requests that got 423 (distinct, capped). */
  waiters: number[];
  /** The 423 whose LockAge reached executionTimeout, 0 if none yet. */
  staleId: number;
}

export interface SessionSlot {
  readonly target: string;
  readonly sessionId: string;
  /** The record that made this slot: rules that only care about new keys look at this. */
  readonly createdBy: number;
  /** farm rules: the mismatch this key is part of, kept fresh while the key is in use. */
  farmFinding: Finding | null;
  /** large-sessions: the size histogram of this key's app. */
  sizeHistogram: LogHistogram | null;
  /** lock rules */
  lock: LockEpisode | null;
  /** sessions-vanished: when a reply last showed the item exists / it was removed; the 404 awaiting re-creation. */
  existedAt: number;
  removedAt: number;
  lostId: number;
  /** large-sessions: first and latest item size seen, when, and the latest exchange showing it. */
  firstSize: number;
  firstSizeAt: number;
  size: number;
  sizeAt: number;
  sizeId: number;
  /** store-memory: the latest size the state server holds, and when the sliding expiry ends. */
  liveBytes: number;
  liveTimeoutMs: number;
  expiresAt: number;
  /** redundant-writes: digest of the item the last Get/GetExclusive returned, and that exchange. */
  readDigest: string | null;
  readId: number;
}

export const MAX_SESSIONS_TRACKED = 50_000;

export class SessionSlots {
  private readonly evictListeners: ((slot: SessionSlot) => void)[] = [];
  readonly map = new BoundedMap<string, SessionSlot>(MAX_SESSIONS_TRACKED, (_key, slot) => {
    for (const listener of this.evictListeners) listener(slot);
  });

  /** Rules that keep totals over slots hear about the ones the ceiling drops. */
  onEvict(listener: (slot: SessionSlot) => void): void {
    this.evictListeners.push(listener);
  }

  slotOf(target: string, sessionId: string | null, recordId: number): SessionSlot {
    let slot = this.map.get(target);
    if (slot === undefined) {
      slot = {
        target,
        sessionId: sessionId ?? target,
        createdBy: recordId,
        farmFinding: null,
        sizeHistogram: null,
        lock: null,
        existedAt: 0,
        removedAt: 0,
        lostId: 0,
        firstSize: -1,
        firstSizeAt: 0,
        size: -1,
        sizeAt: 0,
        sizeId: 0,
        liveBytes: -1,
        liveTimeoutMs: 0,
        expiresAt: 0,
        readDigest: null,
        readId: 0,
      };
      this.map.set(target, slot);
    }
    return slot;
  }

  values(): IterableIterator<SessionSlot> {
    return this.map.values();
  }

  get evicted(): number {
    return this.map.evicted;
  }

  clear(): void {
    this.map.clear();
  }
}
