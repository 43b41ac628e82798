// Replies in Microsoft's byte layout (protocol notes §2.2, §5.1): a status line without an HTTP
// version, X-AspNet-Version first, the protocol headers, Cache-Control, Content-Length last.
import { VERSION_HEADER, type RawHeader } from '../protocol/headers.ts';
import { serializeResponseHead } from '../protocol/serialize.ts';

export type ReplyStatus = 200 | 400 | 404 | 423 | 500;

/** ASP.NET's reason phrases for the statuses the state server uses. */
const REASONS: Record<ReplyStatus, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  423: 'Locked',
  500: 'Internal Server Error',
};

export interface Reply {
  status: ReplyStatus;
  /** Protocol headers only, in the order Microsoft's server adds them. */
  headers: RawHeader[];
  /** Stored bytes on a 200 Get/GetExclusive; null for every other reply. */
  body: Buffer | null;
}

export function reply(status: ReplyStatus, headers: RawHeader[] = [], body: Buffer | null = null): Reply {
  return { status, headers, body };
}

export interface EncodedReply {
  head: Buffer;
  body: Buffer | null;
}

/**
 * The bytes of `r`. `versionHeader` null leaves X-AspNet-Version out entirely, which is what a
 * server with enableVersionHeader="false" at machine level sends (notes §8).
 */
export function encodeReply(r: Reply, versionHeader: string | null): EncodedReply {
  const body = r.body !== null && r.body.length > 0 ? r.body : null;
  const headers: RawHeader[] = [];
  if (versionHeader !== null) headers.push({ name: VERSION_HEADER, value: versionHeader });
  headers.push(...r.headers);
  headers.push({ name: 'Cache-Control', value: 'private' });
  headers.push({ name: 'Content-Length', value: String(body?.length ?? 0) });
  const head = serializeResponseHead({ protocol: null, status: r.status, reason: REASONS[r.status], headers });
  return { head, body };
}
