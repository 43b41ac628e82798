// The item table of a serialized session that is already whole in one Buffer: the relay's
// common case (a session body of a few KiB arrives in one or two segments). It reads the same
// layout as SessionItemsReader (session-items.ts), with the same checks, messages and offsets,
// but by direct offsets instead of a generator: measured ~20 us per 6-item session for the
// streaming reader against ~1 us here, which is the difference between --session-items costing
// the relay half its CPU again or a few percent. Bodies too large to hold are still streamed.
// test/session-items/whole-body-reader-matches-streaming.test.ts holds the two readers to the
// same results on every vector, every cut and every corrupted byte.
import { looksPlain, type SessionBodyResult } from './session-body.ts';
import { WholeInflater } from './whole-inflater.ts';
import {
  DEFAULT_SESSION_ITEMS_LIMITS,
  FIXED_PAYLOAD,
  MAX_DECLARED_ITEMS,
  MAX_TIMEOUT_MINUTES,
  NRBF_PEEK_BYTES,
  SESSION_ITEM_TYPES,
  nrbfClassName,
  type SessionItemInfo,
  type SessionItemsLimits,
  type SessionItemsResult,
} from './session-items.ts';

class Malformed extends Error {}
/** The body ended before a read: the streaming reader's "ends inside the session data". */
class EndOfBody extends Error {}

const EMPTY = Buffer.alloc(0);

function fail(message: string): never {
  throw new Malformed(message);
}

/** Reads a whole plain body; the same result SessionItemsReader gives for it. */
export function readWholeSessionItems(body: Buffer, limits: SessionItemsLimits = DEFAULT_SESSION_ITEMS_LIMITS): SessionItemsResult {
  return new WholeBodyReader(limits).read(body);
}

/**
 * The keys of key sections read before, by their bytes (the item count, the null-key index and
 * the keys, as they stand in the body). A session's names rarely change from one write to the
 * next while its values' sizes do: a section seen before is compared byte for byte and its
 * names reused, so key text is decoded only when a table's names change. Holds names only,
 * never a value; bounded.
 */
export class KeySectionMemo {
  private readonly sections = new Map<number, { bytes: Buffer; keys: readonly (string | null)[] }[]>();
  private size = 0;

  constructor(private readonly maxSections = 1024) {}

  recall(body: Buffer, start: number, end: number): readonly (string | null)[] | undefined {
    const list = this.sections.get(fingerprint(body, start, end));
    if (list === undefined) return undefined;
    for (const known of list) {
      if (body.compare(known.bytes, 0, known.bytes.length, start, end) === 0) return known.keys;
    }
    return undefined;
  }

  remember(body: Buffer, start: number, end: number, keys: readonly (string | null)[]): void {
    if (this.size >= this.maxSections) {
      this.sections.clear();
      this.size = 0;
    }
    const print = fingerprint(body, start, end);
    const entry = { bytes: Buffer.from(body.subarray(start, end)), keys };
    const list = this.sections.get(print);
    if (list === undefined) this.sections.set(print, [entry]);
    else list.push(entry);
    this.size++;
  }
}

/** The section's length and last three bytes (a section is at least 8 bytes: count and index). */
function fingerprint(body: Buffer, start: number, end: number): number {
  return (end - start) * 0x1000000 + body.readUIntLE(end - 3, 3);
}

// A class, not closures: the TypeScript loader names every closure it creates (a property
// definition each), which on this path cost more than the parse itself. One reader can read
// body after body (the relay keeps one), with a memo of key sections (see KeySectionMemo).
export class WholeBodyReader {
  private body: Buffer = EMPTY;
  private at = 0;

  constructor(
    private readonly limits: SessionItemsLimits = DEFAULT_SESSION_ITEMS_LIMITS,
    private readonly keyMemo: KeySectionMemo | null = null,
  ) {}

  read(body: Buffer): SessionItemsResult {
    this.body = body;
    this.at = 0;
    try {
      return this.parse();
    } catch (error) {
      if (error instanceof EndOfBody) return { ok: false, error: 'the body ends inside the session data', offset: body.length };
      return { ok: false, error: error instanceof Malformed ? error.message : String(error), offset: this.at };
    } finally {
      this.body = EMPTY; // hold no body between reads
    }
  }

