// Running statistics for the dashboard: totals since start (or the last clear) and one bucket a
// second for the last five minutes. Fixed-size arrays only, so memory is flat however long
// statescope runs.
import type { ExchangeRecord, InjectionSinceCounts, OutcomeCode, RequestKind, StatsBucket, StatsSnapshot } from './wire-types.ts';

export const WINDOW_SECONDS = 300;

// Latency histogram: log-spaced bins from 10 µs to ~170 s, enough to read p50/p95 per second.
const BINS = 64;
const MIN_MS = 0.01;
const GROWTH = 1.3;
const LOG_GROWTH = Math.log(GROWTH);

function binOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  return Math.min(BINS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH));
}

/** Upper edge of a bin, the value we report for a percentile falling in it. */
function binValue(bin: number): number {
  return MIN_MS * GROWTH ** bin;
}

interface Bucket {
  second: number;
  exchanges: number;
  replies: number;
  present: number;
  missing: number;
  injected: number;
  errors: number;
  latency: Uint32Array;
}

/** The ring slot of a second; safe for any clock value, even one before 1970. */
function slotOf(second: number): number {
  const slot = second % WINDOW_SECONDS;
  return slot < 0 ? slot + WINDOW_SECONDS : slot;
}

function emptyBucket(second: number): Bucket {
  return { second, exchanges: 0, replies: 0, present: 0, missing: 0, injected: 0, errors: 0, latency: new Uint32Array(BINS) };
}

function percentile(hist: Uint32Array, total: number, p: number): number | null {
  if (total === 0) return null;
  const rank = Math.ceil(total * p);
  let seen = 0;
  for (let i = 0; i < BINS; i++) {
    seen += hist[i]!;
    if (seen >= rank) return Number(binValue(i).toPrecision(3));
  }
  return null;
}

export class StatsCollector {
  private totals = { exchanges: 0, replies: 0, versionPresent: 0, versionMissing: 0, injected: 0, locked423: 0, badRequest400: 0, errors: 0 };
  private byKind: Partial<Record<RequestKind, number>> = {};
  private byStatus: Record<string, number> = {};
  private byOutcome: Partial<Record<OutcomeCode, number>> = {};
  private readonly buckets: Bucket[] = Array.from({ length: WINDOW_SECONDS }, () => emptyBucket(-1));
  private sinceInjection: InjectionSinceCounts | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  observe(record: ExchangeRecord): void {
    const t = this.totals;
    t.exchanges++;
    const bucket = this.bucketFor(Math.floor(this.now() / 1000));
    bucket.exchanges++;
    const kind = record.request?.kind;
    if (kind) this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    this.byOutcome[record.outcome] = (this.byOutcome[record.outcome] ?? 0) + 1;
    if (record.outcome !== 'ok') {
      t.errors++;
      bucket.errors++;
    }
    const reply = record.reply;
    if (!reply) return;
    t.replies++;
    bucket.replies++;
    this.byStatus[reply.status] = (this.byStatus[reply.status] ?? 0) + 1;
    if (reply.status === 423) t.locked423++;
    if (reply.status === 400) t.badRequest400++;
    if (reply.versionHeader.present) {
      t.versionPresent++;
      bucket.present++;
    } else {
      t.versionMissing++;
      bucket.missing++;
    }
    if (reply.injected) {
      t.injected++;
      bucket.injected++;
    }
    const since = this.sinceInjection;
    if (since) {
      // The relay decides at the reply head, synchronously, with the rule as it is then: a
      // reply that ends after the switch without the header had its head on the wire before.
      if (reply.injected) since.injected++;
      else if (!reply.versionHeader.present) since.onTheWire++;
    }
    if (record.latencyMs !== null) bucket.latency[binOf(record.latencyMs)]!++;
  }

  /** Injection went on (counts start from zero) or off (no counts). Repeating "on" keeps them. */
  injectionSwitched(enabled: boolean): void {
    if (!enabled) this.sinceInjection = null;
    else if (!this.sinceInjection) this.sinceInjection = { since: this.now(), injected: 0, onTheWire: 0 };
  }

  clear(): void {
    if (this.sinceInjection) this.sinceInjection = { since: this.now(), injected: 0, onTheWire: 0 };
    this.totals = { exchanges: 0, replies: 0, versionPresent: 0, versionMissing: 0, injected: 0, locked423: 0, badRequest400: 0, errors: 0 };
    this.byKind = {};
    this.byStatus = {};
    this.byOutcome = {};
    for (let i = 0; i < this.buckets.length; i++) this.buckets[i] = emptyBucket(-1);
  }

  snapshot(extra: Pick<StatsSnapshot, 'capture' | 'connections'>): StatsSnapshot {
    const now = this.now();
    const current = Math.floor(now / 1000);
    const series: StatsBucket[] = [];
    const window = { seconds: WINDOW_SECONDS, replies: 0, versionPresent: 0, versionMissing: 0, injected: 0 };
    // Counted by bucket, not by second: at a clock of 1e16 s, s + 1 === s and a loop over
    // seconds never ends (a crafted saved capture did exactly that).
    for (let i = WINDOW_SECONDS - 1; i >= 0; i--) {
      const s = current - i;
      const b = this.buckets[slotOf(s)]!;
      const live = b.second === s;
      const latencyCount = live ? b.latency.reduce((a, n) => a + n, 0) : 0;
      series.push({
        t: s * 1000,
        exchanges: live ? b.exchanges : 0,
        replies: live ? b.replies : 0,
        missing: live ? b.missing : 0,
        injected: live ? b.injected : 0,
        errors: live ? b.errors : 0,
        p50Ms: live ? percentile(b.latency, latencyCount, 0.5) : null,
        p95Ms: live ? percentile(b.latency, latencyCount, 0.95) : null,
      });
      if (live) {
        window.replies += b.replies;
        window.versionPresent += b.present;
        window.versionMissing += b.missing;
        window.injected += b.injected;
      }
    }
    return {
      now,
      totals: { ...this.totals },
      window,
      byKind: { ...this.byKind },
      byStatus: { ...this.byStatus },
      byOutcome: { ...this.byOutcome },
      series,
      injection: this.sinceInjection ? { ...this.sinceInjection } : null,
      ...extra,
    };
  }

  private bucketFor(second: number): Bucket {
    const slot = slotOf(second);
    let b = this.buckets[slot]!;
    if (b.second !== second) {
      b = emptyBucket(second);
      this.buckets[slot] = b;
    }
    return b;
  }
}
