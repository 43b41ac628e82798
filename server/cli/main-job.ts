// Starts the proxy assembly and its dashboard, prints where everything is, and stops both
// gracefully on Ctrl+C / SIGTERM. Shared by `statescope proxy` and `statescope demo`.
// The dashboard and metrics are imported when started, not at load: they pull in ws and
// prom-client, which would otherwise slow down every command, `statescope --help` included.
import type { Dashboard } from '../dashboard/index.ts';
import type { HostPort } from './address.ts';
import { remoteDashboardUrls } from './remote-dashboard-urls.ts';
import { onShutdownSignal } from './shutdown.ts';
import { startApp, type AppOptions, type RunningApp } from './statescope-app.ts';
import { VERSION } from './version.ts';

export interface MainJobOptions {
  app: Omit<AppOptions, 'stdout' | 'notice'>;
  dashboard: HostPort | null;
  token?: string;
  shutdownGraceMs: number;
  /** Runs first on shutdown (e.g. stop the demo's traffic). */
  beforeStop?: () => Promise<void>;
  /** Runs last on shutdown, once every exchange is recorded (the demo's summary, a scenario's own state server). */
  afterStop?: () => Promise<void>;
}

export async function runMainJob(options: MainJobOptions): Promise<{ app: RunningApp; dashboard: Dashboard | null }> {
  // The banner goes out in one write, so a reader of stdout never sees half of it.
  const banner: string[] = [];
  const say = (line: string) => banner.push(line);
  const app = await startApp({ ...options.app, stdout: process.stdout, notice: (line) => process.stderr.write(`statescope: ${line}\n`) });
  let dashboard: Dashboard | null = null;
  if (options.dashboard) {
    const [{ CaptureMetrics }, { startDashboard }] = await Promise.all([import('../capture/metrics.ts'), import('../dashboard/index.ts')]);
    // /metrics lives on the dashboard listener, so a headless proxy has none to feed.
    const metrics = new CaptureMetrics({
      capture: app.capture,
      version: VERSION,
      dashboardClients: () => dashboard?.feedClients().length ?? 0,
      acceptDrops: () => app.proxy.acceptDrops(),
      embeddedStoreFailures: () => app.embedded?.stats().storeFailures ?? 0,
    });
    try {
      dashboard = await startDashboard({
        host: options.dashboard.host,
        port: options.dashboard.port,
        source: app.capture,
        token: options.token,
        metrics,
      });
    } catch (err) {
      metrics.close();
      await app.close(0);
      throw err;
    }
  }

  const embedded = app.embedded
    ? ` (embedded state server${options.app.embeddedVersionHeader === null ? ', no X-AspNet-Version header' : ''})`
    : '';
  say(`statescope proxy listening on ${app.proxy.address}, forwarding to ${app.upstreamLabel}${embedded}`);
  say(`  ASP.NET: <sessionState mode="StateServer" stateConnectionString="tcpip=${app.proxy.address}" />`);
  if (app.capture.injection.enabled) say(`  injecting X-AspNet-Version: ${app.capture.injection.value} into replies that lack it`);
  say(dashboard ? `statescope dashboard: ${dashboard.url}` : 'statescope dashboard: off (--no-dashboard)');
  if (dashboard) for (const url of remoteDashboardUrls(dashboard.url, options.dashboard!.host)) say(`  from another machine: ${url}`);
  if (dashboard) {
    const auth = dashboard.token === null ? '' : ' (send the token as "Authorization: Bearer <token>")';
    say(`  Prometheus metrics: ${new URL(dashboard.url).origin}/metrics${auth}`);
  }
  if (options.app.logFile) say(`statescope log: ${options.app.logFile}`);
  // Before the banner: whoever reads it may stop us at once, and must get the graceful stop.
  onShutdownSignal(async (signal) => {
    process.stderr.write(`statescope: ${signal}, letting exchanges in flight finish (up to ${options.shutdownGraceMs / 1000} s)\n`);
    await options.beforeStop?.();
    await dashboard?.close();
    await app.close(options.shutdownGraceMs);
    await options.afterStop?.();
  });
  process.stdout.write(banner.join('\n') + '\n');

  return { app, dashboard };
}
