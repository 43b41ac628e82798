// Reads the item table of an ASP.NET serialized session (the body of a Set, and of a Get or
// GetExclusive reply) as it streams past: key names, type ids and sizes, never the values.
//
// Layout (little-endian BinaryWriter output, System.Web SessionStateUtil / SessionStateItemCollection):
//   Int32 timeout (minutes), bool hasItems, bool hasStaticObjects,
//   [items: Int32 count, Int32 null-key index (-1: none), the keys (7-bit length + UTF-8, the
//    null-key slot skipped), Int32 end offset of each value (from the start of the values),
//    the values (a type-id byte, then its payload)],
//   [static objects], 0xFF.
// Because the key and offset tables come before the values, every value can be skipped by its
// length: only the type-id byte is read, and for an Object (20) the first bytes of its
// BinaryFormatter stream, to name the class. A value is never decoded, copied or kept.
//
// The decoder is fed chunks (push) and asked for the result once (finish). It never throws and
// holds at most a few KiB whatever the body's size: bytes it skips are only counted.

export const SESSION_ITEM_TYPES: Readonly<Record<number, string>> = Object.freeze({
  1: 'String',
  2: 'Int32',
  3: 'Boolean',
  4: 'DateTime',
  5: 'Decimal',
  6: 'Byte',
  7: 'Char',
  8: 'Single',
  9: 'Double',
  10: 'SByte',
  11: 'Int16',
  12: 'Int64',
  13: 'UInt16',
  14: 'UInt32',
  15: 'UInt64',
  16: 'TimeSpan',
  17: 'Guid',
  18: 'IntPtr',
  19: 'UIntPtr',
  20: 'Object',
  21: 'Null',
});

/** Payload sizes (after the type-id byte) of the types whose size is fixed; IntPtr may be 4 or 8. */
export const FIXED_PAYLOAD: Readonly<Record<number, readonly number[]>> = {
  2: [4], 3: [1], 4: [8], 5: [16], 6: [1], 8: [4], 9: [8], 10: [1], 11: [2], 12: [8],
  13: [2], 14: [4], 15: [8], 16: [8], 17: [16], 18: [4, 8], 19: [4, 8], 21: [0],
};

export interface SessionItemInfo {
  /** The item's name; null for the item stored under the null key. */
  key: string | null;
  typeId: number;
  /** The .NET type from the type id ('Object' for a BinaryFormatter value). */
  type: string;
  /** For an Object: the class named by its BinaryFormatter record header, when it names one. */
  className?: string;
  /** Bytes the value takes in the body, type-id byte included. */
  size: number;
}

export interface SessionItemsTable {
  timeoutMinutes: number;
  /** Number of items the body declares (items may hold fewer when capped). */
  itemCount: number;
  items: SessionItemInfo[];
  /** Total bytes of all values. */
  valueBytes: number;
  staticObjectCount: number;
  /** Bytes of the (serialized, uncompressed) session read. */
  decodedBytes: number;
}

export type SessionItemsResult =
  | { ok: true; table: SessionItemsTable }
  | { ok: false; error: string; /** Byte offset in the (uncompressed) blob where it went wrong. */ offset: number };

export interface SessionItemsLimits {
  /** Item entries kept in the table; the count is still reported beyond it. */
  maxItems: number;
  /** Longest key accepted, in UTF-8 bytes. */
  maxKeyBytes: number;
}

export const DEFAULT_SESSION_ITEMS_LIMITS: SessionItemsLimits = { maxItems: 1000, maxKeyBytes: 4096 };

/** Longest sane item count: Int32 positive, and each item costs at least 5 body bytes. */
export const MAX_DECLARED_ITEMS = 50_000_000;
/** How much of an Object value is read to find its class name. */
export const NRBF_PEEK_BYTES = 1024;
export const MAX_TIMEOUT_MINUTES = 525_600;

// ---- the parse, written as a generator that asks its driver for bytes ----------------------

type Want = { read: number } | { skip: number };

class Malformed extends Error {}

