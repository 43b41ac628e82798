// Lock episodes, from GetExclusive 200 (cookie C) to the Set / ReleaseExclusive / Remove with C,
// and the 423s other requests get meanwhile. Two diagnoses come out of them:
//  - orphaned-lock: a lock whose waiters see LockAge reach executionTimeout, so ASP.NET breaks it
//    (a ReleaseExclusive with C from a waiter: the forced release);
//  - lock-contention: how long locks are held, how many requests wait per session, and what the
//    500 ms polling costs; it speaks up when a lock is held long enough to hurt.
import type { Diagnosis, ExchangeRecord } from '../wire-types.ts';
import { LogHistogram } from './log-histogram.ts';
import { Finding, recordTime, seconds, type DiagnosisRule } from './rule.ts';
import type { LockEpisode, SessionSlot } from './session-slots.ts';
import type { DiagnosisThresholds } from './thresholds.ts';

/** SessionStateModule's poll interval while a session is locked (protocol notes §6.2). */
const POLL_MS = 500;
const MAX_WAITERS_TRACKED = 16;

export class LockRules implements DiagnosisRule {
  private readonly holdMs = new LogHistogram(1);
  private readonly waitersPerEpisode = new LogHistogram(1);
  private polls = 0;
  private maxWaiters = 0;
  private orphans = new Finding();
  private forcedReleases = 0;
  private orphansWithoutVersion = 0;
  private contention = new Finding();
  private peakAgeSeconds = 0;

  constructor(private readonly thresholds: DiagnosisThresholds) {}

  /** A lock held this long blocks every other request of the session for too long. */
  private get longHoldSeconds(): number {
    return Math.max(1, Math.min(5, this.thresholds.executionTimeoutSeconds / 4));
  }

  observe(record: ExchangeRecord, slot: SessionSlot | null): void {
    const req = record.request;
    const reply = record.reply;
    if (req === null || reply === null || slot === null) return;
    const kind = req.kind;
    const status = reply.status;
    if (status === 423) return this.onLocked(record, slot, reply.lockCookie, reply.lockAgeSeconds ?? 0, record.connectionId);
    if (status !== 200) return;
    if (kind === 'GetExclusive') {
      if (reply.lockCookie === null) return;
      const takenAt = record.startedAt + (record.firstByteMs ?? record.latencyMs ?? 0);
      slot.lock = newEpisode(reply.lockCookie, takenAt, record.id, !reply.versionHeader.present);
    } else if (kind === 'Set' || kind === 'ReleaseExclusive' || kind === 'Remove') {
      const lock = slot.lock;
      if (lock === null || req.lockCookie !== lock.cookie) return;
      slot.lock = null;
      this.onReleased(record, lock, kind);
    }
  }

  private onLocked(record: ExchangeRecord, slot: SessionSlot, cookie: string | null, ageSeconds: number, connectionId: number): void {
    const at = recordTime(record);
    let lock = slot.lock;
    if (lock === null || (cookie !== null && lock.cookie !== cookie)) {
      // Taken before statescope started, or by a GetExclusive it did not see complete.
      if (cookie === null) return;
      lock = newEpisode(cookie, at - ageSeconds * 1000, 0, false);
      slot.lock = lock;
    }
    this.polls++;
    lock.polls++;
    if (lock.firstPollId === 0) lock.firstPollId = record.id;
    lock.lastPollId = record.id;
    if (ageSeconds > lock.maxAgeSeconds) lock.maxAgeSeconds = ageSeconds;
    if (ageSeconds > this.peakAgeSeconds) this.peakAgeSeconds = ageSeconds;
    if (lock.waiters.length < MAX_WAITERS_TRACKED && !lock.waiters.includes(connectionId)) lock.waiters.push(connectionId);
    if (lock.waiters.length > this.maxWaiters) this.maxWaiters = lock.waiters.length;
    if (ageSeconds >= this.longHoldSeconds) this.contention.hit(at, ...evidenceOf(lock, record.id));
    if (ageSeconds >= this.thresholds.executionTimeoutSeconds && lock.staleId === 0) {
      lock.staleId = record.id;
      this.orphans.hit(at, ...evidenceOf(lock, record.id));
      if (lock.takenWithoutVersionHeader) this.orphansWithoutVersion++;
    }
  }

