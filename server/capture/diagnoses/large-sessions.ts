// large-sessions: items above --large-session-kb, with size percentiles per app, the largest
// sessions and the ones that grew most. Every request of such a session moves the whole item
// twice (read at the start, written back at the end) and deserialises it.
import type { Diagnosis, ExchangeRecord } from '../wire-types.ts';
import { BoundedMap } from './bounded-map.ts';
import { LogHistogram } from './log-histogram.ts';
import { bytes, Finding, recordTime, seconds, type DiagnosisRule } from './rule.ts';
import { itemSizeOf } from './session-sizes.ts';
import type { SessionSlot, SessionSlots } from './session-slots.ts';
import type { DiagnosisThresholds } from './thresholds.ts';

const MAX_APPS_TRACKED = 64;
const TOP = 5;

export class LargeSessionsRule implements DiagnosisRule {
  private readonly perApp = new BoundedMap<string, LogHistogram>(MAX_APPS_TRACKED);
  /** The largest sessions and the fastest-growing ones, kept up to date as sizes arrive (a few slots). */
  private largest: SessionSlot[] = [];
  private growing: SessionSlot[] = [];
  private aboveLimit = 0;
  private finding = new Finding();
  private readonly limitBytes: number;

  constructor(thresholds: DiagnosisThresholds, slots: SessionSlots) {
    this.limitBytes = thresholds.largeSessionKb * 1024;
    slots.onEvict((slot) => {
      if (slot.size > this.limitBytes) this.aboveLimit--;
      this.largest = this.largest.filter((s) => s !== slot);
      this.growing = this.growing.filter((s) => s !== slot);
    });
  }

  observe(record: ExchangeRecord, slot: SessionSlot | null): void {
    if (slot === null) return;
    const size = itemSizeOf(record);
    if (size < 0) return;
    const at = recordTime(record);
    let hist = slot.sizeHistogram;
    if (hist === null) {
      const app = record.request!.appId ?? '(unknown app)';
      hist = this.perApp.get(app) ?? new LogHistogram(64);
      this.perApp.set(app, hist);
      slot.sizeHistogram = hist;
    }
    hist.add(size);
    const wasAbove = slot.size > this.limitBytes;
    // An empty item (CreateUninitialized's 7 bytes) is not where a session "starts" growing.
    if (slot.firstSize < 0 || slot.firstSize < 64) {
      slot.firstSize = size;
      slot.firstSizeAt = at;
    }
    slot.size = size;
    slot.sizeAt = at;
    slot.sizeId = record.id;
    const isAbove = size > this.limitBytes;
    if (isAbove !== wasAbove) this.aboveLimit += isAbove ? 1 : -1;
    if (!isAbove) return;
    this.largest = keepTop(this.largest, slot, (s) => s.size);
    if (size > slot.firstSize) this.growing = keepTop(this.growing, slot, (s) => s.size - s.firstSize);
    this.finding.hit(at, record.id);
  }

  list(activeSince: number): Diagnosis[] {
    if (!this.finding.active(activeSince)) return [];
    const apps = [...this.perApp.entries()]
      .map(([app, h]) => `${app}: p50 ${bytes(h.percentile(0.5))}, p95 ${bytes(h.percentile(0.95))}, max ${bytes(h.max)}`)
      .join('; ');
    const largestText = this.largest.map((s) => `${s.sessionId} ${bytes(s.size)}`).join(', ');
    const growing = this.growing.slice(0, 3).filter((s) => s.size > s.firstSize && s.sizeAt > s.firstSizeAt);
    const growthText = growing.length
      ? ` Growing: ${growing.map((s) => `${s.sessionId} from ${bytes(s.firstSize)} to ${bytes(s.size)} in ${seconds(s.sizeAt - s.firstSizeAt)}`).join('; ')}.`
      : '';
    const d = this.finding.toDiagnosis('large-sessions', {
      severity: 'warning',
      title: `Large sessions: ${this.aboveLimit} above ${bytes(this.limitBytes)} (largest ${bytes(this.largest[0]?.size ?? 0)})`,
      detail:
        `Session sizes per app (from Content-Length): ${apps}. Largest: ${largestText}.${growthText} ` +
        'Each request of such a session reads the whole item from the state server, deserialises it, and (unless the page is read-only) serialises and writes it back: network time, CPU, and state server memory grow with it, and replies approach stateNetworkTimeout. ' +
        'Cause: big objects kept in Session (DataSets, result lists, images, per-user caches) or a collection that only ever grows. Fix: keep only small keys in Session and the data in a cache or database; remove items when done; EnableSessionState="ReadOnly" for pages that only read.',
    });
    // The largest sessions' latest exchanges are the evidence worth opening.
    d.evidence = [...new Set([...this.largest.map((s) => s.sizeId), ...d.evidence])].slice(0, 8);
    return [d];
  }

  clear(): void {
    this.perApp.clear();
    this.largest = [];
    this.growing = [];
    this.aboveLimit = 0;
    this.finding = new Finding();
  }
}

/** The TOP slots by `score`, with `slot` (re)placed: a handful of items, so sorting is cheap. */
function keepTop(top: SessionSlot[], slot: SessionSlot, score: (s: SessionSlot) => number): SessionSlot[] {
  if (top.length >= TOP && !top.includes(slot) && score(slot) <= score(top[top.length - 1]!)) return top;
  const next = top.includes(slot) ? [...top] : [...top, slot];
  next.sort((a, b) => score(b) - score(a));
  return next.slice(0, TOP);
}
