// GET /metrics over real traffic through the real proxy: Prometheus text from statescope's own
// registry, counting while the capture is paused, behind the dashboard's token.
import { afterEach, describe, expect, it } from 'vitest';
import { register as globalRegistry } from 'prom-client';
import { createStateClient, newSessionId } from '../../server/client/index.ts';
import { CaptureMetrics } from '../../server/capture/metrics.ts';
import { startDashboard, type Dashboard } from '../../server/dashboard/index.ts';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { connectRawClient, waitFor } from '../helpers/net-peers.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';
import { transcript } from '../helpers/transcripts.ts';
import { closeAll, connectFeed, start } from './harness.ts';

let upstream: RunningStateServer | null = null;
let app: TestApp | null = null;
let dashboard: Dashboard | null = null;
let metrics: CaptureMetrics | null = null;

afterEach(async () => {
  await dashboard?.close();
  metrics?.close();
  await app?.close(0);
  await upstream?.close();
  await closeAll();
  upstream = app = dashboard = metrics = null;
});

/** Samples of the text exposition: 'name{labels}' -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

async function startAll(token?: string): Promise<{ base: string; scrape: () => Promise<Map<string, number>> }> {
  upstream = await startStateServer({ host: '127.0.0.1', port: 0, versionHeader: null });
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port } });
  let dash: Dashboard | null = null;
  metrics = new CaptureMetrics({ capture: app.capture, version: '9.9.9', dashboardClients: () => dash?.feedClients().length ?? 0 });
  dash = dashboard = await startDashboard({ host: '127.0.0.1', port: 0, source: app.capture, metrics, ...(token ? { token } : {}) });
  const base = `http://127.0.0.1:${dash.port}`;
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  return {
    base,
    scrape: async () => {
      const res = await fetch(`${base}/metrics`, { headers });
      expect(res.status).toBe(200);
      return samples(await res.text());
    },
  };
}

describe('/metrics', () => {
  it('counts operations, status classes, missing headers, injections, 423s and errors', async () => {
    const { base, scrape } = await startAll();
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const cap = app!.capture;

    // No header and no injection: the emulator fails its version check, as ASP.NET would.
    const client = createStateClient({ host: '127.0.0.1', port: app!.proxy.port });
    await expect(client.createUninitialized(newSessionId())).rejects.toThrow(/version 2\.0 or above/);
    cap.setInjection({ enabled: true });
    client.restartApp();
    const other = createStateClient({ host: '127.0.0.1', port: app!.proxy.port });
    const id = newSessionId();
    await client.createUninitialized(id);
    await client.getExclusive(id);
    expect((await other.get(id)).status).toBe(423);
    // Paused capture: the dashboard stops recording, the metrics keep counting.
    cap.setCapturePaused(true);
    await client.resetTimeout(id);
    await client.close();
    await other.close();
    await waitFor(() => app!.records.length === 5, 5000, 'five exchanges');

    // A client still connected shows in the connection gauges.
    const idle = await connectRawClient(app!.proxy.port);
    await waitFor(() => app!.proxy.connections().upstream === 1, 3000, 'upstream connection');
    const feed = await connectFeed(`ws://127.0.0.1:${dashboard!.port}/api/feed`);
    let m = await scrape();
    expect(m.get('statescope_exchanges_total{kind="CreateUninitialized",status_class="2xx"}')).toBe(2);
    expect(m.get('statescope_exchanges_total{kind="GetExclusive",status_class="2xx"}')).toBe(1);
    expect(m.get('statescope_exchanges_total{kind="Get",status_class="4xx"}')).toBe(1);
    expect(m.get('statescope_exchanges_total{kind="ResetTimeout",status_class="2xx"}')).toBe(1); // while paused
    expect(m.get('statescope_replies_missing_version_header_total')).toBe(5);
    expect(m.get('statescope_version_header_injections_total')).toBe(4);
    expect(m.get('statescope_locked_replies_total')).toBe(1);
    expect(m.get('statescope_exchange_errors_total{reason="upstream_refused"}')).toBe(0);
    expect(m.get('statescope_exchange_duration_seconds_count{kind="GetExclusive"}')).toBe(1);
    expect(m.get('statescope_exchange_duration_seconds_bucket{le="10",kind="GetExclusive"}')).toBe(1);
    expect(m.has('statescope_exchange_duration_seconds_bucket{le="0.0001",kind="GetExclusive"}')).toBe(true);
    expect(m.get('statescope_connections{side="client"}')).toBe(1);
    expect(m.get('statescope_connections{side="upstream"}')).toBe(1);
    expect(m.get('statescope_capture_stored_records')).toBe(4); // the paused one was not stored
    expect(m.get('statescope_capture_stored_bytes')).toBeGreaterThan(0);
    expect(m.get('statescope_capture_evictions_total')).toBe(0);
    expect(m.get('statescope_dashboard_clients')).toBe(1);
    expect(m.get(`statescope_build_info{version="9.9.9",node="${process.version}"}`)).toBe(1);
    expect(m.has('process_cpu_user_seconds_total')).toBe(true);
    expect(m.has('nodejs_eventloop_lag_seconds')).toBe(true);
    // Nothing unbounded in labels: no session ids, no client addresses.
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).not.toContain(id);
    expect(text).not.toMatch(/127\.0\.0\.1:\d+/);
    feed.ws.close();
    idle.close();

    // The upstream goes away: the refusal is counted by its outcome code.
    await upstream!.close();
    const raw = await connectRawClient(app!.proxy.port);
    raw.socket.write(transcript('02').request!.bytes);
    await raw.closed;
    await waitFor(() => app!.records.some((r) => r.outcome === 'upstream_refused'), 5000, 'refusal');
    m = await scrape();
    expect(m.get('statescope_exchange_errors_total{reason="upstream_refused"}')).toBe(1);
    expect(m.get('statescope_exchanges_total{kind="GetExclusive",status_class="none"}')).toBe(1);
    // Counts are handed over at each scrape: a later scrape keeps the totals, it does not restart.
    expect(m.get('statescope_exchanges_total{kind="CreateUninitialized",status_class="2xx"}')).toBe(2);
    expect(m.get('statescope_replies_missing_version_header_total')).toBe(5);
    expect(m.get('statescope_locked_replies_total')).toBe(1);
  });

  it('lives in its own registry, not prom-client\'s global one', async () => {
    await startAll();
    expect(await globalRegistry.metrics()).not.toContain('statescope_');
  });

  it('sits behind the same token as the REST API (Bearer only)', async () => {
    const { base, scrape } = await startAll('s3cret');
    const denied = await fetch(`${base}/metrics`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${base}/metrics?token=s3cret`)).status).toBe(401);
    expect((await scrape()).get('statescope_exchanges_total{kind="Get",status_class="2xx"}')).toBeUndefined();
    expect((await fetch(`${base}/metrics`, { method: 'POST', headers: { Authorization: 'Bearer s3cret' } })).status).toBe(405);
  });

  it('answers 404 where there is no running proxy (a saved capture)', async () => {
    const { base } = await start({ readOnly: true });
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/saved capture/);
  });
});
