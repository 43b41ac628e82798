// The part of HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) that statescope writes
// and reads back, with its custom fields. HAR allows custom fields in any object when their
// names start with "_"; ours carry what HAR has no place for (operation, session, verdicts,
// outcome) and the heads exactly as received, so `statescope open` can rebuild the records.
import type { OutcomeCode, RequestKind, SessionItemsRecord, VersionState } from './wire-types.ts';

export const HAR_VERSION = '1.2';

export interface HarHeader {
  name: string;
  value: string;
}

export interface HarRequest {
  method: string;
  url: string;
  httpVersion: string;
  cookies: never[];
  headers: HarHeader[];
  queryString: never[];
  postData?: { mimeType: string; text: string; _encoding?: 'base64'; _bodyTruncated?: boolean };
  headersSize: number;
  bodySize: number;
  /** The target exactly as sent (the url has it percent-escaped where a URI needs that). */
  _target?: string;
  /** The head exactly as received from the client, latin1. */
  _head?: string;
  /** No request was read on this connection (e.g. the upstream refused before it came). */
  _noRequest?: boolean;
  /** Digest of a Set's body (never the bytes), for the redundant-writes diagnosis. */
  _bodyDigest?: string;
  /** --session-items: the Set body's item table (names, types, sizes; never values). */
  _sessionItems?: SessionItemsRecord;
}

export interface HarResponse {
  status: number;
  statusText: string;
  /** The status line's protocol token; "" when it had none (Microsoft's `200 OK` form). */
  httpVersion: string;
  cookies: never[];
  /** As the client received them: an injected X-AspNet-Version comes first, right after the status line. */
  headers: HarHeader[];
  content: { size: number; mimeType: string; text?: string; encoding?: 'base64'; _bodyTruncated?: boolean };
  redirectURL: string;
  headersSize: number;
  bodySize: number;
  /** 'http': the status line began with HTTP/x.y; 'microsoft': it did not. Absent without a reply. */
  _statusLineForm?: 'http' | 'microsoft';
  /** The head exactly as the upstream sent it (before any injection), latin1. */
  _head?: string;
  /** Digest of a Get/GetExclusive reply's body (never the bytes), for the redundant-writes diagnosis. */
  _bodyDigest?: string;
  /** --session-items: the Get/GetExclusive reply body's item table. */
  _sessionItems?: SessionItemsRecord;
}

export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: HarRequest;
  response: HarResponse;
  cache: Record<string, never>;
  timings: { send: number; wait: number; receive: number };
  connection?: string;
  _id: number;
  _operation: RequestKind | null;
  _sessionId: string | null;
  _appId: string | null;
  _appHash: string | null;
  _versionHeader: VersionState;
  _injected: boolean;
  _errorCode: OutcomeCode;
  _error?: string;
  _connectionId: number;
  _client: string;
  _upstream: string;
  _lockCookie: string | null;
}

export interface HarLog {
  version: string;
  creator: { name: string; version: string };
  comment?: string;
  entries: HarEntry[];
}
