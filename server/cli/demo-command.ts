// `statescope demo` (npm run demo): the whole story on one machine. The embedded state server
// runs WITHOUT X-AspNet-Version, statescope relays to it, and the client emulator plays users
// with periodic app restarts, so the version error shows up in the dashboard; switching
// injection on in the page makes it stop. It takes the main job's options, so the same story
// can be told against a real state server (--upstream), with a log (--log) or with the
// workaround on from the start (--inject-version). `--scenario NAME` plays another failure
// instead (with the header present), so that its diagnosis shows.
import { Option, type Command } from 'commander';
import { formatReport } from '../client/report.ts';
import { startScenario, type ScenarioReport } from '../client/scenario.ts';
import { startScenarioUpstream, type ScenarioUpstream } from '../client/scenario-upstream.ts';
import { chooseScenarioSettings, findScenario, SCENARIO_NAMES, scenarioHelp } from '../client/scenarios.ts';
import type { StatsSnapshot } from '../capture/wire-types.ts';
import { runMainJob } from './main-job.ts';
import { APP_DEFAULTS } from './statescope-app.ts';
import { addProxyOptions, mainJobOptions, positiveInt, positiveNumber, type ProxyCommandOptions } from './proxy-command.ts';

interface DemoOptions extends ProxyCommandOptions {
  sessions: number;
  rate: number;
  restartEvery: number;
  scenario?: string;
}

export function registerDemoCommand(program: Command): void {
  const command = program
    .command('demo')
    .description('see the missing-version-header failure live: proxy + header-less embedded server + emulated ASP.NET traffic');
  addProxyOptions(command)
    .option('--sessions <n>', 'emulated users', positiveInt('--sessions'), 12)
    .option('--rate <pages>', 'pages per second over all users', positiveNumber('--rate'), 20)
    .option('--restart-every <seconds>', 'restart the emulated app this often (each restart re-checks the version)', positiveNumber('--restart-every'), 10)
    .addOption(new Option('--scenario <name>', 'play another failure instead (the state server then sends the version header)').choices(SCENARIO_NAMES))
    .addHelpText(
      'after',
      `
Unless --embedded-version-header VALUE or --scenario is given, the embedded state server sends
no X-AspNet-Version header. Open the dashboard URL it prints: replies show "missing", the
verdict explains the error ASP.NET throws after each app restart. Switch "Inject
X-AspNet-Version" on and the errors stop. Ctrl+C ends the demo and prints a summary.

Scenarios (--scenario NAME; each makes its diagnosis appear in the dashboard):
${scenarioHelp('  ')}`,
    )
    .action(async (opts: DemoOptions, cmd: Command) => {
      const isDefault = (name: string) => cmd.getOptionValueSource(name) === 'default';
      const scenario = opts.scenario === undefined ? null : findScenario(opts.scenario)!;
      const chosen = scenario
        ? chooseScenarioSettings(
            scenario,
            { executionTimeoutSeconds: opts.executionTimeout, networkTimeoutSeconds: opts.stateNetworkTimeout, sessions: opts.sessions, rate: opts.rate },
            (name) => isDefault(name === 'networkTimeout' ? 'stateNetworkTimeout' : name),
          )
        : null;
      const notice = (line: string) => process.stderr.write(`statescope: ${line}\n`);
      // A scenario that restarts or slows the state server runs its own; the others use the embedded one.
      const upstream: ScenarioUpstream | null = scenario?.server ? await startScenarioUpstream({ ...scenario.server, log: notice }) : null;

      const job = mainJobOptions(opts);
      if (upstream) job.app.upstream = { host: upstream.host, port: upstream.port };
      // The demo's point is the header-less server (a scenario's is its own failure); an explicit value still wins.
      if (isDefault('embeddedVersionHeader')) job.app.embeddedVersionHeader = scenario ? APP_DEFAULTS.embeddedVersionHeader : null;
      if (chosen) job.app.diagnosisThresholds = { ...job.app.diagnosisThresholds, executionTimeoutSeconds: chosen.executionTimeoutSeconds };

      const traffic = new AbortController();
      let report: Promise<ScenarioReport> | null = null;
      const { app } = await runMainJob({
        ...job,
        beforeStop: async () => {
          traffic.abort();
          await report;
        },
        afterStop: async () => {
          await upstream?.close();
          if (report) process.stdout.write(formatSummary(await report, app.capture.stats()));
        },
      });
      const sessions = chosen?.sessions ?? opts.sessions;
      const rate = chosen?.rate ?? opts.rate;
      const base = {
        host: app.proxy.host,
        port: app.proxy.port,
        sessions,
        rate,
        restartEverySeconds: opts.restartEvery,
        durationSeconds: 7 * 24 * 3600, // until Ctrl+C
        signal: traffic.signal,
        ...(chosen ? { executionTimeoutSeconds: chosen.executionTimeoutSeconds, networkTimeoutSeconds: chosen.networkTimeoutSeconds, scenario: chosen.scenario.name } : {}),
      };
      const run = startScenario(scenario ? scenario.apply(base, { largeSessionKb: opts.largeSessionKb }) : base);
      report = run.done;
      const what = scenario ? `scenario ${scenario.name}: ${scenario.summary}` : 'no X-AspNet-Version from the state server';
      process.stdout.write(
        `statescope demo: ${sessions} emulated users at ${rate} pages/s, app restart every ${opts.restartEvery} s; ${what}. Ctrl+C to stop.\n`,
      );
    });
}

function formatSummary(report: ScenarioReport, stats: StatsSnapshot): string {
  const t = stats.totals;
  return [
    '',
    'statescope demo summary',
    `  proxy: ${t.exchanges} exchanges; the upstream sent X-AspNet-Version in ${t.versionPresent} of ${t.replies} replies` +
      ` (missing in ${t.versionMissing}); statescope injected it into ${t.injected}`,
    '',
    formatReport(report),
  ].join('\n') + '\n';
}
