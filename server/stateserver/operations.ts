// What each request does to the store and what it answers, following Microsoft's state server
// (protocol notes §5–§6). Pure apart from the store: no sockets, no clock of its own.
import { classifyRequest } from '../protocol/classify.ts';
import type { RawHeader } from '../protocol/headers.ts';
import { decodeTarget } from '../protocol/target.ts';
import { BadRequest, readExtraFlags, readLockCookie, readTimeout } from './request-fields.ts';
import { reply, type Reply } from './reply.ts';
import type { SessionStore, StoredItem } from './session-store.ts';
import { elapsedSeconds, localDotNetTicks } from './ticks.ts';

export interface StateRequest {
  verb: string;
  target: string;
  headers: RawHeader[];
  body: Buffer;
}

export interface OperationContext {
  store: SessionStore;
  now: () => number;
  /** Offset for LockDate; undefined = the host's own time zone. */
  timezoneOffsetMinutes: number | undefined;
  maxStoredBytes: number;
  /** Told about every Set refused for lack of room (the caller rate-limits the logging). */
  onStoreFull(key: string, storedBytes: number, maxStoredBytes: number, requestedBytes: number): void;
}

/** A new item's counter is 1, so the first lock hands out cookie 2 (notes §6.2). */
const INITIAL_LOCK_COOKIE = 1;
const INT32_MAX = 2_147_483_647;

export function executeRequest(ctx: OperationContext, request: StateRequest): Reply {
  try {
    return dispatch(ctx, request);
  } catch (error) {
    if (error instanceof BadRequest) return reply(400);
    // ASP.NET answers an unhandled exception in the state application with a bare 500.
    return reply(500);
  }
}

function dispatch(ctx: OperationContext, request: StateRequest): Reply {
  const key = decodeTarget(request.target).key;
  const { headers } = request;
  switch (classifyRequest(request.verb, headers)) {
    case 'Get':
      return get(ctx, key, false);
    case 'GetExclusive':
      return get(ctx, key, true);
    case 'ReleaseExclusive':
      return release(ctx, key, headers);
    case 'Set':
    case 'CreateUninitialized':
      return set(ctx, key, headers, request.body);
    case 'Remove':
      return remove(ctx, key, headers);
    case 'ResetTimeout':
      return ctx.store.touch(key) ? reply(200) : reply(404);
    case 'Unknown':
      return reply(400);
  }
}

function get(ctx: OperationContext, key: string, exclusive: boolean): Reply {
  const item = ctx.store.touch(key);
  if (item === undefined) return reply(404);
  // A non-exclusive Get never returns data while someone holds the lock.
  if (item.locked) return lockedReply(ctx, item);
  const headers: RawHeader[] = [];
  if (item.uninitialized) {
    // Only the first reader is told to initialise the item.
    headers.push({ name: 'ActionFlags', value: '1' });
    item.uninitialized = false;
  }
  if (exclusive) {
    item.lockCookie = item.lockCookie >= INT32_MAX ? INITIAL_LOCK_COOKIE : item.lockCookie + 1;
    item.locked = true;
    item.lockedAt = ctx.now();
    headers.push({ name: 'LockCookie', value: String(item.lockCookie) });
  }
  headers.push({ name: 'Timeout', value: String(item.timeoutMinutes) });
  return reply(200, headers, item.body);
}

function release(ctx: OperationContext, key: string, headers: readonly RawHeader[]): Reply {
  const cookie = readLockCookie(headers);
  if (cookie === undefined) throw new BadRequest('ReleaseExclusive without a lock cookie');
  const item = ctx.store.touch(key);
  if (item === undefined) return reply(404);
  if (!item.locked) return reply(200);
  if (cookie !== item.lockCookie) return lockedReply(ctx, item);
  item.locked = false;
  return reply(200);
}

function set(ctx: OperationContext, key: string, headers: readonly RawHeader[], body: Buffer): Reply {
  const timeoutMinutes = readTimeout(headers);
  const cookie = readLockCookie(headers);
  const createUninitialized = (readExtraFlags(headers) & 1) === 1;
  const { store } = ctx;

  if (createUninitialized) {
    // Never overwrite a live session with a placeholder (notes §6.3); the lock is not checked.
    if (store.peek(key) !== undefined) return reply(200);
    if (!makeRoom(ctx, key, body.length, 0)) return reply(500);
    store.insert(key, { body, timeoutMinutes, uninitialized: true, lockCookie: INITIAL_LOCK_COOKIE });
    return reply(200);
  }

  const existing = store.touch(key);
  if (existing === undefined) {
    // The client sends cookie 0 on a first Set; a new item ignores it.
    if (!makeRoom(ctx, key, body.length, 0)) return reply(500);
    store.insert(key, { body, timeoutMinutes, uninitialized: false, lockCookie: INITIAL_LOCK_COOKIE });
    return reply(200);
  }
  if (existing.locked && cookie !== existing.lockCookie) return lockedReply(ctx, existing);
  if (!makeRoom(ctx, key, body.length, existing.body.length)) return reply(500);
  if (existing.timeoutMinutes === timeoutMinutes) {
    store.replaceBody(existing, body);
    existing.locked = false;
    existing.uninitialized = false;
    return reply(200);
  }
  // A new timeout means a new cache entry, which takes the request's cookie as its counter.
  store.insert(key, { body, timeoutMinutes, uninitialized: false, lockCookie: cookie ?? existing.lockCookie });
  return reply(200);
}

function remove(ctx: OperationContext, key: string, headers: readonly RawHeader[]): Reply {
  const cookie = readLockCookie(headers);
  const item = ctx.store.touch(key);
  if (item === undefined) return reply(404);
  if (item.locked && cookie !== item.lockCookie) return lockedReply(ctx, item);
  ctx.store.remove(key);
  return reply(200);
}

function lockedReply(ctx: OperationContext, item: StoredItem): Reply {
  const now = ctx.now();
  return reply(423, [
    { name: 'LockDate', value: localDotNetTicks(item.lockedAt, ctx.timezoneOffsetMinutes).toString() },
    { name: 'LockAge', value: String(elapsedSeconds(item.lockedAt, now)) },
    { name: 'LockCookie', value: String(item.lockCookie) },
  ]);
}

/**
 * True when `requested` bytes fit once `freed` bytes (the body being replaced) are returned.
 * Expired items still count until swept, so they are purged before giving up.
 */
function makeRoom(ctx: OperationContext, key: string, requested: number, freed: number): boolean {
  const fits = (): boolean => ctx.store.storedBytes - freed + requested <= ctx.maxStoredBytes;
  if (fits()) return true;
  ctx.store.purgeExpired();
  if (fits()) return true;
  ctx.onStoreFull(key, ctx.store.storedBytes, ctx.maxStoredBytes, requested);
  return false;
}
