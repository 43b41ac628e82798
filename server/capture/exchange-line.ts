// One human-readable line per exchange, for --log-exchanges (headless use).
import { versionStateOf } from './summary.ts';
import type { ExchangeRecord } from './wire-types.ts';

const VERSION_MARK = { present: 'ver:present', missing: 'ver:MISSING', injected: 'ver:injected', none: 'ver:-' } as const;

export function formatExchangeLine(r: ExchangeRecord): string {
  const time = new Date(r.startedAt).toISOString().slice(11, 23);
  const op = r.request?.kind ?? '-';
  const session = r.request?.sessionId ?? '-';
  const status = r.reply ? `${r.reply.status}` : '---';
  const shown = r.reply?.versionHeader.value ?? r.reply?.injectedLine?.slice(r.reply.injectedLine.indexOf(':') + 2);
  const version = VERSION_MARK[versionStateOf(r)] + (shown ? `(${shown})` : '');
  const cookie = r.reply?.lockCookie ?? r.request?.lockCookie;
  const latency = r.latencyMs === null ? '-' : `${r.latencyMs.toFixed(2)}ms`;
  const parts = [time, `#${r.id}`, `c${r.connectionId}`, r.client, op.padEnd(19), status, version, `session=${session}`];
  if (cookie) parts.push(`cookie=${cookie}`);
  parts.push(latency);
  if (r.outcome !== 'ok') parts.push(`${r.outcome}: ${r.error ?? ''}`);
  return parts.join(' ');
}
