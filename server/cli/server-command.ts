// `statescope server`: runs the embedded state server in the foreground, e.g. as the upstream
// for the proxy on a machine without aspnet_state, or to reproduce the missing-version failure.
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_STORED_BYTES,
  DEFAULT_STATE_SERVER_HOST,
  DEFAULT_STATE_SERVER_PORT,
  DEFAULT_VERSION_HEADER,
  startStateServer,
  type RunningStateServer,
} from '../stateserver/index.ts';
import { describeStore, MEMORY_STORE, parseStoreSpec, type StoreSpec } from '../stateserver/store-spec.ts';
import { formatHostPort, hostPortOption, type HostPort } from './address.ts';
import type { ServerMetrics } from './server-metrics.ts';
import { onShutdownSignal } from './shutdown.ts';

interface ServerCommandOptions {
  listen: HostPort;
  /** A string, or false after --no-version-header. */
  versionHeader: string | false;
  idleTimeout: number;
  maxStoredBytes: number;
  store: StoreSpec;
  metrics?: HostPort;
}

const DEFAULT_LISTEN: HostPort = { host: DEFAULT_STATE_SERVER_HOST, port: DEFAULT_STATE_SERVER_PORT };

const EXAMPLES = `
Examples:
  $ statescope server
      listen on 127.0.0.1:42424 and answer like aspnet_state 4.x
  $ statescope server --listen 127.0.0.1:42425
      run beside a real state server (point the proxy's upstream here)
  $ statescope server --no-version-header
      omit X-AspNet-Version, as a state server with enableVersionHeader="false" in its
      machine-level config does; the first request of each ASP.NET app then fails with
      "Unable to use session state server because this version of ASP.NET requires
      session state server version 2.0 or above."
  $ statescope server --version-header 2.0.50727 --max-stored-bytes 64m
      pose as the 2.0 state service and keep at most 64 MiB of session data
  $ statescope server --listen 0.0.0.0:42424 --store redis://10.0.0.7:6379/0
      keep sessions in Redis: they survive a restart, and every statescope server on
      the same Redis serves the same sessions (put two behind a TCP load balancer)

Port 0 picks a free port; the line printed at startup shows the real one.
Stop with Ctrl+C.
`;

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .summary('run a state server that answers like aspnet_state')
    .description(
      'Run an embedded ASP.NET state server (sessionState mode="StateServer") that answers ' +
        "byte-for-byte like Microsoft's aspnet_state: sessions, locks, sliding expiry and the " +
        'X-AspNet-Version header. Data lives in memory, or in Redis with --store.',
    )
    .addOption(
      new Option('--listen <host:port>', 'address to listen on ([v6]:port for IPv6; port 0 = any free port)')
        .argParser(hostPortOption(DEFAULT_STATE_SERVER_HOST))
        .default(DEFAULT_LISTEN, formatHostPort(DEFAULT_LISTEN)),
    )
    .option('--version-header <value>', 'X-AspNet-Version value sent on every reply', DEFAULT_VERSION_HEADER)
    .option('--no-version-header', 'send no X-AspNet-Version header (reproduces the version-check failure)')
    .option(
      '--idle-timeout <seconds>',
      'close connections idle this long (0 = never)',
      parseSeconds,
      DEFAULT_IDLE_TIMEOUT_MS / 1000,
    )
    .option(
      '--max-stored-bytes <n>',
      'ceiling on stored session bytes; Sets beyond it get 500 (suffix k, m or g for KiB, MiB, GiB)',
      parseByteCount,
      DEFAULT_MAX_STORED_BYTES,
    )
    .addOption(
      new Option('--store <memory|redis-url>', 'where sessions live: memory, or redis://[user:pass@]HOST:PORT[/DB] (shared by every server on it)')
        .argParser(storeOption)
        .default(MEMORY_STORE, 'memory'),
    )
    .option('--metrics <host:port>', 'serve Prometheus metrics (requests, store failures, sessions, bytes) at http://HOST:PORT/metrics', hostPortOption())
    .addHelpText('after', EXAMPLES)
    .action(async (opts: ServerCommandOptions, command: Command) => {
      const versionHeader = opts.versionHeader === false ? null : opts.versionHeader;
      let server: RunningStateServer;
      try {
        server = await startStateServer({
          host: opts.listen.host,
          port: opts.listen.port,
          versionHeader,
          idleTimeoutMs: Math.round(opts.idleTimeout * 1000),
          maxStoredBytes: opts.maxStoredBytes,
          store: opts.store,
          log: (line) => console.error(line),
        });
      } catch (error) {
        command.error(`statescope server: cannot listen on ${formatHostPort(opts.listen)}: ${(error as Error).message}`, {
          exitCode: 1,
        });
      }
      const header =
        versionHeader === null
          ? 'no X-AspNet-Version header: ASP.NET clients will fail their version check'
          : `X-AspNet-Version: ${versionHeader}`;
      const store = opts.store.kind === 'memory' ? '' : `, sessions in ${describeStore(opts.store)}`;
      let metrics: ServerMetrics | null = null;
      if (opts.metrics) {
        try {
          // Loaded only when asked for: prom-client is not needed to start, nor for --help.
          const { startServerMetrics } = await import('./server-metrics.ts');
          metrics = await startServerMetrics(server, opts.metrics);
        } catch (error) {
          await server.close();
          command.error(`statescope server: cannot serve metrics on ${formatHostPort(opts.metrics)}: ${(error as Error).message}`, { exitCode: 1 });
        }
      }
      // Before the startup line: whoever reads it may stop us at once, and must get the graceful stop.
      stopOnSignal(server, metrics);
      console.log(`statescope state server listening on ${formatHostPort(server)} (${header}${store})${metrics ? `\nstatescope state server metrics: ${metrics.url}` : ''}`);
    });
}

function stopOnSignal(server: RunningStateServer, metrics: ServerMetrics | null): void {
  onShutdownSignal(async (signal) => {
    await Promise.all([server.close(), metrics?.close()]);
    console.log(`statescope state server stopped (${signal})`);
  });
}

/** Also used by the proxy's --store (the embedded upstream's store). */
export function storeOption(value: string): StoreSpec {
  try {
    return parseStoreSpec(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError(`expected a number of seconds >= 0, got "${value}"`);
  }
  return n;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function parseByteCount(value: string): number {
  const m = /^(\d+)\s*(?:([kmg])(?:i?b)?|b)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected a byte count such as 268435456 or 256m, got "${value}"`);
  const n = Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]!;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`byte count too large: "${value}"`);
  return n;
}
