// What the compact store keeps of a record besides its index numbers, and how a record is
// rebuilt from it. Everything that can be read back from the heads (kind, session id, app,
// lock cookie, version verdict, header pairs...) is not kept: it is dissected from the stored
// head when someone looks, with the same builders the relay uses. What cannot (the error text,
// captured bodies, the injected line) goes into a small JSON "extras" text, usually empty.
//
// A record read from a file may disagree with its own head (hand-edited, or from an older
// statescope): for those (`exact` false) the fields that differ from what the head says are
// kept in the extras too, so the store gives back exactly what it was given.
import { decodeTarget } from '../protocol/index.ts';
import { buildReplyRecord, buildRequestRecord, lockAgeSecondsOf, replyHeaderValuesOf, requestLockCookieOf } from './record-builder.ts';
import type { BinaryTable } from './session-items-binary.ts';
import { isRelayTable } from './session-items-capture.ts';
import { toSummary } from './summary.ts';
import { requestHeadFromText, responseHeadFromText } from './stored-head.ts';
import type { ExchangeRecord, ExchangeSummary, ReplyRecord, RequestKind, RequestRecord, SessionItemsRecord, VersionState } from './wire-types.ts';

interface Extras {
  /** record.error */
  e?: string;
  /** request.body, request.bodyTruncated */
  qb?: string;
  qt?: boolean;
  /** reply.body, reply.bodyTruncated, reply.injectedLine */
  pb?: string;
  pt?: boolean;
  pi?: string;
  /** request.bodyDigest, reply.bodyDigest (for the redundant-writes diagnosis and exports) */
  qd?: string;
  pd?: string;
  /** request.sessionItems, reply.sessionItems (--session-items) when not the relay's own: those the store keeps in binary (session-items-binary.ts) */
  qs?: SessionItemsRecord;
  ps?: SessionItemsRecord;
  /** Fields of a saved record that differ from what its head says. */
  q?: Partial<RequestRecord>;
  p?: Partial<ReplyRecord>;
}

/** The fields kept as numbers and short strings in the store's index. */
export type IndexedFields = Pick<
  ExchangeRecord,
  'id' | 'connectionId' | 'client' | 'upstream' | 'startedAt' | 'firstByteMs' | 'latencyMs' | 'outcome'
> & { requestBodySize: number; replyBodySize: number };

const DERIVED_REQUEST_KEYS = ['verb', 'kind', 'target', 'appId', 'appHash', 'sessionId', 'headers', 'lockCookie'] as const;
const DERIVED_REPLY_KEYS = [
  'protocol',
  'status',
  'reason',
  'headers',
  'versionHeader',
  'injected',
  'lockCookie',
  'lockAgeSeconds',
  'lockDateTicks',
  'actionFlags',
] as const;

const BASE64 = /^[A-Za-z0-9+/=]*$/;

/** The extras text of a record ('' when it has none, the common case). */
export function extrasOf(record: ExchangeRecord, exact: boolean): string {
  const { request, reply } = record;
  // Fast path for live traffic: no error, no bodies, no injection.
  if (
    exact &&
    record.error === undefined &&
    (request === null || request.body === undefined) &&
    (reply === null || (reply.body === undefined && reply.injectedLine === undefined))
  ) {
    // Body digests are on most Sets and Gets; they are base64 text, safe in JSON as they are,
    // so the common case is a concatenation rather than a JSON.stringify. The relay's item
    // tables (--session-items) are not extras: the store keeps them in binary (binaryTables).
    const qd = request?.bodyDigest;
    const pd = reply?.bodyDigest;
    const qs = request?.sessionItems;
    const ps = reply?.sessionItems;
    if ((qs === undefined || isRelayTable(qs)) && (ps === undefined || isRelayTable(ps))) {
      if (qd === undefined && pd === undefined) return '';
      if (BASE64.test(qd ?? '') && BASE64.test(pd ?? '')) {
        return qd === undefined ? `{"pd":"${pd}"}` : pd === undefined ? `{"qd":"${qd}"}` : `{"qd":"${qd}","pd":"${pd}"}`;
      }
    }
  }
  const x: Extras = {};
  if (record.error !== undefined) x.e = record.error;
  if (request) {
    if (request.body !== undefined) x.qb = request.body;
    if (request.bodyTruncated !== undefined) x.qt = request.bodyTruncated;
    if (request.bodyDigest !== undefined) x.qd = request.bodyDigest;
    if (request.sessionItems !== undefined && !isRelayTable(request.sessionItems)) x.qs = request.sessionItems;
    if (!exact) {
      const differs = differences(request, decodeRequest(request.head, request.bodySize, undefined), DERIVED_REQUEST_KEYS);
      if (differs) x.q = differs;
    }
  }
  if (reply) {
    if (reply.body !== undefined) x.pb = reply.body;
    if (reply.bodyTruncated !== undefined) x.pt = reply.bodyTruncated;
    if (reply.injectedLine !== undefined) x.pi = reply.injectedLine;
    if (reply.bodyDigest !== undefined) x.pd = reply.bodyDigest;
    if (reply.sessionItems !== undefined && !isRelayTable(reply.sessionItems)) x.ps = reply.sessionItems;
    if (!exact) {
      const differs = differences(reply, decodeReply(reply.head, reply.bodySize, undefined), DERIVED_REPLY_KEYS);
      if (differs) x.p = differs;
    }
  }
  return JSON.stringify(x);
}