function fail(message: string): never {
  throw new Malformed(message);
}

function* readBytes(n: number): Generator<Want, Buffer, Buffer> {
  return yield { read: n };
}

function* readInt32(): Generator<Want, number, Buffer> {
  return (yield* readBytes(4)).readInt32LE(0);
}

function* readBool(what: string): Generator<Want, boolean, Buffer> {
  const b = (yield* readBytes(1))[0]!;
  if (b > 1) fail(`${what} is ${b}, not a boolean`);
  return b === 1;
}

/** BinaryWriter's 7-bit encoded length (at most 5 bytes, an Int32). */
function* read7BitLength(): Generator<Want, number, Buffer> {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const b = (yield* readBytes(1))[0]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (value > 0x7fffffff) fail('a string length is beyond Int32');
      return value;
    }
  }
  return fail('a string length prefix runs past 5 bytes');
}

function* readString(maxBytes: number, what: string): Generator<Want, string, Buffer> {
  const length = yield* read7BitLength();
  if (length > maxBytes) fail(`${what} is ${length} bytes long (limit ${maxBytes})`);
  return (yield* readBytes(length)).toString('utf8');
}

/** What the parse ends with: the table, and whether the rest of the body is static objects. */
type Parsed = Omit<SessionItemsTable, 'decodedBytes'> & { restIsStaticObjects: boolean };

function* parseSession(limits: SessionItemsLimits): Generator<Want, Parsed, Buffer> {
  const timeoutMinutes = yield* readInt32();
  if (timeoutMinutes < 0 || timeoutMinutes > MAX_TIMEOUT_MINUTES) fail(`the timeout is ${timeoutMinutes} minutes`);
  const hasItems = yield* readBool('hasItems');
  const hasStaticObjects = yield* readBool('hasStaticObjects');
  const items: SessionItemInfo[] = [];
  let itemCount = 0;
  let valueBytes = 0;

  if (hasItems) {
    itemCount = yield* readInt32();
    if (itemCount < 0 || itemCount > MAX_DECLARED_ITEMS) fail(`the item count is ${itemCount}`);
    const nullKeyIndex = yield* readInt32();
    if (nullKeyIndex < -1 || nullKeyIndex >= Math.max(itemCount, 1)) fail(`the null-key index is ${nullKeyIndex}`);
    const kept = Math.min(itemCount, limits.maxItems);
    const keys: (string | null)[] = [];
    for (let i = 0; i < itemCount; i++) {
      const key = i === nullKeyIndex ? null : yield* readString(limits.maxKeyBytes, `key ${i}`);
      if (i < kept) keys.push(key);
    }
    // The end of each kept value, and the last end: nothing per item beyond the kept ones, so a
    // hostile count costs body bytes, not memory.
    const ends: number[] = [];
    let previous = 0;
    for (let i = 0; i < itemCount; i++) {
      const end = yield* readInt32();
      if (end <= previous) fail(`value ${i} ends at ${end}, not after ${previous}`);
      previous = end;
      if (i < kept) ends.push(end);
    }
    valueBytes = previous;
    let position = 0;
    for (let i = 0; i < kept; i++) {
      const size = ends[i]! - position;
      position = ends[i]!;
      const typeId = (yield* readBytes(1))[0]!;
      const type = SESSION_ITEM_TYPES[typeId];
      if (type === undefined) fail(`value ${i} has type id ${typeId}`);
      const payload = size - 1;
      let className: string | undefined;
      if (typeId === 20) {
        const peek = Math.min(payload, NRBF_PEEK_BYTES);
        className = nrbfClassName(yield* readBytes(peek));
        yield { skip: payload - peek };
      } else if (typeId === 1) {
        yield* checkStringPayload(payload, i);
      } else if (typeId === 7) {
        // A Char is written as its UTF-8 encoding: one to three bytes (four for a lone surrogate pair).
        if (payload < 1 || payload > 4) fail(`Char value ${i} is ${payload} bytes`);
        yield { skip: payload };
      } else {
        const allowed = FIXED_PAYLOAD[typeId]!;
        if (!allowed.includes(payload)) fail(`${type} value ${i} is ${payload} bytes, not ${allowed.join(' or ')}`);
        yield { skip: payload };
      }
      const info: SessionItemInfo = { key: keys[i]!, typeId, type, size };
      if (className !== undefined) info.className = className;
      items.push(info);
    }
    // Values past the kept ones are skipped whole.
    yield { skip: valueBytes - position };
  }

  let staticObjectCount = 0;
  if (hasStaticObjects) {
    // HttpStaticObjectsCollection: a count, then per object its name and either a value or a
    // type name. A value there is not length-prefixed, so the table stops at the count.
    staticObjectCount = yield* readInt32();
    if (staticObjectCount < 0) fail(`the static object count is ${staticObjectCount}`);
    return { timeoutMinutes, itemCount, items, valueBytes, staticObjectCount, restIsStaticObjects: true };
  }
  const end = (yield* readBytes(1))[0]!;
  if (end !== 0xff) fail(`the session ends with 0x${end.toString(16).padStart(2, '0')}, not 0xFF`);
  return { timeoutMinutes, itemCount, items, valueBytes, staticObjectCount, restIsStaticObjects: false };
}

