// `statescope check`: one harmless request (ResetTimeout of a random session id: the server
// answers 404 and changes nothing) and a verdict on what ASP.NET will make of the reply.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import {
  ResponseFramer,
  VERSION_HEADER,
  buildTarget,
  getHeader,
  majorVersion,
  type ResponseHead,
} from '../protocol/index.ts';

export type CheckVerdict = 'healthy' | 'missing-version' | 'old-version' | 'unexpected-reply' | 'unreachable';

export interface CheckResult {
  target: string;
  verdict: CheckVerdict;
  /** 0 healthy, 1 reachable but ASP.NET will fail, 2 unreachable. */
  exitCode: 0 | 1 | 2;
  reachable: boolean;
  connectMs: number | null;
  replyMs: number | null;
  statusLine: string | null;
  versionHeader: { present: boolean; value: string | null; major: number } | null;
  /** One sentence on what was seen. */
  summary: string;
  error: string | null;
}

export interface CheckOptions {
  host: string;
  port: number;
  timeoutMs?: number;
}

const PROBE_APP_ID = '/LM/W3SVC/1/ROOT/statescope-check';

function probeRequest(host: string, port: number): Buffer {
  // Session ids are 24 chars of a-z0-5; this one cannot collide with a real session's key
  // because the app id is ours.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz012345';
  const sessionId = [...randomBytes(24)].map((b) => alphabet[b % 32]).join('');
  const target = buildTarget(PROBE_APP_ID, 'statescope', sessionId);
  return Buffer.from(`HEAD ${target} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`, 'latin1');
}

export function checkStateServer({ host, port, timeoutMs = 5000 }: CheckOptions): Promise<CheckResult> {
  const label = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const base = { target: label, connectMs: null, replyMs: null, statusLine: null, versionHeader: null, error: null };
  return new Promise((resolve) => {
    const t0 = performance.now();
    let connectedAt: number | null = null;
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (result: CheckResult) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    const unreachable = (why: string) =>
      finish({ ...base, connectMs: connectedAt === null ? null : round(connectedAt - t0), verdict: 'unreachable', exitCode: 2, reachable: false, summary: why, error: why });
    const framer = new ResponseFramer({
      onHead: (head) => finish(verdictOf(head, label, round((connectedAt ?? t0) - t0), round(performance.now() - (connectedAt ?? t0)))),
      onMessageEnd: () => {},
      onError: (e) =>
        finish({
          ...base,
          reachable: true,
          connectMs: round((connectedAt ?? t0) - t0),
          verdict: 'unexpected-reply',
          exitCode: 1,
          summary: `${label} accepted the connection but its reply is not of the state-server protocol (${e.message}). Is this really aspnet_state?`,
          error: e.message,
        }),
    });
    framer.expectReplyTo('HEAD');
    socket.setTimeout(timeoutMs, () =>
      unreachable(connectedAt === null ? `no connection to ${label} within ${timeoutMs} ms` : `${label} accepted the connection but sent no reply within ${timeoutMs} ms`),
    );
    socket.once('connect', () => {
      connectedAt = performance.now();
      socket.write(probeRequest(host, port));
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ECONNREFUSED'
          ? `${label} refused the connection: the ASP.NET State Service is not running there, or listens on another port (registry value Port), or only on loopback (AllowRemoteConnection is 0).`
          : `cannot reach ${label}: ${err.code ?? ''} ${err.message}`.trim();
      unreachable(why);
    });
    socket.once('close', () => unreachable(`${label} closed the connection without replying`));
  });
}

function verdictOf(head: ResponseHead, label: string, connectMs: number, replyMs: number): CheckResult {
  const value = getHeader(head.headers, VERSION_HEADER) ?? null;
  const major = majorVersion(value ?? undefined);
  const statusLine = head.raw.toString('latin1').split('\r\n')[0]!;
  const common = { target: label, reachable: true, connectMs, replyMs, statusLine, versionHeader: { present: value !== null, value, major }, error: null };
  if (value === null) {
    return { ...common, verdict: 'missing-version', exitCode: 1, summary: `${label} replied "${statusLine}" without an X-AspNet-Version header.` };
  }
  if (major < 2) {
    return { ...common, verdict: 'old-version', exitCode: 1, summary: `${label} replied "${statusLine}" with X-AspNet-Version: ${value}, a version below 2.0.` };
  }
  if (head.status === 400) {
    return { ...common, verdict: 'unexpected-reply', exitCode: 1, summary: `${label} answered 400 Bad Request to a well-formed request.` };
  }
  return { ...common, verdict: 'healthy', exitCode: 0, summary: `${label} replied "${statusLine}" with X-AspNet-Version: ${value}.` };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
