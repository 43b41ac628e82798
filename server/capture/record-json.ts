// One JSONL line per record for --log, written from the record's raw pieces: the header pairs go
// straight from the head's text into JSON, instead of JSON.stringify walking the record and
// calling its lazy `headers` getter (which builds pair arrays only to serialise them). The
// result parses to exactly what JSON.stringify(record) gives; only the writing is cheaper.
import { eachHeaderLine } from './stored-head.ts';
import type { ExchangeRecord, ReplyRecord, RequestRecord, WireHeader } from './wire-types.ts';

const q = JSON.stringify;

const num = (n: number | null): string => (n === null || !Number.isFinite(n) ? 'null' : String(n));
const str = (s: string | null): string => (s === null ? 'null' : q(s));

/** The header pairs of a head as JSON text, read from the head's lines (start line skipped). */
export function headersJsonOf(head: string): string {
  let out = '';
  eachHeaderLine(head, (start, colon, end) => {
    out += `${out === '' ? '' : ','}[${q(head.slice(start, colon))},${q(head.slice(colon + 1, end).trim())}]`;
  });
  return `[${out}]`;
}

/** The record's own `headers` when they were set as data (a saved record), else read from the head. */
function headersJson(part: { head: string; headers: WireHeader[] }): string {
  const own = Object.getOwnPropertyDescriptor(part, 'headers');
  return own && 'value' in own ? q(own.value) : headersJsonOf(part.head);
}

function bodyJson(part: { body?: string; bodyTruncated?: boolean }): string {
  let out = '';
  if (part.body !== undefined) out += `,"body":${q(part.body)}`;
  if (part.bodyTruncated !== undefined) out += `,"bodyTruncated":${part.bodyTruncated}`;
  return out;
}

function requestJson(r: RequestRecord): string {
  return (
    `{"verb":${q(r.verb)},"kind":${q(r.kind)},"target":${q(r.target)},"appId":${str(r.appId)},"appHash":${str(r.appHash)},` +
    `"sessionId":${str(r.sessionId)},"head":${q(r.head)},"bodySize":${num(r.bodySize)},"lockCookie":${str(r.lockCookie)},` +
    `"headers":${headersJson(r)}${bodyJson(r)}}`
  );
}

function replyJson(r: ReplyRecord): string {
  const v = r.versionHeader;
  return (
    `{"protocol":${str(r.protocol)},"status":${num(r.status)},"reason":${q(r.reason)},"head":${q(r.head)},"bodySize":${num(r.bodySize)},` +
    `"versionHeader":{"present":${v.present},"value":${str(v.value)},"major":${num(v.major)}},"injected":${r.injected},` +
    `"lockCookie":${str(r.lockCookie)},"lockAgeSeconds":${num(r.lockAgeSeconds)},"lockDateTicks":${str(r.lockDateTicks)},` +
    `"actionFlags":${str(r.actionFlags)},"headers":${headersJson(r)}` +
    (r.injectedLine !== undefined ? `,"injectedLine":${q(r.injectedLine)}` : '') +
    `${bodyJson(r)}}`
  );
}

export function recordJson(r: ExchangeRecord): string {
  return (
    `{"id":${num(r.id)},"connectionId":${num(r.connectionId)},"client":${q(r.client)},"upstream":${q(r.upstream)},` +
    `"startedAt":${num(r.startedAt)},"firstByteMs":${num(r.firstByteMs)},"latencyMs":${num(r.latencyMs)},` +
    `"request":${r.request ? requestJson(r.request) : 'null'},"reply":${r.reply ? replyJson(r.reply) : 'null'},` +
    `"outcome":${q(r.outcome)}${r.error !== undefined ? `,"error":${q(r.error)}` : ''}}`
  );
}