/** A String value: its 7-bit length prefix plus that many bytes must fill the value exactly. */
function* checkStringPayload(payload: number, index: number): Generator<Want, void, Buffer> {
  let prefix = 0;
  let length = 0;
  for (;;) {
    if (prefix >= payload || prefix >= 5) fail(`String value ${index} has a broken length prefix`);
    const b = (yield* readBytes(1))[0]!;
    length += (b & 0x7f) * 2 ** (7 * prefix);
    prefix++;
    if ((b & 0x80) === 0) break;
  }
  if (prefix + length !== payload) fail(`String value ${index} says ${length} bytes but takes ${payload - prefix}`);
  if (length > 0) yield { skip: length };
}

// ---- MS-NRBF: the class a BinaryFormatter stream starts with, read as data ------------------

/**
 * The class name from the first records of a BinaryFormatter stream, or undefined. `start` and
 * `end` bound the stream's bytes within `bytes` (the relay passes the body itself, no copy).
 */
export function nrbfClassName(bytes: Buffer, start = 0, end = bytes.length): string | undefined {
  // A cursor and plain functions rather than closures: the TypeScript loader names each closure
  // as it is created, which cost more than the read on the relay's path (--session-items).
  const cursor: NrbfCursor = { bytes, at: start, end };
  if (start >= end || bytes[cursor.at++] !== 0) return undefined; // SerializationHeaderRecord
  cursor.at += 16;
  for (let records = 0; records < 8 && cursor.at < end; records++) {
    const recordType = bytes[cursor.at++];
    switch (recordType) {
      case 12: // BinaryLibrary: id, name (skipped, not decoded)
        if (nrbfInt32(cursor) === undefined || !nrbfSkipString(cursor)) return undefined;
        continue;
      case 2: // SystemClassWithMembers
      case 3: // ClassWithMembers
      case 4: // SystemClassWithMembersAndTypes
      case 5: // ClassWithMembersAndTypes: ClassInfo { ObjectId, Name, ... }
        if (nrbfInt32(cursor) === undefined) return undefined;
        return nrbfString(cursor);
      case 6:
        return 'System.String';
      case 7:
      case 15:
      case 16:
      case 17:
        return 'array';
      default:
        return undefined;
    }
  }
  return undefined;
}

interface NrbfCursor {
  bytes: Buffer;
  at: number;
  /** Where the stream's bytes end. */
  end: number;
}

function nrbfInt32(c: NrbfCursor): number | undefined {
  if (c.at + 4 > c.end) return undefined;
  const v = c.bytes.readInt32LE(c.at);
  c.at += 4;
  return v;
}

