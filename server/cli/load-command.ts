// `statescope load`: drives a state server (normally through the proxy) with the ASP.NET
// client emulator, many users at once, and reports what it saw. Errors are results here, so
// the exit code is 0 whenever the run itself happened; 2 means the arguments were wrong.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_APP_ID } from '../client/app-hash.ts';
import { formatProgress, formatReport } from '../client/report.ts';
import { startScenario, type ScenarioRun } from '../client/scenario.ts';
import { formatHostPort, hostPortOption, type HostPort } from './address.ts';

interface LoadOptions {
  target: HostPort;
  sessions: number;
  duration: number;
  rate: number;
  restartEvery: number;
  appId: string;
  networkTimeout: number;
  executionTimeout: number;
  json?: boolean;
  compressSessions?: boolean;
}

/** statescope's proxy listens here by default, one above the state server's 42424. */
const DEFAULT_TARGET: HostPort = { host: '127.0.0.1', port: 42425 };
const EXIT_BAD_ARGUMENTS = 2;

const EXAMPLES = `
Examples:
  $ statescope load
      20 users for 10 s against the proxy on 127.0.0.1:42425
  $ statescope load --target 127.0.0.1:42424 --sessions 100 --duration 60 --rate 500
      500 pages/s straight at a state server, one minute
  $ statescope load --restart-every 5
      restart the emulated app every 5 s: each restart checks X-AspNet-Version again, so a
      server without it shows "Unable to use session state server because this version of
      ASP.NET requires session state server version 2.0 or above." once per restart
  $ statescope load --duration 30 --json > run.json

Each user plays pages as SessionStateModule does: GetExclusive (404: CreateUninitialized
and again; 423: poll every 500 ms, breaking locks older than --execution-timeout), then
Set or ReleaseExclusive; some pages are read-only (Get), keep-alive (HEAD) or Abandon
(DELETE). Errors are counted, not fatal: the exit code is 0 after a run, 2 on bad arguments.
While it runs in a terminal, press r to restart the app and q to stop early.
`;

export function registerLoadCommand(program: Command): void {
  program
    .command('load')
    .summary('generate ASP.NET session traffic with the client emulator')
    .description(
      'Emulate ASP.NET applications using sessionState mode="StateServer": many users making page ' +
        'requests, with the real client\'s request bytes, socket pooling, version check and error ' +
        'texts. Prints operations by kind and status, errors by message, latency percentiles and pages/s.',
    )
    .addOption(
      new Option('--target <host:port>', 'state server or statescope proxy to send requests to')
        .argParser(hostPortOption())
        .default(DEFAULT_TARGET, formatHostPort(DEFAULT_TARGET)),
    )
    .option('--sessions <n>', 'simulated users, one session each', wholeNumber(1), 20)
    .option('--duration <seconds>', 'stop after this long', number(0.001), 10)
    .option('--rate <pages/s>', 'pages per second over all users (0 = each user as fast as it can)', number(0), 0)
    .option('--restart-every <seconds>', 'restart the emulated app this often (0 = never)', number(0), 0)
    .option('--app-id <id>', 'HttpRuntime.AppDomainAppId of the emulated app', nonEmpty, DEFAULT_APP_ID)
    .option('--network-timeout <seconds>', 'stateNetworkTimeout: limit for connect, send and receive', number(0.001), 10)
    .option('--execution-timeout <seconds>', 'lock age at which a waiting page breaks the lock', number(0), 110)
    .option('--json', 'print the report as JSON instead of text')
    .option('--compress-sessions', 'write session bodies as compressionEnabled="true" does (raw Deflate + 0xFF)')
    .addHelpText('after', EXAMPLES)
    .exitOverride((error) => {
      // Commander uses 1 for usage errors; keep 1 free for "the tool broke".
      process.exit(error.exitCode === 0 ? 0 : EXIT_BAD_ARGUMENTS);
    })
    .action(async (opts: LoadOptions) => {
      const controller = new AbortController();
      const run = startScenario({
        host: opts.target.host,
        port: opts.target.port,
        appId: opts.appId,
        sessions: opts.sessions,
        durationSeconds: opts.duration,
        rate: opts.rate,
        restartEverySeconds: opts.restartEvery,
        networkTimeoutSeconds: opts.networkTimeout,
        executionTimeoutSeconds: opts.executionTimeout,
        compressSessions: opts.compressSessions ?? false,
        signal: controller.signal,
      });
      const stopOnSigint = () => controller.abort();
      process.once('SIGINT', stopOnSigint);
      const detachKeys = attachKeys(run);
      const progress = process.stderr.isTTY ? startProgress(run) : null;
      const report = await run.done;
      progress?.stop();
      detachKeys();
      process.off('SIGINT', stopOnSigint);
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
      process.exitCode = 0;
    });
}

function startProgress(run: ScenarioRun): { stop(): void } {
  const timer = setInterval(() => process.stderr.write(`\r${formatProgress(run.snapshot())}\x1b[K`), 1000);
  return {
    stop() {
      clearInterval(timer);
      process.stderr.write('\r\x1b[K');
    },
  };
}

/** r restarts the app, q or Ctrl+C stops; only when stdin is a terminal. */
function attachKeys(run: ScenarioRun): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) return () => {};
  const onKey = (key: Buffer) => {
    const ch = key.toString('latin1');
    if (ch === 'r' || ch === 'R') run.restartApp();
    else if (ch === 'q' || ch === 'Q' || ch === '\u0003') run.stop();
  };
  stdin.setRawMode(true);
  stdin.on('data', onKey);
  stdin.resume();
  return () => {
    stdin.off('data', onKey);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

function number(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min) {
      throw new InvalidArgumentError(`expected a number >= ${min}, got "${value}"`);
    }
    return n;
  };
}

function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min) throw new InvalidArgumentError(`expected a whole number >= ${min}, got "${value}"`);
    return n;
  };
}

function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty');
  return value;
}
