// Turns parsed heads into the JSON records the store, feed and logs share. Runs once per
// exchange on the relay's thread, so it does no more than it must (decoding is cheap string work).
import { classifyRequestBy, decodeTarget, majorVersion, type RequestHead, type RequestKind, type ResponseHead } from '../protocol/index.ts';
import { eachHeaderLine, headerValueOf, readWantedHeaders, wantedHeaders } from '../protocol/header-lines.ts';
import { createHash, hash, type Hash } from 'node:crypto';
import type { ReplyRecord, RequestRecord, SessionItemsRecord, WireHeader } from './wire-types.ts';

/** Header pairs read back from a head's text, in wire order (the start line skipped). */
export function headersFromHead(head: string): WireHeader[] {
  const out: WireHeader[] = [];
  eachHeaderLine(head, (start, colon, end) => out.push([head.slice(start, colon), headerValueOf(head, colon, end)]));
  return out;
}

// A record's `headers` is not stored: the pairs are read back from `head` whenever somebody
// (a detail view, an export, JSON.stringify through toJSON) asks. Records are built on the
// relay's thread for every exchange, so they are class instances with the getter on the
// prototype: one shape for all, nothing defined per record (Object.defineProperty on each
// record cost about 0.2 µs, twice an exchange, and made the loads that read records polymorphic).
class LiveRequestRecord implements RequestRecord {
  declare body?: string;
  declare bodyTruncated?: boolean;
  declare bodyDigest?: string;
  declare sessionItems?: SessionItemsRecord;

  constructor(
    public verb: string,
    public kind: RequestKind,
    public target: string,
    public appId: string | null,
    public appHash: string | null,
    public sessionId: string | null,
    public head: string,
    public bodySize: number,
    public lockCookie: string | null,
  ) {}

  get headers(): WireHeader[] {
    return headersFromHead(this.head);
  }

  /** The record as JSON shows it: headers in their place, after the fields read from the head. */
  toJSON(): object {
    const { verb, kind, target, appId, appHash, sessionId, head, bodySize, lockCookie, ...later } = this;
    return { verb, kind, target, appId, appHash, sessionId, head, bodySize, lockCookie, headers: this.headers, ...later };
  }
}

class LiveReplyRecord implements ReplyRecord {
  declare injectedLine?: string;
  declare body?: string;
  declare bodyTruncated?: boolean;
  declare bodyDigest?: string;
  declare sessionItems?: SessionItemsRecord;

  constructor(
    public protocol: string | null,
    public status: number,
    public reason: string,
    public head: string,
    public bodySize: number,
    public versionHeader: VersionVerdict,
    public injected: boolean,
    public lockCookie: string | null,
    public lockAgeSeconds: number | null,
    public lockDateTicks: string | null,
    public actionFlags: string | null,
  ) {}

  get headers(): WireHeader[] {
    return headersFromHead(this.head);
  }

  toJSON(): object {
    const { protocol, status, reason, ...later } = this;
    return { protocol, status, reason, headers: this.headers, ...later };
  }
}

type VersionVerdict = ReplyRecord['versionHeader'];
const MISSING_VERSION: VersionVerdict = Object.freeze({ present: false, value: null, major: 0 });
/** Verdicts of the (few) version values seen, shared by all records that carry them. */
const versionVerdicts = new Map<string, VersionVerdict>();

function versionVerdict(value: string | undefined): VersionVerdict {
  if (value === undefined) return MISSING_VERSION;
  let verdict = versionVerdicts.get(value);
  if (!verdict) {
    verdict = Object.freeze({ present: true, value, major: majorVersion(value) });
    if (versionVerdicts.size < 64) versionVerdicts.set(value, verdict);
  }
  return verdict;
}

/** What the request builder reads from a head: what the framer parsed, or a stored head re-read. */
export type RequestHeadFields = Pick<RequestHead, 'verb' | 'target' | 'text' | 'contentLength'>;
export type ResponseHeadFields = Pick<ResponseHead, 'protocol' | 'status' | 'reason' | 'text' | 'bodyLength'>;

// The request headers a record reads, by slot, found in one pass over the head's text.
const REQUEST_WANTED = wantedHeaders(['exclusive', 'extraflags', 'lockcookie', 'lock-cookie']);
const [EXCLUSIVE, EXTRA_FLAGS, LOCK_COOKIE, LOCK_COOKIE_DASHED] = [0, 1, 2, 3] as const;
/** Reused for every head: the values are copied out before the next one is read. */
const requestValues: (string | undefined)[] = [];

/** A request head's lock cookie, straight from its text (live or stored). */
export function requestLockCookieOf(text: string): string | null {
  const v = requestValues;
  readWantedHeaders(text, REQUEST_WANTED, v);
  return v[LOCK_COOKIE] ?? v[LOCK_COOKIE_DASHED] ?? null;
}

