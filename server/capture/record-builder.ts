// Turns parsed heads into the JSON records the store, feed and logs share. Runs once per
// exchange on the relay's thread, so it does no more than it must (decoding is cheap string work).
import {
  VERSION_HEADER,
  classifyRequest,
  decodeTarget,
  getHeader,
  getLockCookieText,
  majorVersion,
  type RawHeader,
  type RequestHead,
  type ResponseHead,
} from '../protocol/index.ts';
import type { ReplyRecord, RequestRecord, WireHeader } from './wire-types.ts';

function wireHeaders(headers: readonly RawHeader[]): WireHeader[] {
  return headers.map((h) => [h.name, h.value]);
}

export function buildRequestRecord(head: RequestHead): RequestRecord {
  const decoded = decodeTarget(head.target);
  return {
    verb: head.verb,
    kind: classifyRequest(head.verb, head.headers),
    target: head.target,
    appId: decoded.appId,
    appHash: decoded.appHash,
    sessionId: decoded.sessionId,
    headers: wireHeaders(head.headers),
    head: head.raw.toString('latin1'),
    bodySize: head.contentLength,
    lockCookie: getLockCookieText(head.headers) ?? null,
  };
}

export function buildReplyRecord(head: ResponseHead, injectedLine: string | null): ReplyRecord {
  const version = getHeader(head.headers, VERSION_HEADER);
  const lockAge = getHeader(head.headers, 'LockAge');
  const record: ReplyRecord = {
    protocol: head.protocol,
    status: head.status,
    reason: head.reason,
    headers: wireHeaders(head.headers),
    head: head.raw.toString('latin1'),
    bodySize: head.bodyLength,
    versionHeader: { present: version !== undefined, value: version ?? null, major: majorVersion(version) },
    injected: injectedLine !== null,
    lockCookie: getLockCookieText(head.headers) ?? null,
    lockAgeSeconds: lockAge !== undefined && /^-?\d+$/.test(lockAge) ? Number(lockAge) : null,
    lockDateTicks: getHeader(head.headers, 'LockDate') ?? null,
    actionFlags: getHeader(head.headers, 'ActionFlags') ?? null,
  };
  if (injectedLine !== null) record.injectedLine = injectedLine;
  return record;
}

/**
 * Collects at most `limit` bytes of a body for --capture-bodies. Bodies are private session
 * data, so by default (limit 0) nothing is kept.
 */
export class BodyCapture {
  private readonly parts: Buffer[] = [];
  private kept = 0;
  private seen = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    this.seen += chunk.length;
    if (this.kept >= this.limit) return;
    const take = Math.min(chunk.length, this.limit - this.kept);
    this.parts.push(Buffer.from(chunk.subarray(0, take)));
    this.kept += take;
  }

  /** Writes body/bodyTruncated onto a record when anything was captured. */
  applyTo(target: { body?: string; bodyTruncated?: boolean }): void {
    if (this.limit <= 0 || this.seen === 0) return;
    target.body = Buffer.concat(this.parts, this.kept).toString('base64');
    target.bodyTruncated = this.seen > this.kept;
  }
}
