// store-memory: what the state server holds, estimated from the traffic: the latest size of every
// key still within its sliding expiry. The ASP.NET State Service never evicts under memory
// pressure, so this only shrinks when sessions expire or are abandoned.
import type { Diagnosis, ExchangeRecord } from '../wire-types.ts';
import { bytes, Finding, recordTime, type DiagnosisRule } from './rule.ts';
import { itemSizeOf, timeoutMinutesOf } from './session-sizes.ts';
import type { SessionSlot, SessionSlots } from './session-slots.ts';
import type { DiagnosisThresholds } from './thresholds.ts';

/** The estimate is worth a diagnosis at this many large sessions' worth of memory. */
export const STORE_MEMORY_LARGE_SESSIONS = 64;
/** Expired keys are swept this often (capture time): one pass over the keys, amortised O(1). */
const SWEEP_EVERY_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 20 * 60_000;

export class StoreMemoryRule implements DiagnosisRule {
  private total = 0;
  private liveKeys = 0;
  private peak = 0;
  private sweptAt = 0;
  private finding = new Finding();
  private readonly limitBytes: number;

  constructor(
    thresholds: DiagnosisThresholds,
    private readonly slots: SessionSlots,
  ) {
    this.limitBytes = STORE_MEMORY_LARGE_SESSIONS * thresholds.largeSessionKb * 1024;
    slots.onEvict((slot) => this.forget(slot));
  }

  observe(record: ExchangeRecord, slot: SessionSlot | null): void {
    const req = record.request;
    const reply = record.reply;
    if (req === null || reply === null || slot === null) return;
    const at = recordTime(record);
    if (at - this.sweptAt >= SWEEP_EVERY_MS) this.sweep(at);
    const status = reply.status;
    if ((req.kind === 'Remove' && status === 200) || (status === 404 && (req.kind === 'Get' || req.kind === 'GetExclusive'))) {
      this.forget(slot);
      return;
    }
    if (status !== 200 || req.kind === 'Unknown') return;
    const size = itemSizeOf(record);
    if (req.kind === 'Set' || req.kind === 'CreateUninitialized') slot.liveTimeoutMs = timeoutMinutesOf(req.head) * 60_000;
    else if (slot.liveTimeoutMs === 0) slot.liveTimeoutMs = DEFAULT_TIMEOUT_MS;
    // Any access slides the expiry; only a Set or a read tells the size.
    if (slot.liveBytes < 0) {
      this.liveKeys++;
      slot.liveBytes = 0;
    }
    if (size >= 0) {
      this.total += size - slot.liveBytes;
      slot.liveBytes = size;
    }
    slot.expiresAt = at + slot.liveTimeoutMs;
    if (this.total > this.peak) this.peak = this.total;
    if (this.total >= this.limitBytes && size > 0) this.finding.hit(at, record.id);
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const slot of this.slots.values()) if (slot.liveBytes >= 0 && slot.expiresAt <= now) this.forget(slot);
  }

  private forget(slot: SessionSlot): void {
    if (slot.liveBytes < 0) return;
    this.total -= slot.liveBytes;
    this.liveKeys--;
    slot.liveBytes = -1;
  }

  list(activeSince: number): Diagnosis[] {
    if (!this.finding.active(activeSince)) return [];
    const atLeast = this.slots.evicted > 0 ? 'at least ' : '';
    return [
      this.finding.toDiagnosis('store-memory', {
        severity: 'warning',
        title: `State server memory: about ${atLeast}${bytes(this.total)} of session data in ${this.liveKeys} live sessions`,
        detail:
          `Estimated from the traffic since statescope started: the latest size of every session key that is still within its sliding expiry (peak ${bytes(this.peak)}; shown from ${bytes(this.limitBytes)}, ${STORE_MEMORY_LARGE_SESSIONS} x --large-session-kb). ` +
          'The ASP.NET State Service keeps every session in its process memory until the session expires or is abandoned; it never evicts under memory pressure, so when the machine runs short the service fails and every user loses their session. ' +
          'Fix: smaller sessions (see large-sessions), a shorter sessionState timeout, Session.Abandon() at logout, more memory on the state server, or sessionState mode="SQLServer", which keeps sessions on disk.',
      }),
    ];
  }

  clear(): void {
    this.total = 0;
    this.liveKeys = 0;
    this.peak = 0;
    this.sweptAt = 0;
    this.finding = new Finding();
  }
}
