// What the client makes of a reply (protocol notes §7.2). Only Get/GetExclusive look at the
// status; for every other operation the real client ignores it unless it is 400.
import { getHeader, getLockCookieText, parseIntHeader, VERSION_HEADER, type ResponseHead } from '../protocol/index.ts';
import type { RawReply } from './connection.ts';
import type { OperationKind } from './requests.ts';

/**
 * found: 200 with data. locked: 423. absent: anything else on a Get (a 200 with an empty body
 * included), which makes the session module start a new session. done: non-Get operations.
 */
export type ReplyOutcome = 'found' | 'locked' | 'absent' | 'done';

export interface StateReply {
  kind: OperationKind;
  status: number;
  reason: string;
  outcome: ReplyOutcome;
  body: Buffer;
  lockCookie: number | null;
  /** Lock age in seconds as the client computes it; only on 423. */
  lockAge: number | null;
  /** LockDate as sent (.NET ticks, server local time). */
  lockDateTicks: bigint | null;
  actionFlags: number;
  timeoutMinutes: number | null;
  /** X-AspNet-Version as received, null when absent. */
  versionHeader: string | null;
  /** The reply head exactly as received. */
  head: ResponseHead;
  connectionId: number;
  latencyMs: number;
}

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;
const TICKS_PER_MS = 10_000n;
/** DateTime ticks of 1970-01-01T00:00:00. */
const UNIX_EPOCH_TICKS = 621_355_968_000_000_000n;

function intHeader(head: ResponseHead, name: string): number | null {
  const n = parseIntHeader(getHeader(head.headers, name));
  return n === undefined || Number.isNaN(n) ? null : n;
}

/** DateTime.Now.Ticks: local wall clock, which is what LockDate is compared with. */
export function localNowTicks(now = new Date()): bigint {
  const localMs = now.getTime() - now.getTimezoneOffset() * 60_000;
  return BigInt(localMs) * TICKS_PER_MS + UNIX_EPOCH_TICKS;
}

/**
 * LockAge when it is a sane number of seconds; otherwise the client falls back to its own
 * clock minus LockDate, and to 0 when that is out of range too.
 */
export function computeLockAge(lockAge: number | null, lockDateTicks: bigint | null, now = new Date()): number {
  if (lockAge !== null && lockAge >= 0) return lockAge < ONE_YEAR_SECONDS ? lockAge : 0;
  const nowTicks = localNowTicks(now);
  if (lockDateTicks === null || lockDateTicks <= 0n || lockDateTicks >= nowTicks) return 0;
  return Number((nowTicks - lockDateTicks) / (TICKS_PER_MS * 1000n));
}

function parseTicks(text: string | undefined): bigint | null {
  if (text === undefined || !/^-?\d{1,19}$/.test(text)) return null;
  return BigInt(text);
}

export function interpretReply(kind: OperationKind, raw: RawReply, connectionId: number, latencyMs: number): StateReply {
  const { head, body } = raw;
  const isGet = kind === 'Get' || kind === 'GetExclusive';
  let outcome: ReplyOutcome = 'done';
  if (isGet) outcome = head.status === 200 && body.length > 0 ? 'found' : head.status === 423 ? 'locked' : 'absent';
  const cookie = parseIntHeader(getLockCookieText(head.headers));
  const lockDateTicks = outcome === 'locked' ? parseTicks(getHeader(head.headers, 'LockDate')) : null;
  return {
    kind,
    status: head.status,
    reason: head.reason,
    outcome,
    body,
    lockCookie: cookie === undefined || Number.isNaN(cookie) ? null : cookie,
    lockAge: outcome === 'locked' ? computeLockAge(intHeader(head, 'LockAge'), lockDateTicks) : null,
    lockDateTicks,
    actionFlags: intHeader(head, 'ActionFlags') ?? 0,
    timeoutMinutes: intHeader(head, 'Timeout'),
    versionHeader: getHeader(head.headers, VERSION_HEADER) ?? null,
    head,
    connectionId,
    latencyMs,
  };
}
