// Rebuilds exchange records from a HAR file exported by statescope (har-export.ts), so
// `statescope open` can show it. Heads come back exactly from the "_head" fields and go through
// the same record builders as live traffic, so verdicts (version header, lock cookie, kind) are
// recomputed rather than trusted. A HAR from another tool is read as far as HAR allows.
import {
  getHeader,
  parseIntHeader,
  serializeRequestHead,
  serializeResponseHead,
  type RawHeader,
  type RequestHead,
  type ResponseHead,
} from '../protocol/index.ts';
import { buildReplyRecord, buildRequestRecord } from './record-builder.ts';
import { cleanSessionItems, sessionItemsProblem } from './session-items-check.ts';
import {
  OUTCOME_CODES,
  type ExchangeRecord,
  type OutcomeCode,
  type ReplyRecord,
  type RequestRecord,
  type SessionItemsRecord,
} from './wire-types.ts';

type Json = Record<string, unknown>;

export class HarEntryError extends Error {}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function field<T>(obj: Json, key: string, check: (v: unknown) => v is T, what: string): T {
  const v = obj[key];
  if (!check(v)) throw new HarEntryError(`${what}.${key} is missing or has the wrong type`);
  return v;
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** `_sessionItems` of a request or response, checked (a bad one names the entry as damaged). */
function sessionItemsOf(obj: Json, what: string): SessionItemsRecord | undefined {
  if (obj._sessionItems === undefined) return undefined;
  const problem = sessionItemsProblem(obj._sessionItems);
  if (problem) throw new HarEntryError(`${what}._sessionItems ${problem}`);
  return cleanSessionItems(obj._sessionItems as SessionItemsRecord);
}

/** The entries of a parsed HAR document, or null when it is not one. */
export function harEntries(doc: unknown): unknown[] | null {
  if (!isObject(doc) || !isObject(doc.log) || !Array.isArray(doc.log.entries)) return null;
  return doc.log.entries;
}

export function harCreator(doc: unknown): string | null {
  if (!isObject(doc) || !isObject(doc.log) || !isObject(doc.log.creator)) return null;
  return isString(doc.log.creator.name) ? doc.log.creator.name : null;
}

/** One entry back into a record; throws HarEntryError naming what is wrong. */
export function recordFromHarEntry(value: unknown, index: number): ExchangeRecord {
  if (!isObject(value)) throw new HarEntryError('not a JSON object');
  const request = field(value, 'request', isObject, 'entry');
  const response = field(value, 'response', isObject, 'entry');
  const startedAt = Date.parse(field(value, 'startedDateTime', isString, 'entry'));
  if (Number.isNaN(startedAt)) throw new HarEntryError('entry.startedDateTime is not a date');
  const time = field(value, 'time', isNumber, 'entry');
  const url = field(request, 'url', isString, 'request');

  const req = request._noRequest === true ? null : requestFrom(request, url);
  const rep = field(response, 'status', isNumber, 'response') > 0 ? replyFrom(response, value._injected === true) : null;
  const wait = isObject(value.timings) && isNumber(value.timings.wait) ? value.timings.wait : null;
  const send = isObject(value.timings) && isNumber(value.timings.send) && value.timings.send > 0 ? value.timings.send : 0;
  const outcome: OutcomeCode = (OUTCOME_CODES as readonly unknown[]).includes(value._errorCode)
    ? (value._errorCode as OutcomeCode)
    : rep
      ? 'ok'
      : 'upstream_reset';

  const record: ExchangeRecord = {
    id: isNumber(value._id) && Number.isSafeInteger(value._id) && value._id > 0 ? value._id : index + 1,
    connectionId: isNumber(value._connectionId) ? value._connectionId : Number(value.connection) || 0,
    client: isString(value._client) ? value._client : '',
    upstream: isString(value._upstream) ? value._upstream : hostOf(url),
    startedAt,
    firstByteMs: rep && wait !== null ? send + wait : null,
    latencyMs: time,
    request: req,
    reply: rep,
    outcome,
  };
  if (isString(value._error)) record.error = value._error;
  else if (outcome !== 'ok' && !rep) record.error = 'the HAR entry has no response';
  return record;
}

function headersOf(obj: Json, what: string): RawHeader[] {
  const list = field(obj, 'headers', Array.isArray, what);
  return list.map((h, i) => {
    if (!isObject(h) || !isString(h.name) || !isString(h.value)) throw new HarEntryError(`${what}.headers[${i}] is not a {name, value} pair`);
    return { name: h.name, value: h.value };
  });
}

function requestFrom(request: Json, url: string): RequestRecord {
  const headers = headersOf(request, 'request');
  const verb = field(request, 'method', isString, 'request');
  const target = isString(request._target) ? request._target : url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*\//i, '');
  const version = isString(request.httpVersion) && request.httpVersion !== '' ? request.httpVersion : 'HTTP/1.1';
  const bodySize = isNumber(request.bodySize) && request.bodySize >= 0 ? request.bodySize : 0;
  const raw = isString(request._head)
    ? Buffer.from(request._head, 'latin1')
    : serializeRequestHead({ verb, target, version, headers });
  const head: RequestHead = { kind: 'request', verb, target, version, headers, contentLength: bodySize, raw, text: raw.toString('latin1') };
  const record = buildRequestRecord(head);
  if (isString(request._bodyDigest)) record.bodyDigest = request._bodyDigest;
  const postData = request.postData;
  if (isObject(postData) && isString(postData.text)) {
    record.body = postData._encoding === 'base64' ? postData.text : Buffer.from(postData.text, 'utf8').toString('base64');
    if (postData._bodyTruncated === true) record.bodyTruncated = true;
    else if (postData._encoding === 'base64') record.bodyTruncated = false;
  }
  const items = sessionItemsOf(request, 'request');
  if (items) record.sessionItems = items;
  return record;
}

function replyFrom(response: Json, injected: boolean): ReplyRecord {
  let headers = headersOf(response, 'response');
  let injectedLine: string | null = null;
  if (injected && headers.length > 0) {
    // The injected header is the first one (statescope inserts it right after the status line).
    injectedLine = `${headers[0]!.name}: ${headers[0]!.value}`;
    headers = headers.slice(1);
  }
  const status = field(response, 'status', isNumber, 'response');
  const reason = isString(response.statusText) ? response.statusText : '';
  const protocol =
    response._statusLineForm === 'microsoft' || !isString(response.httpVersion) || response.httpVersion === '' ? null : response.httpVersion;
  const content = isObject(response.content) ? response.content : {};
  const bodySize = isNumber(response.bodySize) && response.bodySize >= 0 ? response.bodySize : isNumber(content.size) ? content.size : 0;
  const contentLength = parseIntHeader(getHeader(headers, 'Content-Length'));
  const raw = isString(response._head) ? Buffer.from(response._head, 'latin1') : serializeResponseHead({ protocol, status, reason, headers });
  const head: ResponseHead = {
    kind: 'response',
    protocol,
    status,
    reason,
    headers,
    bodyLength: bodySize,
    contentLength: contentLength === undefined || Number.isNaN(contentLength) ? null : contentLength,
    raw,
    text: raw.toString('latin1'),
  };
  const record = buildReplyRecord(head, injectedLine);
  if (isString(response._bodyDigest)) record.bodyDigest = response._bodyDigest;
  if (isString(content.text)) {
    record.body = content.encoding === 'base64' ? content.text : Buffer.from(content.text, 'utf8').toString('base64');
    record.bodyTruncated = content._bodyTruncated === true;
  }
  const items = sessionItemsOf(response, 'response');
  if (items) record.sessionItems = items;
  return record;
}

function hostOf(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/]*)/i.exec(url);
  return m ? m[1]! : '';
}
