// The bounded store of recent exchanges, kept compact: each record's raw heads (and its rare
// extras) are bytes in a preallocated ring (ByteRing), and its numbers sit in a small
// typed-array index (offsets, lengths, times, status, kind, flags). Nothing per record is a
// JavaScript object, so a million stored exchanges cost the garbage collector nothing; records
// are dissected back into the ExchangeRecord shape only when someone looks (snapshot, detail,
// export), as Wireshark keeps frames and dissects on demand (design invariant 6).
//
// Bounds: --max-exchanges slots and --max-capture-mb bytes of record data (heads, bodies,
// texts: what is really kept); the oldest records are evicted first and counted.
import { REQUEST_KINDS } from '../protocol/index.ts';
import { ByteRing } from './byte-ring.ts';
import { decodeRecord, extrasOf, relayTableOf, summarize, type BinaryTables, type SummaryFields } from './record-codec.ts';
import { NO_REF, readTable, TableWriter } from './session-items-binary.ts';
import { OUTCOME_CODES, type ExchangeRecord, type ExchangeSummary, type OutcomeCode } from './wire-types.ts';

export interface StoreLimits {
  maxCount: number;
  maxBytes: number;
}

/** Bytes of index per slot (the typed arrays below), counted in the bench's heap per record. */
export const INDEX_BYTES_PER_SLOT = 8 * 8 + 4 + 2 + 3 + 2 * 2;
/** The blob's own header: request head, reply head and extras lengths, inline client/upstream lengths. */
const BLOB_HEADER = 16;

const HAS_REQUEST = 1;
const HAS_REPLY = 2;
const INJECTED = 4;
const VERSION_PRESENT = 8;
const NO_FIRST_BYTE = 16;
const NO_LATENCY = 32;
/** Item tables (--session-items) follow the extras: a byte saying which sides, then each (session-items-binary.ts). */
const HAS_TABLES = 64;
const REQUEST_TABLE = 1;
const REPLY_TABLE = 2;

const KIND_CODES = new Map<string, number>(REQUEST_KINDS.map((k, i) => [k, i]));
const OUTCOME_INDEX = new Map<string, number>(OUTCOME_CODES.map((o, i) => [o, i]));

/**
 * Client and upstream addresses repeat (one per connection, one upstream): each distinct one
 * is kept once and referred to by number. Bounded; past the bound, addresses are kept inline.
 */
class StringTable {
  private readonly refs = new Map<string, number>();
  private readonly values: string[] = [];

  ref(value: string): number {
    let ref = this.refs.get(value);
    if (ref !== undefined) return ref;
    if (this.values.length >= 4096 || value.length > 128) return NO_REF;
    ref = this.values.length;
    this.values.push(value);
    this.refs.set(value, ref);
    return ref;
  }

  value(ref: number): string {
    return this.values[ref]!;
  }
}

/** The index, one entry per slot; grown by doubling up to maxCount, so a small store stays small. */
class Index {
  ids: Float64Array;
  connectionIds: Float64Array;
  startedAt: Float64Array;
  firstByteMs: Float64Array;
  latencyMs: Float64Array;
  requestBodySize: Float64Array;
  replyBodySize: Float64Array;
  offsets: Float64Array;
  lengths: Uint32Array;
  status: Uint16Array;
  kind: Uint8Array;
  outcome: Uint8Array;
  flags: Uint8Array;
  clientRef: Uint16Array;
  upstreamRef: Uint16Array;

  constructor(readonly size: number) {
    this.ids = new Float64Array(size);
    this.connectionIds = new Float64Array(size);
    this.startedAt = new Float64Array(size);
    this.firstByteMs = new Float64Array(size);
    this.latencyMs = new Float64Array(size);
    this.requestBodySize = new Float64Array(size);
    this.replyBodySize = new Float64Array(size);
    this.offsets = new Float64Array(size);
    this.lengths = new Uint32Array(size);
    this.status = new Uint16Array(size);
    this.kind = new Uint8Array(size);
    this.outcome = new Uint8Array(size);
    this.flags = new Uint8Array(size);
    this.clientRef = new Uint16Array(size);
    this.upstreamRef = new Uint16Array(size);
  }

  /** A bigger index holding this one's `count` entries from `head` on, in order from slot 0. */
  grown(size: number, head: number, count: number): Index {
    const next = new Index(size);
    type Column = Float64Array | Uint32Array | Uint16Array | Uint8Array;
    const columns = (ix: Index) => Object.values(ix).filter((v): v is Column => ArrayBuffer.isView(v));
    const to = columns(next);
    columns(this).forEach((from, c) => {
      for (let i = 0; i < count; i++) to[c]![i] = from[(head + i) % this.size]!;
    });
    return next;
  }
}

