// `statescope` / `statescope proxy`: the main job.
import { Command, InvalidArgumentError, Option } from 'commander';
import { validateInjectionValue } from '../capture/live-capture.ts';
import { parseSessionItemsMode, type SessionItemsMode } from '../capture/session-items-capture.ts';
import { DEFAULT_INJECTED_VERSION } from '../proxy/injection.ts';
import { DEFAULT_HEAD_TIMEOUT_MS } from '../proxy/proxy-server.ts';
import { hostPortOption, parseHostPort, STATE_SERVER_PORT, type HostPort } from './address.ts';
import { addDiagnosisOptions, thresholdsFrom, type DiagnosisOptionValues } from './diagnosis-options.ts';
import { runMainJob, type MainJobOptions } from './main-job.ts';
import { storeOption } from './server-command.ts';
import type { StoreSpec } from '../stateserver/store-spec.ts';
import { APP_DEFAULTS, MIB } from './statescope-app.ts';

export const DEFAULT_PROXY_LISTEN = '127.0.0.1:42425';
export const DEFAULT_DASHBOARD_LISTEN = '127.0.0.1:42426';

export function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number, got "${value}"`);
    return Number(value);
  };
}

export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got "${value}"`);
    return n;
  };
}

/** --session-items[=hashed]: shared by `proxy` and `demo`. */
export function sessionItemsOption(): Option {
  return new Option(
    '--session-items [hashed]',
    'show what is in each session: item names, types and sizes, never values (=hashed: key names as short per-run hashes)',
  )
    .argParser((value: string) => {
      try {
        return parseSessionItemsMode(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    })
    .preset('names')
    .default('off');
}

function versionValue(value: string): string {
  const problem = validateInjectionValue(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

export interface ProxyCommandOptions extends DiagnosisOptionValues {
  listen: HostPort;
  upstream?: HostPort;
  embeddedVersionHeader: string | false;
  store?: StoreSpec;
  injectVersion?: string | true;
  captureBodies: number;
  sessionItems: SessionItemsMode;
  maxExchanges: number;
  maxCaptureMb: number;
  dashboard: HostPort | false;
  token?: string;
  log?: string;
  logMaxMb: number;
  logKeep: number;
  logExchanges?: boolean;
  upstreamTimeout: number;
  headTimeout: number;
  connectTimeout: number;
  shutdownGrace: number;
}

export function registerProxyCommand(program: Command): Command {
  const command = program
    .command('proxy', { isDefault: true })
    .description('relay ASP.NET session-state traffic to the state server, recording every exchange (the default command)');
  return addProxyOptions(command)
    .addHelpText(
      'after',
      `
Point ASP.NET at the proxy:
  <sessionState mode="StateServer" stateConnectionString="tcpip=127.0.0.1:42425" />

Examples:
  statescope                                          embedded state server upstream, dashboard on ${DEFAULT_DASHBOARD_LISTEN}
  statescope --upstream 10.0.0.5:42424                relay to a real aspnet_state
  statescope --upstream 10.0.0.5:42424 --inject-version
                                                      ...and add X-AspNet-Version: ${DEFAULT_INJECTED_VERSION} where it is missing
  statescope --listen 0.0.0.0:42425 --upstream 10.0.0.5:42424 --no-dashboard --log-exchanges --log capture.jsonl
                                                      headless, for a web farm (the proxy port has no authentication:
                                                      expose it only to your web servers)
  statescope --no-embedded-version-header             watch the version error happen (then: statescope load)
  statescope --upstream 10.0.0.5:42424 --session-items=hashed
                                                      show each session's item names (hashed), types and sizes; never values`,
    )
    .action(async (opts: ProxyCommandOptions, command: Command) => {
      if (opts.store && opts.upstream) command.error('--store is for the embedded state server; it cannot be combined with --upstream');
      await runMainJob(mainJobOptions(opts));
    });
}

/** The main job's options, shared by `proxy` and `demo` (add a main-job option here, once). */
export function addProxyOptions(command: Command): Command {
  command
    .addOption(
      new Option('--listen <host:port>', 'where ASP.NET clients connect (point stateConnectionString here)')
        .argParser(hostPortOption())
        .default(parseHostPort(DEFAULT_PROXY_LISTEN), DEFAULT_PROXY_LISTEN),
    )
    .option('--upstream <host[:port]>', `the real state server (port ${STATE_SERVER_PORT} if left out; default: the embedded state server on a free loopback port)`, hostPortOption('127.0.0.1', STATE_SERVER_PORT))
    .option('--embedded-version-header <value>', 'X-AspNet-Version sent by the embedded state server', DEFAULT_INJECTED_VERSION)
    .option('--no-embedded-version-header', 'run the embedded state server WITHOUT X-AspNet-Version (reproduces the classic failure)')
    .option('--store <memory|redis-url>', "the embedded state server's store: memory (default) or redis://[user:pass@]HOST:PORT[/DB]", storeOption)
    .addOption(
      new Option('--inject-version [value]', `insert X-AspNet-Version into replies that lack it (value default ${DEFAULT_INJECTED_VERSION})`).argParser(versionValue),
    )
    .option('--capture-bodies <bytes>', 'keep up to this many bytes of each body (session data is private: off by default)', positiveInt('--capture-bodies'), 0)
    .addOption(sessionItemsOption())
    .option('--max-exchanges <n>', 'exchanges kept in memory for the dashboard', positiveInt('--max-exchanges'), APP_DEFAULTS.maxExchanges)
    .option('--max-capture-mb <mb>', 'memory ceiling of the kept exchanges, in MiB', positiveNumber('--max-capture-mb'), APP_DEFAULTS.maxCaptureBytes / MIB)
    .addOption(
      new Option('--dashboard <host:port>', 'where the dashboard listens (loopback by default; other addresses require a token)')
        .argParser(hostPortOption())
        .default(parseHostPort(DEFAULT_DASHBOARD_LISTEN), DEFAULT_DASHBOARD_LISTEN),
    )
    .option('--no-dashboard', 'run headless: no dashboard listener')
    .option('--token <token>', 'dashboard access token (generated when --dashboard is not loopback)')
    .option('--log <file>', 'append every exchange as a JSON line to FILE')
    .option('--log-max-mb <mb>', 'rotate the --log file when it reaches this many MiB (fractions allowed, e.g. 0.5); older files are FILE.1, FILE.2, ...', positiveNumber('--log-max-mb'), APP_DEFAULTS.logMaxBytes / MIB)
    .option('--log-keep <n>', 'rotated log files kept (FILE.1 ... FILE.N); older ones are deleted', positiveInt('--log-keep'), APP_DEFAULTS.logKeep)
    .option('--log-exchanges', 'print one line per exchange on stdout')
    .option('--upstream-timeout <seconds>', 'close the client when the upstream stays silent this long while a reply is due', positiveNumber('--upstream-timeout'), APP_DEFAULTS.replyTimeoutMs / 1000)
    .option('--head-timeout <seconds>', 'close a client that began a request head and did not finish it within this time, or stalled this long mid-body (idle pooled connections are never closed)', positiveNumber('--head-timeout'), DEFAULT_HEAD_TIMEOUT_MS / 1000)
    .option('--connect-timeout <seconds>', 'give up connecting to the upstream after this long', positiveNumber('--connect-timeout'), APP_DEFAULTS.connectTimeoutMs / 1000)
    .option('--shutdown-grace <seconds>', 'on SIGINT/SIGTERM, let exchanges in flight finish for up to this long', positiveNumber('--shutdown-grace'), 5);
  return addDiagnosisOptions(command);
}

/** What the main job's options mean for the assembly (shared with `demo`). */
export function mainJobOptions(opts: ProxyCommandOptions): MainJobOptions {
  return {
    app: {
      listen: opts.listen,
      upstream: opts.upstream ?? null,
      embeddedVersionHeader: opts.embeddedVersionHeader === false ? null : opts.embeddedVersionHeader,
      embeddedStore: opts.store,
      injection: {
        enabled: opts.injectVersion !== undefined,
        value: typeof opts.injectVersion === 'string' ? opts.injectVersion : DEFAULT_INJECTED_VERSION,
      },
      captureBodiesBytes: opts.captureBodies,
      sessionItems: opts.sessionItems,
      maxExchanges: opts.maxExchanges,
      maxCaptureBytes: Math.round(opts.maxCaptureMb * 1024 * 1024),
      connectTimeoutMs: opts.connectTimeout * 1000,
      replyTimeoutMs: opts.upstreamTimeout * 1000,
      headTimeoutMs: opts.headTimeout * 1000,
      logFile: opts.log ?? null,
      logMaxBytes: Math.round(opts.logMaxMb * 1024 * 1024),
      logKeep: opts.logKeep,
      logExchanges: opts.logExchanges ?? false,
      diagnosisThresholds: thresholdsFrom(opts),
    },
    dashboard: opts.dashboard === false ? null : opts.dashboard,
    token: opts.token,
    shutdownGraceMs: opts.shutdownGrace * 1000,
  };
}
