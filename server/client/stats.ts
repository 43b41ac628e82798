// Counters of a load run. Everything a report needs is plain JSON, so the CLI can print it as
// text or --json and tests can assert on it.
import { StateClientError } from './errors.ts';
import type { OperationKind } from './requests.ts';

export interface LatencySummary {
  /** Operations that got a reply (connection failures have no latency worth reporting). */
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Exact percentiles up to `capacity` samples, a uniform reservoir sample beyond that. */
export class LatencyRecorder {
  private readonly samples: number[] = [];
  private seen = 0;
  private max = 0;

  constructor(
    private readonly capacity = 100_000,
    private readonly random: () => number = Math.random,
  ) {}

  record(ms: number): void {
    this.seen++;
    if (ms > this.max) this.max = ms;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else {
      const slot = Math.floor(this.random() * this.seen);
      if (slot < this.capacity) this.samples[slot] = ms;
    }
  }

  summary(): LatencySummary {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return {
      count: this.seen,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: round(this.max),
    };
  }
}

/** Nearest-rank percentile of an ascending list; 0 for an empty one. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return round(sorted[Math.min(rank, sorted.length) - 1]!);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Status label for an operation that got no reply at all. */
export const NO_REPLY = 'no reply';

export interface ErrorCount {
  message: string;
  code: string;
  phase?: string;
  count: number;
}

export interface ErrorEvent {
  /** ms since the run started. */
  atMs: number;
  kind: OperationKind;
  code: string;
  phase?: string;
  /** Status of the reply when there was one (a version error follows a complete reply). */
  status?: number;
  /** App restarts before the failing request was made (0 = the initial AppDomain). */
  generation: number;
  /** ms since the app (re)started when the request was made. */
  msSinceAppStart: number;
}

export interface PageCounters {
  started: number;
  completed: number;
  /** Pages ended by an exception from the client. */
  failed: number;
  /** Pages still polling a locked session at executionTimeout or at the end of the run. */
  gaveUp: number;
  /** Rate mode: arrivals dropped because the session already had its maximum of pages open. */
  skipped: number;
  /** 423 answers that sent a page into the 500 ms poll. */
  lockWaits: number;
  /** ReleaseExclusive sent for a lock older than executionTimeout. */
  staleLocksReleased: number;
  /** Pages that threw after locking the session and left the lock behind (non-serializable item). */
  locksLeftBehind: number;
  /** Pages that wrote back exactly the bytes they had read. */
  unchangedWrites: number;
}

const MAX_ERROR_EVENTS = 1000;

export class ScenarioStats {
  readonly pages: PageCounters = {
    started: 0,
    completed: 0,
    failed: 0,
    gaveUp: 0,
    skipped: 0,
    lockWaits: 0,
    staleLocksReleased: 0,
    locksLeftBehind: 0,
    unchangedWrites: 0,
  };
  readonly latency: LatencyRecorder;
  private readonly operations = new Map<OperationKind, Map<string, number>>();
  private readonly errors = new Map<string, ErrorCount>();
  readonly errorEvents: ErrorEvent[] = [];
  private errorTotal = 0;

  constructor(random?: () => number) {
    this.latency = new LatencyRecorder(100_000, random);
  }

  recordReply(kind: OperationKind, status: number, latencyMs: number): void {
    this.count(kind, String(status));
    this.latency.record(latencyMs);
  }

  recordError(kind: OperationKind, error: unknown, latencyMs: number, event: Omit<ErrorEvent, 'kind' | 'code' | 'phase' | 'status'>): void {
    const clientError = error instanceof StateClientError ? error : null;
    // A version error or a 400 still had a reply; only transport failures have none.
    const status = clientError?.status;
    this.count(kind, status === undefined ? NO_REPLY : String(status));
    if (status !== undefined) this.latency.record(latencyMs);
    const message = error instanceof Error ? error.message : String(error);
    const code = clientError?.code ?? 'other';
    const phase = clientError?.phase;
    const key = `${code}\u0000${phase ?? ''}\u0000${message}`;
    const entry = this.errors.get(key) ?? { message, code, ...(phase ? { phase } : {}), count: 0 };
    entry.count++;
    this.errors.set(key, entry);
    this.errorTotal++;
    if (this.errorEvents.length < MAX_ERROR_EVENTS) {
      this.errorEvents.push({ ...event, kind, code, ...(phase ? { phase } : {}), ...(status !== undefined ? { status } : {}) });
    }
  }

  operationCounts(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [kind, byStatus] of this.operations) out[kind] = Object.fromEntries([...byStatus].sort(([a], [b]) => a.localeCompare(b)));
    return out;
  }

  operationTotal(): number {
    let n = 0;
    for (const byStatus of this.operations.values()) for (const c of byStatus.values()) n += c;
    return n;
  }

  errorCounts(): ErrorCount[] {
    return [...this.errors.values()].map((e) => ({ ...e })).sort((a, b) => b.count - a.count);
  }

  get errorsTotal(): number {
    return this.errorTotal;
  }

  private count(kind: OperationKind, status: string): void {
    let byStatus = this.operations.get(kind);
    if (!byStatus) this.operations.set(kind, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }
}
