// The contract between the protocol operations and where items live. Each method is one whole
// protocol operation on one key (read, lock check, update, expiry refresh), so a store can run it
// as one atomic step: in process for the in-memory store, one Lua script for Redis. The semantics
// are Microsoft's (protocol notes §6); operations.ts only turns outcomes into replies.

/** A store answers synchronously (in memory) or asynchronously (over the network). */
export type MaybePromise<T> = T | Promise<T>;

export interface LockedOutcome {
  kind: 'locked';
  /** Unix ms when the current lock was taken. */
  lockedAt: number;
  /** The store's clock when it answered, so LockAge is measured on one clock. */
  now: number;
  lockCookie: number;
}

export interface FoundOutcome {
  kind: 'found';
  body: Buffer;
  timeoutMinutes: number;
  /** The item was created uninitialized and this is its first read (ActionFlags: 1). */
  firstReadOfUninitialized: boolean;
  /** The cookie of the lock this read took; null for a non-exclusive Get. */
  lockCookie: number | null;
}

export interface FullOutcome {
  kind: 'full';
  /** Bytes stored when the Set was refused (after expired items were purged). */
  storedBytes: number;
  /** Set when the backing store itself refused the write (e.g. Redis maxmemory). */
  detail?: string;
}

export type MissingOutcome = { kind: 'missing' };
export type DoneOutcome = { kind: 'done' };

export type ReadOutcome = MissingOutcome | LockedOutcome | FoundOutcome;
export type LockOutcome = MissingOutcome | LockedOutcome | DoneOutcome;
export type WriteOutcome = LockedOutcome | DoneOutcome | FullOutcome;

export interface SetRequest {
  body: Buffer;
  timeoutMinutes: number;
  /** The request's lock cookie; undefined when it sent none. */
  lockCookie: number | undefined;
  /** Ceiling on the total of stored bodies; Infinity for none. */
  maxStoredBytes: number;
}

export interface StoreStats {
  /** Items counted against the ceiling (expired ones count until purged). */
  items: number;
  storedBytes: number;
}

export interface StateStore {
  /** Short description for logs and the startup line ("memory", "redis://host:port/0"). */
  readonly label: string;
  get(key: string, exclusive: boolean): MaybePromise<ReadOutcome>;
  release(key: string, lockCookie: number): MaybePromise<LockOutcome>;
  /** Set (PUT): stores and releases the lock when the caller may (notes §6.2). */
  set(key: string, request: SetRequest): MaybePromise<WriteOutcome>;
  /** CreateUninitializedItem (PUT with ExtraFlags bit 1): never overwrites a live item. */
  createUninitialized(key: string, request: SetRequest): MaybePromise<WriteOutcome>;
  remove(key: string, lockCookie: number | undefined): MaybePromise<LockOutcome>;
  resetTimeout(key: string): MaybePromise<MissingOutcome | DoneOutcome>;
  /** Drops every expired item; returns how many went. */
  purgeExpired(): MaybePromise<number>;
  stats(): MaybePromise<StoreStats>;
  /** Releases what the store holds open; an in-memory store forgets its items. */
  close(): Promise<void>;
}

/** A store operation that failed for reasons of the store (not of the request). */
export class StoreUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailable';
  }
}

/** A new item's counter is 1, so the first lock hands out cookie 2 (notes §6.2). */
export const INITIAL_LOCK_COOKIE = 1;
export const INT32_MAX = 2_147_483_647;

export function nextLockCookie(cookie: number): number {
  return cookie >= INT32_MAX ? INITIAL_LOCK_COOKIE : cookie + 1;
}
