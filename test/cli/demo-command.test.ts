// `npm run demo` as a newcomer runs it: emulated ASP.NET traffic through the proxy to a state
// server without X-AspNet-Version, visible in the dashboard's API within seconds; switching
// injection on over the API turns the next replies into "injected".
import { afterEach, expect, it } from 'vitest';
import type { StatsSnapshot } from '../../server/capture/wire-types.ts';
import { startCli, type CliProcess } from '../helpers/cli.ts';

let proc: CliProcess | null = null;
afterEach(async () => {
  await proc?.stop();
  proc = null;
});

it('shows the missing header in the dashboard, and injection fixes the next replies', async () => {
  proc = startCli(['demo', '--listen', '127.0.0.1:0', '--dashboard', '127.0.0.1:0', '--rate', '50', '--restart-every', '1']);
  const [, dashboard] = await proc.waitForOutput(/statescope dashboard: (http:\/\/127\.0\.0\.1:\d+)\//);
  await proc.waitForOutput(/statescope demo: \d+ emulated users at 50 pages\/s, app restart every 1 s/);
  expect(proc.stdout()).toMatch(/embedded state server, no X-AspNet-Version header/);

  const stats = async () => ((await (await fetch(`${dashboard}/api/stats`)).json()) as { stats: StatsSnapshot }).stats;
  let seen: StatsSnapshot | null = null;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    seen = await stats();
    if (seen.totals.versionMissing >= 20) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(seen!.totals.versionMissing).toBeGreaterThanOrEqual(20);
  expect(seen!.totals.versionPresent).toBe(0);

  const res = await fetch(`${dashboard}/api/injection`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ enabled: true }),
  });
  expect(res.status).toBe(200);
  const before = (await stats()).totals.injected;
  const until = Date.now() + 15_000;
  let after = before;
  while (Date.now() < until && after < before + 20) {
    await new Promise((r) => setTimeout(r, 200));
    after = (await stats()).totals.injected;
  }
  expect(after).toBeGreaterThanOrEqual(before + 20);
  expect(await proc.stop('SIGINT')).toBe(0);
});
