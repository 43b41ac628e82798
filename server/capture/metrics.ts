// Prometheus metrics of a running proxy, served by the dashboard at /metrics. They live in
// their own Registry (never prom-client's global one, so two proxies in one process, as in the
// tests, never mix). Counters are fed through LiveCapture.tap, so they keep counting while the
// dashboard's capture is paused; gauges are read from the capture when Prometheus scrapes.
// Every label has a small fixed set of values: no session ids, no client addresses.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Unsubscribe } from './source.ts';
import { OUTCOME_CODES, type ExchangeRecord, type StatsSnapshot } from './wire-types.ts';

/** Sub-millisecond (loopback) to the 10 s at which ASP.NET gives up (stateNetworkTimeout). */
export const LATENCY_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'none'] as const;
const ERROR_REASONS = OUTCOME_CODES.filter((code) => code !== 'ok');

export interface MetricsCapture {
  tap(listener: (batch: readonly ExchangeRecord[]) => void): Unsubscribe;
  stats(): StatsSnapshot;
}

export interface CaptureMetricsOptions {
  capture: MetricsCapture;
  /** statescope's version, for statescope_build_info. */
  version: string;
  /** Browsers connected to the dashboard's live feed, read at scrape time. */
  dashboardClients?: () => number;
  /** Client connections the proxy listener refused for want of descriptors, read at scrape time. */
  acceptDrops?: () => number;
  /** Requests the embedded state server closed unanswered because its store (Redis) failed. */
  embeddedStoreFailures?: () => number;
  /** Node process metrics (process_*, nodejs_*); on by default. */
  processMetrics?: boolean;
}

export function statusClassOf(record: ExchangeRecord): (typeof STATUS_CLASSES)[number] {
  const status = record.reply?.status;
  if (status === undefined) return 'none';
  const cls = `${Math.floor(status / 100)}xx`;
  return (STATUS_CLASSES as readonly string[]).includes(cls) ? (cls as (typeof STATUS_CLASSES)[number]) : 'none';
}

/** A Prometheus counter that follows a running total kept elsewhere, read at scrape time. */
export function followingCounter(registers: Registry[], name: string, help: string, read: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers,
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = Math.max(seen, now);
    },
  });
}

export class CaptureMetrics {
  readonly registry = new Registry();
  private readonly untap: Unsubscribe;
  /** One stats() per scrape, shared by the gauges that read it. */
  private scraped: StatsSnapshot | null = null;

  private readonly duration = new LatencyHistogram();
  // Counted here per exchange (a Map lookup and an add) and handed to prom-client when
  // Prometheus scrapes: prom-client's inc() builds a label key string on every call.
  private readonly exchangeCounts = new PendingCounts<'kind' | 'status_class'>();
  private readonly errorCounts = new PendingCounts<'reason'>();
  private readonly flagCounts = { missing: 0, injected: 0, locked: 0 };