  private onReleased(record: ExchangeRecord, lock: LockEpisode, kind: string): void {
    const at = recordTime(record);
    const held = Math.max(0, record.startedAt - lock.takenAt);
    this.holdMs.add(held);
    if (lock.polls > 0) this.waitersPerEpisode.add(lock.waiters.length);
    if (lock.staleId !== 0 && kind === 'ReleaseExclusive') {
      // A waiter broke it: the owner never came back with Set or ReleaseExclusive.
      this.forcedReleases++;
      this.orphans.lastAt = Math.max(this.orphans.lastAt, at);
      this.orphans.addEvidence(...evidenceOf(lock, lock.staleId), record.id);
    } else if (held >= this.longHoldSeconds * 1000 && lock.polls > 0) {
      this.contention.hit(at, ...evidenceOf(lock, record.id));
    }
  }

  list(activeSince: number): Diagnosis[] {
    const out: Diagnosis[] = [];
    const t = this.thresholds;
    if (this.orphans.active(activeSince)) {
      const versionNote =
        this.orphansWithoutVersion > 0
          ? ` ${this.orphansWithoutVersion} of these locks were taken by a reply without X-AspNet-Version: right after an application start, ASP.NET throws the version error after the state server has locked the item, and the cookie is lost (see the missing-version-header diagnosis).`
          : '';
      out.push(
        this.orphans.toDiagnosis('orphaned-lock', {
          severity: 'error',
          title: `Orphaned session locks: ${this.orphans.count} lock${this.orphans.count === 1 ? '' : 's'} reached executionTimeout (${t.executionTimeoutSeconds} s)`,
          detail:
            `A request took the session's lock (GetExclusive 200 with a LockCookie) and never sent the Set, ReleaseExclusive or Remove with that cookie, while other requests of the same user waited (423 Locked, polling every ${POLL_MS} ms, LockAge growing). Once LockAge reached executionTimeout, ASP.NET broke the lock (${this.forcedReleases} forced ReleaseExclusive seen); until then every page of that user hung. ` +
            `Usual causes: an object in Session that is not serializable (the end-of-request write throws, so the page sends ReleaseExclusive instead of Set, or nothing; look for SerializationException in the event log), the version error thrown after the lock was taken, an app pool recycle or crash in the middle of a request.${versionNote} ` +
            `Fix: mark everything stored in Session [Serializable], fix the version header, recycle outside busy hours; evidence: the GetExclusive that took the lock, the waiters' 423s and the forced release.`,
        }),
      );
    }
    if (this.contention.active(activeSince)) {
      const waitedS = (this.polls * POLL_MS) / 1000;
      out.push(
        this.contention.toDiagnosis('lock-contention', {
          severity: this.peakAgeSeconds >= t.executionTimeoutSeconds * 0.8 ? 'error' : 'warning',
          title: `Lock contention: sessions held for up to ${this.peakAgeSeconds} s while other requests wait`,
          detail:
            `Requests of one user are serialised on the session lock. Locks were held p50 ${seconds(this.holdMs.percentile(0.5))}, p95 ${seconds(this.holdMs.percentile(0.95))}, longest ${seconds(this.holdMs.max)} (LockAge up to ${this.peakAgeSeconds} s; ASP.NET breaks a lock at executionTimeout, ${t.executionTimeoutSeconds} s here). ` +
            `Up to ${this.maxWaiters} connections waited on one lock${this.waitersPerEpisode.count > 0 ? ` (p95 of released locks: ${Math.round(this.waitersPerEpisode.percentile(0.95))})` : ''}. Polling cost: ${this.polls} 423 replies, each a ${POLL_MS} ms sleep for a page, about ${seconds(waitedS * 1000)} of page time spent waiting. ` +
            'Cause: slow pages holding the session (long database calls, parallel AJAX or frames of one user). Fix: EnableSessionState="ReadOnly" on pages that only read, keep work out of locked pages, or a provider without exclusive locks.',
        }),
      );
    }
    return out;
  }

  clear(): void {
    this.holdMs.clear();
    this.waitersPerEpisode.clear();
    this.polls = 0;
    this.maxWaiters = 0;
    this.orphans = new Finding();
    this.forcedReleases = 0;
    this.orphansWithoutVersion = 0;
    this.contention = new Finding();
    this.peakAgeSeconds = 0;
  }
}

function newEpisode(cookie: string, takenAt: number, takenId: number, takenWithoutVersionHeader: boolean): LockEpisode {
  return { cookie, takenAt, takenId, takenWithoutVersionHeader, polls: 0, firstPollId: 0, lastPollId: 0, maxAgeSeconds: 0, waiters: [], staleId: 0 };
}

/** The GetExclusive that took the lock, the first waiter and the current one. */
function evidenceOf(lock: LockEpisode, currentId: number): number[] {
  const ids = [lock.takenId, lock.firstPollId, currentId].filter((id) => id > 0);
  return [...new Set(ids)];
}
