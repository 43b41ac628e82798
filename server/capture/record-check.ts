// Checks a value read back from a file (a JSONL line, or a record rebuilt from a HAR entry)
// field by field, and rebuilds it from the fields statescope knows. A saved capture is input
// from anywhere (a crash, an editor, an adversary), so every field the dashboard, stats and
// diagnoses touch is checked for its type and for a sane range: a timestamp of 1e19 or an
// object where the page expects a string must be one skipped line, not a hung process or a
// blank page. Fields statescope does not know are dropped (and counted by the caller), so what
// the store keeps is exactly what it accounts for.
import { REQUEST_KINDS } from '../protocol/index.ts';
import { cleanSessionItems, sessionItemsProblem } from './session-items-check.ts';
import { OUTCOME_CODES, type ExchangeRecord, type ReplyRecord, type RequestRecord, type SessionItemsRecord, type WireHeader } from './wire-types.ts';
import { headersFromHead } from './record-builder.ts';

/** Latest instant a JavaScript Date can hold (year 275760): later would not even print. */
export const MAX_EPOCH_MS = 8.64e15;
/** Longest plausible exchange: a year. ASP.NET itself gives up after stateNetworkTimeout. */
export const MAX_DURATION_MS = 365 * 24 * 3600 * 1000;
/** Longest string kept from a file field (a head is at most 64 KiB on the wire; bodies are capped prefixes). */
const MAX_STRING = 16 * 1024 * 1024;

export class RecordProblem extends Error {}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const RECORD_KEYS = new Set(['id', 'connectionId', 'client', 'upstream', 'startedAt', 'firstByteMs', 'latencyMs', 'request', 'reply', 'outcome', 'error']);
const REQUEST_KEYS = new Set(['verb', 'kind', 'target', 'appId', 'appHash', 'sessionId', 'headers', 'head', 'bodySize', 'lockCookie', 'body', 'bodyTruncated', 'bodyDigest', 'sessionItems']);
const REPLY_KEYS = new Set([
  'protocol',
  'status',
  'reason',
  'headers',
  'head',
  'bodySize',
  'versionHeader',
  'injected',
  'injectedLine',
  'lockCookie',
  'lockAgeSeconds',
  'lockDateTicks',
  'actionFlags',
  'body',
  'bodyTruncated',
  'bodyDigest',
  'sessionItems',
]);
const VERSION_KEYS = new Set(['present', 'value', 'major']);

function fail(path: string, what: string): never {
  throw new RecordProblem(`${path} ${what}`);
}

function str(obj: Json, key: string, path: string): string {
  const v = obj[key];
  if (typeof v !== 'string') fail(path + key, v === undefined ? 'is missing' : `is not a string (${typeName(v)})`);
  if (v.length > MAX_STRING) fail(path + key, `is too long (${v.length} characters)`);
  return v;
}

function strOrNull(obj: Json, key: string, path: string): string | null {
  return obj[key] === null ? null : str(obj, key, path);
}

function optionalStr(obj: Json, key: string, path: string): string | undefined {
  return obj[key] === undefined ? undefined : str(obj, key, path);
}

/** A head is latin1 text (one byte, one character): anything above U+00FF never came off a wire. */
function head(obj: Json, key: string, path: string): string {
  const v = str(obj, key, path);
  // eslint-disable-next-line no-control-regex
  if (/[^\u0000-\u00ff]/.test(v)) fail(path + key, 'has characters that are not bytes (a head is latin1 text)');
  return v;
}

function base64(obj: Json, key: string, path: string): string | undefined {
  const v = optionalStr(obj, key, path);
  if (v !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) fail(path + key, 'is not base64');
  return v;
}

/** A finite number in [min, max]; `integer` also asks for a whole number. */
function num(obj: Json, key: string, path: string, min: number, max: number, integer = false): number {
  const v = obj[key];
  if (typeof v !== 'number') fail(path + key, v === undefined ? 'is missing' : `is not a number (${typeName(v)})`);
  if (!Number.isFinite(v) || v < min || v > max) fail(path + key, `is out of range (${v}; expected ${min} to ${max})`);
  if (integer && !Number.isInteger(v)) fail(path + key, `is not a whole number (${v})`);
  return v;
}

