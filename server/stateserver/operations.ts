// What each request asks of the store and what it answers, following Microsoft's state server
// (protocol notes §5–§6). Header validation happens here, before the store is asked anything, so
// a 400 never touches an item; the store runs the operation itself (atomically) and this turns
// its outcome into Microsoft's reply. No sockets, no clock of its own.
import { classifyRequest } from '../protocol/classify.ts';
import type { RawHeader } from '../protocol/headers.ts';
import { decodeTarget } from '../protocol/target.ts';
import { BadRequest, readExtraFlags, readLockCookie, readTimeout } from './request-fields.ts';
import { reply, type Reply } from './reply.ts';
import type { LockedOutcome, LockOutcome, MaybePromise, ReadOutcome, StateStore, WriteOutcome } from './store.ts';
import { elapsedSeconds, localDotNetTicks } from './ticks.ts';

export interface StateRequest {
  verb: string;
  target: string;
  headers: RawHeader[];
  body: Buffer;
}

export interface OperationContext {
  store: StateStore;
  /** Offset for LockDate; undefined = the host's own time zone. */
  timezoneOffsetMinutes: number | undefined;
  maxStoredBytes: number;
  /** Told about every Set refused for lack of room (the caller rate-limits the logging). */
  onStoreFull(key: string, storedBytes: number, maxStoredBytes: number, requestedBytes: number, detail?: string): void;
}

/**
 * The reply to `request`, synchronously when the store answers synchronously. A rejected promise
 * means the store failed (StoreUnavailable): the caller closes the connection rather than invent
 * a reply, as a dead state server would.
 */
export function executeRequest(ctx: OperationContext, request: StateRequest): MaybePromise<Reply> {
  try {
    return dispatch(ctx, request);
  } catch (error) {
    if (error instanceof BadRequest) return reply(400);
    // ASP.NET answers an unhandled exception in the state application with a bare 500.
    return reply(500);
  }
}

function dispatch(ctx: OperationContext, request: StateRequest): MaybePromise<Reply> {
  const key = decodeTarget(request.target).key;
  const { headers, body } = request;
  const { store } = ctx;
  switch (classifyRequest(request.verb, headers)) {
    case 'Get':
      return then(store.get(key, false), (o) => readReply(ctx, o));
    case 'GetExclusive':
      return then(store.get(key, true), (o) => readReply(ctx, o));
    case 'ReleaseExclusive': {
      const cookie = readLockCookie(headers);
      if (cookie === undefined) throw new BadRequest('ReleaseExclusive without a lock cookie');
      return then(store.release(key, cookie), (o) => lockReply(ctx, o));
    }
    case 'Set':
    case 'CreateUninitialized': {
      const setRequest = {
        body,
        timeoutMinutes: readTimeout(headers),
        lockCookie: readLockCookie(headers),
        maxStoredBytes: ctx.maxStoredBytes,
      };
      const outcome =
        (readExtraFlags(headers) & 1) === 1 ? store.createUninitialized(key, setRequest) : store.set(key, setRequest);
      return then(outcome, (o) => writeReply(ctx, key, body.length, o));
    }
    case 'Remove': {
      const cookie = readLockCookie(headers);
      return then(store.remove(key, cookie), (o) => lockReply(ctx, o));
    }
    case 'ResetTimeout':
      return then(store.resetTimeout(key), (o) => (o.kind === 'done' ? reply(200) : reply(404)));
    case 'Unknown':
      return reply(400);
  }
}

/** Applies `f` now to a plain value, later to a promise: the in-memory path stays synchronous. */
function then<T, R>(value: MaybePromise<T>, f: (v: T) => R): MaybePromise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}

function readReply(ctx: OperationContext, outcome: ReadOutcome): Reply {
  if (outcome.kind === 'missing') return reply(404);
  if (outcome.kind === 'locked') return lockedReply(ctx, outcome);
  const headers: RawHeader[] = [];
  if (outcome.firstReadOfUninitialized) headers.push({ name: 'ActionFlags', value: '1' });
  if (outcome.lockCookie !== null) headers.push({ name: 'LockCookie', value: String(outcome.lockCookie) });
  headers.push({ name: 'Timeout', value: String(outcome.timeoutMinutes) });
  return reply(200, headers, outcome.body);
}

function lockReply(ctx: OperationContext, outcome: LockOutcome): Reply {
  if (outcome.kind === 'missing') return reply(404);
  if (outcome.kind === 'locked') return lockedReply(ctx, outcome);
  return reply(200);
}

function writeReply(ctx: OperationContext, key: string, requested: number, outcome: WriteOutcome): Reply {
  if (outcome.kind === 'locked') return lockedReply(ctx, outcome);
  if (outcome.kind === 'full') {
    ctx.onStoreFull(key, outcome.storedBytes, ctx.maxStoredBytes, requested, outcome.detail);
    return reply(500);
  }
  return reply(200);
}

function lockedReply(ctx: OperationContext, outcome: LockedOutcome): Reply {
  return reply(423, [
    { name: 'LockDate', value: localDotNetTicks(outcome.lockedAt, ctx.timezoneOffsetMinutes).toString() },
    { name: 'LockAge', value: String(elapsedSeconds(outcome.lockedAt, outcome.now)) },
    { name: 'LockCookie', value: String(outcome.lockCookie) },
  ]);
}
