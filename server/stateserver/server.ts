// The listener: wires sockets to connections, connections to the store, and owns the sweep
// timer and the shutdown that closes every open connection along with the listener.
import net, { type AddressInfo, type Socket } from 'node:net';
import type { FramerLimits } from '../protocol/framer.ts';
import { serveConnection } from './connection.ts';
import { executeRequest, type OperationContext } from './operations.ts';
import { MemoryStore } from './memory-store.ts';
import { RateLimitedLog } from './rate-limited-log.ts';
import type { StateStore, StoreStats } from './store.ts';
import { MEMORY_STORE, type StoreSpec } from './store-spec.ts';

export interface StateServerOptions {
  /** Default 127.0.0.1: like aspnet_state without AllowRemoteConnection, loopback only. */
  host?: string;
  /** Default 42424; 0 picks a free port (read it back from `port`). */
  port?: number;
  /** X-AspNet-Version value; null sends no version header at all. Default 4.0.30319. */
  versionHeader?: string | null;
  /** Connections idle this long are closed; 0 never. Default 120000. */
  idleTimeoutMs?: number;
  /** Ceiling on the total of stored bodies; a Set beyond it gets 500. Default 256 MiB. */
  maxStoredBytes?: number;
  limits?: Partial<FramerLimits>;
  /**
   * Clock in Unix ms, for tests; default Date.now (for Redis: Redis's own clock, so servers on
   * different machines agree on expiry and lock age).
   */
  now?: () => number;
  /** UTC minus local, as Date#getTimezoneOffset; default the host's zone. Affects LockDate only. */
  timezoneOffsetMinutes?: number;
  log?: (line: string) => void;
  /** Where items live; default in memory. */
  store?: StoreSpec;
}

export interface RunningStateServer {
  host: string;
  port: number;
  /** host:port ([v6]:port for IPv6). */
  address: string;
  /** Closes the listener and every open connection. */
  close(): Promise<void>;
  /**
   * Counters. `items` and `storedBytes` are exact for the in-memory store; for Redis they are the
   * last figures read (at startup, by the sweep or by storeStats()).
   */
  stats(): ServerStats;
  /** The store's own figures, read now (for Redis: shared by every server on it). */
  storeStats(): Promise<StoreStats>;
  /** What the store is ("memory", "redis://host:port/0" without the password). */
  storeLabel: string;
}

export interface ServerStats extends StoreStats {
  connections: number;
  requests: number;
  /** Requests whose connection was closed because the store failed (Redis down, timed out). */
  storeFailures: number;
}

export const DEFAULT_STATE_SERVER_HOST = '127.0.0.1';
export const DEFAULT_STATE_SERVER_PORT = 42424;
export const DEFAULT_VERSION_HEADER = '4.0.30319';
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_STORED_BYTES = 256 * 1024 * 1024;

/** Expired items are also dropped on access; the sweep only bounds what idle sessions hold. */
const SWEEP_INTERVAL_MS = 60_000;
const LOG_INTERVAL_MS = 10_000;

