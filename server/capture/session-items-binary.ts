// The compact store's form of a session item table (--session-items): a few fixed-size numbers
// per item, written straight into the store's byte ring, with key and class names as references
// into the store's table of short strings. The relay makes one table per Set and stores it with
// the Set and again with each Get that reads the same session back. Kept as JSON text, each
// table was a string built piece by piece per item, with a number turned into text for every
// field, then flattened, measured and copied for every record carrying it: measured inside the
// running relay, 2.4 to 3 us per Set of the 5 to 6 us that --session-items cost it. This form
// costs a reference lookup and three small writes per item.
//
// Layout (little-endian): u8 flags (1: compressed, 2: hashed keys), u32 timeout minutes, u32
// item count, u32 value bytes, u32 static object count, f64 decoded bytes, u16 items listed;
// then per item: u16 key, u8 type id, u32 size, u16 class. A name is a string reference, or
// NULL_NAME (the null key; no class), or INLINE_NAME followed by u16 length and its UTF-8 bytes
// (a name too long for the table, or the table full).
import { SESSION_ITEM_TYPES } from '../protocol/session-items.ts';
import type { SessionItemEntry, SessionItemsRecord } from './wire-types.ts';

/** The store's table of short strings (client addresses, item names, class names). */
export interface StringRefs {
  /** The string's reference, or NO_REF when it is not kept in the table. */
  ref(value: string): number;
  value(ref: number): string;
}

export const NO_REF = 0xffff;
const NULL_NAME = 0xffff;
const INLINE_NAME = 0xfffe;

/**
 * A table the relay made (see isRelayTable): its numbers and names are in range by construction.
 * It may keep its binary form once written: the relay's table of a Set is the same object as the
 * one of each Get that reads that session back, so those records copy the bytes instead of
 * looking every name up and writing every field again.
 */
export type BinaryTable = SessionItemsRecord & { ok: true } & Partial<KeepsEncoding>;

/** Keeps a table's binary form, for the string table whose references it holds. */
export interface KeepsEncoding {
  encodingFor(strings: StringRefs): Buffer | undefined;
  keepEncoding(strings: StringRefs, bytes: Buffer): void;
}

const HEADER_BYTES = 1 + 4 + 4 + 4 + 4 + 8 + 2;
const ITEM_BYTES = 2 + 1 + 4 + 2;

/**
 * Writes tables into the store's blobs. measure() takes the name references (adding names to
 * the string table) and returns the exact size; write() then writes what was measured. One
 * writer per table of a record (request, reply), since both are measured before either is written.
 */
export class TableWriter {
  private refs = new Uint16Array(64);
  private table: BinaryTable | null = null;
  /** The measured table's binary form, when it had one kept from an earlier write. */
  private encoded: Buffer | undefined;

  constructor(private readonly strings: StringRefs) {}

  measure(table: BinaryTable): number {
    this.table = table;
    // (The string table never drops a name, so references kept once stay valid.)
    this.encoded = table.encodingFor?.(this.strings);
    if (this.encoded !== undefined) return this.encoded.length;
    const items = table.items;
    if (this.refs.length < items.length * 2) this.refs = new Uint16Array(items.length * 2);
    let length = HEADER_BYTES + ITEM_BYTES * items.length;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const key = item.key === null ? NULL_NAME : this.nameRef(item.key);
      const cls = item.className === undefined ? NULL_NAME : this.nameRef(item.className);
      this.refs[2 * i] = key;
      this.refs[2 * i + 1] = cls;
      if (key === INLINE_NAME) length += 2 + Buffer.byteLength(item.key!);
      if (cls === INLINE_NAME) length += 2 + Buffer.byteLength(item.className!);
    }
    return length;
  }

  /** Writes the table measured last at `at`; returns the position after it. */
  write(buffer: Buffer, at: number): number {
    const table = this.table!;
    this.table = null;
    const encoded = this.encoded;
    if (encoded !== undefined) {
      this.encoded = undefined;
      return at + encoded.copy(buffer, at);
    }
    const end = this.writeFields(buffer, at, table);
    table.keepEncoding?.(this.strings, Buffer.from(buffer.subarray(at, end)));
    return end;
  }

  private writeFields(buffer: Buffer, at: number, table: BinaryTable): number {
    buffer[at] = (table.form === 'compressed' ? 1 : 0) | (table.keys === 'hashed' ? 2 : 0);
    buffer.writeUInt32LE(table.timeoutMinutes, at + 1);
    buffer.writeUInt32LE(table.itemCount, at + 5);
    buffer.writeUInt32LE(table.valueBytes, at + 9);
    buffer.writeUInt32LE(table.staticObjectCount, at + 13);
    buffer.writeDoubleLE(table.decodedBytes, at + 17);
    buffer.writeUInt16LE(table.items.length, at + 25);
    at += HEADER_BYTES;
    const items = table.items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      at = this.writeName(buffer, at, this.refs[2 * i]!, item.key);
      buffer[at] = item.typeId;
      buffer.writeUInt32LE(item.size, at + 1);
      at = this.writeName(buffer, at + 5, this.refs[2 * i + 1]!, item.className ?? null);
    }
    return at;
  }

  private nameRef(name: string): number {
    const ref = this.strings.ref(name);
    return ref === NO_REF ? INLINE_NAME : ref;
  }

  private writeName(buffer: Buffer, at: number, ref: number, name: string | null): number {
    buffer.writeUInt16LE(ref, at);
    if (ref !== INLINE_NAME) return at + 2;
    const length = buffer.write(name!, at + 4, 'utf8');
    buffer.writeUInt16LE(length, at + 2);
    return at + 4 + length;
  }
}

/** The table written at `at`, as a plain record (the same fields, in the same order), and where it ends. */
export function readTable(buffer: Buffer, at: number, strings: StringRefs): [BinaryTable, number] {
  const flags = buffer[at]!;
  const timeoutMinutes = buffer.readUInt32LE(at + 1);
  const itemCount = buffer.readUInt32LE(at + 5);
  const valueBytes = buffer.readUInt32LE(at + 9);
  const staticObjectCount = buffer.readUInt32LE(at + 13);
  const decodedBytes = buffer.readDoubleLE(at + 17);
  const listed = buffer.readUInt16LE(at + 25);
  at += HEADER_BYTES;
  const items: SessionItemEntry[] = [];
  for (let i = 0; i < listed; i++) {
    let key: string | null;
    [key, at] = readName(buffer, at, strings);
    const typeId = buffer[at]!;
    const size = buffer.readUInt32LE(at + 1);
    let className: string | null;
    [className, at] = readName(buffer, at + 5, strings);
    const entry: SessionItemEntry = { key, typeId, type: SESSION_ITEM_TYPES[typeId]!, size };
    if (className !== null) entry.className = className;
    items.push(entry);
  }
  const table: BinaryTable = {
    ok: true,
    form: flags & 1 ? 'compressed' : 'plain',
    keys: flags & 2 ? 'hashed' : 'names',
    timeoutMinutes,
    itemCount,
    items,
    valueBytes,
    staticObjectCount,
    decodedBytes,
  };
  return [table, at];
}

function readName(buffer: Buffer, at: number, strings: StringRefs): [string | null, number] {
  const ref = buffer.readUInt16LE(at);
  if (ref === NULL_NAME) return [null, at + 2];
  if (ref !== INLINE_NAME) return [strings.value(ref), at + 2];
  const length = buffer.readUInt16LE(at + 2);
  return [buffer.toString('utf8', at + 4, at + 4 + length), at + 4 + length];
}