  private parse(): SessionItemsResult {
    const { body, limits } = this;
    const timeoutMinutes = this.int32();
    if (timeoutMinutes < 0 || timeoutMinutes > MAX_TIMEOUT_MINUTES) fail(`the timeout is ${timeoutMinutes} minutes`);
    const hasItems = this.bool('hasItems');
    const hasStaticObjects = this.bool('hasStaticObjects');
    const items: SessionItemInfo[] = [];
    let itemCount = 0;
    let valueBytes = 0;
    if (hasItems) {
      const sectionStart = this.at;
      itemCount = this.int32();
      if (itemCount < 0 || itemCount > MAX_DECLARED_ITEMS) fail(`the item count is ${itemCount}`);
      const nullKeyIndex = this.int32();
      if (nullKeyIndex < -1 || nullKeyIndex >= Math.max(itemCount, 1)) fail(`the null-key index is ${nullKeyIndex}`);
      const kept = Math.min(itemCount, limits.maxItems);
      const keys = this.keyMemo === null ? this.keys(itemCount, nullKeyIndex, kept) : this.knownKeys(sectionStart, itemCount, nullKeyIndex, kept);
      const ends: number[] = [];
      let previous = 0;
      for (let i = 0; i < itemCount; i++) {
        const end = this.int32();
        if (end <= previous) fail(`value ${i} ends at ${end}, not after ${previous}`);
        previous = end;
        if (i < kept) ends.push(end);
      }
      valueBytes = previous;
      let position = 0;
      for (let i = 0; i < kept; i++) {
        const size = ends[i]! - position;
        position = ends[i]!;
        const typeId = this.byte();
        const type = SESSION_ITEM_TYPES[typeId];
        if (type === undefined) fail(`value ${i} has type id ${typeId}`);
        const payload = size - 1;
        let className: string | undefined;
        if (typeId === 20) {
          const peek = Math.min(payload, NRBF_PEEK_BYTES);
          const start = this.need(peek);
          className = nrbfClassName(body, start, start + peek);
          this.need(payload - peek);
        } else if (typeId === 1) {
          this.stringPayload(payload, i);
        } else if (typeId === 7) {
          if (payload < 1 || payload > 4) fail(`Char value ${i} is ${payload} bytes`);
          this.need(payload);
        } else {
          const allowed = FIXED_PAYLOAD[typeId]!;
          if (!allowed.includes(payload)) fail(`${type} value ${i} is ${payload} bytes, not ${allowed.join(' or ')}`);
          this.need(payload);
        }
        const info: SessionItemInfo = { key: keys[i]!, typeId, type, size };
        if (className !== undefined) info.className = className;
        items.push(info);
      }
      this.need(valueBytes - position);
    }
    let staticObjectCount = 0;
    if (hasStaticObjects) {
      // As the streaming reader: the table stops at the count (static values have no length).
      staticObjectCount = this.int32();
      if (staticObjectCount < 0) fail(`the static object count is ${staticObjectCount}`);
    } else {
      const end = this.byte();
      if (end !== 0xff) fail(`the session ends with 0x${end.toString(16).padStart(2, '0')}, not 0xFF`);
    }
    // With static objects the rest of the body is theirs (not length-prefixed), as in the streaming reader.
    if (hasStaticObjects) return { ok: true, table: { timeoutMinutes, itemCount, items, valueBytes, staticObjectCount, decodedBytes: body.length } };
    if (this.at < body.length) return { ok: false, error: `${body.length - this.at} bytes follow the end of the session data`, offset: this.at };
    return { ok: true, table: { timeoutMinutes, itemCount, items, valueBytes, staticObjectCount, decodedBytes: this.at } };
  }

  /** The keys, decoded (the null-key slot is null); only the first `kept` are returned. */
  private keys(itemCount: number, nullKeyIndex: number, kept: number): (string | null)[] {
    const keys: (string | null)[] = [];
    for (let i = 0; i < itemCount; i++) {
      const key = i === nullKeyIndex ? null : this.string(this.limits.maxKeyBytes, i);
      if (i < kept) keys.push(key);
    }
    return keys;
  }

