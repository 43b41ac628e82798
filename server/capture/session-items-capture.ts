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
import type { SessionItemsTable } from '../protocol/session-items.ts';
import { KeySectionMemo, WholeBodyReader, decodeWholeWith } from '../protocol/session-items-whole.ts';
import { BodyCapture } from './record-builder.ts';
import type { KeepsEncoding, StringRefs } from './session-items-binary.ts';
import type { SessionItemEntry, SessionItemsRecord } from './wire-types.ts';

export type SessionItemsMode = 'off' | 'names' | 'hashed';

/** Parses the option's value: `--session-items` alone means names, `=hashed` hashes them. */
export function parseSessionItemsMode(value: string | boolean | undefined): SessionItemsMode {
  if (value === undefined || value === false) return 'off';
  if (value === true || value === '' || value === 'names') return 'names';
  if (value === 'hashed') return 'hashed';
  throw new RangeError(`--session-items takes no value or "hashed", got "${value}"`);
}

/** A session's last decoded body: its SHA-1 and its record ('' and undefined before the first). */
interface SessionMemory {
  digest: string;
  record: SessionItemsRecord | undefined;
}

/** Hashed key names remembered before the memory starts afresh. */
const MAX_HASHED_KEYS = 4096;

/** Sessions whose last decoded body is remembered before the memory starts afresh (~200 bytes each, records shared). */
const MAX_REMEMBERED_SESSIONS = 16_384;

/** Items listed per record: the count and the totals still cover all of them. */
export const MAX_ITEMS_PER_RECORD = 200;

const LIMITS: SessionBodyLimits = { ...DEFAULT_SESSION_BODY_LIMITS, maxItems: MAX_ITEMS_PER_RECORD };

/**
 * How keys are written on records. 'hashed': the first 8 characters of the base64url SHA-256
 * of a random per-run salt and the name. Stable for the whole run (Set and Get of one key get
 * the same hash, so sizes over time line up) but not across runs, and the salt is never written
 * anywhere, so a capture cannot be checked against a list of likely names.
 */
export class SessionItemsDecoding {
  private readonly salt = randomBytes(16);
  /** Per raw key name, its hash ('hashed' only). */
  private readonly hashes = new Map<string, string>();

  /**
   * Per session (its request target), the SHA-1 of the body decoded last and its record. The
   * digest is computed for every session body anyway (the redundant-writes diagnosis), and a
   * Get's reply is, byte for byte, what the Set before it wrote: half the session bodies on the
   * wire need no decoding at all.
   */
  private readonly lastBody = new Map<string, SessionMemory>();

  /** The relay's reader of whole bodies, with its memo of key sections (names decoded once). */
  readonly wholeReader = new WholeBodyReader(LIMITS, new KeySectionMemo());

  constructor(readonly mode: Exclude<SessionItemsMode, 'off'>) {}

  /** The record of the session's last decoded body, if its bytes had this digest. */
  recall(session: string, digest: string): SessionItemsRecord | undefined {
    const last = this.lastBody.get(session);
    return last !== undefined && last.digest === digest ? last.record : undefined;
  }

  /**
   * The session's memory of its last decoded body, made (empty) when the session is new: the
   * relay looks a session up once per body and writes a new body's record into what it got
   * (a second lookup cost another 0.2 to 0.3 us per Set, measured in the relay).
   */
  memoryOf(session: string): SessionMemory {
    let memory = this.lastBody.get(session);
    if (memory === undefined) {
      if (this.lastBody.size >= MAX_REMEMBERED_SESSIONS) this.lastBody.clear();
      memory = { digest: '', record: undefined };
      this.lastBody.set(session, memory);
    }
    return memory;
  }

  keyOf(key: string | null): string | null {
    if (key === null || this.mode === 'names') return key;
    let hashed = this.hashes.get(key);
    if (hashed === undefined) {
      if (this.hashes.size >= MAX_HASHED_KEYS) this.hashes.clear();
      hashed = this.hash(key);
      this.hashes.set(key, hashed);
    }
    return hashed;
  }

  private readonly hash = (name: string): string => createHash('sha256').update(this.salt).update(name, 'utf8').digest('base64url').slice(0, 8);

  /**
   * The record of a decoded body. The reader's items already have the entries' fields, in
   * their order, and are made afresh for each body, so they become the record's entries as
   * they are (with 'hashed', their keys replaced): nothing is copied or turned into text here.
   * The store keeps the table in binary (session-items-binary.ts). Tables are never changed
   * once made: the same session read again, its Set then the next page's Get, shares one.
   */
  toRecord(result: SessionBodyResult): SessionItemsRecord {
    if (!result.ok) return { ok: false, form: result.form, error: result.error, offset: result.offset };
    const t = result.table;
    const items = t.items as SessionItemEntry[];
    if (this.mode === 'hashed') for (let i = 0; i < items.length; i++) items[i]!.key = this.keyOf(items[i]!.key);
    return new RelayTable(result.form === 'compressed' ? 'compressed' : 'plain', this.mode, t, items);
  }
}

/**
 * A table as the relay makes it: the record's fields, in the order JSON and the views have
 * always had them. Its class tells the store it may be kept in binary (isRelayTable).
 */
class RelayTable implements SessionItemsRecordOk, KeepsEncoding {
  readonly ok = true as const;
  readonly form: 'plain' | 'compressed';
  readonly keys: 'names' | 'hashed';
  readonly timeoutMinutes: number;
  readonly itemCount: number;
  readonly items: SessionItemEntry[];
  readonly valueBytes: number;
  readonly staticObjectCount: number;
  readonly decodedBytes: number;
  // Private, so that no JSON (log, HAR, dashboard) and no comparison sees them.
  #encoding: Buffer | undefined = undefined;
  #encodedFor: StringRefs | undefined = undefined;

  constructor(form: 'plain' | 'compressed', keys: 'names' | 'hashed', t: SessionItemsTable, items: SessionItemEntry[]) {
    this.form = form;
    this.keys = keys;
    this.timeoutMinutes = t.timeoutMinutes;
    this.itemCount = t.itemCount;
    this.items = items;
    this.valueBytes = t.valueBytes;
    this.staticObjectCount = t.staticObjectCount;
    this.decodedBytes = t.decodedBytes;
  }

  encodingFor(strings: StringRefs): Buffer | undefined {
    return this.#encodedFor === strings ? this.#encoding : undefined;
  }

  keepEncoding(strings: StringRefs, bytes: Buffer): void {
    this.#encoding = bytes;
    this.#encodedFor = strings;
  }
}

type SessionItemsRecordOk = SessionItemsRecord & { ok: true };

/**
 * Whether the relay made this table, so its numbers and names are within what the store's
 * binary form holds (u32 counts and sizes, names under 64 KiB: the reader's limits see to it).
 */
export function isRelayTable(table: SessionItemsRecord | undefined): table is SessionItemsRecordOk {
  return table instanceof RelayTable;
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
      const memory = digest === undefined ? undefined : this.decoding.memoryOf(this.session!);
      if (memory !== undefined && memory.digest === digest) {
        this.result = memory.record;
        return;
      }
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const whole = decodeWholeWith(this.decoding.wholeReader, body);
      if (whole !== undefined) {
        this.result = this.safeRecord(whole);
        if (memory !== undefined) {
          memory.digest = digest!;
          memory.record = this.result;
        }
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
