// sessions-vanished: keys that existed moments ago answer 404, several at once, and the clients
// create them anew. The item cannot have expired: any access slides its expiry, and the shortest
// session timeout is one minute. So the state service lost its memory: it restarted.
import type { Diagnosis, ExchangeRecord } from '../wire-types.ts';
import { BoundedMap } from './bounded-map.ts';
import { Finding, recordTime, type DiagnosisRule } from './rule.ts';

const MAX_KEYS_TRACKED = 20_000;
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
  /** target -> when a reply last showed the item exists. */
  private readonly existedAt = new BoundedMap<string, number>(MAX_KEYS_TRACKED);
  /** target -> when it was removed (Session.Abandon): a 404 after that is expected. */
  private readonly removedAt = new BoundedMap<string, number>(MAX_KEYS_TRACKED);
  /** The latest vanished keys, oldest first (a short ring). */
  private recent: Vanished[] = [];
  /** target -> the 404's id, for keys of the current burst not yet re-created. */
  private readonly awaitingCreate = new BoundedMap<string, number>(RECENT_VANISHED);
  private finding = new Finding();
  private lost = 0;
  private recreated = 0;

  observe(record: ExchangeRecord): void {
    const req = record.request;
    const reply = record.reply;
    if (req === null || reply === null) return;
    const at = recordTime(record);
    const kind = req.kind;
    if (reply.status === 200) {
      if (kind === 'Remove') {
        this.existedAt.delete(req.target);
        this.removedAt.set(req.target, at);
        return;
      }
      if (kind === 'CreateUninitialized' || (kind === 'Set' && this.awaitingCreate.size > 0)) {
        const lostId = this.awaitingCreate.get(req.target);
        if (lostId !== undefined) {
          this.awaitingCreate.delete(req.target);
          this.recreated++;
          if (this.finding.count > 0) this.finding.addEvidence(record.id);
        }
      }
      if (kind !== 'Unknown') this.existedAt.set(req.target, at);
      return;
    }
    if (reply.status !== 404 || (kind !== 'Get' && kind !== 'GetExclusive' && kind !== 'ResetTimeout')) return;
    const existed = this.existedAt.get(req.target);
    if (existed === undefined) return;
    this.existedAt.delete(req.target);
    if (at - existed > EXISTED_WITHIN_MS) return;
    const removed = this.removedAt.get(req.target);
    if (removed !== undefined && at - removed < EXISTED_WITHIN_MS) return;
    this.lost++;
    this.awaitingCreate.set(req.target, record.id);
    this.recent.push({ target: req.target, at, id: record.id });
    if (this.recent.length > RECENT_VANISHED) this.recent.shift();
    const burst = this.recent.filter((v) => at - v.at <= BURST_MS);
    if (new Set(burst.map((v) => v.target)).size >= BURST_KEYS) {
      this.finding.hit(at, record.id);
      if (this.finding.count === 1) this.finding.addEvidence(...burst.map((v) => v.id).reverse());
    }
  }

  list(activeSince: number): Diagnosis[] {
    if (!this.finding.active(activeSince)) return [];
    return [
      this.finding.toDiagnosis('sessions-vanished', {
        severity: 'error',
        title: `Sessions vanished: ${this.lost} sessions that existed moments before were not found`,
        detail:
          `Requests for sessions that the state server had answered less than a minute earlier got 404, in a burst, and ASP.NET then created them anew (${this.recreated} CreateUninitialized or new Set seen): every one of those users silently lost their session (logged out, cart emptied). ` +
          'They cannot have expired (any access slides the expiry, and the shortest timeout is one minute), so the state service lost its memory: it was restarted, or its machine rebooted. aspnet_state keeps sessions in its process memory only, which makes it a single point of failure for the whole farm. ' +
          'Fix: find what restarted it (System event log: service stops, Windows Update reboots, crashes); to remove the single point of failure, move to sessionState mode="SQLServer" (sessions survive restarts; with a failover cluster or Always On availability group) or a replicated distributed store through a custom session provider (for example Redis with replicas).',
      }),
    ];
  }

  clear(): void {
    this.existedAt.clear();
    this.removedAt.clear();
    this.awaitingCreate.clear();
    this.recent = [];
    this.finding = new Finding();
    this.lost = 0;
    this.recreated = 0;
  }
}