  /**
   * The keys through the memo: the section is walked (lengths checked as keys() checks them,
   * so a bad one fails the same way) without decoding text, and decoded only when unknown.
   */
  private knownKeys(sectionStart: number, itemCount: number, nullKeyIndex: number, kept: number): readonly (string | null)[] {
    const keysStart = this.at;
    const maxKeyBytes = this.limits.maxKeyBytes;
    for (let i = 0; i < itemCount; i++) {
      if (i === nullKeyIndex) continue;
      const length = this.length7();
      if (length > maxKeyBytes) fail(`key ${i} is ${length} bytes long (limit ${maxKeyBytes})`);
      this.need(length);
    }
    const memo = this.keyMemo!;
    const known = memo.recall(this.body, sectionStart, this.at);
    if (known !== undefined) return known;
    const sectionEnd = this.at;
    this.at = keysStart;
    const keys = this.keys(itemCount, nullKeyIndex, kept);
    memo.remember(this.body, sectionStart, sectionEnd, keys);
    return keys;
  }

  /** Claims the next n bytes and returns where they start; the body ending first is EndOfBody. */
  private need(n: number): number {
    if (this.at + n > this.body.length) throw new EndOfBody();
    const start = this.at;
    this.at += n;
    return start;
  }

  private byte(): number {
    return this.body[this.need(1)]!;
  }

  private int32(): number {
    return this.body.readInt32LE(this.need(4));
  }

  private bool(what: string): boolean {
    const b = this.byte();
    if (b > 1) fail(`${what} is ${b}, not a boolean`);
    return b === 1;
  }

  /** BinaryWriter's 7-bit encoded length (at most 5 bytes, an Int32). */
  private length7(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (value > 0x7fffffff) fail('a string length is beyond Int32');
        return value;
      }
    }
    return fail('a string length prefix runs past 5 bytes');
  }

  private string(maxBytes: number, index: number): string {
    const length = this.length7();
    if (length > maxBytes) fail(`key ${index} is ${length} bytes long (limit ${maxBytes})`);
    const start = this.need(length);
    return this.body.toString('utf8', start, start + length);
  }

  /** A String value: its 7-bit length prefix plus that many bytes must fill the value exactly. */
  private stringPayload(payload: number, index: number): void {
    let prefix = 0;
    let length = 0;
    for (;;) {
      if (prefix >= payload || prefix >= 5) fail(`String value ${index} has a broken length prefix`);
      const b = this.byte();
      length += (b & 0x7f) * 2 ** (7 * prefix);
      prefix++;
      if ((b & 0x80) === 0) break;
    }
    if (prefix + length !== payload) fail(`String value ${index} says ${length} bytes but takes ${payload - prefix}`);
    this.need(length);
  }
}

/** Compressed bodies inflated on the spot up to this size; larger ones stream (off the main thread). */
export const WHOLE_COMPRESSED_MAX = 16 * 1024;
/** Most a compressed body may inflate to on the spot (well under a millisecond). */
export const WHOLE_INFLATED_MAX = 256 * 1024;

/**
 * A whole body, plain or compressed, as SessionBodyDecoder would read it; undefined when it
 * should be streamed instead: a compressed body too large to inflate on the spot, or one zlib
 * rejects (rare; the streaming decoder then gives its exact error and offset).
 */
export function decodeWholeSessionBody(body: Buffer, limits: SessionItemsLimits = DEFAULT_SESSION_ITEMS_LIMITS): SessionBodyResult | undefined {
  return decodeWholeWith(new WholeBodyReader(limits), body);
}

/** decodeWholeSessionBody with a reader kept by the caller (the relay's, with its key memo). */
export function decodeWholeWith(reader: WholeBodyReader, body: Buffer): SessionBodyResult | undefined {
  if (body.length === 0) return { ok: false, error: 'the body is empty', offset: 0, form: 'empty' };
  if (body.length < 6 || looksPlain(body)) return withForm(reader.read(body), 'plain');
  if (body.length > WHOLE_COMPRESSED_MAX) return undefined;
  const result = inflater.inflate(body, readInflated, reader);
  return result === undefined ? undefined : withForm(result, 'compressed');
}

function readInflated(inflated: Buffer, reader: WholeBodyReader): SessionItemsResult {
  return reader.read(inflated);
}

/** One inflater for the run (see whole-inflater.ts): the relay's thread is the only caller. */
const inflater = new WholeInflater(WHOLE_INFLATED_MAX);

function withForm(result: SessionItemsResult, form: 'plain' | 'compressed'): SessionBodyResult {
  (result as SessionBodyResult).form = form;
  return result as SessionBodyResult;
}
