// sessions-vanished: keys that existed moments ago answer 404, several at once, and the clients
// create them anew. The item cannot have expired: any access slides its expiry, and the shortest
// session timeout is one minute. So the state service lost its memory: it restarted.
import type { Diagnosis, ExchangeRecord } from '../wire-types.ts';
import { Finding, recordTime, type DiagnosisRule } from './rule.ts';
import type { SessionSlot } from './session-slots.ts';

/** Below the one-minute minimum timeout, with room for clock jitter between records. */
const EXISTED_WITHIN_MS = 55_000;
/** Vanished keys closer together than this are one burst. */
const BURST_MS = 30_000;
/** Distinct keys in a burst before we speak: one lost key can have other explanations. */
const BURST_KEYS = 3;
const RECENT_VANISHED = 64;

interface Vanished {
  target: string;
  at: number;
  id: number;
}

export class SessionsVanishedRule implements DiagnosisRule {
  /** The latest vanished keys, oldest first (a short ring). */
  private recent: Vanished[] = [];
  private finding = new Finding();
  private lost = 0;
  private recreated = 0;
  /** Evidence, both halves of the story: the newest 404s for lost keys and their re-creations. */
  private lostIds: number[] = [];
  private recreatedIds: number[] = [];

  observe(record: ExchangeRecord, slot: SessionSlot | null): void {
    const req = record.request;
    const reply = record.reply;
    if (req === null || reply === null || slot === null) return;
    const at = recordTime(record);
    const kind = req.kind;
    if (reply.status === 200) {
      if (kind === 'Remove') {
        slot.existedAt = 0;
        slot.removedAt = at;
        return;
      }
      if (slot.lostId !== 0 && (kind === 'CreateUninitialized' || kind === 'Set')) {
        slot.lostId = 0;
        this.recreated++;
        pushNewest(this.recreatedIds, record.id, 3);
      }
      if (kind !== 'Unknown') slot.existedAt = at;
      return;
    }
    if (reply.status !== 404 || (kind !== 'Get' && kind !== 'GetExclusive' && kind !== 'ResetTimeout')) return;
    const existed = slot.existedAt;
    if (existed === 0) return;
    slot.existedAt = 0;
    if (at - existed > EXISTED_WITHIN_MS) return;
    if (slot.removedAt !== 0 && at - slot.removedAt < EXISTED_WITHIN_MS) return;
    this.lost++;
    slot.lostId = record.id;
    pushNewest(this.lostIds, record.id, 5);
    // Rare (only lost sessions get here), so a pass over the short ring is fine.
    this.recent.push({ target: req.target, at, id: record.id });
    if (this.recent.length > RECENT_VANISHED) this.recent.shift();
    const burst = this.recent.filter((v) => at - v.at <= BURST_MS);
    if (new Set(burst.map((v) => v.target)).size >= BURST_KEYS) this.finding.hit(at, record.id);
  }

  list(activeSince: number): Diagnosis[] {
    if (!this.finding.active(activeSince)) return [];
    const d = this.finding.toDiagnosis('sessions-vanished', {
      severity: 'error',
      title: `Sessions vanished: ${this.lost} sessions that existed moments before were not found`,
      detail:
        `Requests for sessions that the state server had answered less than a minute earlier got 404, in a burst, and ASP.NET then created them anew (${this.recreated} CreateUninitialized or new Set seen): every one of those users silently lost their session (logged out, cart emptied). ` +
        'They cannot have expired (any access slides the expiry, and the shortest timeout is one minute), so the state service lost its memory: it was restarted, or its machine rebooted. aspnet_state keeps sessions in its process memory only, which makes it a single point of failure for the whole farm. ' +
        'Fix: find what restarted it (System event log: service stops, Windows Update reboots, crashes); to remove the single point of failure, move to sessionState mode="SQLServer" (sessions survive restarts; with a failover cluster or Always On availability group) or a replicated distributed store through a custom session provider (for example Redis with replicas).',
    });
    d.evidence = [...this.lostIds, ...this.recreatedIds];
    return [d];
  }

  clear(): void {
    this.recent = [];
    this.lostIds = [];
    this.recreatedIds = [];
    this.finding = new Finding();
    this.lost = 0;
    this.recreated = 0;
  }
}

/** Keeps the `max` newest ids, newest first. */
function pushNewest(ids: number[], id: number, max: number): void {
  ids.unshift(id);
  if (ids.length > max) ids.length = max;
}
