// The proxy listener: accepts ASP.NET clients, pairs each with its own upstream connection,
// feeds finished exchanges to the capture, and shuts down letting in-flight exchanges finish.
import net from 'node:net';
import type { SessionItemsDecoding } from '../capture/session-items-capture.ts';
import type { ExchangeRecord, InjectionRule } from '../capture/wire-types.ts';
import { AcceptDrops } from './accept-drops.ts';
import { defaultMaxConnections } from './descriptor-limit.ts';
import { RelayConnection, type RelayOptions } from './relay-connection.ts';

export const DEFAULT_HEAD_TIMEOUT_MS = 10_000;
/** ASP.NET never pipelines (one request per pooled socket checkout): a few is plenty. */
export const DEFAULT_MAX_IN_FLIGHT = 16;

export interface ProxyOptions {
  host: string;
  port: number;
  upstreamHost: string;
  upstreamPort: number;
  injection: InjectionRule;
  captureBodiesBytes?: number;
  /** --session-items: decode session bodies' item tables (null or absent: off). */
  sessionItems?: SessionItemsDecoding | null;
  connectTimeoutMs?: number;
  replyTimeoutMs?: number;
  headHoldMs?: number;
  /** A request head begun and not complete after this long closes the connection. */
  headTimeoutMs?: number;
  /** Unanswered requests per connection before the relay stops reading that client. */
  maxInFlight?: number;
  failureGraceMs?: number;
  /**
   * Client connections held at once; more are accepted and closed at once (counted, logged).
   * Default: what fits in the descriptor limit, at `descriptorsPerConnection` each.
   */
  maxConnections?: number;
  /** 2: the client's socket and the upstream's; 3 when the upstream runs in this process. */
  descriptorsPerConnection?: number;
  /** Operator-facing notices (rate-limited connection drops). */
  notice?(line: string): void;
  /** Every finished exchange (called synchronously on the relay's path: keep it O(1)). */
  onRecord(record: ExchangeRecord): void;
  onUpstreamStatus?(reachable: boolean): void;
}

export interface RunningProxy {
  host: string;
  port: number;
  address: string;
  connections(): { client: number; upstream: number };
  /** Client connections refused for want of descriptors since start (/metrics). */
  acceptDrops(): number;
  /** Stops accepting, waits up to `graceMs` for exchanges in flight, then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const relays = new Set<RelayConnection>();
  let upstreamSockets = 0;
  let nextConnectionId = 1;
  const upstreamLabel = formatAddress(options.upstreamHost, options.upstreamPort);
  const relayOptions: RelayOptions = {
    upstreamHost: options.upstreamHost,
    upstreamPort: options.upstreamPort,
    upstreamLabel,
    injection: options.injection,
    captureBodiesBytes: options.captureBodiesBytes ?? 0,
    sessionItems: options.sessionItems ?? null,
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    replyTimeoutMs: options.replyTimeoutMs ?? 10_000,
    headHoldMs: options.headHoldMs ?? 1000,
    failureGraceMs: options.failureGraceMs ?? 250,
    headTimeoutMs: options.headTimeoutMs ?? DEFAULT_HEAD_TIMEOUT_MS,
    maxInFlight: Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT),
  };
  const notice = options.notice ?? (() => {});
  const maxConnections = options.maxConnections ?? defaultMaxConnections(options.descriptorsPerConnection ?? 2);
  const drops = new AcceptDrops(notice, () =>
    maxConnections === undefined
      ? 'the process is out of file descriptors; raise the limit (ulimit -n)'
      : `${relays.size} are open, the most this process's descriptor limit allows (${maxConnections}); raise the limit (ulimit -n) or use fewer connections`,
  );
  let outOfDescriptorsAt = Number.NEGATIVE_INFINITY;
  const hooks = {
    record: options.onRecord,
    upstreamStatus: (reachable: boolean) => options.onUpstreamStatus?.(reachable),
    closed: (relay: RelayConnection) => relays.delete(relay),
    upstreamOpened: () => upstreamSockets++,
    upstreamClosed: () => upstreamSockets--,
    outOfDescriptors: (code: string) => {
      // Recorded per exchange (proxy_out_of_descriptors); told to the operator once a minute.
      if (Date.now() - outOfDescriptorsAt < 60_000) return;
      outOfDescriptorsAt = Date.now();
      notice(`out of file descriptors (${code}) opening upstream connections; raise the limit (ulimit -n)`);
    },
  };

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    relays.add(new RelayConnection(nextConnectionId++, client, relayOptions, hooks));
  });
  if (maxConnections !== undefined) server.maxConnections = maxConnections;
  // Past maxConnections Node accepts, closes and tells us; the listener goes on accepting.
  server.on('drop', () => drops.drop());
  // A listener error after start (e.g. EMFILE) must not crash the relay for connected clients.
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EMFILE' || err.code === 'ENFILE') drops.drop();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;

  return {
    host: bound.address,
    port: bound.port,
    address: formatAddress(bound.address, bound.port),
    connections: () => ({ client: relays.size, upstream: upstreamSockets }),
    acceptDrops: () => drops.total,
    async close(graceMs = 5000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Each connection is closed as soon as no exchange is under way on it: no exchange is cut
      // in half, and clients that keep sending cannot hold the shutdown up until the deadline.
      const ended = new Set<RelayConnection>();
      const endIdle = (all: boolean): void => {
        for (const relay of relays) {
          if (ended.has(relay) || (!all && relay.busy)) continue;
          ended.add(relay);
          relay.abort('proxy_shutdown', 'statescope stopped while this exchange was in flight');
        }
      };
      const deadline = Date.now() + graceMs;
      endIdle(false);
      while ([...relays].some((r) => !ended.has(r)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        endIdle(false);
      }
      endIdle(true);
      drops.close();
      await closed;
    },
  };
}
