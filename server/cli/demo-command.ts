// `statescope demo` (npm run demo): the whole story on one machine. The embedded state server
// runs WITHOUT X-AspNet-Version, statescope relays to it, and the client emulator plays users
// with periodic app restarts, so the version error shows up in the dashboard; switching
// injection on in the page makes it stop. `--scenario NAME` plays another failure instead
// (with the header present), so that its diagnosis shows.
import { Option, type Command } from 'commander';
import { startScenario } from '../client/scenario.ts';
import { startScenarioUpstream, type ScenarioUpstream } from '../client/scenario-upstream.ts';
import { chooseScenarioSettings, findScenario, SCENARIO_NAMES, scenarioHelp } from '../client/scenarios.ts';
import { hostPortOption, parseHostPort, type HostPort } from './address.ts';
import { addDiagnosisOptions, thresholdsFrom, type DiagnosisOptionValues } from './diagnosis-options.ts';
import { runMainJob } from './main-job.ts';
import { APP_DEFAULTS } from './statescope-app.ts';
import { DEFAULT_DASHBOARD_LISTEN, DEFAULT_PROXY_LISTEN, positiveInt, positiveNumber } from './proxy-command.ts';

interface DemoOptions extends DiagnosisOptionValues {
  listen: HostPort;
  dashboard: HostPort;
  sessions: number;
  rate: number;
  restartEvery: number;
  scenario?: string;
}

export function registerDemoCommand(program: Command): void {
  const command = program
    .command('demo')
    .description('see the missing-version-header failure live: proxy + header-less embedded server + emulated ASP.NET traffic')
    .addOption(new Option('--listen <host:port>', 'proxy address').argParser(hostPortOption()).default(parseHostPort(DEFAULT_PROXY_LISTEN), DEFAULT_PROXY_LISTEN))
    .addOption(
      new Option('--dashboard <host:port>', 'dashboard address').argParser(hostPortOption()).default(parseHostPort(DEFAULT_DASHBOARD_LISTEN), DEFAULT_DASHBOARD_LISTEN),
    )
    .option('--sessions <n>', 'emulated users', positiveInt('--sessions'), 12)
    .option('--rate <pages>', 'pages per second over all users', positiveNumber('--rate'), 20)
    .option('--restart-every <seconds>', 'restart the emulated app this often (each restart re-checks the version)', positiveNumber('--restart-every'), 10)
    .addOption(new Option('--scenario <name>', 'play another failure instead (the state server then sends the version header)').choices(SCENARIO_NAMES));
  addDiagnosisOptions(command)
    .addHelpText(
      'after',
      `
Open the dashboard URL it prints: replies show "missing", the verdict card explains the
error ASP.NET throws after each app restart. Switch "Inject X-AspNet-Version" on and the
errors stop. Ctrl+C ends the demo.

Scenarios (--scenario NAME; each makes its diagnosis appear in the dashboard):
${scenarioHelp('  ')}`,
    )
    .action(async (opts: DemoOptions, cmd: Command) => {
      const scenario = opts.scenario === undefined ? null : findScenario(opts.scenario)!;
      const isDefault = (name: string) => cmd.getOptionValueSource(name) === 'default';
      const chosen = scenario
        ? chooseScenarioSettings(
            scenario,
            { executionTimeoutSeconds: opts.executionTimeout, networkTimeoutSeconds: opts.stateNetworkTimeout, sessions: opts.sessions, rate: opts.rate },
            (name) => isDefault(name === 'networkTimeout' ? 'stateNetworkTimeout' : name),
          )
        : null;
      const traffic = new AbortController();
      const notice = (line: string) => process.stderr.write(`statescope: ${line}\n`);
      // A scenario that restarts or slows the state server runs its own; the others use the embedded one.
      const upstream: ScenarioUpstream | null = scenario?.server ? await startScenarioUpstream({ ...scenario.server, log: notice }) : null;
      const thresholds = thresholdsFrom(opts);
      if (chosen) thresholds.executionTimeoutSeconds = chosen.executionTimeoutSeconds;
      const { app } = await runMainJob({
        app: {
          ...APP_DEFAULTS,
          listen: opts.listen,
          upstream: upstream ? { host: upstream.host, port: upstream.port } : null,
          embeddedVersionHeader: scenario ? APP_DEFAULTS.embeddedVersionHeader : null,
          diagnosisThresholds: thresholds,
        },
        dashboard: opts.dashboard,
        shutdownGraceMs: 2000,
        beforeStop: async () => traffic.abort(),
        afterStop: async () => upstream?.close(),
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
      const what = scenario ? `scenario ${scenario.name}: ${scenario.summary}` : 'no X-AspNet-Version from the state server';
      process.stdout.write(
        `statescope demo: ${sessions} emulated users at ${rate} pages/s, app restart every ${opts.restartEvery} s; ${what}. Ctrl+C to stop.\n`,
      );
      void run.done.catch(() => {});
    });
}
