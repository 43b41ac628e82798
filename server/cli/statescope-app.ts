// Assembles the main job: embedded state server (when no upstream is given), proxy, capture,
// dashboard and logs, and takes them down in the right order. Used by the `proxy` command and
// by the tests, so what is tested is what users run.
import net from 'node:net';
import { BoundedLineWriter } from '../capture/bounded-line-writer.ts';
import { formatExchangeLine } from '../capture/exchange-line.ts';
import { JsonlLog } from '../capture/jsonl-log.ts';
import { LiveCapture } from '../capture/live-capture.ts';
import { createSessionItemsDecoding, type SessionItemsMode } from '../capture/session-items-capture.ts';
import { SessionItemsHandoff } from '../capture/session-items-handoff.ts';
import type { InjectionRule } from '../capture/wire-types.ts';
import type { DiagnosisThresholds } from '../capture/diagnosis.ts';
import { startProxy, formatAddress, type RunningProxy } from '../proxy/proxy-server.ts';
import { startStateServer, type RunningStateServer } from '../stateserver/index.ts';
import type { StoreSpec } from '../stateserver/store-spec.ts';
import type { HostPort } from './address.ts';
import { VERSION } from './version.ts';

export interface AppOptions {
  listen: HostPort;
  /** null: start the embedded state server on a free loopback port and forward to it. */
  upstream: HostPort | null;
  /** X-AspNet-Version of the embedded server; null reproduces the missing-header failure. */
  embeddedVersionHeader: string | null;
  /** Store of the embedded state server; default in memory. */
  embeddedStore?: StoreSpec;
  injection: InjectionRule;
  captureBodiesBytes: number;
  /** --session-items: decode the item table of session bodies (absent: off). */
  sessionItems?: SessionItemsMode;
  maxExchanges: number;
  maxCaptureBytes: number;
  connectTimeoutMs: number;
  replyTimeoutMs: number;
  logFile: string | null;
  logMaxBytes: number;
  logKeep: number;
  logExchanges: boolean;
  /** Where --log-exchanges lines and notices go. */
  stdout: NodeJS.WritableStream & { writableLength?: number };
  /** Called for operator-facing notices (injection switched, store full...). */
  notice?: (line: string) => void;
  upstreamProbeMs?: number;
  /** How long a head split across segments is held before its bytes are flushed raw. */
  headHoldMs?: number;
  /** The operator's web.config settings the diagnoses measure against. */
  diagnosisThresholds?: Partial<DiagnosisThresholds>;
  /** A request head begun and not finished after this long closes the connection (client_timeout). */
  headTimeoutMs?: number;
}

export const MIB = 1024 * 1024;

/** Defaults shared by the CLI commands, the benchmarks and the tests. */
export const APP_DEFAULTS = {
  embeddedVersionHeader: '4.0.30319' as string | null,
  injection: { enabled: false, value: '4.0.30319' },
  captureBodiesBytes: 0,
  maxExchanges: 1_000_000,
  maxCaptureBytes: 288 * MIB,
  connectTimeoutMs: 5000,
  replyTimeoutMs: 10_000,
  logFile: null as string | null,
  logMaxBytes: 100 * MIB,
  logKeep: 5,
  logExchanges: false,
} satisfies Partial<AppOptions>;

export interface RunningApp {
  proxy: RunningProxy;
  capture: LiveCapture;
  embedded: RunningStateServer | null;
  upstreamLabel: string;
  close(graceMs?: number): Promise<void>;
}

export async function startApp(options: AppOptions): Promise<RunningApp> {
  const notice = options.notice ?? (() => {});
  const embedded = options.upstream
    ? null
    : await startStateServer({
        host: '127.0.0.1',
        port: 0,
        versionHeader: options.embeddedVersionHeader,
        store: options.embeddedStore,
        log: notice,
      });
  const upstream = options.upstream ?? { host: embedded!.host, port: embedded!.port };
  const upstreamLabel = formatAddress(upstream.host, upstream.port);

  let proxy: RunningProxy | null = null;
  const capture = new LiveCapture({
    listen: formatAddress(options.listen.host, options.listen.port),
    upstream: upstreamLabel,
    upstreamEmbedded: embedded !== null,
    version: VERSION,
    injection: options.injection,
    captureBodiesBytes: options.captureBodiesBytes,
    sessionItems: options.sessionItems ?? 'off',
    limits: { maxCount: options.maxExchanges, maxBytes: options.maxCaptureBytes },
    connections: () => proxy?.connections() ?? { client: 0, upstream: 0 },
    log: notice,
    thresholds: options.diagnosisThresholds ?? {},
  });

  const log = options.logFile ? new JsonlLog(options.logFile, { maxBytes: options.logMaxBytes, keep: options.logKeep }) : null;
  if (log) capture.tap((batch) => log.writeRecords(batch));
  if (options.logExchanges) {
    const lines = new BoundedLineWriter(options.stdout as never, (n) => `statescope: ${n} exchange lines dropped (stdout too slow)`);
    capture.tap((batch) => lines.writeLines(batch.map(formatExchangeLine)));
  }

  // Compressed session bodies finish decoding a moment after their exchange: the hand-off
  // keeps records in order while one is held for it (off: straight to the capture).
  const sessionItems = createSessionItemsDecoding(options.sessionItems ?? 'off');
  const handoff = sessionItems ? new SessionItemsHandoff((record) => capture.ingest(record)) : null;

  try {
    proxy = await startProxy({
      host: options.listen.host,
      port: options.listen.port,
      upstreamHost: upstream.host,
      upstreamPort: upstream.port,
      // The same object the dashboard's control changes: the relay reads it on every reply.
      injection: capture.injection,
      captureBodiesBytes: options.captureBodiesBytes,
      sessionItems,
      connectTimeoutMs: options.connectTimeoutMs,
      replyTimeoutMs: options.replyTimeoutMs,
      headHoldMs: options.headHoldMs,
      headTimeoutMs: options.headTimeoutMs,
      // The embedded server's side of each upstream connection is a descriptor of this process too.
      descriptorsPerConnection: embedded ? 3 : 2,
      notice,
      onRecord: handoff ? (record) => handoff.push(record) : (record) => capture.ingest(record),
      onUpstreamStatus: (reachable) => capture.setUpstreamReachable(reachable),
    });
  } catch (err) {
    await embedded?.close();
    await log?.close();
    throw err;
  }
  capture.setListenAddress(proxy.address); // the real port when asked for port 0

  // Real traffic already tells us whether the upstream answers; probe only when it has been
  // quiet, so a busy state server does not also see statescope's empty probe connections.
  const probeEveryMs = options.upstreamProbeMs ?? 15_000;
  const probe = () => {
    const checkedAt = capture.state().upstreamCheckedAt;
    if (checkedAt !== null && Date.now() - checkedAt < probeEveryMs) return;
    void probeUpstream(upstream).then((ok) => capture.setUpstreamReachable(ok));
  };
  probe();
  const probeTimer = setInterval(probe, probeEveryMs);
  probeTimer.unref();

  return {
    proxy,
    capture,
    embedded,
    upstreamLabel,
    async close(graceMs = 5000) {
      clearInterval(probeTimer);
      await proxy!.close(graceMs);
      await handoff?.close();
      capture.flush();
      await log?.close();
      await embedded?.close();
    },
  };
}

/** A connect-only probe: tells the dashboard whether the upstream accepts connections. */
function probeUpstream({ host, port }: HostPort, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
