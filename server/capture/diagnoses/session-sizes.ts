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

/** The sliding expiry a Set or CreateUninitialized asks for (minutes), 20 when it gives none. */
export function timeoutMinutesOf(head: string): number {
  const m = TIMEOUT_HEADER.exec(head);
  return m ? Number(m[1]) : 20;
}
