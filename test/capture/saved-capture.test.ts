// Reading saved captures back for `statescope open`: format by content, damaged lines named
// and skipped, several runs in one log, stats and diagnoses on the capture's own clock.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { harEnvelope, toHarEntry } from '../../server/capture/har-export.ts';
import { ReadOnlyCapture, ReadOnlyCaptureError } from '../../server/capture/read-only-capture.ts';
import { loadSavedCapture, SavedCaptureError } from '../../server/capture/saved-capture.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';
import { makeRecord } from '../dashboard/fake-source.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'statescope-saved-'));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

function capture(maxCount = 1000): ReadOnlyCapture {
  return new ReadOnlyCapture({ source: 'x.jsonl', version: 'test', limits: { maxCount, maxBytes: 64 * 1024 * 1024 } });
}

/** Records one second apart, ending at `end`. */
function records(n: number, end = 1_700_000_000_000): ExchangeRecord[] {
  return Array.from({ length: n }, (_, i) => ({ ...makeRecord(i + 1), startedAt: end - (n - 1 - i) * 1000 }));
}

const jsonl = (rs: readonly ExchangeRecord[]) => rs.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('loadSavedCapture', () => {
  it('reads a JSONL log, naming and skipping damaged lines', async () => {
    const good = records(5);
    const lines = jsonl(good).trimEnd().split('\n');
    lines.splice(2, 0, '{"id": 99, "truncat'); // a crash mid-line
    lines.splice(4, 0, '{"id": 3}'); // JSON, but not a record
    lines.push('{"statescope":"dropped","lines":12,"reason":"log file too slow"}', '', '[1,2]');
    const c = capture();
    const report = await loadSavedCapture(file('log.jsonl', lines.join('\n')), (r) => c.add(r));
    expect(report).toMatchObject({ format: 'jsonl', records: 5, problemCount: 3 });
    expect(report.problems.map((p) => p.where)).toEqual(['line 3', 'line 5', 'line 10']);
    expect(report.problems[0]!.message).toMatch(/^not JSON/);
    expect(report.problems[1]!.message).toMatch(/connectionId is missing/);
    expect(report.notes).toEqual(['line 8: the log says 12 exchanges were not written here (log file too slow)']);
    expect(c.records(100).map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads a HAR, compact or pretty-printed, whatever the file is called', async () => {
    const rs = records(3);
    const { head, tail } = harEnvelope({ version: 'test' });
    const compact = head + rs.map((r) => JSON.stringify(toHarEntry(r))).join(',') + tail;
    for (const [name, text] of [
      ['a.har', compact],
      ['a.json', compact],
      ['b.txt', JSON.stringify(JSON.parse(compact), null, 2)],
    ] as const) {
      const c = capture();
      const report = await loadSavedCapture(file(name, text), (r) => c.add(r));
      expect(report, name).toMatchObject({ format: 'har', records: 3, problemCount: 0, notes: [] });
      expect(JSON.parse(JSON.stringify(c.record(2)))).toEqual(JSON.parse(JSON.stringify(rs[1])));
    }
  });

  it('names bad HAR entries and refuses what is not a capture', async () => {
    const { head, tail } = harEnvelope({ version: 'test' });
    const c = capture();
    const report = await loadSavedCapture(file('bad.har', `${head}${JSON.stringify(toHarEntry(makeRecord(1)))},{"request":{}}${tail}`), (r) => c.add(r));
    expect(report).toMatchObject({ records: 1, problemCount: 1, problems: [{ where: 'entry 2' }] });

    await expect(loadSavedCapture(path.join(dir, 'nope.jsonl'), () => null)).rejects.toThrow(/nope\.jsonl: no such file/);
    await expect(loadSavedCapture(file('x.csv', 'id,outcome\n1,ok\n'), () => null)).rejects.toThrow(/unknown format/);
    await expect(loadSavedCapture(file('y.json', '{"hello": "world"}\n'), () => null)).rejects.toThrow(SavedCaptureError);
    await expect(loadSavedCapture(file('z.har', '{"log": '), () => null)).rejects.toThrow(/not valid JSON/);
    await expect(loadSavedCapture(dir, () => null)).rejects.toThrow(/not a file/);
    const empty = await loadSavedCapture(file('empty.jsonl', ''), () => null);
    expect(empty).toMatchObject({ format: 'jsonl', records: 0, problemCount: 0 });
  });
});

describe('ReadOnlyCapture', () => {
  it('computes stats and diagnoses with "now" at the last record', () => {
    const c = capture();
    const end = 1_700_000_000_000;
    for (const r of records(10, end)) c.add(r);
    const stats = c.stats();
    expect(stats.now).toBe(end + 2); // start of the last exchange plus its 2 ms
    expect(stats.totals).toMatchObject({ exchanges: 10, replies: 10, versionMissing: 10 });
    expect(stats.series.at(-1)!.t).toBe(Math.floor((end + 2) / 1000) * 1000);
    expect(stats.series.reduce((n, b) => n + b.exchanges, 0)).toBe(10);
    // The fixture's one app id comes with seven hashes: a web farm's hash mismatch, rightly seen.
    expect(c.diagnoses().map((d) => d.id)).toEqual(['missing-version-header', 'farm-hash-mismatch']);
    expect(c.state()).toMatchObject({ readOnly: true, source: 'x.jsonl', upstream: '127.0.0.1:42424', startedAt: end - 9000 });
  });

  it('refuses controls, and keeps only the newest records past its bound', () => {
    const c = capture(4);
    for (const r of records(10)) c.add(r);
    expect(c.records(100).map((r) => r.id)).toEqual([7, 8, 9, 10]);
    expect(c.stats().totals.exchanges).toBe(10);
    expect([c.loaded, c.evicted]).toEqual([10, 6]);
    expect(() => c.setInjection({ enabled: true })).toThrow(ReadOnlyCaptureError);
    expect(() => c.setCapturePaused(true)).toThrow(/saved capture/);
    expect(() => c.clear()).toThrow(/read-only/);
  });

  it('renumbers when a log holds two runs (ids restart at 1)', () => {
    const c = capture();
    const notes = [...records(3), ...records(2)].map((r) => c.add(r)).filter((n) => n !== null);
    expect(notes).toEqual(['exchange ids restart at #1 (the file holds more than one run); renumbered from #4']);
    expect(c.records(100).map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(c.record(5)!.request!.sessionId).toBe('sess2');
    expect(c.latestId()).toBe(5);
  });
});
