// large-sessions: items above --large-session-kb, with size percentiles per app, the largest
// sessions and the ones that grew most. Every request of such a session moves the whole item
// twice (read at the start, written back at the end) and deserialises it.
import type { Diagnosis, ExchangeRecord } from '../wire-types.ts';
import { BoundedMap } from './bounded-map.ts';
import { LogHistogram } from './log-histogram.ts';
import { bytes, Finding, recordTime, seconds, type DiagnosisRule } from './rule.ts';
import { itemSizeOf } from './session-sizes.ts';
import type { DiagnosisThresholds } from './thresholds.ts';

const MAX_SESSIONS_TRACKED = 10_000;
const MAX_APPS_TRACKED = 64;
const TOP = 5;

interface SessionSize {
  sessionId: string;
  first: number;
  firstAt: number;
  latest: number;
  latestAt: number;
  id: number;
}

export class LargeSessionsRule implements DiagnosisRule {
  private readonly sessions = new BoundedMap<string, SessionSize>(MAX_SESSIONS_TRACKED);
  private readonly perApp = new BoundedMap<string, LogHistogram>(MAX_APPS_TRACKED);
  private finding = new Finding();
  private readonly limitBytes: number;

  constructor(thresholds: DiagnosisThresholds) {
    this.limitBytes = thresholds.largeSessionKb * 1024;
  }

  observe(record: ExchangeRecord): void {
    const size = itemSizeOf(record);
    if (size < 0) return;
    const req = record.request!;
    const at = recordTime(record);
    const app = req.appId ?? '(unknown app)';
    let hist = this.perApp.get(app);
    if (hist === undefined) this.perApp.set(app, (hist = new LogHistogram(64)));
    hist.add(size);
    const known = this.sessions.get(req.target);
    if (known === undefined) {
      this.sessions.set(req.target, { sessionId: req.sessionId ?? req.target, first: size, firstAt: at, latest: size, latestAt: at, id: record.id });
    } else {
      known.latest = size;
      known.latestAt = at;
      known.id = record.id;
    }
    if (size > this.limitBytes) this.finding.hit(at, record.id);
  }

  list(activeSince: number): Diagnosis[] {
    if (!this.finding.active(activeSince)) return [];
    // Runs when somebody looks (about once a second), not per record: a pass over the bounded map.
    const all = [...this.sessions.values()];
    const large = all.filter((s) => s.latest > this.limitBytes);
    const largest = [...all].sort((a, b) => b.latest - a.latest).slice(0, TOP);
    const growing = all
      .filter((s) => s.latest > s.first && s.latestAt > s.firstAt)
      .sort((a, b) => b.latest - b.first - (a.latest - a.first))
      .slice(0, 3);
    const apps = [...this.perApp.entries()]
      .map(([app, h]) => `${app}: p50 ${bytes(h.percentile(0.5))}, p95 ${bytes(h.percentile(0.95))}, max ${bytes(h.max)}`)
      .join('; ');
    const largestText = largest.map((s) => `${s.sessionId} ${bytes(s.latest)}`).join(', ');
    const growthText = growing.length
      ? ` Growing: ${growing.map((s) => `${s.sessionId} from ${bytes(s.first)} to ${bytes(s.latest)} in ${seconds(s.latestAt - s.firstAt)}`).join('; ')}.`
      : '';
    const d = this.finding.toDiagnosis('large-sessions', {
      severity: 'warning',
      title: `Large sessions: ${large.length} above ${bytes(this.limitBytes)} (largest ${bytes(largest[0]?.latest ?? 0)})`,
      detail:
        `Session sizes per app (from Content-Length): ${apps}. Largest: ${largestText}.${growthText} ` +
        'Each request of such a session reads the whole item from the state server, deserialises it, and (unless the page is read-only) serialises and writes it back: network time, CPU, and state server memory grow with it, and replies approach stateNetworkTimeout. ' +
        'Cause: big objects kept in Session (DataSets, result lists, images, per-user caches) or a collection that only ever grows. Fix: keep only small keys in Session and the data in a cache or database; remove items when done; EnableSessionState="ReadOnly" for pages that only read.',
    });
    // The largest sessions' latest exchanges are the evidence worth opening.
    d.evidence = [...new Set([...largest.filter((s) => s.latest > this.limitBytes).map((s) => s.id), ...d.evidence])].slice(0, 8);
    return [d];
  }

  clear(): void {
    this.sessions.clear();
    this.perApp.clear();
    this.finding = new Finding();
  }
}
