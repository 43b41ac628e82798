// `statescope load`: drives a state server (normally through the proxy) with the ASP.NET
// client emulator, many users at once, and reports what it saw. Errors are results here, so
// the exit code is 0 whenever the run itself happened, unless --max-errors sets a threshold
// for scripts (then 3 past it); 2 means the arguments were wrong.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_APP_ID } from '../client/app-hash.ts';
import { formatProgress, formatReport } from '../client/report.ts';
import { startScenario, type ScenarioRun } from '../client/scenario.ts';
import { chooseScenarioSettings, findScenario, SCENARIO_NAMES, scenarioHelp } from '../client/scenarios.ts';
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
  maxErrors?: ErrorThreshold;
  scenario: string;
  largeSessionKb: number;
  json?: boolean;
  compressSessions?: boolean;
}

/** --max-errors: a count of errors, or a share of the operations sent. */
interface ErrorThreshold {
  text: string;
  count?: number;
  percent?: number;
}

/** statescope's proxy listens here by default, one above the state server's 42424. */
const DEFAULT_TARGET: HostPort = { host: '127.0.0.1', port: 42425 };
const EXIT_TOO_MANY_ERRORS = 3;

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
  $ statescope load --scenario orphaned-locks --duration 60
      reproduce a diagnosis (start the proxy with the same --execution-timeout,
      10 s for this scenario unless you give one)

Scenarios (--scenario NAME; the dashboard's diagnoses name what each shows):
${scenarioHelp('  ')}

Each user plays pages as SessionStateModule does: GetExclusive (404: CreateUninitialized
and again; 423: poll every 500 ms, breaking locks older than --execution-timeout), then
Set or ReleaseExclusive; some pages are read-only (Get), keep-alive (HEAD) or Abandon
(DELETE). Errors are counted, not fatal: the exit code is 0 after a run, 2 on bad arguments;
with --max-errors N (or P%), 3 when the run had more errors than that, for scripts:
  $ statescope load --duration 30 --max-errors 0 || echo "session state is failing"
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
    .addOption(new Option('--scenario <name>', 'what the emulated application does wrong (see the list below)').choices(SCENARIO_NAMES).default('healthy'))
    .option('--large-session-kb <kb>', 'large-sessions scenario: items are sized around this (the proxy\'s --large-session-kb)', number(1), 1024)
    .option('--max-errors <n|p%>', `exit with code ${EXIT_TOO_MANY_ERRORS} when the run has more errors than N, or than P% of its operations`, errorThreshold)
    .option('--json', 'print the report as JSON instead of text')
    .option('--compress-sessions', 'write session bodies as compressionEnabled="true" does (raw Deflate + 0xFF)')
    .addHelpText('after', EXAMPLES)
    .action(async (opts: LoadOptions, command: Command) => {
      const controller = new AbortController();
      const scenario = findScenario(opts.scenario)!;
      const chosen = chooseScenarioSettings(
        scenario,
        { executionTimeoutSeconds: opts.executionTimeout, networkTimeoutSeconds: opts.networkTimeout, sessions: opts.sessions, rate: opts.rate },
        (name) => command.getOptionValueSource(name) === 'default',
      );
      if (scenario.loadNote) process.stderr.write(`statescope load --scenario ${scenario.name}: ${scenario.loadNote}\n`);
      const base = {
        host: opts.target.host,
        port: opts.target.port,
        appId: opts.appId,
        sessions: chosen.sessions,
        durationSeconds: opts.duration,
        rate: chosen.rate,
        restartEverySeconds: opts.restartEvery,
        networkTimeoutSeconds: chosen.networkTimeoutSeconds,
        executionTimeoutSeconds: chosen.executionTimeoutSeconds,
        compressSessions: opts.compressSessions ?? false,
        signal: controller.signal,
        scenario: scenario.name,
      };
      const run = startScenario(scenario.apply(base, { largeSessionKb: opts.largeSessionKb }));
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
      if (opts.maxErrors && tooManyErrors(report.errorsTotal, report.operationsTotal, opts.maxErrors)) {
        process.stderr.write(`statescope load: ${report.errorsTotal} errors in ${report.operationsTotal} operations, more than --max-errors ${opts.maxErrors.text}\n`);
        process.exitCode = EXIT_TOO_MANY_ERRORS;
      }
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

function errorThreshold(value: string): ErrorThreshold {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError(`expected a number of errors (e.g. 0) or a percentage (e.g. 1%), got "${value}"`);
  const n = Number(m[1]);
  if (m[2] === '%') {
    if (n > 100) throw new InvalidArgumentError(`a percentage must be 0-100, got "${value}"`);
    return { text: value.trim(), percent: n };
  }
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`a number of errors must be whole, got "${value}"`);
  return { text: value.trim(), count: n };
}

export function tooManyErrors(errors: number, operations: number, threshold: ErrorThreshold): boolean {
  if (threshold.count !== undefined) return errors > threshold.count;
  // With no operations at all, any error is too many (a target that never answered).
  return operations === 0 ? errors > 0 : (errors / operations) * 100 > threshold.percent!;
}

function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty');
  return value;
}