function numOrNull(obj: Json, key: string, path: string, min: number, max: number): number | null {
  return obj[key] === null ? null : num(obj, key, path, min, max);
}

function bool(obj: Json, key: string, path: string): boolean {
  const v = obj[key];
  if (typeof v !== 'boolean') fail(path + key, v === undefined ? 'is missing' : `is not true or false (${typeName(v)})`);
  return v;
}

function optionalBool(obj: Json, key: string, path: string): boolean | undefined {
  return obj[key] === undefined ? undefined : bool(obj, key, path);
}

function oneOf<T extends string>(obj: Json, key: string, path: string, values: readonly T[]): T {
  const v = obj[key];
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) fail(path + key, `is not one of ${values.join(', ')} (${JSON.stringify(v)?.slice(0, 40)})`);
  return v as T;
}

function wireHeaders(obj: Json, key: string, path: string): WireHeader[] {
  const v = obj[key];
  if (!Array.isArray(v)) fail(path + key, v === undefined ? 'is missing' : `is not a list (${typeName(v)})`);
  return v.map((h, i) => {
    if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string' || typeof h[1] !== 'string') fail(`${path}${key}[${i}]`, 'is not a [name, value] pair of strings');
    return [h[0], h[1]] as WireHeader;
  });
}

/**
 * A head and its header pairs. --log lines leave the pairs out (the head's text carries them:
 * log-line.ts), exports and older logs have them; both read the same.
 */
