// A child process for the benchmark, so that load generator, relay and state server each have
// their own event loop (as in production): `server` runs the embedded state server, `pipe` a
// bare Node socket pipe (the floor for any Node relay), `statescope` the real proxy assembly
// with capture on; its variants (argument 3, comma-separated): `inject` (--inject-version),
// `log=FILE` (--log FILE), `dashboard` (the dashboard listener, for a live feed client).
// It reports its addresses and answers memory queries over IPC.
import net from 'node:net';
import { startStateServer } from '../server/stateserver/index.ts';
import { APP_DEFAULTS, startApp } from '../server/cli/statescope-app.ts';
import { CaptureMetrics } from '../server/capture/metrics.ts';
import { startDashboard } from '../server/dashboard/index.ts';

const [mode, upstreamPort, variantText = ''] = process.argv.slice(2);
const variants = new Map(variantText.split(',').filter(Boolean).map((v) => [v.split('=')[0]!, v.split('=')[1] ?? ''] as const));

function send(message: unknown): void {
  process.send?.(message);
}

/** Exchanges in the capture store, reported with the memory (statescope mode only). */
let stored = (): number => 0;

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'memory') {
    // Measure what is live, not garbage the collector has not got round to yet.
    (globalThis as { gc?: () => void }).gc?.();
    send({ type: 'memory', memory: process.memoryUsage(), stored: stored() });
  }
  if (msg.type === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));

if (mode === 'server') {
  const server = await startStateServer({ port: 0, maxStoredBytes: 1024 * 1024 * 1024, ...(variants.has('noheader') ? { versionHeader: null } : {}) });
  send({ type: 'ready', port: server.port });
} else if (mode === 'pipe') {
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: Number(upstreamPort) });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: (server.address() as net.AddressInfo).port }));
} else if (mode === 'statescope') {
  const app = await startApp({
    ...APP_DEFAULTS,
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: Number(upstreamPort) },
    stdout: process.stdout,
    upstreamProbeMs: 3_600_000,
    maxExchanges: Number(process.env.BENCH_STORE ?? APP_DEFAULTS.maxExchanges),
    injection: { enabled: variants.has('inject'), value: '4.0.30319' },
    logFile: variants.get('log') || null,
    logMaxBytes: 0,
  });
  stored = () => app.capture.stats().capture.stored;
  // As `statescope` runs it: the dashboard with its Prometheus metrics fed from the capture.
  const dashboard = variants.has('dashboard')
    ? await startDashboard({ host: '127.0.0.1', port: 0, source: app.capture, metrics: new CaptureMetrics({ capture: app.capture, version: 'bench' }) })
    : null;
  send({ type: 'ready', port: app.proxy.port, dashboardPort: dashboard?.port });
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