function differences<T extends object>(given: T, derived: T, keys: readonly (keyof T)[]): Partial<T> | null {
  let out: Partial<T> | null = null;
  for (const key of keys) {
    if (!same(given[key], derived[key])) (out ??= {} as Partial<T>)[key] = given[key];
  }
  return out;
}

/** Deep equality of JSON values (strings, numbers, null, header pairs, the version verdict). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Writes over fields, `headers` included (a lazy getter on built records, so not assignable). */
function override<T extends object>(target: T, fields: Partial<T> | undefined): void {
  if (!fields) return;
  for (const [key, value] of Object.entries(fields)) {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }
}

function decodeRequest(head: string, bodySize: number, x: Extras | undefined): RequestRecord {
  const request = buildRequestRecord(requestHeadFromText(head, bodySize));
  override(request, x?.q);
  if (x?.qb !== undefined) request.body = x.qb;
  if (x?.qt !== undefined) request.bodyTruncated = x.qt;
  if (x?.qd !== undefined) request.bodyDigest = x.qd;
  if (x?.qs !== undefined) request.sessionItems = x.qs;
  return request;
}

function decodeReply(head: string, bodySize: number, x: Extras | undefined): ReplyRecord {
  const reply = buildReplyRecord(responseHeadFromText(head, bodySize), x?.pi ?? null);
  override(reply, x?.p);
  if (x?.pb !== undefined) reply.body = x.pb;
  if (x?.pt !== undefined) reply.bodyTruncated = x.pt;
  if (x?.pd !== undefined) reply.bodyDigest = x.pd;
  if (x?.ps !== undefined) reply.sessionItems = x.ps;
  return reply;
}

/** The item tables the store keeps in binary beside a record's extras: the relay's own. */
export interface BinaryTables {
  request?: BinaryTable;
  reply?: BinaryTable;
}

/** A side's item table when the relay made it: the store keeps those in binary, not in the extras. */
export function relayTableOf(side: RequestRecord | ReplyRecord | null): BinaryTable | undefined {
  const table = side?.sessionItems;
  return isRelayTable(table) ? table : undefined;
}

/** The record again, from its index fields, its stored heads (null: none), its extras and its binary tables. */
export function decodeRecord(f: IndexedFields, requestHead: string | null, replyHead: string | null, extras: string, tables: BinaryTables | null = null): ExchangeRecord {
  const x = extras === '' ? undefined : (JSON.parse(extras) as Extras);
  const record: ExchangeRecord = {
    id: f.id,
    connectionId: f.connectionId,
    client: f.client,
    upstream: f.upstream,
    startedAt: f.startedAt,
    firstByteMs: f.firstByteMs,
    latencyMs: f.latencyMs,
    request: requestHead === null ? null : decodeRequest(requestHead, f.requestBodySize, x),
    reply: replyHead === null ? null : decodeReply(replyHead, f.replyBodySize, x),
    outcome: f.outcome,
  };
  if (tables?.request !== undefined && record.request) record.request.sessionItems = tables.request;
  if (tables?.reply !== undefined && record.reply) record.reply.sessionItems = tables.reply;
  if (x?.e !== undefined) record.error = x.e;
  return record;
}

/** What a summary needs beyond the indexed fields: kept in the index as numbers and flags. */
export interface SummaryFields extends IndexedFields {
  kind: RequestKind;
  status: number;
  version: VersionState;
}

/**
 * The table row of a stored record, read from its heads without building the record (a
 * snapshot of 10,000 rows runs on the relay's thread, so it must be quick). A saved record
 * whose fields differ from its heads goes the long way, through the whole record.
 */
export function summarize(f: SummaryFields, requestHead: string | null, replyHead: string | null, extras: string): ExchangeSummary {
  if (extras !== '') {
    const x = JSON.parse(extras) as Extras;
    if (x.q || x.p) return toSummary(decodeRecord(f, requestHead, replyHead, extras));
  }
  const request = requestHead === null ? null : requestHeadFromText(requestHead, f.requestBodySize);
  const target = request ? decodeTarget(request.target) : null;
  const reply = replyHead === null ? null : replyHeaderValuesOf(replyHead);
  return {
    id: f.id,
    connectionId: f.connectionId,
    client: f.client,
    startedAt: f.startedAt,
    latencyMs: f.latencyMs,
    kind: request ? f.kind : null,
    verb: request ? request.verb : null,
    sessionId: target?.sessionId ?? null,
    appId: target?.appId ?? null,
    appHash: target?.appHash ?? null,
    status: reply ? f.status : null,
    version: f.version,
    versionValue: reply?.version ?? null,
    lockCookie: reply?.lockCookie ?? reply?.lockCookieDashed ?? (requestHead !== null ? requestLockCookieOf(requestHead) : null),
    lockAgeSeconds: reply ? lockAgeSecondsOf(reply.lockAge) : null,
    requestBytes: requestHead === null ? 0 : requestHead.length + f.requestBodySize,
    replyBytes: replyHead === null ? 0 : replyHead.length + f.replyBodySize,
    outcome: f.outcome,
  };
}
