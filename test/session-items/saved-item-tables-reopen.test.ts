// Item tables survive a save: the --log JSONL file and Export HAR of real traffic open again
// (statescope open's loader) with the same tables, and crafted files with damaged tables are
// reported line by line and skipped, or stripped to the table's own fields, never shown as is.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harEnvelope, toHarEntry } from '../../server/capture/har-export.ts';
import { loadSavedCapture } from '../../server/capture/saved-capture.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';
import { runScenario } from '../../server/client/scenario.ts';
import { startTestApp } from '../helpers/proxy-app.ts';

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statescope-items-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const tablesOf = (records: ExchangeRecord[]) => records.map((r) => [r.id, r.request?.sessionItems ?? null, r.reply?.sessionItems ?? null]);

async function load(file: string) {
  const records: ExchangeRecord[] = [];
  const report = await loadSavedCapture(file, (r) => {
    records.push(r);
    return null;
  });
  return { records, report };
}

describe('saved captures carry the item tables', () => {
  it('JSONL log and HAR export of real traffic open with the same tables', async () => {
    const logFile = path.join(dir, 'capture.jsonl');
    const app = await startTestApp({ sessionItems: 'hashed', logFile });
    await runScenario({ host: app.proxy.host, port: app.proxy.port, sessions: 3, durationSeconds: 1, rate: 0, compressSessions: true });
    await app.close(2000);
    const live = app.records;
    expect(live.filter((r) => r.request?.sessionItems?.ok && r.request.sessionItems.itemCount > 0).length).toBeGreaterThan(3);

    const fromLog = await load(logFile);
    expect(fromLog.report.problemCount).toBe(0);
    expect(tablesOf(fromLog.records)).toEqual(tablesOf(JSON.parse(JSON.stringify(live)) as ExchangeRecord[]));

    const harFile = path.join(dir, 'capture.har');
    const { head, tail } = harEnvelope({ version: 'test' });
    fs.writeFileSync(harFile, head + live.map((r) => JSON.stringify(toHarEntry(r))).join(',') + tail);
    const fromHar = await load(harFile);
    expect(fromHar.report.problemCount).toBe(0);
    expect(tablesOf(fromHar.records)).toEqual(tablesOf(JSON.parse(JSON.stringify(live)) as ExchangeRecord[]));
  });

  it('reports damaged tables in a crafted JSONL file by line and keeps the good lines', async () => {
    const app = await startTestApp({ sessionItems: 'names' });
    await runScenario({ host: app.proxy.host, port: app.proxy.port, sessions: 1, durationSeconds: 0.3, rate: 0 });
    await app.close(1000);
    const good = app.records.find((r) => r.request?.sessionItems?.ok && r.request.sessionItems.itemCount > 0)!;
    expect(good).toBeDefined();
    const variant = (id: number, change: (t: Record<string, unknown>) => void): string => {
      const copy = JSON.parse(JSON.stringify(good)) as ExchangeRecord & { request: { sessionItems: Record<string, unknown> } };
      copy.id = id;
      change(copy.request.sessionItems);
      return JSON.stringify(copy);
    };
    const lines = [
      variant(1, () => {}),
      variant(2, (t) => ((t.items as Record<string, unknown>[])[0]!.typeId = 99)),
      variant(3, (t) => (t.items = 'CardNumber')),
      variant(4, (t) => ((t.items as Record<string, unknown>[])[0]!.size = -1)),
      variant(5, (t) => (t.ok = 'yes')),
      variant(6, (t) => (t.items = Array.from({ length: 201 }, () => ({ key: 'k', typeId: 2, type: 'Int32', size: 5 })))),
      variant(7, () => {}),
    ];
    const file = path.join(dir, 'crafted.jsonl');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const { records, report } = await load(file);
    expect(records.map((r) => r.id)).toEqual([1, 7]);
    expect(report.problems.map((p) => p.where)).toEqual(['line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
    for (const p of report.problems) expect(p.message).toContain('sessionItems');
  });

  it('reads a HAR _sessionItems strictly: a bad one names the entry, unknown fields are dropped', async () => {
    const app = await startTestApp({ sessionItems: 'names' });
    await runScenario({ host: app.proxy.host, port: app.proxy.port, sessions: 1, durationSeconds: 0.3, rate: 0 });
    await app.close(1000);
    const good = app.records.find((r) => r.request?.sessionItems?.ok && r.request.sessionItems.itemCount > 0)!;
    const entry = (change: (items: Record<string, unknown>) => void) => {
      const e = JSON.parse(JSON.stringify(toHarEntry(good))) as { request: { _sessionItems: Record<string, unknown> } };
      change(e.request._sessionItems);
      return JSON.stringify(e);
    };
    const file = path.join(dir, 'crafted.har');
    const { head, tail } = harEnvelope({ version: 'test' });
    const smuggled = entry((t) => {
      (t.items as Record<string, unknown>[])[0]!.value = 'smuggled secret';
      t.values = ['smuggled secret'];
    });
    fs.writeFileSync(file, head + [smuggled, entry((t) => (t.keys = 'plaintext'))].join(',') + tail);
    const { records, report } = await load(file);
    expect(records).toHaveLength(1);
    expect(JSON.stringify(records)).not.toContain('smuggled');
    expect(records[0]!.request!.sessionItems).toEqual(good.request!.sessionItems);
    expect(report.problems).toEqual([{ where: 'entry 2', message: expect.stringContaining('request._sessionItems keys') }]);
  });
});
