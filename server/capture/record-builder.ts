// Turns parsed heads into the JSON records the store, feed and logs share. Runs once per
// exchange on the relay's thread, so it does no more than it must (decoding is cheap string work).
import { classifyRequest, decodeTarget, majorVersion, type RawHeader, type RequestHead, type ResponseHead } from '../protocol/index.ts';
import { createHash, hash, type Hash } from 'node:crypto';
import { eachHeaderLine } from './stored-head.ts';
import type { ReplyRecord, RequestRecord, WireHeader } from './wire-types.ts';

/** Header pairs read back from a head's text, in wire order (the start line skipped). */
export function headersFromHead(head: string): WireHeader[] {
  const out: WireHeader[] = [];
  eachHeaderLine(head, (start, colon, end) => out.push([head.slice(start, colon), head.slice(colon + 1, end).trim()]));
  return out;
}

// Records live for a long time in the store, and every object they hold is work for the
// garbage collector (measured: ~12% of relay throughput). So `headers` is not stored: it is an
// enumerable getter that reads the pairs back from `head` whenever somebody (a detail view, an
// export, JSON.stringify) asks. One shared descriptor keeps V8's object shapes shared too.
const LAZY_HEADERS: PropertyDescriptor = {
  get(this: { head: string }): WireHeader[] {
    return headersFromHead(this.head);
  },
  enumerable: true,
  configurable: true,
};

function withHeaders<T extends { head: string; headers: WireHeader[] }>(record: Omit<T, 'headers'>): T {
  Object.defineProperty(record, 'headers', LAZY_HEADERS);
  return record as T;
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
export type RequestHeadFields = Pick<RequestHead, 'verb' | 'target' | 'headers' | 'text' | 'contentLength'>;
export type ResponseHeadFields = Pick<ResponseHead, 'protocol' | 'status' | 'reason' | 'headers' | 'text' | 'bodyLength'>;

/** The lock cookie as sent (`LockCookie`, else MS-ASP's `Lock-Cookie`), in one pass over the headers. */
export function lockCookieOf(headers: readonly RawHeader[]): string | null {
  let dashed: string | null = null;
  for (const h of headers) {
    const n = h.name;
    if (n.length === 10 && n.toLowerCase() === 'lockcookie') return h.value;
    if (dashed === null && n.length === 11 && n.toLowerCase() === 'lock-cookie') dashed = h.value;
  }
  return dashed;
}

export function buildRequestRecord(head: RequestHeadFields): RequestRecord {
  const decoded = decodeTarget(head.target);
  return withHeaders<RequestRecord>({
    verb: head.verb,
    kind: classifyRequest(head.verb, head.headers),
    target: head.target,
    appId: decoded.appId,
    appHash: decoded.appHash,
    sessionId: decoded.sessionId,
    head: head.text,
    bodySize: head.contentLength,
    lockCookie: lockCookieOf(head.headers),
  });
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

export function replyHeaderValues(headers: readonly RawHeader[]): ReplyHeaderValues {
  const v: ReplyHeaderValues = {};
  for (const h of headers) {
    const n = h.name;
    // Only names of a wanted length are lower-cased: most headers cost a length compare.
    switch (n.length) {
      case 16:
        if (v.version === undefined && n.toLowerCase() === 'x-aspnet-version') v.version = h.value;
        break;
      case 10:
        if (v.lockCookie === undefined && n.toLowerCase() === 'lockcookie') v.lockCookie = h.value;
        break;
      case 11: {
        const lower = n.toLowerCase();
        if (v.lockCookieDashed === undefined && lower === 'lock-cookie') v.lockCookieDashed = h.value;
        else if (v.actionFlags === undefined && lower === 'actionflags') v.actionFlags = h.value;
        break;
      }
      case 7:
        if (v.lockAge === undefined && n.toLowerCase() === 'lockage') v.lockAge = h.value;
        break;
      case 8:
        if (v.lockDate === undefined && n.toLowerCase() === 'lockdate') v.lockDate = h.value;
        break;
    }
  }
  return v;
}

/** LockAge in seconds when it is a whole number, else null. */
export function lockAgeSecondsOf(value: string | undefined): number | null {
  return value !== undefined && /^-?\d+$/.test(value) ? Number(value) : null;
}

export function buildReplyRecord(head: ResponseHeadFields, injectedLine: string | null): ReplyRecord {
  const v = replyHeaderValues(head.headers);
  const record = withHeaders<ReplyRecord>({
    protocol: head.protocol,
    status: head.status,
    reason: head.reason,
    head: head.text,
    bodySize: head.bodyLength,
    versionHeader: versionVerdict(v.version),
    injected: injectedLine !== null,
    lockCookie: v.lockCookie ?? v.lockCookieDashed ?? null,
    lockAgeSeconds: lockAgeSecondsOf(v.lockAge),
    lockDateTicks: v.lockDate ?? null,
    actionFlags: v.actionFlags ?? null,
  });
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

