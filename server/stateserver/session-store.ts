// In-memory item store with the ASP.NET cache's sliding expiry (protocol notes §6.1). It knows
// nothing about the wire: operations.ts decides what a request does, this only keeps items,
// their expiry and the byte total the storage ceiling is checked against.

export interface StoredItem {
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

export interface NewItem {
  body: Buffer;
  timeoutMinutes: number;
  uninitialized: boolean;
  lockCookie: number;
}

export class SessionStore {
  private readonly items = new Map<string, StoredItem>();
  private bytes = 0;

  constructor(private readonly now: () => number) {}

  get size(): number {
    return this.items.size;
  }

  get storedBytes(): number {
    return this.bytes;
  }

  /** The live item without refreshing its expiry (an expired one is dropped on the way). */
  peek(key: string): StoredItem | undefined {
    const item = this.items.get(key);
    if (item === undefined) return undefined;
    if (item.expiresAt <= this.now()) {
      this.remove(key);
      return undefined;
    }
    return item;
  }

  /** The live item with its sliding expiry restarted: any cache read counts as activity. */
  touch(key: string): StoredItem | undefined {
    const item = this.peek(key);
    if (item !== undefined) item.expiresAt = this.expiryFor(item.timeoutMinutes);
    return item;
  }

  /** Stores a fresh, unlocked entry, replacing whatever was under `key`. */
  insert(key: string, fields: NewItem): StoredItem {
    this.remove(key);
    const item: StoredItem = {
      ...fields,
      expiresAt: this.expiryFor(fields.timeoutMinutes),
      locked: false,
      lockedAt: 0,
    };
    this.items.set(key, item);
    this.bytes += item.body.length;
    return item;
  }

  /** Swaps the body of a live item, keeping the byte total right. */
  replaceBody(item: StoredItem, body: Buffer): void {
    this.bytes += body.length - item.body.length;
    item.body = body;
  }

  remove(key: string): boolean {
    const item = this.items.get(key);
    if (item === undefined) return false;
    this.items.delete(key);
    this.bytes -= item.body.length;
    return true;
  }

  /** Drops every expired item; returns how many went. */
  purgeExpired(): number {
    const now = this.now();
    let purged = 0;
    for (const [key, item] of this.items) {
      if (item.expiresAt <= now) {
        this.remove(key);
        purged++;
      }
    }
    return purged;
  }

  clear(): void {
    this.items.clear();
    this.bytes = 0;
  }

  private expiryFor(timeoutMinutes: number): number {
    // ASP.NET's cache treats a zero sliding expiration as "no sliding expiration".
    return timeoutMinutes === 0 ? Number.POSITIVE_INFINITY : this.now() + timeoutMinutes * 60_000;
  }
}
