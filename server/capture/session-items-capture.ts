// --session-items: the item table (names, types, sizes; never values) of Set bodies and of
// Get/GetExclusive 200 reply bodies, read while the body streams through the relay. The relay
// feeds bodies to a BodySink from the same place it feeds --capture-bodies, so a body is read
// once and never held: SessionBodyDecoder keeps a few KiB whatever the body's size.
//
// Nothing here may disturb relaying: the decoder never throws by design, and every call into it
// is still wrapped, so the worst a bad body (or a bug) can do is put "not a session: why" on
// the record. Values are skipped by their length and never copied; only names, type ids, class
// names from the NRBF record header, and sizes reach the record.
import { createHash, randomBytes } from 'node:crypto';
import {
  DEFAULT_SESSION_BODY_LIMITS,
  SessionBodyDecoder,
  type SessionBodyLimits,
  type SessionBodyResult,
} from '../protocol/session-body.ts';
import { SESSION_ITEM_TYPES, type SessionItemInfo, type SessionItemsTable } from '../protocol/session-items.ts';
import { KeySectionMemo, WholeBodyReader, decodeWholeWith } from '../protocol/session-items-whole.ts';
import { BodyCapture } from './record-builder.ts';
import type { SessionItemEntry, SessionItemsRecord } from './wire-types.ts';

export type SessionItemsMode = 'off' | 'names' | 'hashed';

/** Parses the option's value: `--session-items` alone means names, `=hashed` hashes them. */
export function parseSessionItemsMode(value: string | boolean | undefined): SessionItemsMode {
  if (value === undefined || value === false) return 'off';
  if (value === true || value === '' || value === 'names') return 'names';
  if (value === 'hashed') return 'hashed';
  throw new RangeError(`--session-items takes no value or "hashed", got "${value}"`);
}

/** Keys whose entries are shared between records before the table starts afresh. */
const MAX_SHARED_KEYS = 4096;
/** Recent (type, class, size) variants shared per key. */
const VARIANTS_PER_KEY = 8;

/** Sessions whose last decoded body is remembered before the memory starts afresh (~200 bytes each, records shared). */
const MAX_REMEMBERED_SESSIONS = 16_384;

/** Items listed per record: the count and the totals still cover all of them. */
export const MAX_ITEMS_PER_RECORD = 200;

const LIMITS: SessionBodyLimits = { ...DEFAULT_SESSION_BODY_LIMITS, maxItems: MAX_ITEMS_PER_RECORD };

/** Shared strings: the same few class names repeat on every record of a run. */
class StringPool {
  private readonly pool = new Map<string, string>();
  constructor(private readonly max: number) {}
  get(value: string): string {
    let out = this.pool.get(value);
    if (out === undefined) {
      out = value;
      if (this.pool.size >= this.max) this.pool.clear();
      this.pool.set(value, out);
    }
    return out;
  }
}

/**
 * How keys are written on records. 'hashed': the first 8 characters of the base64url SHA-256
 * of a random per-run salt and the name. Stable for the whole run (Set and Get of one key get
 * the same hash, so sizes over time line up) but not across runs, and the salt is never written
 * anywhere, so a capture cannot be checked against a list of likely names.
 */
export class SessionItemsDecoding {
  private readonly salt = randomBytes(16);
  private readonly classes = new StringPool(1024);
  /** Per raw key name: the name records show and its shared entries. */
  private readonly keySlots = new Map<string, KeySlot>();
  private readonly nullSlot: KeySlot = { key: null, variants: [] };

  /**
   * Per session (its request target), the SHA-1 of the body decoded last and its record. The
   * digest is computed for every session body anyway (the redundant-writes diagnosis), and a
   * Get's reply is, byte for byte, what the Set before it wrote: half the session bodies on the
   * wire need no decoding at all.
   */
  private readonly lastBody = new Map<string, { digest: string; record: SessionItemsRecord }>();

  /** The relay's reader of whole bodies, with its memo of key sections (names decoded once). */
  readonly wholeReader = new WholeBodyReader(LIMITS, new KeySectionMemo());

