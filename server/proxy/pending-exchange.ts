// An exchange while it is under way on a relay connection, and the record it becomes.
import { performance } from 'node:perf_hooks';
import type { BodySink } from '../capture/session-items-capture.ts';
import type { ExchangeRecord, OutcomeCode, ReplyRecord, RequestRecord } from '../capture/wire-types.ts';

export interface PendingExchange {
  startedAt: number;
  /** performance.now() at the request head: latencies are measured from here. */
  t0: number;
  request: RequestRecord | null;
  /** performance.now() when the request was complete and its reply became due; null until then. */
  dueAt: number | null;
  requestBody: BodySink | null;
  firstByteAt: number | null;
  reply: ReplyRecord | null;
  replyBody: BodySink | null;
  done: boolean;
}

export interface ConnectionIdentity {
  connectionId: number;
  client: string;
  upstream: string;
}

/** `request` null: a failure or an unsolicited reply with no request to name it by. */
export function newPendingExchange(request: RequestRecord | null): PendingExchange {
  const t0 = performance.now();
  return { startedAt: Date.now(), t0, request, dueAt: t0, requestBody: null, firstByteAt: null, reply: null, replyBody: null, done: false };
}

/** The finished record (its id is assigned by the capture). */
export function recordOf(who: ConnectionIdentity, exchange: PendingExchange, outcome: OutcomeCode, message?: string): ExchangeRecord {
  if (exchange.request && exchange.requestBody) exchange.requestBody.applyTo(exchange.request);
  if (exchange.reply && exchange.replyBody) exchange.replyBody.applyTo(exchange.reply);
  const record: ExchangeRecord = {
    id: 0,
    connectionId: who.connectionId,
    client: who.client,
    upstream: who.upstream,
    startedAt: exchange.startedAt,
    firstByteMs: exchange.firstByteAt === null ? null : round3(exchange.firstByteAt - exchange.t0),
    latencyMs: round3(performance.now() - exchange.t0),
    request: exchange.request,
    reply: exchange.reply,
    outcome,
  };
  if (message !== undefined) record.error = message;
  return record;
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