export function buildRequestRecord(head: RequestHeadFields): RequestRecord {
  const decoded = decodeTarget(head.target);
  const v = requestValues;
  readWantedHeaders(head.text, REQUEST_WANTED, v);
  return new LiveRequestRecord(
    head.verb,
    classifyRequestBy(head.verb, v[EXCLUSIVE], v[EXTRA_FLAGS]),
    head.target,
    decoded.appId,
    decoded.appHash,
    decoded.sessionId,
    head.text,
    head.contentLength,
    v[LOCK_COOKIE] ?? v[LOCK_COOKIE_DASHED] ?? null,
  );
}

/** The headers a reply record reads (the first of each, names case-insensitive), in one pass. */
export interface ReplyHeaderValues {
  version?: string;
  lockCookie?: string;
  lockCookieDashed?: string;
  lockAge?: string;
  lockDate?: string;
  actionFlags?: string;
}

const REPLY_WANTED = wantedHeaders(['x-aspnet-version', 'lockcookie', 'lock-cookie', 'lockage', 'lockdate', 'actionflags']);
const replyValues: (string | undefined)[] = [];

/** The headers a reply record reads, straight from the head's text (live or stored). */
export function replyHeaderValuesOf(text: string): ReplyHeaderValues {
  const v = replyValues;
  readWantedHeaders(text, REPLY_WANTED, v);
  return { version: v[0], lockCookie: v[1], lockCookieDashed: v[2], lockAge: v[3], lockDate: v[4], actionFlags: v[5] };
}

/** LockAge in seconds when it is a whole number, else null. */
export function lockAgeSecondsOf(value: string | undefined): number | null {
  return value !== undefined && /^-?\d+$/.test(value) ? Number(value) : null;
}

/** `values`: the head's headers when the caller already read them (the relay does, for injection). */
export function buildReplyRecord(head: ResponseHeadFields, injectedLine: string | null, values = replyHeaderValuesOf(head.text)): ReplyRecord {
  const v = values;
  const record = new LiveReplyRecord(
    head.protocol,
    head.status,
    head.reason,
    head.text,
    head.bodyLength,
    versionVerdict(v.version),
    injectedLine !== null,
    v.lockCookie ?? v.lockCookieDashed ?? null,
    lockAgeSecondsOf(v.lockAge),
    v.lockDate ?? null,
    v.actionFlags ?? null,
  );
  if (injectedLine !== null) record.injectedLine = injectedLine;
  return record;
}

/**
 * Collects at most `limit` bytes of a body for --capture-bodies. Bodies are private session
 * data, so by default (limit 0) nothing is kept. With `digest`, it also hashes the whole body
 * as it streams past (for the redundant-writes diagnosis): the bytes are never kept for that.
 */
export class BodyCapture {
  private readonly parts: Buffer[] = [];
  private kept = 0;
  private seen = 0;
  /** A one-chunk body is hashed in one call at the end (twice as cheap as a Hash object). */
  private onlyChunk: Buffer | null = null;
  private hasher: Hash | null = null;
  private digested: string | undefined;

  constructor(
    private readonly limit: number,
    private readonly digest = false,
  ) {}

  add(chunk: Buffer): void {
    // (Nothing is hashed once the digest is taken: the body has ended.)
    if (this.digest && this.digested === undefined) this.hashChunk(chunk);
    this.seen += chunk.length;
    if (this.kept >= this.limit) return;
    const take = Math.min(chunk.length, this.limit - this.kept);
    this.parts.push(Buffer.from(chunk.subarray(0, take)));
    this.kept += take;
  }

  /**
   * The whole SHA-1 of the body so far, in Base64, computed once: call when the body has ended
   * (--session-items uses it to skip decoding a body it has just decoded). undefined when this
   * capture does not digest, or saw no bytes.
   */
  fullDigest(): string | undefined {
    if (this.digested === undefined && this.digest && this.seen > 0) {
      this.digested = this.hasher ? this.hasher.digest('base64') : hash('sha1', this.onlyChunk!, 'base64');
      this.onlyChunk = null;
      this.hasher = null;
    }
    return this.digested;
  }

  /** Writes body/bodyTruncated (when anything was captured) and bodyDigest onto a record. */
  applyTo(target: { body?: string; bodyTruncated?: boolean; bodyDigest?: string }): void {
    const full = this.fullDigest();
    if (full !== undefined) target.bodyDigest = full.slice(0, DIGEST_CHARS);
    if (this.limit <= 0 || this.seen === 0) return;
    target.body = Buffer.concat(this.parts, this.kept).toString('base64');
    target.bodyTruncated = this.seen > this.kept;
  }

  private hashChunk(chunk: Buffer): void {
    if (this.hasher) this.hasher.update(chunk);
    else if (this.seen === 0) this.onlyChunk = chunk;
    else {
      this.hasher = createHash('sha1').update(this.onlyChunk!).update(chunk);
      this.onlyChunk = null;
    }
  }
}

/** 96 bits of SHA-1, in Base64: plenty to tell two bodies of one session apart. */
const DIGEST_CHARS = 16;

