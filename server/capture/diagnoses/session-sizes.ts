// Sizes of session items as they pass, from Content-Length alone (no body capture needed): a Set
// carries the item, a Get/GetExclusive 200 returns it. Shared by large-sessions and store-memory.
import type { ExchangeRecord } from '../wire-types.ts';

/** The size of the session item this record shows, or -1 when it shows none. */
export function itemSizeOf(record: ExchangeRecord): number {
  const req = record.request;
  const reply = record.reply;
  if (req === null || reply === null || reply.status !== 200) return -1;
  if (req.kind === 'Set') return req.bodySize;
  if (req.kind === 'Get' || req.kind === 'GetExclusive') return reply.bodySize;
  return -1;
}

const TIMEOUT_HEADER = /\r\ntimeout:[ \t]*(\d+)/i;
const TIMEOUT_AS_SENT = '\r\nTimeout: ';

/** The sliding expiry a Set or CreateUninitialized asks for (minutes), 20 when it gives none. */
export function timeoutMinutesOf(head: string): number {
  // ASP.NET writes "Timeout: N" exactly so: a plain search; other spellings take the regex.
  const at = head.indexOf(TIMEOUT_AS_SENT);
  if (at >= 0) {
    const n = parseInt(head.slice(at + TIMEOUT_AS_SENT.length, at + TIMEOUT_AS_SENT.length + 8), 10);
    if (Number.isFinite(n)) return n;
  }
  const m = TIMEOUT_HEADER.exec(head);
  return m ? Number(m[1]) : 20;
}