  constructor(readonly mode: Exclude<SessionItemsMode, 'off'>) {}

  /** The record of the session's last decoded body, if its bytes had this digest. */
  recall(session: string, digest: string): SessionItemsRecord | undefined {
    const last = this.lastBody.get(session);
    return last !== undefined && last.digest === digest ? last.record : undefined;
  }

  remember(session: string, digest: string, record: SessionItemsRecord): void {
    const last = this.lastBody.get(session);
    if (last !== undefined) {
      last.digest = digest;
      last.record = record;
      return;
    }
    if (this.lastBody.size >= MAX_REMEMBERED_SESSIONS) this.lastBody.clear();
    this.lastBody.set(session, { digest, record });
  }

  keyOf(key: string | null): string | null {
    return this.slotOf(key).key;
  }

  /** The key as records show it (pooled, or its hash) and its shared entries: one lookup per item. */
  private slotOf(raw: string | null): KeySlot {
    if (raw === null) return this.nullSlot;
    let slot = this.keySlots.get(raw);
    if (slot === undefined) {
      if (this.keySlots.size >= MAX_SHARED_KEYS) this.keySlots.clear();
      slot = { key: this.mode === 'names' ? raw : this.hash(raw), variants: [] };
      this.keySlots.set(raw, slot);
    }
    return slot;
  }

  /** JSON text of pooled class names (the same few on every record). */
  private readonly classTexts = new Map<string, string>();

  private classJson(className: string): string {
    let text = this.classTexts.get(className);
    if (text === undefined) {
      if (this.classTexts.size >= 1024) this.classTexts.clear();
      text = JSON.stringify(className);
      this.classTexts.set(className, text);
    }
    return text;
  }

  private readonly hash = (name: string): string => createHash('sha256').update(this.salt).update(name, 'utf8').digest('base64url').slice(0, 8);

  /**
   * One shared entry per (key, type, class, size), never changed, with its JSON text: the same
   * items recur in every session (an Int32 "UserId" is always 5 bytes), so an entry and its
   * text are made once, not per body (the store keeps each table as text; see tableJson).
   */
  private entryOf(item: SessionItemInfo): SharedEntry {
    const slot = this.slotOf(item.key);
    const key = slot.key;
    const className = item.className === undefined ? undefined : this.classes.get(item.className);
    // Per key, the few recent variants (sizes change; types and classes rarely): a short scan of
    // pooled strings by identity, cheaper than building a composite map key per item.
    const variants = slot.variants;
    for (const v of variants) {
      const e = v.entry;
      if (e.size === item.size && e.typeId === item.typeId && e.className === className) return v;
    }
    const entry: SessionItemEntry = { key, typeId: item.typeId, type: item.type, size: item.size };
    if (className !== undefined) entry.className = className;
    // The stored form: [key, type id, size(, class)]; the type name follows from the id. A key's
    // sizes vary (a cart grows), so this runs for most bodies: the JSON of the key and of the
    // class are made once each.
    slot.json ??= JSON.stringify(key);
    const text = `[${slot.json},${entry.typeId},${entry.size}${className === undefined ? '' : `,${this.classJson(className)}`}]`;
    const shared: SharedEntry = { entry, text, listed: `,${text}` };
    if (variants.length >= VARIANTS_PER_KEY) variants.shift();
    variants.push(shared);
    return shared;
  }

  toRecord(result: SessionBodyResult): SessionItemsRecord {
    if (!result.ok) return { ok: false, form: result.form, error: result.error, offset: result.offset };
    const t = result.table;
    // A loop, not .map(callback): this runs per body on the relay's thread, and the TypeScript
    // loader makes every closure creation cost a property definition.
    // (The same session read again, its Set then the next page's Get, shares the whole record:
    // see recall.) Tables and entries are never changed once made.
    const items: SessionItemEntry[] = new Array(t.items.length);
    let texts = '';
    for (let i = 0; i < t.items.length; i++) {
      const shared = this.entryOf(t.items[i]!);
      items[i] = shared.entry;
      texts += i === 0 ? shared.text : shared.listed;
    }
    return new RelayTable(result.form === 'compressed' ? 'compressed' : 'plain', this.mode, t, items, texts);
  }
}

