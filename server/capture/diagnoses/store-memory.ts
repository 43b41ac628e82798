// store-memory: what the state server holds, estimated from the traffic: the latest size of every
// key still within its sliding expiry. The ASP.NET State Service never evicts under memory
// pressure, so this only shrinks when sessions expire or are abandoned.
import type { Diagnosis, ExchangeRecord } from '../wire-types.ts';
import { BoundedMap } from './bounded-map.ts';
import { bytes, Finding, recordTime, type DiagnosisRule } from './rule.ts';
import { itemSizeOf, timeoutMinutesOf } from './session-sizes.ts';
import type { DiagnosisThresholds } from './thresholds.ts';

const MAX_KEYS_TRACKED = 50_000;
/** The estimate is worth a diagnosis at this many large sessions' worth of memory. */
export const STORE_MEMORY_LARGE_SESSIONS = 64;
/** Expired keys removed per record at most: amortised O(1). */
const SWEEP_PER_RECORD = 2;

interface LiveKey {
  size: number;
  timeoutMs: number;
  expiresAt: number;
}

export class StoreMemoryRule implements DiagnosisRule {
  private readonly keys = new BoundedMap<string, LiveKey>(MAX_KEYS_TRACKED);
  private total = 0;
  private peak = 0;
  private finding = new Finding();
  private readonly limitBytes: number;

  constructor(thresholds: DiagnosisThresholds) {
    this.limitBytes = STORE_MEMORY_LARGE_SESSIONS * thresholds.largeSessionKb * 1024;
  }

  observe(record: ExchangeRecord): void {
    const req = record.request;
    const reply = record.reply;
    if (req === null || reply === null) return;
    const at = recordTime(record);
    this.sweep(at);
    const status = reply.status;
    if ((req.kind === 'Remove' && status === 200) || (status === 404 && (req.kind === 'Get' || req.kind === 'GetExclusive'))) {
      this.forget(req.target);
      return;
    }
    if (status !== 200 || req.kind === 'Unknown') return;
    const size = itemSizeOf(record);
    const known = this.keys.get(req.target);
    const timeoutMs =
      req.kind === 'Set' || req.kind === 'CreateUninitialized' ? timeoutMinutesOf(req.head) * 60_000 : (known?.timeoutMs ?? 20 * 60_000);
    const newSize = size >= 0 ? size : (known?.size ?? 0);
    this.total += newSize - (known?.size ?? 0);
    // Re-setting moves the key to the newest end, so the oldest end is the next to expire.
    this.keys.set(req.target, { size: newSize, timeoutMs, expiresAt: at + timeoutMs }, (_k, v) => (this.total -= v.size));
    if (this.total > this.peak) this.peak = this.total;
    if (this.total >= this.limitBytes && size > 0) this.finding.hit(at, record.id);
  }

  private sweep(now: number): void {
    for (let i = 0; i < SWEEP_PER_RECORD; i++) {
      const oldest = this.keys.oldest();
      if (oldest === undefined || oldest[1].expiresAt > now) return;
      this.forget(oldest[0]);
    }
  }

  private forget(target: string): void {
    const known = this.keys.get(target);
    if (known === undefined) return;
    this.total -= known.size;
    this.keys.delete(target);
  }

  list(activeSince: number): Diagnosis[] {
    if (!this.finding.active(activeSince)) return [];
    const atLeast = this.keys.evicted > 0 ? 'at least ' : '';
    return [
      this.finding.toDiagnosis('store-memory', {
        severity: 'warning',
        title: `State server memory: about ${atLeast}${bytes(this.total)} of session data in ${this.keys.size} live sessions`,
        detail:
          `Estimated from the traffic since statescope started: the latest size of every session key that is still within its sliding expiry (peak ${bytes(this.peak)}; shown from ${bytes(this.limitBytes)}, ${STORE_MEMORY_LARGE_SESSIONS} x --large-session-kb). ` +
          'The ASP.NET State Service keeps every session in its process memory until the session expires or is abandoned; it never evicts under memory pressure, so when the machine runs short the service fails and every user loses their session. ' +
          'Fix: smaller sessions (see large-sessions), a shorter sessionState timeout, Session.Abandon() at logout, more memory on the state server, or sessionState mode="SQLServer", which keeps sessions on disk.',
      }),
    ];
  }

  clear(): void {
    this.keys.clear();
    this.total = 0;
    this.peak = 0;
    this.finding = new Finding();
  }
}