  constructor(private readonly options: CaptureMetricsOptions) {
    const registers = [this.registry];
    const { exchangeCounts, errorCounts, flagCounts } = this;
    new Counter({
      name: 'statescope_exchanges_total',
      help: 'Exchanges relayed, by operation (kind) and reply status class ("none": no reply)',
      labelNames: ['kind', 'status_class'],
      registers,
      collect() {
        exchangeCounts.drain((labels, n) => this.inc(labels, n));
      },
    });
    this.registry.registerMetric(this.duration as unknown as Histogram);
    const flagCounter = (name: string, help: string, flag: keyof typeof flagCounts) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          if (flagCounts[flag] > 0) this.inc(flagCounts[flag]);
          flagCounts[flag] = 0;
        },
      });
    flagCounter('statescope_replies_missing_version_header_total', 'Replies the upstream sent without X-AspNet-Version (injected ones included)', 'missing');
    flagCounter('statescope_version_header_injections_total', 'Replies into which statescope inserted X-AspNet-Version', 'injected');
    flagCounter('statescope_locked_replies_total', '423 Locked replies (session lock contention)', 'locked');
    const errors = new Counter({
      name: 'statescope_exchange_errors_total',
      help: 'Exchanges that did not complete, by outcome code (upstream_* are upstream errors)',
      labelNames: ['reason'],
      registers,
      collect() {
        errorCounts.drain((labels, n) => this.inc(labels, n));
      },
    });
    // Known label values start at 0, so rate() and alerts work before the first failure.
    for (const reason of ERROR_REASONS) errors.inc({ reason }, 0);

    const stats = (): StatsSnapshot => (this.scraped ??= this.options.capture.stats());
    new Gauge({
      name: 'statescope_connections',
      help: 'Open connections, by side (client: ASP.NET to statescope; upstream: statescope to the state server)',
      labelNames: ['side'],
      registers,
      collect() {
        const c = stats().connections;
        this.set({ side: 'client' }, c.client);
        this.set({ side: 'upstream' }, c.upstream);
      },
    });
    new Gauge({
      name: 'statescope_capture_stored_records',
      help: 'Exchanges held in the capture buffer for the dashboard',
      registers,
      collect() {
        this.set(stats().capture.stored);
      },
    });
    new Gauge({
      name: 'statescope_capture_stored_bytes',
      help: 'Estimated memory used by the capture buffer',
      registers,
      collect() {
        this.set(stats().capture.storedBytes);
      },
    });
    // The store counts evictions itself; the counter follows it by the difference.
    let evictedSeen = 0;
    new Counter({
      name: 'statescope_capture_evictions_total',
      help: 'Exchanges evicted from the capture buffer to keep it within its bounds',
      registers,
      collect() {
        const evicted = stats().capture.evicted;
        if (evicted > evictedSeen) this.inc(evicted - evictedSeen);
        evictedSeen = Math.max(evictedSeen, evicted);
      },
    });
    // The proxy and the embedded server count these themselves; the counters follow by the difference.
    followingCounter(
      registers,
      'statescope_accept_drops_total',
      'Client connections the proxy accepted and closed at once: the descriptor limit (ulimit -n) was reached',
      () => options.acceptDrops?.() ?? 0,
    );
    followingCounter(
      registers,
      'statescope_embedded_store_failures_total',
      'Requests the embedded state server closed unanswered because its store (Redis) failed or did not answer',
      () => options.embeddedStoreFailures?.() ?? 0,
    );
    new Gauge({
      name: 'statescope_dashboard_clients',
      help: 'Browsers connected to the dashboard live feed',
      registers,
      collect() {
        this.set(options.dashboardClients?.() ?? 0);
      },
    });
    new Gauge({
      name: 'statescope_build_info',
      help: 'statescope version and the Node.js version running it',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: options.version, node: process.version }, 1);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });

    this.untap = options.capture.tap((batch) => {
      for (const record of batch) this.observe(record);
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition of every metric, for GET /metrics. */
  async render(): Promise<string> {
    this.scraped = null;
    try {
      return await this.registry.metrics();
    } finally {
      this.scraped = null;
    }
  }

  close(): void {
    this.untap();
    this.registry.clear();
  }

  private observe(record: ExchangeRecord): void {
    const kind = record.request?.kind ?? 'none';
    const statusClass = statusClassOf(record);
    this.exchangeCounts.add(`${kind} ${statusClass}`, () => ({ kind, status_class: statusClass }));
    if (record.outcome !== 'ok') this.errorCounts.add(record.outcome, () => ({ reason: record.outcome }));
    else if (record.latencyMs !== null) this.duration.observe(kind, record.latencyMs / 1000);
    const reply = record.reply;
    if (!reply) return;
    if (!reply.versionHeader.present) this.flagCounts.missing++;
    if (reply.injected) this.flagCounts.injected++;
    if (reply.status === 423) this.flagCounts.locked++;
  }
}

/** Counts by label set since the last scrape (few, fixed label sets: kinds x status classes). */
class PendingCounts<L extends string> {
  private readonly counts = new Map<string, { labels: Partial<Record<L, string>>; n: number }>();

  add(key: string, labels: () => Partial<Record<L, string>>): void {
    const entry = this.counts.get(key);
    if (entry) entry.n++;
    else this.counts.set(key, { labels: labels(), n: 1 });
  }

  /** Hands over what was counted and starts again from zero. */
  drain(to: (labels: Partial<Record<L, string>>, n: number) => void): void {
    for (const entry of this.counts.values()) {
      if (entry.n > 0) to(entry.labels, entry.n);
      entry.n = 0;
    }
  }
}

/**
 * statescope_exchange_duration_seconds{kind}, counted with plain numbers per exchange (a bucket
 * search and three adds) and written out in prom-client's histogram form when Prometheus
 * scrapes; prom-client's own Histogram hashes the labels object on every observe().
 */
class LatencyHistogram {
  readonly name = 'statescope_exchange_duration_seconds';
  readonly help = 'Time from the complete request to the end of the reply, completed exchanges only';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private byKind = new Map<string, { buckets: Float64Array; sum: number; count: number }>();

  observe(kind: string, seconds: number): void {
    let h = this.byKind.get(kind);
    if (!h) this.byKind.set(kind, (h = { buckets: new Float64Array(LATENCY_BUCKETS_SECONDS.length), sum: 0, count: 0 }));
    const i = LATENCY_BUCKETS_SECONDS.findIndex((bound) => seconds <= bound);
    if (i >= 0) h.buckets[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** What prom-client's registry reads from a metric: buckets cumulative, then +Inf, sum and count. */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { metricName: string; labels: Record<string, string | number>; value: number }[] }> {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const [kind, h] of this.byKind) {
      let cumulative = 0;
      LATENCY_BUCKETS_SECONDS.forEach((le, i) => {
        cumulative += h.buckets[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, kind }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', kind }, value: h.count });
      values.push({ metricName: `${this.name}_sum`, labels: { kind }, value: h.sum });
      values.push({ metricName: `${this.name}_count`, labels: { kind }, value: h.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    this.byKind = new Map();
  }
}
