// Checks that a value read back from a file (a JSONL line) is an ExchangeRecord in every field
// the dashboard, stats and diagnoses rely on, so one damaged line is reported and skipped
// instead of breaking the page later.
import { REQUEST_KINDS } from '../protocol/index.ts';
import { sessionItemsProblem } from './session-items-check.ts';
import { OUTCOME_CODES, type ExchangeRecord } from './wire-types.ts';

type Check = (v: unknown) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const bool: Check = (v) => typeof v === 'boolean';
const orNull = (c: Check): Check => (v) => v === null || c(v);
const optional = (c: Check): Check => (v) => v === undefined || c(v);
const oneOf = (values: readonly string[]): Check => (v) => typeof v === 'string' && values.includes(v);
const sessionItems: Check = (v) => v === undefined || sessionItemsProblem(v) === null;
const headers: Check = (v) => Array.isArray(v) && v.every((h) => Array.isArray(h) && h.length === 2 && str(h[0]) && str(h[1]));

function firstProblem(value: Record<string, unknown>, shape: Record<string, Check>, prefix: string): string | null {
  for (const [key, check] of Object.entries(shape)) {
    if (!check(value[key])) return `${prefix}${key} is missing or has the wrong type`;
  }
  return null;
}

const RECORD: Record<string, Check> = {
  id: (v) => Number.isSafeInteger(v) && (v as number) > 0,
  connectionId: num,
  client: str,
  upstream: str,
  startedAt: num,
  firstByteMs: orNull(num),
  latencyMs: orNull(num),
  outcome: oneOf(OUTCOME_CODES),
  error: optional(str),
};

const REQUEST: Record<string, Check> = {
  verb: str,
  kind: oneOf(REQUEST_KINDS),
  target: str,
  appId: orNull(str),
  appHash: orNull(str),
  sessionId: orNull(str),
  headers,
  head: str,
  bodySize: num,
  lockCookie: orNull(str),
  body: optional(str),
  sessionItems,
};

const REPLY: Record<string, Check> = {
  protocol: orNull(str),
  status: (v) => Number.isInteger(v),
  reason: str,
  headers,
  head: str,
  bodySize: num,
  versionHeader: (v) => isObject(v) && bool(v.present) && orNull(str)(v.value) && num(v.major),
  injected: bool,
  injectedLine: optional(str),
  lockCookie: orNull(str),
  lockAgeSeconds: orNull(num),
  body: optional(str),
  sessionItems,
};

/** null when `value` can be used as an ExchangeRecord, else what is wrong with it. */
export function recordProblem(value: unknown): string | null {
  if (!isObject(value)) return 'not a JSON object';
  const own = firstProblem(value, RECORD, '');
  if (own) return own;
  if (value.request !== null) {
    if (!isObject(value.request)) return 'request is missing or has the wrong type';
    const problem = firstProblem(value.request, REQUEST, 'request.');
    if (problem) return problem;
  }
  if (value.reply !== null) {
    if (!isObject(value.reply)) return 'reply is missing or has the wrong type';
    const problem = firstProblem(value.reply, REPLY, 'reply.');
    if (problem) return problem;
  }
  return null;
}

export function isExchangeRecord(value: unknown): value is ExchangeRecord {
  return recordProblem(value) === null;
}
