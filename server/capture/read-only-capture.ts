// A saved capture (JSONL log or HAR export) opened with `statescope open`: the same
// CaptureSource the live proxy offers, so the same dashboard shows it, minus live updates and
// controls. Stats and diagnoses are computed over the loaded records on the capture's own
// clock: "now" is the time of the last record, so the charts show the capture's last minutes.
import { DiagnosisTracker, type DiagnosisThresholds } from './diagnosis.ts';
import { CompactStore, type StoreLimits } from './compact-store.ts';
import type { CaptureSource, Unsubscribe } from './source.ts';
import { StatsCollector } from './stats.ts';
import type { Diagnosis, ExchangeRecord, ExchangeSummary, InjectionRule, ProxyState, StatsSnapshot } from './wire-types.ts';

export interface ReadOnlyCaptureOptions {
  /** Shown in the dashboard as where the capture came from (the file name). */
  source: string;
  version: string;
  /** The same bound as the live store: a huge file keeps its newest records. */
  limits: StoreLimits;
  /** The web.config settings the diagnoses measure against (--execution-timeout...). */
  thresholds?: Partial<DiagnosisThresholds>;
}

export class ReadOnlyCaptureError extends Error {}

const NO_OP: Unsubscribe = () => {};

export class ReadOnlyCapture implements CaptureSource {
  private clock = 0;
  private readonly store: CompactStore;
  private readonly statsCollector = new StatsCollector(() => this.clock);
  private readonly diagnosisTracker: DiagnosisTracker;
  private lastId = 0;
  private count = 0;
  private renumbering = false;
  private firstAt: number | null = null;
  private upstream = '';
  private injection: InjectionRule = { enabled: false, value: '4.0.30319' };

  constructor(private readonly options: ReadOnlyCaptureOptions) {
    this.store = new CompactStore(options.limits);
    this.diagnosisTracker = new DiagnosisTracker(() => this.clock, options.thresholds);
  }

  /** Exchanges read from the file; stats count them all, the store keeps the newest. */
  get loaded(): number {
    return this.count;
  }

  /** Loaded exchanges the store's bound left out (the oldest). */
  get evicted(): number {
    return this.store.evicted;
  }

  /**
   * Adds one record read from the file. Ids must increase for lookups; a log appended to by
   * several runs restarts at 1, so from there on records are renumbered (the note says where).
   */
  add(record: ExchangeRecord): string | null {
    let note: string | null = null;
    if (record.id <= this.lastId && !this.renumbering) {
      this.renumbering = true;
      note = `exchange ids restart at #${record.id} (the file holds more than one run); renumbered from #${this.lastId + 1}`;
    }
    if (this.renumbering) record = { ...record, id: this.lastId + 1 };
    this.lastId = record.id;
    this.count++;

    this.clock = Math.max(this.clock, record.startedAt + (record.latencyMs ?? 0));
    this.firstAt = Math.min(this.firstAt ?? record.startedAt, record.startedAt);
    this.upstream = record.upstream;
    const injectedLine = record.reply?.injectedLine;
    if (injectedLine !== undefined) this.injection = { enabled: true, value: injectedLine.slice(injectedLine.indexOf(':') + 1).trim() };
    this.store.add(record, false);
    this.statsCollector.observe(record);
    this.diagnosisTracker.observe(record);
    return note;
  }

  state(): ProxyState {
    return {
      listen: '',
      upstream: this.upstream,
      upstreamEmbedded: false,
      upstreamReachable: null,
      upstreamCheckedAt: null,
      injection: { ...this.injection },
      capturePaused: false,
      captureBodiesBytes: 0,
      readOnly: true,
      source: this.options.source,
      version: this.options.version,
      startedAt: this.firstAt ?? 0,
    };
  }

  records(limit: number, afterId?: number): ExchangeRecord[] {
    return this.store.newest(limit, afterId);
  }

  record(id: number): ExchangeRecord | undefined {
    return this.store.get(id);
  }

  page(afterId: number, limit: number): ExchangeRecord[] {
    return this.store.page(afterId, limit);
  }

  summaries(limit: number): ExchangeSummary[] {
    return this.store.newestSummaries(limit);
  }

  latestId(): number {
    return this.lastId;
  }

  stats(): StatsSnapshot {
    return this.statsCollector.snapshot({ capture: this.captureStats(), connections: { client: 0, upstream: 0 } });
  }

  diagnoses(): Diagnosis[] {
    return this.diagnosisTracker.list();
  }

  // Nothing new ever arrives and nothing changes.
  subscribe(): Unsubscribe {
    return NO_OP;
  }

  onStateChange(): Unsubscribe {
    return NO_OP;
  }

  onCleared(): Unsubscribe {
    return NO_OP;
  }

  setInjection(_rule: Partial<InjectionRule>): ProxyState {
    throw this.refusal();
  }

  setCapturePaused(_paused: boolean): ProxyState {
    throw this.refusal();
  }

  clear(): void {
    throw this.refusal();
  }

  private refusal(): ReadOnlyCaptureError {
    return new ReadOnlyCaptureError(`${this.options.source} is a saved capture: it is read-only, so the controls are disabled`);
  }

  private captureStats(): StatsSnapshot['capture'] {
    return {
      stored: this.store.size,
      storedBytes: this.store.storedBytes,
      evicted: this.store.evicted,
      maxCount: this.store.limits.maxCount,
      maxBytes: this.store.limits.maxBytes,
    };
  }
}
