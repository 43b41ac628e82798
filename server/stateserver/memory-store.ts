// In-memory item store with the ASP.NET cache's sliding expiry (protocol notes §6.1) and the
// lock rules of §6.2. Every operation runs to completion synchronously, which makes each one
// atomic within the process. The default store: nothing survives a restart.
import {
  INITIAL_LOCK_COOKIE,
  nextLockCookie,
  type FullOutcome,
  type LockedOutcome,
  type LockOutcome,
  type ReadOutcome,
  type SetRequest,
  type StateStore,
  type StoreStats,
  type WriteOutcome,
} from './store.ts';

interface StoredItem {
  body: Buffer;
  /** Sliding timeout in minutes as sent by the client; 0 means the entry never slides out. */
  timeoutMinutes: number;
  /** Unix ms after which the item is gone; Infinity for timeout 0. */
  expiresAt: number;
  /** Created by CreateUninitializedItem and not read yet: the next Get reports ActionFlags 1. */
  uninitialized: boolean;
  /** Lock counter: the cookie of the current (or most recent) lock. */
  lockCookie: number;
  locked: boolean;
  /** Unix ms when the current lock was taken (meaningful only while locked). */
  lockedAt: number;
}

const DONE = { kind: 'done' } as const;
const MISSING = { kind: 'missing' } as const;

export class MemoryStore implements StateStore {
  readonly label = 'memory';
  private readonly items = new Map<string, StoredItem>();
  private bytes = 0;

  constructor(private readonly now: () => number) {}

  get(key: string, exclusive: boolean): ReadOutcome {
    const item = this.touch(key);
    if (item === undefined) return MISSING;
    // A non-exclusive Get never returns data while someone holds the lock.
    if (item.locked) return this.lockedOutcome(item);
    // Only the first reader is told to initialise the item.
    const firstReadOfUninitialized = item.uninitialized;
    item.uninitialized = false;
    let lockCookie: number | null = null;
    if (exclusive) {
      item.lockCookie = lockCookie = nextLockCookie(item.lockCookie);
      item.locked = true;
      item.lockedAt = this.now();
    }
    return { kind: 'found', body: item.body, timeoutMinutes: item.timeoutMinutes, firstReadOfUninitialized, lockCookie };
  }

  release(key: string, lockCookie: number): LockOutcome {
    const item = this.touch(key);
    if (item === undefined) return MISSING;
    if (!item.locked) return DONE;
    if (lockCookie !== item.lockCookie) return this.lockedOutcome(item);
    item.locked = false;
    return DONE;
  }

  createUninitialized(key: string, request: SetRequest): WriteOutcome {
    // Never overwrite a live session with a placeholder (notes §6.3); the lock is not checked.
    if (this.peek(key) !== undefined) return DONE;
    const full = this.makeRoom(request, 0);
    if (full) return full;
    this.insert(key, request, true, INITIAL_LOCK_COOKIE);
    return DONE;
  }

  set(key: string, request: SetRequest): WriteOutcome {
    const existing = this.touch(key);
    if (existing === undefined) {
      // The client sends cookie 0 on a first Set; a new item ignores it.
      const full = this.makeRoom(request, 0);
      if (full) return full;
      this.insert(key, request, false, INITIAL_LOCK_COOKIE);
      return DONE;
    }
    if (existing.locked && request.lockCookie !== existing.lockCookie) return this.lockedOutcome(existing);
    const full = this.makeRoom(request, existing.body.length);
    if (full) return full;
    if (existing.timeoutMinutes === request.timeoutMinutes) {
      this.bytes += request.body.length - existing.body.length;
      existing.body = request.body;
      existing.locked = false;
      existing.uninitialized = false;
      return DONE;
    }
    // A new timeout means a new cache entry, which takes the request's cookie as its counter.
    this.insert(key, request, false, request.lockCookie ?? existing.lockCookie);
    return DONE;
  }

  remove(key: string, lockCookie: number | undefined): LockOutcome {
    const item = this.touch(key);
    if (item === undefined) return MISSING;
    if (item.locked && lockCookie !== item.lockCookie) return this.lockedOutcome(item);
    this.drop(key);
    return DONE;
  }

  resetTimeout(key: string): typeof MISSING | typeof DONE {
    return this.touch(key) === undefined ? MISSING : DONE;
  }

  purgeExpired(): number {
    const now = this.now();
    let purged = 0;
    for (const [key, item] of this.items) {
      if (item.expiresAt <= now) {
        this.drop(key);
        purged++;
      }
    }
    return purged;
  }

  stats(): StoreStats {
    return { items: this.items.size, storedBytes: this.bytes };
  }

  async close(): Promise<void> {
    this.items.clear();
    this.bytes = 0;
  }

  /** The live item without refreshing its expiry (an expired one is dropped on the way). */
  private peek(key: string): StoredItem | undefined {
    const item = this.items.get(key);
    if (item === undefined) return undefined;
    if (item.expiresAt <= this.now()) {
      this.drop(key);
      return undefined;
    }
    return item;
  }

  /** The live item with its sliding expiry restarted: any cache read counts as activity. */
  private touch(key: string): StoredItem | undefined {
    const item = this.peek(key);
    if (item !== undefined) item.expiresAt = this.expiryFor(item.timeoutMinutes);
    return item;
  }

  /** Stores a fresh, unlocked entry, replacing whatever was under `key`. */
  private insert(key: string, request: SetRequest, uninitialized: boolean, lockCookie: number): void {
    this.drop(key);
    this.items.set(key, {
      body: request.body,
      timeoutMinutes: request.timeoutMinutes,
      expiresAt: this.expiryFor(request.timeoutMinutes),
      uninitialized,
      lockCookie,
      locked: false,
      lockedAt: 0,
    });
    this.bytes += request.body.length;
  }

  private drop(key: string): void {
    const item = this.items.get(key);
    if (item === undefined) return;
    this.items.delete(key);
    this.bytes -= item.body.length;
  }

  /**
   * null when the body fits once `freed` bytes (the body being replaced) are returned.
   * Expired items still count until swept, so they are purged before giving up.
   */
  private makeRoom(request: SetRequest, freed: number): FullOutcome | null {
    const fits = (): boolean => this.bytes - freed + request.body.length <= request.maxStoredBytes;
    if (fits()) return null;
    this.purgeExpired();
    if (fits()) return null;
    return { kind: 'full', storedBytes: this.bytes };
  }

  private lockedOutcome(item: StoredItem): LockedOutcome {
    return { kind: 'locked', lockedAt: item.lockedAt, now: this.now(), lockCookie: item.lockCookie };
  }

  private expiryFor(timeoutMinutes: number): number {
    // ASP.NET's cache treats a zero sliding expiration as "no sliding expiration".
    return timeoutMinutes === 0 ? Number.POSITIVE_INFINITY : this.now() + timeoutMinutes * 60_000;
  }
}