interface KeySlot {
  key: string | null;
  /** JSON.stringify(key), made when first needed. */
  json?: string;
  variants: SharedEntry[];
}

interface SharedEntry {
  entry: SessionItemEntry;
  /** The entry's stored text (see storedSessionItems), made once. */
  text: string;
  /** The same after a comma, as it follows another entry: one concatenation per item, not two. */
  listed: string;
}

// ---- the stored text of a table ---------------------------------------------------------
// The store keeps each record's table as JSON text in its byte ring (compact-store.ts: no
// objects per record). JSON.stringify of a table cost as much as decoding it, on the relay's
// thread, for every Set, and its ~500 bytes were most of what a record then wrote to the ring.
// A table made here is stored instead as a JSON array, built from its entries' texts (each made
// once, with the shared entry): [form, keys, timeout, item count, value bytes, static objects,
// decoded bytes, ...entries], a third of the size. sessionItemsFromStored gives back the very
// object (same fields, same order); any other table (a failure, one read from a file) is
// stored as its JSON object.

/**
 * A table as the relay makes it: the record's fields, in this order, and its stored text in a
 * private field, which JSON, the exports and the views never see (a WeakMap from table to text
 * cost the relay more than the text itself).
 */
class RelayTable implements SessionItemsRecordOk {
  // Declared in the order JSON and the views have always had them.
  readonly ok = true as const;
  readonly form: 'plain' | 'compressed';
  readonly keys: 'names' | 'hashed';
  readonly timeoutMinutes: number;
  readonly itemCount: number;
  readonly items: SessionItemEntry[];
  readonly valueBytes: number;
  readonly staticObjectCount: number;
  readonly decodedBytes: number;
  readonly #stored: string;

  /** `itemTexts`: the entries' stored texts, comma-separated. */
  constructor(form: 'plain' | 'compressed', keys: 'names' | 'hashed', t: SessionItemsTable, items: SessionItemEntry[], itemTexts: string) {
    this.form = form;
    this.keys = keys;
    this.timeoutMinutes = t.timeoutMinutes;
    this.itemCount = t.itemCount;
    this.items = items;
    this.valueBytes = t.valueBytes;
    this.staticObjectCount = t.staticObjectCount;
    this.decodedBytes = t.decodedBytes;
    const stored =
      `[${form === 'compressed' ? 1 : 0},${keys === 'hashed' ? 1 : 0},${t.timeoutMinutes},${t.itemCount},` +
      `${t.valueBytes},${t.staticObjectCount},${t.decodedBytes}${itemTexts === '' ? '' : `,${itemTexts}`}]`;
    // Made of one concatenation per item, the text is a deep tree of string pieces, and every
    // record that carries it (a Set, then each Get that recalls it) is measured and written by
    // the store: V8 flattens only the record's own outer string, so each walked the whole tree
    // again (measured ~370 ns per record, about 1% of the relay's CPU). Flattened once, here:
    // measuring its UTF-8 length makes V8 flatten it in place (a call the compiler cannot drop).
    Buffer.byteLength(stored);
    this.#stored = stored;
  }

  static storedTextOf(table: SessionItemsRecord): string | undefined {
    return #stored in table ? table.#stored : undefined;
  }
}

type SessionItemsRecordOk = SessionItemsRecord & { ok: true };

/** The JSON text the store keeps for a table (see above). */
export function storedSessionItems(table: SessionItemsRecord): string {
  return RelayTable.storedTextOf(table) ?? JSON.stringify(table);
}

type StoredEntry = [string | null, number, number] | [string | null, number, number, string];

