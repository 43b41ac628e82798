// Exchange records as HAR 1.2 entries, one per exchange, for tools that read HAR (browsers'
// network panels, HAR viewers, scripts). What HAR has no field for goes in "_" fields; see
// har-format.ts. Failed exchanges stay in: status 0 and _errorCode, as browsers write them.
import { HAR_VERSION, type HarEntry, type HarHeader, type HarRequest, type HarResponse } from './har-format.ts';
import { versionStateOf } from './summary.ts';
import type { ExchangeFilters, ExchangeRecord, WireHeader } from './wire-types.ts';

const OCTETS = 'application/octet-stream';

export interface HarMeta {
  /** statescope's version, for log.creator. */
  version: string;
  filters?: ExchangeFilters;
}

/**
 * The document around the entries, split so a large export can be streamed: write `head`,
 * the entries joined by commas, then `tail`.
 */
export function harEnvelope(meta: HarMeta): { head: string; tail: string } {
  const log = {
    version: HAR_VERSION,
    creator: { name: 'statescope', version: meta.version },
    comment:
      'ASP.NET State Server exchanges captured by statescope. Custom fields start with "_"; response.headers are as the client received them, response._head as the upstream sent it.',
    ...(meta.filters ? { _filters: meta.filters } : {}),
  };
  const open = JSON.stringify({ log });
  // `open` ends with "}}": reopen the log object to append the entries array.
  return { head: `${open.slice(0, -2)},"entries":[`, tail: ']}}' };
}

export function toHarEntry(record: ExchangeRecord): HarEntry {
  const time = record.latencyMs ?? 0;
  const wait = record.reply ? Math.min(record.firstByteMs ?? time, time) : time;
  const entry: HarEntry = {
    startedDateTime: new Date(record.startedAt).toISOString(),
    time,
    request: harRequest(record),
    response: harResponse(record),
    cache: {},
    // statescope sees a request once it is complete, so sending takes no time on its clock.
    timings: { send: 0, wait, receive: round3(time - wait) },
    connection: String(record.connectionId),
    _id: record.id,
    _operation: record.request?.kind ?? null,
    _sessionId: record.request?.sessionId ?? null,
    _appId: record.request?.appId ?? null,
    _appHash: record.request?.appHash ?? null,
    _versionHeader: versionStateOf(record),
    _injected: record.reply?.injected ?? false,
    _errorCode: record.outcome,
    _connectionId: record.connectionId,
    _client: record.client,
    _upstream: record.upstream,
    _lockCookie: record.reply?.lockCookie ?? record.request?.lockCookie ?? null,
  };
  if (record.error !== undefined) entry._error = record.error;
  return entry;
}

function harRequest(record: ExchangeRecord): HarRequest {
  const req = record.request;
  if (!req) {
    return {
      method: '',
      url: `http://${record.upstream}/`,
      httpVersion: '',
      cookies: [],
      headers: [],
      queryString: [],
      headersSize: -1,
      bodySize: -1,
      _noRequest: true,
    };
  }
  const out: HarRequest = {
    method: req.verb,
    url: `http://${record.upstream}/${uriSafe(req.target.startsWith('/') ? req.target.slice(1) : req.target)}`,
    httpVersion: requestLineVersion(req.head),
    cookies: [],
    headers: harHeaders(req.headers),
    queryString: [],
    headersSize: Buffer.byteLength(req.head, 'latin1'),
    bodySize: req.bodySize,
    _target: req.target,
    _head: req.head,
  };
  if (req.bodyDigest !== undefined) out._bodyDigest = req.bodyDigest;
  if (req.body !== undefined) {
    out.postData = { mimeType: OCTETS, text: req.body, _encoding: 'base64' };
    if (req.bodyTruncated) out.postData._bodyTruncated = true;
  }
  if (req.sessionItems !== undefined) out._sessionItems = req.sessionItems;
  return out;
}

function harResponse(record: ExchangeRecord): HarResponse {
  const rep = record.reply;
  if (!rep) {
    return {
      status: 0,
      statusText: '',
      httpVersion: '',
      cookies: [],
      headers: [],
      content: { size: 0, mimeType: 'x-unknown' },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
    };
  }
  const injected = rep.injectedLine !== undefined ? splitHeaderLine(rep.injectedLine) : null;
  const out: HarResponse = {
    status: rep.status,
    statusText: rep.reason,
    httpVersion: rep.protocol ?? '',
    cookies: [],
    headers: injected ? [injected, ...harHeaders(rep.headers)] : harHeaders(rep.headers),
    content: { size: rep.bodySize, mimeType: OCTETS },
    redirectURL: '',
    // What the client received: the injected line and its CRLF included.
    headersSize: Buffer.byteLength(rep.head, 'latin1') + (rep.injectedLine !== undefined ? Buffer.byteLength(rep.injectedLine, 'latin1') + 2 : 0),
    bodySize: rep.bodySize,
    _statusLineForm: rep.protocol ? 'http' : 'microsoft',
    _head: rep.head,
  };
  if (rep.bodyDigest !== undefined) out._bodyDigest = rep.bodyDigest;
  if (rep.body !== undefined) {
    out.content.text = rep.body;
    out.content.encoding = 'base64';
    if (rep.bodyTruncated) out.content._bodyTruncated = true;
  }
  if (rep.sessionItems !== undefined) out._sessionItems = rep.sessionItems;
  return out;
}

function harHeaders(headers: readonly WireHeader[]): HarHeader[] {
  return headers.map(([name, value]) => ({ name, value }));
}

function splitHeaderLine(line: string): HarHeader {
  const colon = line.indexOf(':');
  return { name: line.slice(0, colon), value: line.slice(colon + 1).trim() };
}

/** The request line's version token ("HTTP/1.1"), "" if the head has none. */
function requestLineVersion(head: string): string {
  const eol = head.indexOf('\r\n');
  const line = eol < 0 ? head : head.slice(0, eol);
  const parts = line.split(' ');
  return parts.length >= 3 ? parts[parts.length - 1]! : '';
}

/**
 * Raw targets are kept as sent in _target; the url only has to be a valid URI whose path is
 * the target, so anything a URI path may not hold (including ? and #, and a "%" that starts no
 * escape) is percent-encoded.
 */
function uriSafe(target: string): string {
  return target.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : encodeURIComponent(c);
  });
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
