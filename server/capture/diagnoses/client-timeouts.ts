// client-timeouts: clients that close the connection a consistent time after sending a request
// that got no reply. That time is their stateNetworkTimeout; the reply was slower than it.
import type { Diagnosis, ExchangeRecord } from '../wire-types.ts';
import { clientHost, Finding, recordTime, seconds, type DiagnosisRule } from './rule.ts';
import type { DiagnosisThresholds } from './thresholds.ts';

/**
 * Outcome codes meaning "the client left before its reply came". One place to name them: the
 * relay may split client_reset into finer who-left-first codes.
 */
export const CLIENT_LEFT_OUTCOMES: ReadonlySet<string> = new Set(['client_reset']);

const RING = 32;
/** How many departures at about the same time make a timeout rather than users giving up. */
const MIN_CLUSTER = 3;

interface Departure {
  ms: number;
  id: number;
  host: string;
}

export class ClientTimeoutsRule implements DiagnosisRule {
  private ring: Departure[] = [];
  private finding = new Finding();
  private inferredMs = 0;
  private hosts = new Set<string>();

  constructor(private readonly thresholds: DiagnosisThresholds) {}

  observe(record: ExchangeRecord): void {
    if (record.reply !== null || record.request === null || record.latencyMs === null) return;
    if (!CLIENT_LEFT_OUTCOMES.has(record.outcome)) return;
    const ms = record.latencyMs;
    if (ms < 100) return; // a client that went away at once did not wait for anything
    const now: Departure = { ms, id: record.id, host: clientHost(record.client) };
    this.ring.push(now);
    if (this.ring.length > RING) this.ring.shift();
    // Bounded work (the ring), and only for the rare records of clients that gave up.
    const tolerance = Math.max(150, ms * 0.1);
    const cluster = this.ring.filter((d) => Math.abs(d.ms - ms) <= tolerance);
    if (cluster.length < MIN_CLUSTER) return;
    const sorted = cluster.map((d) => d.ms).sort((a, b) => a - b);
    this.inferredMs = sorted[Math.floor(sorted.length / 2)]!;
    for (const d of cluster) if (this.hosts.size < 8) this.hosts.add(d.host);
    this.finding.hit(recordTime(record), ...cluster.slice(-4).map((d) => d.id).reverse());
  }

  list(activeSince: number): Diagnosis[] {
    if (!this.finding.active(activeSince)) return [];
    const configured = this.thresholds.stateNetworkTimeoutSeconds;
    const inferredS = Math.round(this.inferredMs / 100) / 10;
    const shorter =
      inferredS < configured * 0.9
        ? ` That is shorter than the ${configured} s statescope was told (--state-network-timeout): these web servers run with a lower <sessionState stateNetworkTimeout="${Math.round(inferredS)}">.`
        : '';
    return [
      this.finding.toDiagnosis('client-timeouts', {
        severity: 'error',
        title: `Clients give up after about ${seconds(this.inferredMs)}: their stateNetworkTimeout is shorter than the state server's replies`,
        detail:
          `${this.finding.count} times a client (${[...this.hosts].join(', ')}) closed its connection about ${seconds(this.inferredMs)} after sending a request that had no reply yet: the same time each time, so it is the client's stateNetworkTimeout, not users leaving.${shorter} ` +
          'ASP.NET failed those pages with "Unable to make the session state request to the session state server" (event 3009; the state server may log 1072/1076 for the dropped connection). ' +
          'Which side to raise: the waiting side is the web server, so raise stateNetworkTimeout in its web.config (seconds, default 10) above the state server\'s slowest replies, or better make the state server answer faster (its CPU, its memory, large sessions, the network). Raising the state server\'s own SocketTimeout registry value (HKLM\\SYSTEM\\CurrentControlSet\\Services\\aspnet_state\\Parameters) does not help here: it is the client that left.',
      }),
    ];
  }

  clear(): void {
    this.ring = [];
    this.finding = new Finding();
    this.inferredMs = 0;
    this.hosts = new Set();
  }
}
