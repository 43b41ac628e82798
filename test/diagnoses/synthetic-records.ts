// Exchange records as the relay builds them, for feeding the rules directly (the bench and the
// hostile-input test); the scenario tests use real traffic instead.
import type { ExchangeRecord, ReplyRecord, RequestKind, RequestRecord } from '../../server/capture/wire-types.ts';

export interface Synthetic {
  id: number;
  at?: number;
  kind?: RequestKind;
  sessionId?: string;
  appId?: string;
  appHash?: string;
  requestCookie?: string | null;
  requestBytes?: number;
  requestDigest?: string;
  status?: number | null;
  replyCookie?: string | null;
  lockAge?: number | null;
  replyBytes?: number;
  replyDigest?: string;
  latencyMs?: number | null;
  outcome?: ExchangeRecord['outcome'];
  client?: string;
}

export function syntheticRecord(s: Synthetic): ExchangeRecord {
  const appId = s.appId ?? '/LM/W3SVC/1/ROOT/WebApp';
  const appHash = s.appHash ?? 'Rwn2B76J1oVKzRkl+KpWkuKfxf+l/tgZNAeuLju3xIo=';
  const sessionId = s.sessionId ?? 'q0jx2fo1wkbnu5dzh3vrap4c';
  const request: RequestRecord = {
    verb: 'GET',
    kind: s.kind ?? 'GetExclusive',
    target: `${appId}(${appHash})/${sessionId}`,
    appId,
    appHash,
    sessionId,
    headers: [],
    head: 'GET x HTTP/1.1\r\nTimeout: 20\r\n\r\n',
    bodySize: s.requestBytes ?? 0,
    lockCookie: s.requestCookie ?? null,
    ...(s.requestDigest !== undefined ? { bodyDigest: s.requestDigest } : {}),
  };
  const reply: ReplyRecord | null =
    s.status === null
      ? null
      : {
          protocol: null,
          status: s.status ?? 200,
          reason: 'OK',
          headers: [],
          head: '200 OK\r\n\r\n',
          bodySize: s.replyBytes ?? 0,
          versionHeader: { present: true, value: '4.0.30319', major: 4 },
          injected: false,
          lockCookie: s.replyCookie ?? null,
          lockAgeSeconds: s.lockAge ?? null,
          lockDateTicks: null,
          actionFlags: null,
          ...(s.replyDigest !== undefined ? { bodyDigest: s.replyDigest } : {}),
        };
  return {
    id: s.id,
    connectionId: 1,
    client: s.client ?? '127.0.0.1:50000',
    upstream: '127.0.0.1:42424',
    startedAt: s.at ?? 1_700_000_000_000 + s.id,
    firstByteMs: 0.1,
    latencyMs: s.latencyMs === undefined ? 0.2 : s.latencyMs,
    request,
    reply,
    outcome: s.outcome ?? 'ok',
  };
}
