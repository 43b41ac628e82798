// `statescope open` on captures the real proxy saved (its --log file and an Export HAR), as a
// user runs both: child processes, real sockets, the same dashboard, read-only.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLogRecords } from '../helpers/log-records.ts';
import { createStateClient, newSessionId } from '../../server/client/index.ts';
import type { ExchangeRecord, ProxyState, SnapshotResponse } from '../../server/capture/wire-types.ts';
import { repoRoot } from '../helpers/transcripts.ts';
import { runCli, startCli, type CliProcess } from '../helpers/cli.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'statescope-open-'));
const log = path.join(dir, 'capture.jsonl');
const harFile = path.join(dir, 'export.har');
let logged: ExchangeRecord[] = [];
let metricsText = '';
const running: CliProcess[] = [];

beforeAll(async () => {
  const proxy = startCli([
    '--listen', '127.0.0.1:0',
    '--dashboard', '127.0.0.1:0',
    '--no-embedded-version-header',
    '--inject-version',
    '--capture-bodies', '1024',
    '--log', log,
  ]);
  running.push(proxy);
  const [, port] = await proxy.waitForOutput(/proxy listening on 127\.0\.0\.1:(\d+)/);
  const [, dashboard] = await proxy.waitForOutput(/statescope dashboard: (http:\/\/\S+)/);
  const [, metricsUrl] = await proxy.waitForOutput(/Prometheus metrics: (http:\/\/\S+)/);

  const client = createStateClient({ host: '127.0.0.1', port: Number(port) });
  const id = newSessionId();
  await client.createUninitialized(id);
  const got = await client.getExclusive(id);
  await client.set(id, Buffer.from([0, 1, 2, 250, 255]), { lockCookie: got.lockCookie ?? 0 });
  await client.get(id);
  await client.get(newSessionId());
  await client.close();

  const base = new URL(dashboard!).origin;
  for (let i = 0; i < 100; i++) {
    const snap = (await (await fetch(`${base}/api/snapshot`)).json()) as SnapshotResponse;
    if (snap.items.length === 5) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  writeFileSync(harFile, await (await fetch(`${base}/api/export.har`)).text());
  // Metrics are fed in batches (every 50 ms), the snapshot at once: wait for them to catch up.
  for (let i = 0; i < 100 && !/^statescope_exchanges_total\{kind="Get",status_class="4xx"\} 1$/m.test(metricsText); i++) {
    metricsText = await (await fetch(metricsUrl!)).text();
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(await proxy.stop('SIGTERM')).toBe(0);
  logged = readLogRecords(log);
  expect(logged).toHaveLength(5);
}, 30_000);

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
});

async function open(file: string, ...args: string[]): Promise<{ proc: CliProcess; base: string }> {
  const proc = startCli(['open', file, '--dashboard', '127.0.0.1:0', ...args]);
  running.push(proc);
  const [, url] = await proc.waitForOutput(/statescope dashboard: (http:\/\/\S+)/);
  return { proc, base: new URL(url!).origin };
}