/** The table again from what JSON.parse made of its stored text. */
export function sessionItemsFromStored(stored: unknown): SessionItemsRecord {
  if (!Array.isArray(stored)) return stored as SessionItemsRecord;
  const items: SessionItemEntry[] = [];
  for (let i = 7; i < stored.length; i++) {
    const [key, typeId, size, className] = stored[i] as StoredEntry;
    const entry: SessionItemEntry = { key, typeId, type: SESSION_ITEM_TYPES[typeId]!, size };
    if (className !== undefined) entry.className = className;
    items.push(entry);
  }
  return {
    ok: true,
    form: stored[0] === 1 ? 'compressed' : 'plain',
    keys: stored[1] === 1 ? 'hashed' : 'names',
    timeoutMinutes: stored[2] as number,
    itemCount: stored[3] as number,
    items,
    valueBytes: stored[4] as number,
    staticObjectCount: stored[5] as number,
    decodedBytes: stored[6] as number,
  };
}

export function createSessionItemsDecoding(mode: SessionItemsMode): SessionItemsDecoding | null {
  return mode === 'off' ? null : new SessionItemsDecoding(mode);
}

/** What the relay feeds a body to (BodyCapture alone satisfies it). */
export interface BodySink {
  add(chunk: Buffer): void;
  applyTo(target: { body?: string; bodyTruncated?: boolean; bodyDigest?: string; sessionItems?: SessionItemsRecord }): void;
}

// ---- results that arrive after the record is finished (compressed bodies) ----------------

interface PendingDecode {
  settled: Promise<void>;
  /** Called by the hand-off when it stops waiting: the record goes out without a late result. */
  abandon(reason: string): void;
}

const pendingDecodes = new WeakMap<object, PendingDecode>();
/**
 * Entries in pendingDecodes. Nearly always 0 (only compressed bodies too large to inflate on
 * the spot wait): then no record needs looking up, and the hand-off passes each one straight
 * on (the two WeakMap lookups per record showed in the relay's profile).
 */
let pendingCount = 0;

function settle(target: object): void {
  if (pendingDecodes.delete(target)) pendingCount--;
}

/** The decodes a finished record still waits for (none for plain bodies). */
export function pendingDecodesOf(record: { request: object | null; reply: object | null }): PendingDecode[] | null {
  if (pendingCount === 0) return null;
  const a = record.request ? pendingDecodes.get(record.request) : undefined;
  const b = record.reply ? pendingDecodes.get(record.reply) : undefined;
  if (a === undefined && b === undefined) return null;
  return [a, b].filter((p): p is PendingDecode => p !== undefined);
}

function failed(error: string, offset: number, form: 'unknown' | 'plain' = 'unknown'): SessionItemsRecord {
  return { ok: false, form, error, offset };
}

/**
 * Bodies up to this size are read whole when they end (the chunks are only referenced until
 * then, never copied): a direct read costs ~1 us where the streaming reader costs ~20 us.
 * Larger bodies stream through SessionBodyDecoder, a few KiB held whatever their size.
 */
export const WHOLE_BODY_MAX = 64 * 1024;

/** Feeds one body to the session decoder and, with --capture-bodies, to the capped capture. */
export class SessionItemsSink implements BodySink {
  private chunks: Buffer[] | null;
  private decoder: SessionBodyDecoder | null;
  private done = false;
  private seen = 0;
  private result: SessionItemsRecord | undefined;
  private late: Promise<void> | undefined;

  constructor(
    private readonly decoding: SessionItemsDecoding,
    private readonly bodyLength: number,
    private readonly capture: BodyCapture | null,
    /** The session the body belongs to (its request target), for skipping a body seen last time. */
    private readonly session?: string,
  ) {
    const whole = bodyLength <= WHOLE_BODY_MAX;
    this.chunks = whole ? [] : null;
    this.decoder = whole ? null : new SessionBodyDecoder(LIMITS);
  }

  add(chunk: Buffer): void {
    this.capture?.add(chunk);
    this.seen += chunk.length;
    if (this.done) return;
    try {
      if (this.chunks !== null) this.chunks.push(chunk);
      else this.decoder!.push(chunk);
      if (this.seen >= this.bodyLength) this.bodyEnded();
    } catch (error) {
      this.fail(`the session decoder failed: ${(error as Error).message}`);
    }
  }