/** Free ring bytes at the start, beyond the next blob, before an early wrap (one ByteRing chunk). */
const EARLY_WRAP_SLACK = 8 * 1024 * 1024;

export class CompactStore implements Iterable<ExchangeRecord> {
  private index: Index;
  private ring: ByteRing;
  private readonly strings = new StringTable();
  /** Item and class names of the item tables (apart from the addresses, which can be many). */
  private readonly names = new StringTable();
  private readonly requestTable = new TableWriter(this.names);
  private readonly replyTable = new TableWriter(this.names);
  private head = 0; // slot of the oldest record
  private count = 0;
  private usedBytes = 0;
  private writeAt = 0; // ring position of the next blob
  /** Ring bytes skipped by an early wrap (see wrapEarlyWhenSparse), free once the oldest record is past them. */
  private gapBytes = 0;
  private evictedTotal = 0;
  private scratch = { buffer: Buffer.allocUnsafe(64 * 1024) };
  private readScratch = { buffer: Buffer.allocUnsafe(64 * 1024) };

  constructor(readonly limits: StoreLimits) {
    this.index = new Index(Math.min(limits.maxCount, 1024));
    this.ring = new ByteRing(limits.maxBytes);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes of record data kept (heads, bodies, texts), what --max-capture-mb bounds. */
  get storedBytes(): number {
    return this.usedBytes;
  }

  get evicted(): number {
    return this.evictedTotal;
  }

  /**
   * Keeps `record` (its id must be above every stored one). `exact`: the record was built from
   * its heads by the relay, so nothing needs checking against them (see record-codec.ts).
   */
  add(record: ExchangeRecord, exact = true): void {
    const { request, reply } = record;
    const requestHead = request?.head ?? '';
    const replyHead = reply?.head ?? '';
    const extras = extrasOf(record, exact);
    const clientRef = this.strings.ref(record.client);
    const upstreamRef = this.strings.ref(record.upstream);
    const clientInline = clientRef === NO_REF ? record.client : '';
    const upstreamInline = upstreamRef === NO_REF ? record.upstream : '';
    const clientBytes = clientInline === '' ? 0 : Buffer.byteLength(clientInline);
    const upstreamBytes = upstreamInline === '' ? 0 : Buffer.byteLength(upstreamInline);
    const extrasBytes = extras === '' ? 0 : Buffer.byteLength(extras);
    const requestTable = relayTableOf(request);
    const replyTable = relayTableOf(reply);
    const hasTables = requestTable !== undefined || replyTable !== undefined;
    const tablesBytes = !hasTables ? 0 : 1 + (requestTable ? this.requestTable.measure(requestTable) : 0) + (replyTable ? this.replyTable.measure(replyTable) : 0);
    const length = BLOB_HEADER + clientBytes + upstreamBytes + requestHead.length + replyHead.length + extrasBytes + tablesBytes;
    if (length > this.limits.maxBytes || clientBytes > 0xffff || upstreamBytes > 0xffff) {
      this.evictedTotal++; // larger than the whole store: kept only by the taps (log, metrics)
      return;
    }
    while (this.count > 0 && (this.count >= this.limits.maxCount || this.usedBytes + this.gapBytes + length > this.limits.maxBytes)) this.evictOldest();
    this.wrapEarlyWhenSparse(length);
    if (this.count === this.index.size) {
      this.index = this.index.grown(Math.min(this.limits.maxCount, this.index.size * 2), this.head, this.count);
      this.head = 0;
    }

    // Written straight into the ring when the blob fits in one of its chunks (one copy of each
    // string, no intermediate buffer), else assembled aside and copied in across the wrap.
    const inPlace = this.ring.writable(this.writeAt, length);
    const blob = inPlace?.buffer ?? this.blobBuffer(length);
    const base = inPlace?.start ?? 0;
    blob.writeUInt32LE(requestHead.length, base);
    blob.writeUInt32LE(replyHead.length, base + 4);
    blob.writeUInt32LE(extrasBytes, base + 8);
    blob.writeUInt16LE(clientBytes, base + 12);
    blob.writeUInt16LE(upstreamBytes, base + 14);
    let at = base + BLOB_HEADER;
    if (clientBytes > 0) at += blob.write(clientInline, at, 'utf8');
    if (upstreamBytes > 0) at += blob.write(upstreamInline, at, 'utf8');
    if (requestHead.length > 0) at += blob.write(requestHead, at, 'latin1');
    if (replyHead.length > 0) at += blob.write(replyHead, at, 'latin1');
    if (extrasBytes > 0) at += blob.write(extras, at, 'utf8');
    if (hasTables) {
      blob[at++] = (requestTable ? REQUEST_TABLE : 0) | (replyTable ? REPLY_TABLE : 0);
      if (requestTable) at = this.requestTable.write(blob, at);
      if (replyTable) at = this.replyTable.write(blob, at);
    }
    if (!inPlace) this.ring.write(this.writeAt, blob, length);

    const ix = this.index;
    const slot = (this.head + this.count) % ix.size;
    ix.ids[slot] = record.id;
    ix.connectionIds[slot] = record.connectionId;
    ix.startedAt[slot] = record.startedAt;
    ix.firstByteMs[slot] = record.firstByteMs ?? 0;
    ix.latencyMs[slot] = record.latencyMs ?? 0;
    ix.requestBodySize[slot] = request?.bodySize ?? 0;
    ix.replyBodySize[slot] = reply?.bodySize ?? 0;
    ix.offsets[slot] = this.writeAt;
    ix.lengths[slot] = length;
    ix.status[slot] = reply?.status ?? 0;
    ix.kind[slot] = request ? (KIND_CODES.get(request.kind) ?? 0) : 0;
    ix.outcome[slot] = OUTCOME_INDEX.get(record.outcome) ?? 0;
    ix.flags[slot] =
      (request ? HAS_REQUEST : 0) |
      (reply ? HAS_REPLY : 0) |
      (reply?.injected ? INJECTED : 0) |
      (reply?.versionHeader.present ? VERSION_PRESENT : 0) |
      (record.firstByteMs === null ? NO_FIRST_BYTE : 0) |
      (record.latencyMs === null ? NO_LATENCY : 0) |
      (hasTables ? HAS_TABLES : 0);
    ix.clientRef[slot] = clientRef;
    ix.upstreamRef[slot] = upstreamRef;

    this.writeAt = (this.writeAt + length) % this.limits.maxBytes;
    this.usedBytes += length;
    this.count++;
  }

  /**
   * When the count limit, not the byte limit, is what evicts, the live records take a fraction of
   * the ring, yet the write position would still walk the whole ring (--max-capture-mb) before
   * wrapping, and every chunk it reached stays allocated: memory would climb to the byte ceiling
   * long after the store is full. So once the start of the ring is free (the oldest record is past
   * it by a chunk), writing starts over there; the skipped end counts as used until the oldest
   * record has moved past it, which keeps new blobs from ever reaching live ones.
   */
  private wrapEarlyWhenSparse(length: number): void {
    if (this.count === 0) {
      this.writeAt = 0;
      this.gapBytes = 0;
      return;
    }
    if (this.gapBytes > 0) return;
    const oldest = this.index.offsets[this.head]!;
    if (oldest >= this.writeAt || oldest < length + EARLY_WRAP_SLACK) return;
    this.gapBytes = this.limits.maxBytes - this.writeAt;
    this.writeAt = 0;
  }

  clear(): void {
    this.gapBytes = 0;
    this.index = new Index(Math.min(this.limits.maxCount, 1024));
    this.ring.release();
    this.ring = new ByteRing(this.limits.maxBytes);
    this.head = 0;
    this.count = 0;
    this.usedBytes = 0;
    this.writeAt = 0;
  }

  /** Record by id (ids increase, so a binary search over the index finds it). */
  get(id: number): ExchangeRecord | undefined {
    const i = this.positionOf(id);
    return i >= 0 && this.idAt(i) === id ? this.decode(i) : undefined;
  }

  /** The newest `limit` records with id > afterId, oldest first. */
  newest(limit: number, afterId = 0): ExchangeRecord[] {
    let from = Math.max(0, this.count - limit);
    const firstAfter = this.firstAfter(afterId);
    if (firstAfter > from) from = firstAfter;
    const out: ExchangeRecord[] = [];
    for (let i = from; i < this.count; i++) out.push(this.decode(i));
    return out;
  }

  /** Table rows of the newest `limit` records, oldest first, read without building the records. */
  newestSummaries(limit: number): ExchangeSummary[] {
    const out: ExchangeSummary[] = [];
    for (let i = Math.max(0, this.count - limit); i < this.count; i++) {
      const [f, requestHead, replyHead, extras] = this.read(i);
      out.push(summarize(f, requestHead, replyHead, extras));
    }
    return out;
  }

  /** The oldest `limit` records with id > afterId, oldest first (an export walks the store with it). */
  page(afterId: number, limit: number): ExchangeRecord[] {
    const out: ExchangeRecord[] = [];
    for (let i = this.firstAfter(afterId); i < this.count && out.length < limit; i++) out.push(this.decode(i));
    return out;
  }

  /** All records, oldest first, dissected one at a time. */
  *[Symbol.iterator](): IterableIterator<ExchangeRecord> {
    for (let i = 0; i < this.count; i++) yield this.decode(i);
  }

  private idAt(i: number): number {
    return this.index.ids[(this.head + i) % this.index.size]!;
  }

  /** Position (0 = oldest) of the last record with id <= `id`, or -1. */
  private positionOf(id: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.idAt(mid) <= id) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  private firstAfter(afterId: number): number {
    return this.positionOf(afterId) + 1;
  }

  private decode(i: number): ExchangeRecord {
    const [f, requestHead, replyHead, extras, tables] = this.read(i, true);
    return decodeRecord(f, requestHead, replyHead, extras, tables);
  }

  /** The index fields and stored texts at position i (0 = oldest), and with `withTables` its item tables. */
  private read(i: number, withTables = false): [SummaryFields, string | null, string | null, string, BinaryTables | null] {
    const ix = this.index;
    const slot = (this.head + i) % ix.size;
    const { buffer, start } = this.ring.read(ix.offsets[slot]!, ix.lengths[slot]!, this.readScratch);
    const requestLength = buffer.readUInt32LE(start);
    const replyLength = buffer.readUInt32LE(start + 4);
    const extrasLength = buffer.readUInt32LE(start + 8);
    const clientBytes = buffer.readUInt16LE(start + 12);
    const upstreamBytes = buffer.readUInt16LE(start + 14);
    let at = start + BLOB_HEADER;
    const client = clientBytes > 0 ? buffer.toString('utf8', at, (at += clientBytes)) : this.strings.value(ix.clientRef[slot]!);
    const upstream = upstreamBytes > 0 ? buffer.toString('utf8', at, (at += upstreamBytes)) : this.strings.value(ix.upstreamRef[slot]!);
    // Both heads in one decode, then sliced: each toString crosses into C++, a slice does not.
    const heads = buffer.toString('latin1', at, at + requestLength + replyLength);
    at += requestLength + replyLength;
    const extras = extrasLength > 0 ? buffer.toString('utf8', at, at + extrasLength) : '';
    const flags = ix.flags[slot]!;
    let tables: BinaryTables | null = null;
    if (withTables && flags & HAS_TABLES) {
      at += extrasLength;
      const sides = buffer[at++]!;
      tables = {};
      if (sides & REQUEST_TABLE) [tables.request, at] = readTable(buffer, at, this.names);
      if (sides & REPLY_TABLE) [tables.reply] = readTable(buffer, at, this.names);
    }
    const fields: SummaryFields = {
      id: ix.ids[slot]!,
      connectionId: ix.connectionIds[slot]!,
      client,
      upstream,
      startedAt: ix.startedAt[slot]!,
      firstByteMs: flags & NO_FIRST_BYTE ? null : ix.firstByteMs[slot]!,
      latencyMs: flags & NO_LATENCY ? null : ix.latencyMs[slot]!,
      outcome: OUTCOME_CODES[ix.outcome[slot]!] as OutcomeCode,
      requestBodySize: ix.requestBodySize[slot]!,
      replyBodySize: ix.replyBodySize[slot]!,
      kind: REQUEST_KINDS[ix.kind[slot]!]!,
      status: ix.status[slot]!,
      version: !(flags & HAS_REPLY) ? 'none' : flags & INJECTED ? 'injected' : flags & VERSION_PRESENT ? 'present' : 'missing',
    };
    return [
      fields,
      flags & HAS_REQUEST ? heads.slice(0, requestLength) : null,
      flags & HAS_REPLY ? heads.slice(requestLength) : null,
      extras,
      tables,
    ];
  }

  private blobBuffer(length: number): Buffer {
    if (this.scratch.buffer.length < length) this.scratch.buffer = Buffer.allocUnsafe(Math.max(length, this.scratch.buffer.length * 2));
    return this.scratch.buffer;
  }

  private evictOldest(): void {
    const offset = this.index.offsets[this.head]!;
    this.usedBytes -= this.index.lengths[this.head]!;
    this.head = (this.head + 1) % this.index.size;
    this.count--;
    this.evictedTotal++;
    // The oldest record has crossed the early wrap's gap: those bytes are free ring again.
    if (this.gapBytes > 0 && (this.count === 0 || this.index.offsets[this.head]! < offset)) this.gapBytes = 0;
  }
}