/** A LengthPrefixedString's length, with the cursor moved past its prefix; undefined if cut or malformed. */
function nrbfStringLength(c: NrbfCursor): number | undefined {
  let length = 0;
  for (let i = 0; i < 5; i++) {
    if (c.at >= c.end) return undefined;
    const b = c.bytes[c.at++]!;
    length += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return c.at + length > c.end ? undefined : length;
  }
  return undefined;
}

function nrbfString(c: NrbfCursor): string | undefined {
  const length = nrbfStringLength(c);
  if (length === undefined) return undefined;
  const text = c.bytes.toString('utf8', c.at, c.at + length);
  c.at += length;
  return text;
}

function nrbfSkipString(c: NrbfCursor): boolean {
  const length = nrbfStringLength(c);
  if (length === undefined) return false;
  c.at += length;
  return true;
}

// ---- the driver -----------------------------------------------------------------------------

const EMPTY = Buffer.alloc(0);

/** A streaming reader of one plain (uncompressed) serialized session. */
export class SessionItemsReader {
  private readonly parse: Generator<Want, Parsed, Buffer>;
  private want: Want | undefined;
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  private consumed = 0;
  private result: SessionItemsResult | undefined;
  private done: Parsed | undefined;
  private trailing = 0;

  constructor(limits: SessionItemsLimits = DEFAULT_SESSION_ITEMS_LIMITS) {
    this.parse = parseSession(limits);
    this.step(EMPTY);
  }

  /** Feeds the next bytes of the body. */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.result === undefined) {
      if (this.done !== undefined) {
        this.trailing += chunk.length - at;
        this.consumed += chunk.length - at;
        return;
      }
      const want = this.want!;
      if ('skip' in want) {
        const n = Math.min(want.skip, chunk.length - at);
        at += n;
        this.consumed += n;
        want.skip -= n;
        if (want.skip === 0) this.step(EMPTY);
        continue;
      }
      const n = Math.min(want.read - this.gatheredBytes, chunk.length - at);
      this.gathered.push(chunk.subarray(at, at + n));
      this.gatheredBytes += n;
      at += n;
      if (this.gatheredBytes === want.read) {
        const bytes = this.gathered.length === 1 ? this.gathered[0]! : Buffer.concat(this.gathered);
        this.consumed += this.gatheredBytes;
        this.gathered = [];
        this.gatheredBytes = 0;
        this.step(bytes);
      }
    }
  }

  /** The table, or why the body is not a serialized session. Call once the body has ended. */
  finish(): SessionItemsResult {
    if (this.result !== undefined) return this.result;
    if (this.done === undefined) {
      return { ok: false, error: 'the body ends inside the session data', offset: this.consumed + this.gatheredBytes };
    }
    const { restIsStaticObjects, ...table } = this.done;
    // Static objects (global.asax <object scope="session">) are not length-prefixed: past their
    // count the rest of the body is theirs, and the table ends there.
    if (this.trailing > 0 && !restIsStaticObjects) {
      return { ok: false, error: `${this.trailing} bytes follow the end of the session data`, offset: this.consumed - this.trailing };
    }
    return { ok: true, table: { ...table, decodedBytes: this.consumed } };
  }

  /** True once more bytes can no longer change a failed result. */
  get failed(): boolean {
    return this.result !== undefined && !this.result.ok;
  }

  private step(input: Buffer): void {
    try {
      let next = this.parse.next(input);
      // Asks for nothing (an empty key, a value with no payload) are answered at once.
      while (!next.done && ('read' in next.value ? next.value.read : next.value.skip) === 0) next = this.parse.next(EMPTY);
      if (next.done) {
        this.done = next.value;
        this.want = undefined;
      } else {
        this.want = { ...next.value };
      }
    } catch (error) {
      const message = error instanceof Malformed ? error.message : String(error);
      this.result = { ok: false, error: message, offset: this.consumed };
    }
  }
}

/** Decodes a whole plain body at once (tests, saved captures). */
export function readSessionItems(body: Buffer, limits?: SessionItemsLimits): SessionItemsResult {
  const reader = new SessionItemsReader(limits);
  reader.push(body);
  return reader.finish();
}