  applyTo(target: { body?: string; bodyTruncated?: boolean; bodyDigest?: string; sessionItems?: SessionItemsRecord }): void {
    this.capture?.applyTo(target);
    if (this.result === undefined && this.late === undefined) {
      // The exchange ended inside the body (a reset, a shutdown): what arrived is not a session.
      this.fail(`the body was cut after ${this.seen} of ${this.bodyLength} bytes`);
    }
    if (this.result !== undefined) {
      target.sessionItems = this.result;
      return;
    }
    let abandoned = false;
    const settled = this.late!.then(() => {
      if (!abandoned && this.result !== undefined) target.sessionItems = this.result;
      settle(target);
    });
    if (!pendingDecodes.has(target)) pendingCount++;
    pendingDecodes.set(target, {
      settled,
      abandon: (reason) => {
        abandoned = true;
        target.sessionItems = failed(reason, 0);
        settle(target);
      },
    });
  }

  private bodyEnded(): void {
    this.done = true;
    if (this.chunks !== null) {
      const chunks = this.chunks;
      this.chunks = null;
      // The same bytes decode to the same table: a body seen before is not decoded again.
      const digest = this.session === undefined ? undefined : this.capture?.fullDigest();
      const known = digest === undefined ? undefined : this.decoding.recall(this.session!, digest);
      if (known !== undefined) {
        this.result = known;
        return;
      }
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const whole = decodeWholeWith(this.decoding.wholeReader, body);
      if (whole !== undefined) {
        this.result = this.safeRecord(whole);
        if (digest !== undefined) this.decoding.remember(this.session!, digest, this.result);
        return;
      }
      // A compressed body too large to inflate here, or one zlib refused: stream it after all.
      this.decoder = new SessionBodyDecoder(LIMITS);
      this.decoder.push(body);
    }
    const decoder = this.decoder!;
    this.decoder = null;
    const now = decoder.endSync();
    if (now !== undefined) {
      this.result = this.safeRecord(now);
      return;
    }
    this.late = decoder.end().then(
      (result) => {
        this.result = this.safeRecord(result);
      },
      (error: Error) => {
        this.result = failed(`the session decoder failed: ${error.message}`, 0);
      },
    );
  }

  private safeRecord(result: SessionBodyResult): SessionItemsRecord {
    try {
      return this.decoding.toRecord(result);
    } catch (error) {
      return failed(`the session decoder failed: ${(error as Error).message}`, 0);
    }
  }

  private fail(reason: string): void {
    this.done = true;
    this.chunks = null;
    const decoder = this.decoder;
    this.decoder = null;
    // Let a half-fed inflater finish and free its native handle; its result is not wanted.
    if (decoder !== null) void decoder.end().catch(() => {});
    this.result ??= failed(reason, this.seen);
  }
}

/**
 * The sink for one body, or null when nothing wants it (--capture-bodies, --session-items, the digest).
 * `isSession`: a Set's body, or the body of a 200 reply to Get / GetExclusive.
 */
export function bodySinkFor(
  captureBodiesBytes: number,
  decoding: SessionItemsDecoding | null | undefined,
  bodyLength: number,
  isSession: boolean,
  /** The request's target (application and session id): a body equal to that session's last one is not decoded again. */
  session?: string,
): BodySink | null {
  if (bodyLength <= 0) return null;
  // A session body (a Set's, a Get's 200 reply) is also digested, never kept, for the
  // redundant-writes diagnosis.
  const capture = captureBodiesBytes > 0 || isSession ? new BodyCapture(captureBodiesBytes, isSession) : null;
  if (decoding && isSession) return new SessionItemsSink(decoding, bodyLength, capture, session);
  return capture;
}

/** Heap bytes a stored table adds to its record (key and class strings are pooled, so shared). */
export function estimateSessionItemsBytes(table: SessionItemsRecord | undefined): number {
  if (table === undefined) return 0;
  // Tables and their entries are mostly shared between records (toRecord); this counts them
  // as if they were not, so the store's byte ceiling errs on the safe side.
  return table.ok ? 120 + 16 * table.items.length : 80 + table.error.length;
}