function headersAndHead(v: Json, p: string): { headers: WireHeader[]; head: string } {
  const text = head(v, 'head', p);
  return { headers: v.headers === undefined ? headersFromHead(text) : wireHeaders(v, 'headers', p), head: text };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** A body digest is a short base64 text (record-builder's DIGEST_CHARS). */
function bodyDigest(obj: Json, path: string): string | undefined {
  const digest = optionalStr(obj, 'bodyDigest', path);
  if (digest !== undefined && !/^[A-Za-z0-9+/=]{1,64}$/.test(digest)) fail(`${path}bodyDigest`, 'is not a short base64 digest');
  return digest;
}

/** An item table (--session-items), rebuilt from its own fields so a file carries nothing else. */
function sessionItems(obj: Json, path: string): SessionItemsRecord | undefined {
  const v = obj.sessionItems;
  if (v === undefined) return undefined;
  const problem = sessionItemsProblem(v);
  if (problem !== null) fail(`${path}sessionItems`, problem);
  return cleanSessionItems(v as SessionItemsRecord);
}

function unknownKeys(obj: Json, known: Set<string>, path: string, out: Set<string>): void {
  for (const key of Object.keys(obj)) if (!known.has(key)) out.add(path + key);
}

/** What a request and a reply both may carry about their body: a captured prefix, its digest, its item table. */
function bodyFields(v: Json, p: string, r: RequestRecord | ReplyRecord): void {
  const body = base64(v, 'body', p);
  if (body !== undefined) r.body = body;
  const truncated = optionalBool(v, 'bodyTruncated', p);
  if (truncated !== undefined) r.bodyTruncated = truncated;
  const digest = bodyDigest(v, p);
  if (digest !== undefined) r.bodyDigest = digest;
  const items = sessionItems(v, p);
  if (items !== undefined) r.sessionItems = items;
}

function requestOf(v: Json, unknown: Set<string>): RequestRecord {
  const p = 'request.';
  unknownKeys(v, REQUEST_KEYS, p, unknown);
  const r: RequestRecord = {
    verb: str(v, 'verb', p),
    kind: oneOf(v, 'kind', p, REQUEST_KINDS),
    target: str(v, 'target', p),
    appId: strOrNull(v, 'appId', p),
    appHash: strOrNull(v, 'appHash', p),
    sessionId: strOrNull(v, 'sessionId', p),
    ...headersAndHead(v, p),
    bodySize: num(v, 'bodySize', p, 0, Number.MAX_SAFE_INTEGER, true),
    lockCookie: strOrNull(v, 'lockCookie', p),
  };
  bodyFields(v, p, r);
  return r;
}

function replyOf(v: Json, unknown: Set<string>): ReplyRecord {
  const p = 'reply.';
  unknownKeys(v, REPLY_KEYS, p, unknown);
  const vh = v.versionHeader;
  if (!isObject(vh)) fail(`${p}versionHeader`, vh === undefined ? 'is missing' : `is not an object (${typeName(vh)})`);
  unknownKeys(vh, VERSION_KEYS, `${p}versionHeader.`, unknown);
  const r: ReplyRecord = {
    protocol: strOrNull(v, 'protocol', p),
    status: num(v, 'status', p, 0, 999, true),
    reason: str(v, 'reason', p),
    ...headersAndHead(v, p),
    bodySize: num(v, 'bodySize', p, 0, Number.MAX_SAFE_INTEGER, true),
    versionHeader: {
      present: bool(vh, 'present', `${p}versionHeader.`),
      value: strOrNull(vh, 'value', `${p}versionHeader.`),
      major: num(vh, 'major', `${p}versionHeader.`, 0, Number.MAX_SAFE_INTEGER, true),
    },
    injected: bool(v, 'injected', p),
    lockCookie: strOrNull(v, 'lockCookie', p),
    // LockAge is seconds; a lock older than a year of seconds is not a lock any more.
    lockAgeSeconds: numOrNull(v, 'lockAgeSeconds', p, -MAX_DURATION_MS / 1000, MAX_DURATION_MS / 1000),
    // Logs written before these fields existed: read them as "not sent".
    lockDateTicks: v.lockDateTicks === undefined ? null : strOrNull(v, 'lockDateTicks', p),
    actionFlags: v.actionFlags === undefined ? null : strOrNull(v, 'actionFlags', p),
  };
  const line = optionalStr(v, 'injectedLine', p);
  if (line !== undefined) r.injectedLine = line;
  bodyFields(v, p, r);
  return r;
}

export interface CheckedRecord {
  record: ExchangeRecord;
  /** Dotted names of fields present in the input that statescope does not know (dropped). */
  unknownFields: string[];
}

/**
 * Rebuilds `value` as an ExchangeRecord from its known fields, or throws RecordProblem naming
 * the first field that is wrong. Older logs lack `lockDateTicks` / `actionFlags`: they read as null.
 */
export function checkRecord(value: unknown): CheckedRecord {
  if (!isObject(value)) throw new RecordProblem(`not a JSON object (${typeName(value)})`);
  const unknown = new Set<string>();
  unknownKeys(value, RECORD_KEYS, '', unknown);
  const record: ExchangeRecord = {
    id: num(value, 'id', '', 1, Number.MAX_SAFE_INTEGER, true),
    connectionId: num(value, 'connectionId', '', 0, Number.MAX_SAFE_INTEGER, true),
    client: str(value, 'client', ''),
    upstream: str(value, 'upstream', ''),
    startedAt: num(value, 'startedAt', '', 0, MAX_EPOCH_MS),
    firstByteMs: numOrNull(value, 'firstByteMs', '', 0, MAX_DURATION_MS),
    latencyMs: numOrNull(value, 'latencyMs', '', 0, MAX_DURATION_MS),
    request: null,
    reply: null,
    outcome: oneOf(value, 'outcome', '', OUTCOME_CODES),
  };
  if (record.startedAt + (record.latencyMs ?? 0) > MAX_EPOCH_MS) fail('startedAt + latencyMs', 'is past the last date a clock can show');
  const error = optionalStr(value, 'error', '');
  if (error !== undefined) record.error = error;
  if (value.request !== null) {
    if (!isObject(value.request)) fail('request', value.request === undefined ? 'is missing' : `is not an object (${typeName(value.request)})`);
    record.request = requestOf(value.request, unknown);
  }
  if (value.reply !== null) {
    if (!isObject(value.reply)) fail('reply', value.reply === undefined ? 'is missing' : `is not an object (${typeName(value.reply)})`);
    record.reply = replyOf(value.reply, unknown);
  }
  return { record, unknownFields: [...unknown] };
}

/** null when `value` can be used as an ExchangeRecord, else what is wrong with it. */
export function recordProblem(value: unknown): string | null {
  try {
    checkRecord(value);
    return null;
  } catch (err) {
    if (err instanceof RecordProblem) return err.message;
    throw err;
  }
}

export function isExchangeRecord(value: unknown): value is ExchangeRecord {
  return recordProblem(value) === null;
}