export async function startStateServer(options: StateServerOptions = {}): Promise<RunningStateServer> {
  const host = options.host ?? DEFAULT_STATE_SERVER_HOST;
  const port = options.port ?? DEFAULT_STATE_SERVER_PORT;
  const versionHeader = options.versionHeader === undefined ? DEFAULT_VERSION_HEADER : options.versionHeader;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxStoredBytes = options.maxStoredBytes ?? DEFAULT_MAX_STORED_BYTES;
  checkOptions(port, idleTimeoutMs, maxStoredBytes, versionHeader);

  const now = options.now ?? Date.now;
  const write = options.log ?? (() => {});
  const storeFullLog = new RateLimitedLog(write, now, LOG_INTERVAL_MS);
  const protocolErrorLog = new RateLimitedLog(write, now, LOG_INTERVAL_MS);
  const store = await openStore(options.store ?? MEMORY_STORE, options.now, write);
  const storeFailureLog = new RateLimitedLog(write, Date.now, LOG_INTERVAL_MS);
  const sockets = new Set<Socket>();
  let requests = 0;
  let storeFailures = 0;
  let lastStoreStats: StoreStats = { items: 0, storedBytes: 0 };
  const readStoreStats = async (): Promise<StoreStats> => (lastStoreStats = await store.stats());

  const context: OperationContext = {
    store,
    timezoneOffsetMinutes: options.timezoneOffsetMinutes,
    maxStoredBytes,
    onStoreFull(key, stored, max, requested, detail) {
      const why = detail ?? `${stored} bytes of ${max}`;
      storeFullLog.log(`statescope server: store full (${why}), Set of ${requested} bytes for ${printable(key)} refused`);
    },
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveConnection(socket, {
      limits: options.limits ?? {},
      idleTimeoutMs,
      versionHeader,
      execute(request) {
        requests++;
        return executeRequest(context, request);
      },
      onProtocolError(error, s) {
        protocolErrorLog.log(
          `statescope server: bad request from ${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'} (${error.code}: ${error.message}), answered 400 and closed`,
        );
      },
      onStoreFailure(error, s) {
        storeFailures++;
        storeFailureLog.log(
          `statescope server: store unavailable (${(error as Error).message}), closed the connection from ${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'} without a reply (${storeFailures} so far)`,
        );
      },
    });
  });

  // Redis: the figures stats() reports until the first sweep (an unreachable Redis is logged).
  if (!(store instanceof MemoryStore)) await readStoreStats().catch(() => {});
  try {
    await listen(server, host, port);
  } catch (error) {
    await store.close();
    throw error;
  }
  // Errors after startup (e.g. EMFILE on accept) must not crash the host process.
  server.on('error', (error) => write(`statescope server: listener error: ${error.message}`));
  const sweep = setInterval(() => {
    // A failing store is logged where it fails; the sweep just tries again next time.
    Promise.resolve()
      .then(() => store.purgeExpired())
      .then(readStoreStats)
      .catch(() => {});
  }, SWEEP_INTERVAL_MS);
  sweep.unref();

  const bound = server.address() as AddressInfo;
  let closing: Promise<void> | null = null;

  return {
    host: bound.address,
    port: bound.port,
    address: bound.address.includes(':') ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(sweep);
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }).then(() => store.close());
      return closing;
    },
    stats() {
      const live = store instanceof MemoryStore ? store.stats() : lastStoreStats;
      return { ...live, connections: sockets.size, requests, storeFailures };
    },
    storeStats: async () => readStoreStats(),
    storeLabel: store.label,
  };
}

/** How long startup waits for Redis before listening anyway (requests fail until it answers). */
const STORE_READY_TIMEOUT_MS = 5000;

async function openStore(spec: StoreSpec, now: (() => number) | undefined, log: (line: string) => void): Promise<StateStore> {
  if (spec.kind === 'memory') return new MemoryStore(now ?? Date.now);
  // Loaded only for a Redis store. ioredis subclasses String (its VerbatimString), and loading
  // it turns String.prototype into a dictionary: from then on V8's optimized code looks up every
  // string method (indexOf, charCodeAt, slice) through a generic inline cache, which was 7.8% of
  // the relay's CPU in perf. The relay and the in-memory server never load it.
  const { RedisStore } = await import('./redis-store.ts');
  const store = new RedisStore({ url: spec.url, keyPrefix: spec.keyPrefix, now, log });
  if (!(await store.ready(STORE_READY_TIMEOUT_MS))) {
    log(`statescope server: Redis store ${store.label} not reachable yet; listening anyway, closing connections until it answers`);
  }
  return store;
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function checkOptions(port: number, idleTimeoutMs: number, maxStoredBytes: number, versionHeader: string | null): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be 0-65535, got ${port}`);
  if (!(idleTimeoutMs >= 0)) throw new RangeError(`idleTimeoutMs must be >= 0, got ${idleTimeoutMs}`);
  if (!(maxStoredBytes >= 0)) throw new RangeError(`maxStoredBytes must be >= 0, got ${maxStoredBytes}`);
  // The value goes into a header line verbatim; a line break would forge headers.
  if (versionHeader !== null && /[\r\n]/.test(versionHeader)) {
    throw new RangeError('versionHeader must not contain CR or LF');
  }
}

/** Keys are decoded client text; keep control characters out of log lines. */
function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
