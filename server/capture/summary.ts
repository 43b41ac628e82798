// The compact form of a record that the dashboard feed streams (details are fetched by id).
import type { ExchangeRecord, ExchangeSummary, VersionState } from './wire-types.ts';

export function versionStateOf(record: ExchangeRecord): VersionState {
  const reply = record.reply;
  if (!reply) return 'none';
  if (reply.injected) return 'injected';
  return reply.versionHeader.present ? 'present' : 'missing';
}

export function toSummary(record: ExchangeRecord): ExchangeSummary {
  const { request, reply } = record;
  return {
    id: record.id,
    connectionId: record.connectionId,
    client: record.client,
    startedAt: record.startedAt,
    latencyMs: record.latencyMs,
    kind: request?.kind ?? null,
    verb: request?.verb ?? null,
    sessionId: request?.sessionId ?? null,
    appId: request?.appId ?? null,
    appHash: request?.appHash ?? null,
    status: reply?.status ?? null,
    version: versionStateOf(record),
    versionValue: reply?.versionHeader.value ?? null,
    lockCookie: reply?.lockCookie ?? request?.lockCookie ?? null,
    lockAgeSeconds: reply?.lockAgeSeconds ?? null,
    // Heads are latin1 text, one character per byte: the length is the byte count.
    requestBytes: request ? request.head.length + request.bodySize : 0,
    replyBytes: reply ? reply.head.length + reply.bodySize : 0,
    outcome: record.outcome,
  };
}
