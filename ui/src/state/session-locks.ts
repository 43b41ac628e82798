// One session's lock history from its exchanges: who held the lock and for how long (GetExclusive
// granted, to the Set, ReleaseExclusive or Remove with the same cookie), who got 423 while
// waiting, and which releases were forced by a waiter breaking a stale lock. ASP.NET breaks a
// lock with ReleaseExclusive right after a 423 and then asks for the lock again at once; the
// holder's own release has no such 423 just before and GetExclusive just after.
import type { ExchangeSummary } from '../../../server/capture/wire-types.ts';

export interface LockHold {
  cookie: string;
  start: number;
  /** null: no release in the list (still held, or released by an exchange no longer listed). */
  end: number | null;
  holder: string;
  holderConnection: number;
  acquireId: number;
  releaseId: number | null;
  releasedBy: 'Set' | 'ReleaseExclusive' | 'Remove' | null;
  forced: boolean;
  /** 423 replies naming this lock. */
  waiters: number;
}

export interface SessionLocks {
  holds: LockHold[];
  waits: ExchangeSummary[];
  forcedReleaseIds: Set<number>;
}

/** Gap that still counts as "right after" for the forced-release pattern (loaded machines are slow). */
const FOLLOW_MS = 250;

const endOf = (s: ExchangeSummary): number => s.startedAt + (s.latencyMs ?? 0);

/** `entries` sorted by start time. */
export function sessionLocks(entries: readonly ExchangeSummary[]): SessionLocks {
  const holds: LockHold[] = [];
  const open = new Map<string, LockHold>();
  const waits: ExchangeSummary[] = [];
  const forcedReleaseIds = new Set<number>();
  entries.forEach((s, i) => {
    if (s.status === 423) {
      waits.push(s);
      const held = s.lockCookie !== null ? open.get(s.lockCookie) : undefined;
      if (held) held.waiters++;
      return;
    }
    if (s.status !== 200) return;
    if (s.kind === 'GetExclusive' && s.lockCookie !== null) {
      const hold: LockHold = {
        cookie: s.lockCookie,
        start: s.startedAt,
        end: null,
        holder: s.client,
        holderConnection: s.connectionId,
        acquireId: s.id,
        releaseId: null,
        releasedBy: null,
        forced: false,
        waiters: 0,
      };
      holds.push(hold);
      open.set(s.lockCookie, hold);
      return;
    }
    if ((s.kind === 'Set' || s.kind === 'ReleaseExclusive' || s.kind === 'Remove') && s.lockCookie !== null) {
      const hold = open.get(s.lockCookie);
      if (!hold) return;
      open.delete(s.lockCookie);
      hold.end = endOf(s);
      hold.releaseId = s.id;
      hold.releasedBy = s.kind;
      if (s.kind === 'ReleaseExclusive' && isForced(entries, i)) {
        hold.forced = true;
        forcedReleaseIds.add(s.id);
      }
    }
  });
  return { holds, waits, forcedReleaseIds };
}

function isForced(entries: readonly ExchangeSummary[], i: number): boolean {
  const release = entries[i]!;
  let after423 = false;
  for (let j = i - 1; j >= 0; j--) {
    const e = entries[j]!;
    if (release.startedAt - endOf(e) > FOLLOW_MS) break;
    if (e.status === 423 && e.lockCookie === release.lockCookie && endOf(e) <= release.startedAt + 1) {
      after423 = true;
      break;
    }
  }
  if (!after423) return false;
  for (let j = i + 1; j < entries.length; j++) {
    const e = entries[j]!;
    if (e.startedAt - endOf(release) > FOLLOW_MS) break;
    if (e.kind === 'GetExclusive' && e.startedAt >= release.startedAt) return true;
  }
  return false;
}
