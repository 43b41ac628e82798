// An array-backed CaptureSource for the dashboard tests, so they exercise the dashboard alone
// (the real store is tested on its own). emit() plays the capture path's batched delivery.
import type { CaptureSource } from '../../server/capture/source.ts';
import type {
  Diagnosis,
  ExchangeRecord,
  InjectionRule,
  ProxyState,
  StatsSnapshot,
} from '../../server/capture/wire-types.ts';

type Listener<T> = (value: T) => void;

export class FakeSource implements CaptureSource {
  stored: ExchangeRecord[] = [];
  private lastId = 0;
  private current: ProxyState;
  private readonly batchListeners = new Set<Listener<readonly ExchangeRecord[]>>();
  private readonly stateListeners = new Set<Listener<ProxyState>>();
  private readonly clearedListeners = new Set<() => void>();
  statsCalls = 0;

  constructor(readOnly = false) {
    this.current = {
      listen: '127.0.0.1:42425',
      upstream: '127.0.0.1:42424',
      upstreamEmbedded: false,
      upstreamReachable: true,
      upstreamCheckedAt: Date.now(),
      injection: { enabled: false, value: '4.0.30319' },
      capturePaused: false,
      captureBodiesBytes: 0,
      readOnly,
      version: '0.1.0-test',
      startedAt: Date.now(),
    };
  }

  /** Stores new records and delivers them to subscribers as one batch. */
  emit(count: number, make: (id: number) => ExchangeRecord = makeRecord): ExchangeRecord[] {
    const batch: ExchangeRecord[] = [];
    for (let i = 0; i < count; i++) batch.push(make(++this.lastId));
    this.stored.push(...batch);
    for (const listener of this.batchListeners) listener(batch);
    return batch;
  }

  state(): ProxyState {
    return this.current;
  }
  records(limit: number, afterId = 0): ExchangeRecord[] {
    const after = this.stored.filter((r) => r.id > afterId);
    return limit >= after.length ? after : after.slice(after.length - limit);
  }
  record(id: number): ExchangeRecord | undefined {
    return this.stored.find((r) => r.id === id);
  }
  latestId(): number {
    return this.lastId;
  }
  stats(): StatsSnapshot {
    this.statsCalls++;
    return emptyStats(this.stored.length);
  }
  diagnoses(): Diagnosis[] {
    return [];
  }
  subscribe(listener: Listener<readonly ExchangeRecord[]>): () => void {
    this.batchListeners.add(listener);
    return () => this.batchListeners.delete(listener);
  }
  onStateChange(listener: Listener<ProxyState>): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }
  onCleared(listener: () => void): () => void {
    this.clearedListeners.add(listener);
    return () => this.clearedListeners.delete(listener);
  }
  setInjection(rule: Partial<InjectionRule>): ProxyState {
    this.guard();
    return this.update({ injection: { ...this.current.injection, ...rule } });
  }
  setCapturePaused(paused: boolean): ProxyState {
    this.guard();
    return this.update({ capturePaused: paused });
  }
  clear(): void {
    this.guard();
    this.stored = [];
    for (const listener of this.clearedListeners) listener();
  }

  private guard(): void {
    if (this.current.readOnly) throw new Error('this is a saved capture: controls are disabled');
  }
  private update(patch: Partial<ProxyState>): ProxyState {
    this.current = { ...this.current, ...patch };
    for (const listener of this.stateListeners) listener(this.current);
    return this.current;
  }
}

export function makeRecord(id: number): ExchangeRecord {
  const head = `GET %2fLM%2fW3SVC%2f1%2fROOT%2fapp(h${id % 7})%2fsess${id} HTTP/1.1\r\nHost: localhost\r\nExclusive: acquire\r\n\r\n`;
  const replyHead = `200 OK\r\nLockCookie: ${id}\r\nTimeout: 20\r\nContent-Length: 7\r\n\r\n`;
  return {
    id,
    connectionId: 1 + (id % 3),
    client: '127.0.0.1:50000',
    upstream: '127.0.0.1:42424',
    startedAt: Date.now(),
    firstByteMs: 1,
    latencyMs: 2,
    request: {
      verb: 'GET',
      kind: 'GetExclusive',
      target: `%2fLM%2fW3SVC%2f1%2fROOT%2fapp(h${id % 7})%2fsess${id}`,
      appId: '/LM/W3SVC/1/ROOT/app',
      appHash: `h${id % 7}`,
      sessionId: `sess${id}`,
      headers: [
        ['Host', 'localhost'],
        ['Exclusive', 'acquire'],
      ],
      head,
      bodySize: 0,
      lockCookie: null,
    },
    reply: {
      protocol: null,
      status: 200,
      reason: 'OK',
      headers: [
        ['LockCookie', String(id)],
        ['Timeout', '20'],
        ['Content-Length', '7'],
      ],
      head: replyHead,
      bodySize: 7,
      versionHeader: { present: false, value: null, major: 0 },
      injected: false,
      lockCookie: String(id),
      lockAgeSeconds: null,
      lockDateTicks: null,
      actionFlags: null,
    },
    outcome: 'ok',
  };
}

function emptyStats(stored: number): StatsSnapshot {
  return {
    now: Date.now(),
    totals: { exchanges: stored, replies: stored, versionPresent: 0, versionMissing: stored, injected: 0, locked423: 0, badRequest400: 0, errors: 0 },
    window: { seconds: 300, replies: stored, versionPresent: 0, versionMissing: stored, injected: 0 },
    byKind: {},
    byStatus: {},
    byOutcome: {},
    series: [],
    injection: null,
    capture: { stored, storedBytes: 0, evicted: 0, maxCount: 100_000, maxBytes: 0 },
    connections: { client: 0, upstream: 0 },
  };
}
