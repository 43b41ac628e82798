// `statescope demo` (npm run demo): the whole story on one machine. The embedded state server
// runs WITHOUT X-AspNet-Version, statescope relays to it, and the client emulator plays users
// with periodic app restarts, so the version error shows up in the dashboard; switching
// injection on in the page makes it stop. It takes the main job's options, so the same story
// can be told against a real state server (--upstream), with a log (--log) or with the
// workaround on from the start (--inject-version).
import type { Command } from 'commander';
import { formatReport } from '../client/report.ts';
import { startScenario, type ScenarioReport } from '../client/scenario.ts';
import type { StatsSnapshot } from '../capture/wire-types.ts';
import { runMainJob } from './main-job.ts';
import { addProxyOptions, mainJobOptions, positiveInt, positiveNumber, type ProxyCommandOptions } from './proxy-command.ts';

interface DemoOptions extends ProxyCommandOptions {
  sessions: number;
  rate: number;
  restartEvery: number;
}

export function registerDemoCommand(program: Command): void {
  const command = program
    .command('demo')
    .description('see the missing-version-header failure live: proxy + header-less embedded server + emulated ASP.NET traffic');
  addProxyOptions(command)
    .option('--sessions <n>', 'emulated users', positiveInt('--sessions'), 12)
    .option('--rate <pages>', 'pages per second over all users', positiveNumber('--rate'), 20)
    .option('--restart-every <seconds>', 'restart the emulated app this often (each restart re-checks the version)', positiveNumber('--restart-every'), 10)
    .addHelpText(
      'after',
      `
Unless --embedded-version-header VALUE is given, the embedded state server sends no
X-AspNet-Version header. Open the dashboard URL it prints: replies show "missing", the
verdict card explains the error ASP.NET throws after each app restart. Switch "Inject
X-AspNet-Version" on and the errors stop. Ctrl+C ends the demo and prints a summary.`,
    )
    .action(async (opts: DemoOptions, cmd: Command) => {
      const job = mainJobOptions(opts);
      // The demo's point is the header-less server; an explicit value still wins.
      if (cmd.getOptionValueSource('embeddedVersionHeader') === 'default') job.app.embeddedVersionHeader = null;
      const traffic = new AbortController();
      let report: Promise<ScenarioReport> | null = null;
      const { app } = await runMainJob({
        ...job,
        beforeStop: async () => {
          traffic.abort();
          await report;
        },
        afterStop: async () => {
          if (report) process.stdout.write(formatSummary(await report, app.capture.stats()));
        },
      });
      const run = startScenario({
        host: app.proxy.host,
        port: app.proxy.port,
        sessions: opts.sessions,
        rate: opts.rate,
        restartEverySeconds: opts.restartEvery,
        durationSeconds: 7 * 24 * 3600, // until Ctrl+C
        signal: traffic.signal,
      });
      report = run.done;
      process.stdout.write(
        `statescope demo: ${opts.sessions} emulated users at ${opts.rate} pages/s, app restart every ${opts.restartEvery} s. Ctrl+C to stop.\n`,
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
