// Bounded store of the most recent records, by count and by (estimated) bytes. Oldest records
// are evicted first and counted, so memory has a ceiling whatever the traffic or uptime.
import { estimateSessionItemsBytes } from './session-items-capture.ts';
import type { ExchangeRecord } from './wire-types.ts';

/**
 * In-memory size of a record, calibrated against the live heap (npm run bench, after a full
 * GC): the head strings dominate; the rest is a fixed allowance for objects and short strings.
 */
export function estimateRecordBytes(r: ExchangeRecord): number {
  let n = 400 + r.client.length + r.upstream.length + (r.error?.length ?? 0);
  const req = r.request;
  if (req) n += req.head.length + 2 * req.target.length + (req.body?.length ?? 0) + estimateSessionItemsBytes(req.sessionItems);
  const rep = r.reply;
  if (rep) n += rep.head.length + (rep.body?.length ?? 0) + estimateSessionItemsBytes(rep.sessionItems);
  return n;
}

export interface RingStoreLimits {
  maxCount: number;
  maxBytes: number;
}

export class RingStore {
  private slots: (ExchangeRecord | undefined)[];
  private sizes: Float64Array;
  private head = 0; // index of the oldest record
  private count = 0;
  private bytes = 0;
  private evictedTotal = 0;

  constructor(readonly limits: RingStoreLimits) {
    this.slots = new Array(limits.maxCount);
    this.sizes = new Float64Array(limits.maxCount);
  }

  get size(): number {
    return this.count;
  }

  get storedBytes(): number {
    return this.bytes;
  }

  get evicted(): number {
    return this.evictedTotal;
  }

  add(record: ExchangeRecord): void {
    const size = estimateRecordBytes(record);
    while (this.count > 0 && (this.count >= this.limits.maxCount || this.bytes + size > this.limits.maxBytes)) {
      this.evictOldest();
    }
    const slot = (this.head + this.count) % this.limits.maxCount;
    this.slots[slot] = record;
    this.sizes[slot] = size;
    this.count++;
    this.bytes += size;
  }

  clear(): void {
    this.slots = new Array(this.limits.maxCount);
    this.head = 0;
    this.count = 0;
    this.bytes = 0;
  }

  /** Record by id (ids are assigned in increasing order, so a binary search finds it). */
  get(id: number): ExchangeRecord | undefined {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.at(mid);
      if (r.id === id) return r;
      if (r.id < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** The newest `limit` records with id > afterId, oldest first. */
  newest(limit: number, afterId = 0): ExchangeRecord[] {
    const out: ExchangeRecord[] = [];
    for (let i = this.count - 1; i >= 0 && out.length < limit; i--) {
      const r = this.at(i);
      if (r.id <= afterId) break;
      out.push(r);
    }
    return out.reverse();
  }

  /** All records, oldest first, without copying the store. */
  *[Symbol.iterator](): IterableIterator<ExchangeRecord> {
    for (let i = 0; i < this.count; i++) yield this.at(i);
  }

  private at(i: number): ExchangeRecord {
    return this.slots[(this.head + i) % this.limits.maxCount]!;
  }

  private evictOldest(): void {
    this.bytes -= this.sizes[this.head]!;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.limits.maxCount;
    this.count--;
    this.evictedTotal++;
  }
}
