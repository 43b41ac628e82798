// `statescope demo` (npm run demo): the whole story on one machine. The embedded state server
// runs WITHOUT X-AspNet-Version, statescope relays to it, and the client emulator plays users
// with periodic app restarts, so the version error shows up in the dashboard; switching
// injection on in the page makes it stop.
import { Option, type Command } from 'commander';
import { startScenario } from '../client/scenario.ts';
import { hostPortOption, parseHostPort, type HostPort } from './address.ts';
import { runMainJob } from './main-job.ts';
import { APP_DEFAULTS } from './statescope-app.ts';
import { DEFAULT_DASHBOARD_LISTEN, DEFAULT_PROXY_LISTEN, positiveInt, positiveNumber, sessionItemsOption } from './proxy-command.ts';
import type { SessionItemsMode } from '../capture/session-items-capture.ts';

interface DemoOptions {
  listen: HostPort;
  dashboard: HostPort;
  sessions: number;
  rate: number;
  restartEvery: number;
  sessionItems: SessionItemsMode;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('see the missing-version-header failure live: proxy + header-less embedded server + emulated ASP.NET traffic')
    .addOption(new Option('--listen <host:port>', 'proxy address').argParser(hostPortOption()).default(parseHostPort(DEFAULT_PROXY_LISTEN), DEFAULT_PROXY_LISTEN))
    .addOption(
      new Option('--dashboard <host:port>', 'dashboard address').argParser(hostPortOption()).default(parseHostPort(DEFAULT_DASHBOARD_LISTEN), DEFAULT_DASHBOARD_LISTEN),
    )
    .option('--sessions <n>', 'emulated users', positiveInt('--sessions'), 12)
    .option('--rate <pages>', 'pages per second over all users', positiveNumber('--rate'), 20)
    .option('--restart-every <seconds>', 'restart the emulated app this often (each restart re-checks the version)', positiveNumber('--restart-every'), 10)
    .addOption(sessionItemsOption())
    .addHelpText(
      'after',
      `
Open the dashboard URL it prints: replies show "missing", the verdict card explains the
error ASP.NET throws after each app restart. Switch "Inject X-AspNet-Version" on and the
errors stop. Ctrl+C ends the demo.`,
    )
    .action(async (opts: DemoOptions) => {
      const traffic = new AbortController();
      const { app } = await runMainJob({
        app: { ...APP_DEFAULTS, listen: opts.listen, upstream: null, embeddedVersionHeader: null, sessionItems: opts.sessionItems },
        dashboard: opts.dashboard,
        shutdownGraceMs: 2000,
        beforeStop: async () => traffic.abort(),
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
      process.stdout.write(
        `statescope demo: ${opts.sessions} emulated users at ${opts.rate} pages/s, app restart every ${opts.restartEvery} s. Ctrl+C to stop.\n`,
      );
      void run.done.catch(() => {});
    });
}