describe('statescope open', () => {
  it('the proxy served Prometheus metrics on its dashboard while it ran', () => {
    expect(metricsText).toMatch(/^statescope_exchanges_total\{kind="Set",status_class="2xx"\} 1$/m);
    expect(metricsText).toMatch(/^statescope_version_header_injections_total 5$/m);
    expect(metricsText).toMatch(/^statescope_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+/m);
  });

  for (const [name, file] of [
    ['its JSONL log', () => log],
    ['its HAR export', () => harFile],
  ] as const) {
    it(`opens ${name} read-only in the same dashboard`, async () => {
      const { proc, base } = await open(file());
      expect(proc.stdout()).toMatch(new RegExp(`opened .*${path.basename(file())} \\((JSONL|HAR), read-only\\): 5 exchanges`));

      const snap = (await (await fetch(`${base}/api/snapshot`)).json()) as SnapshotResponse;
      expect(snap.items.map((s) => s.id)).toEqual(logged.map((r) => r.id));
      expect(snap.items.map((s) => s.kind)).toEqual(['CreateUninitialized', 'GetExclusive', 'Set', 'Get', 'Get']);
      expect(snap.items.every((s) => s.version === 'injected')).toBe(true);
      expect(snap.state).toMatchObject({ readOnly: true, source: path.basename(file()), upstream: logged[0]!.upstream });
      expect(snap.stats.totals).toMatchObject({ exchanges: 5, versionMissing: 5, injected: 5 });
      expect(snap.stats.now).toBe(Math.max(...logged.map((r) => r.startedAt + r.latencyMs!)));
      expect(snap.diagnoses.map((d) => d.id)).toContain('missing-version-header');

      // Records come back whole, bodies included.
      const set = (await (await fetch(`${base}/api/exchanges/${logged[2]!.id}`)).json()) as ExchangeRecord;
      expect(set).toEqual(logged[2]);
      expect(Buffer.from(set.request!.body!, 'base64')).toEqual(Buffer.from([0, 1, 2, 250, 255]));

      for (const [route, body] of [
        ['/api/injection', { enabled: false }],
        ['/api/capture', { paused: true }],
        ['/api/clear', {}],
      ] as const) {
        const res = await fetch(`${base}${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        expect(res.status, route).toBe(409);
        expect(((await res.json()) as { error: string }).error).toMatch(/saved capture/);
      }
      expect(((await (await fetch(`${base}/api/state`)).json()) as ProxyState).readOnly).toBe(true);
      expect((await fetch(`${base}/metrics`)).status).toBe(404);

      // The page itself (built UI when present, else the clear "not built" answer).
      const page = await fetch(`${base}/`);
      if (existsSync(path.join(repoRoot, 'ui', 'dist', 'index.html'))) {
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(await page.text()).toMatch(/<div id="root">/);
      } else {
        expect(page.status).toBe(503);
      }
      // The opened capture exports again, as HAR or JSONL.
      const again = (await (await fetch(`${base}/api/export.har?kind=Set`)).json()) as { log: { entries: { _id: number }[] } };
      expect(again.log.entries.map((e) => e._id)).toEqual([logged[2]!.id]);
      expect(await proc.stop('SIGINT')).toBe(0);
    });
  }

  it('skips damaged lines, naming them, and opens the rest', async () => {
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const damaged = path.join(dir, 'damaged.jsonl');
    writeFileSync(damaged, [lines[0], 'garbage', lines[1], '{"id":7}', lines[2]!.slice(0, 40)].join('\n'));
    const { proc, base } = await open(damaged);
    expect(proc.stdout()).toMatch(/: 2 exchanges, 3 skipped/);
    expect(proc.stderr()).toMatch(/damaged\.jsonl line 2: not JSON .*\(skipped\)/);
    expect(proc.stderr()).toMatch(/damaged\.jsonl line 4: not an exchange record: connectionId is missing/);
    expect(proc.stderr()).toMatch(/damaged\.jsonl line 5: not JSON/);
    const snap = (await (await fetch(`${base}/api/snapshot`)).json()) as SnapshotResponse;
    expect(snap.items).toHaveLength(2);
  });

  it('needs the token when one is given', async () => {
    const { base } = await open(log, '--token', 'opensesame');
    expect((await fetch(`${base}/api/snapshot`)).status).toBe(401);
    expect((await fetch(`${base}/api/snapshot`, { headers: { Authorization: 'Bearer opensesame' } })).status).toBe(200);
  });

  it('says clearly what is wrong with a file it cannot open', async () => {
    const missing = await runCli(['open', path.join(dir, 'nope.jsonl'), '--dashboard', '127.0.0.1:0']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/statescope open: .*nope\.jsonl: no such file/);

    const csv = path.join(dir, 'capture.csv');
    writeFileSync(csv, 'id,outcome\n1,ok\n');
    const unknown = await runCli(['open', csv, '--dashboard', '127.0.0.1:0']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown format: expected a statescope JSONL log .* or a HAR file/);

    const noArg = await runCli(['open']);
    expect(noArg.code).not.toBe(0);
    expect(noArg.stderr).toMatch(/missing required argument 'file'/);
  });
});
