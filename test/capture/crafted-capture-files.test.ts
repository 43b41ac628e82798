// Crafted saved captures, as an adversary (or a damaged disk) would hand them to `statescope
// open`: numbers out of range, objects where strings belong, fields nobody knows, a first line
// longer than the format sniffer's window. Each bad record must cost exactly that record (named
// by its line or entry, with the reason), never the file, never a hang, never a blank page.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { harEnvelope, toHarEntry } from '../../server/capture/har-export.ts';
import { ReadOnlyCapture } from '../../server/capture/read-only-capture.ts';
import { checkRecord, MAX_EPOCH_MS } from '../../server/capture/record-check.ts';
import { loadSavedCapture } from '../../server/capture/saved-capture.ts';
import { StatsCollector } from '../../server/capture/stats.ts';
import type { ExchangeRecord, ExchangeSummary, SnapshotResponse } from '../../server/capture/wire-types.ts';
import { startCli, type CliProcess } from '../helpers/cli.ts';
import { makeRecord } from '../dashboard/fake-source.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'statescope-crafted-'));
const running: CliProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
});

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const T0 = 1_700_000_000_000;
const good = (id: number): ExchangeRecord => ({ ...makeRecord(id), startedAt: T0 + id * 1000 });
const line = (r: unknown) => JSON.stringify(r);

/** Each crafted line, with the words its reason must contain. */
const CRAFTED: { name: string; record: (id: number) => unknown; reason: RegExp }[] = [
  { name: 'startedAt of 1e19', record: (id) => ({ ...good(id), startedAt: 1e19 }), reason: /startedAt is out of range/ },
  { name: 'negative startedAt', record: (id) => ({ ...good(id), startedAt: -5000 }), reason: /startedAt is out of range/ },
  {
    name: 'startedAt + latencyMs past the end of time',
    record: (id) => ({ ...good(id), startedAt: MAX_EPOCH_MS - 1, latencyMs: 5000 }),
    reason: /startedAt \+ latencyMs/,
  },
  { name: 'latencyMs of 1e300', record: (id) => ({ ...good(id), latencyMs: 1e300 }), reason: /latencyMs is out of range/ },
  { name: 'id as a string', record: (id) => ({ ...good(id), id: String(id) }), reason: /id is not a number/ },
  { name: 'fractional connectionId', record: (id) => ({ ...good(id), connectionId: 1.5 }), reason: /connectionId is not a whole number/ },
  {
    name: 'reply.lockDateTicks as an object',
    record: (id) => ({ ...good(id), reply: { ...good(id).reply, lockDateTicks: { $$typeof: 'react.element' } } }),
    reason: /reply\.lockDateTicks is not a string \(an object\)/,
  },
  {
    name: 'reply.actionFlags as a number',
    record: (id) => ({ ...good(id), reply: { ...good(id).reply, actionFlags: 7 } }),
    reason: /reply\.actionFlags is not a string/,
  },
  { name: 'status 1e6', record: (id) => ({ ...good(id), reply: { ...good(id).reply, status: 1e6 } }), reason: /reply\.status is out of range/ },
  {
    name: 'headers as an object',
    record: (id) => ({ ...good(id), request: { ...good(id).request, headers: { Host: 'x' } } }),
    reason: /request\.headers is not a list/,
  },
  {
    name: 'a head with characters that are not bytes',
    record: (id) => ({ ...good(id), request: { ...good(id).request, head: 'GET \u2603 HTTP/1.1\r\n\r\n' } }),
    reason: /request\.head has characters that are not bytes/,
  },
  {
    name: 'versionHeader.value as a list',
    record: (id) => ({ ...good(id), reply: { ...good(id).reply, versionHeader: { present: true, value: ['4'], major: 4 } } }),
    reason: /reply\.versionHeader\.value is not a string \(a list\)/,
  },
  { name: 'a body that is not base64', record: (id) => ({ ...good(id), reply: { ...good(id).reply, body: '<script>' } }), reason: /reply\.body is not base64/ },
  { name: 'an unknown outcome', record: (id) => ({ ...good(id), outcome: 'exploded' }), reason: /outcome is not one of ok/ },
  { name: 'a list instead of a record', record: () => [1, 2, 3], reason: /not a JSON object \(a list\)/ },
  { name: 'null', record: () => null, reason: /not a JSON object \(null\)/ },
];

/** The crafted lines between good ones: good #1, bad, good #2, bad, ... Returns the expected problems. */
function craftedJsonl(): { text: string; bad: { line: number; reason: RegExp; name: string }[]; goodCount: number } {
  const lines: string[] = [];
  const bad: { line: number; reason: RegExp; name: string }[] = [];
  let id = 1;
  for (const c of CRAFTED) {
    lines.push(line(good(id++)));
    lines.push(line(c.record(id++)));
    bad.push({ line: lines.length, reason: c.reason, name: c.name });
  }
  lines.push(line(good(id++)));
  return { text: lines.join('\n') + '\n', bad, goodCount: CRAFTED.length + 1 };
}

function capture(maxBytes = 64 * 1024 * 1024): ReadOnlyCapture {
  return new ReadOnlyCapture({ source: 'crafted', version: 'test', limits: { maxCount: 10_000, maxBytes } });
}

describe('crafted JSONL records', () => {
  it('each bad record is skipped with its line number and reason; every good one opens', async () => {
    const { text, bad, goodCount } = craftedJsonl();
    const c = capture();
    const report = await loadSavedCapture(file('crafted.jsonl', text), (r) => c.add(r));
    expect(report.records).toBe(goodCount);
    expect(report.problemCount).toBe(bad.length);
    for (const [i, expected] of bad.entries()) {
      const got = report.problems[i]!;
      expect(got.where, expected.name).toBe(`line ${expected.line}`);
      expect(got.message, expected.name).toMatch(expected.reason);
    }
    expect(c.records(1000)).toHaveLength(goodCount);
  });

  it('stats over a capture whose clock is at the end of time answer at once (O(buckets))', () => {
    const c = capture();
    c.add({ ...good(1), startedAt: MAX_EPOCH_MS - 10, latencyMs: 5 });
    const stats = c.stats();
    expect(stats.series).toHaveLength(300);
    expect(stats.totals.exchanges).toBe(1);
    // And the collector on its own, with clocks no check would let in: still 300 buckets, no loop.
    for (const now of [1e19, -1e12, 1e300]) {
      const collector = new StatsCollector(() => now);
      collector.observe(good(1));
      expect(collector.snapshot({ capture: c.stats().capture, connections: { client: 0, upstream: 0 } }).series).toHaveLength(300);
    }
  });

  it('fields statescope does not know are left out, said once, and not counted as kept', async () => {
    const junk = 'x'.repeat(512 * 1024);
    const lines = [1, 2, 3].map((id) => line({ ...good(id), attachment: junk, request: { ...good(id).request, extra: junk } }));
    const withJunk = capture();
    const report = await loadSavedCapture(file('unknown-fields.jsonl', lines.join('\n')), (r) => withJunk.add(r));
    expect(report.records).toBe(3);
    expect(report.notes.join('\n')).toMatch(/3 lines had fields statescope does not know.*attachment \(first at line 1\).*request\.extra/);
    const plain = capture();
    for (const id of [1, 2, 3]) plain.add(good(id));
    expect(withJunk.stats().capture.storedBytes).toBe(plain.stats().capture.storedBytes);
    expect(JSON.stringify(withJunk.record(1))).not.toContain(junk);
  });

  it('--max-capture-mb bounds what is really kept, big bodies included', async () => {
    const body = Buffer.alloc(300 * 1024, 7).toString('base64'); // 400 KiB of base64 per record
    const lines = Array.from({ length: 10 }, (_, i) => line({ ...good(i + 1), reply: { ...good(i + 1).reply, body, bodyTruncated: false } }));
    const c = capture(1024 * 1024);
    await loadSavedCapture(file('bodies.jsonl', lines.join('\n')), (r) => c.add(r));
    const { capture: kept } = c.stats();
    expect(kept.storedBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(kept.storedBytes).toBeGreaterThan(2 * body.length); // the bodies are counted
    expect(kept.stored).toBe(2);
    expect(c.record(10)!.reply!.body).toBe(body);
  });

  it('a first line over 64 KiB (a captured body) is still read as a JSONL log', async () => {
    const body = Buffer.alloc(200 * 1024, 1).toString('base64');
    const first = line({ ...good(1), request: { ...good(1).request, body, bodyTruncated: true } });
    expect(first.length).toBeGreaterThan(64 * 1024);
    const c = capture();
    const report = await loadSavedCapture(file('long-first-line.log', `${first}\n${line(good(2))}\n`), (r) => c.add(r));
    expect(report).toMatchObject({ format: 'jsonl', records: 2, problemCount: 0 });
    expect(c.record(1)!.request!.body).toBe(body);
  });
});

describe('a line with no end', () => {
  it('is skipped by number when longer than the line ceiling, and reading goes on after it', async () => {
    const endless = '{"id":' + '9'.repeat(3 * 1024 * 1024); // 3 MiB without a newline or a closing brace
    const text = [line(good(1)), endless, line(good(2)), `${line(good(3))}\r`].join('\n') + '\n' + endless;
    const c = capture();
    const report = await loadSavedCapture(file('endless-line.jsonl', text), (r) => c.add(r), { maxLineBytes: 1024 * 1024 });
    expect(report.records).toBe(3);
    expect(report.problems).toEqual([
      { where: 'line 2', message: `longer than 1 MiB (${endless.length} bytes): not read` },
      { where: 'line 5', message: `longer than 1 MiB (${endless.length} bytes): not read` },
    ]);
    expect(c.records(10).map((r) => r.id)).toEqual([1, 2, 3]);
  });
});

describe('crafted HAR entries', () => {
  it('a time of 1e19, a date past the end of time, a negative size: those entries skipped, the rest opens', async () => {
    const { head, tail } = harEnvelope({ version: 'test' });
    const entries = [1, 2, 3, 4, 5].map((id) => toHarEntry(good(id)) as unknown as Record<string, unknown>);
    entries[1] = { ...entries[1], time: 1e19 };
    entries[2] = { ...entries[2], startedDateTime: '+275760-09-13T00:00:00.000Z', time: 1000 };
    entries[3] = { ...entries[3], response: { ...(entries[3]!.response as object), status: 70000 } };
    const c = capture();
    const report = await loadSavedCapture(file('crafted.har', head + entries.map((e) => JSON.stringify(e)).join(',') + tail), (r) => c.add(r));
    expect(report.records).toBe(2);
    expect(report.problems.map((p) => p.where)).toEqual(['entry 2', 'entry 3', 'entry 4']);
    expect(report.problems[0]!.message).toMatch(/latencyMs is out of range/);
    expect(report.problems[1]!.message).toMatch(/startedAt \+ latencyMs/);
    expect(report.problems[2]!.message).toMatch(/status is out of range/);
    expect(c.stats().series).toHaveLength(300);
  });
});

/** What the UI reads from a summary, with the types it expects (ui/src renders these as text). */
function summaryProblem(s: ExchangeSummary): string | null {
  const types: Record<keyof ExchangeSummary, string[]> = {
    id: ['number'],
    connectionId: ['number'],
    client: ['string'],
    startedAt: ['number'],
    latencyMs: ['number', 'null'],
    kind: ['string', 'null'],
    verb: ['string', 'null'],
    sessionId: ['string', 'null'],
    appId: ['string', 'null'],
    appHash: ['string', 'null'],
    status: ['number', 'null'],
    version: ['string'],
    versionValue: ['string', 'null'],
    lockCookie: ['string', 'null'],
    lockAgeSeconds: ['number', 'null'],
    requestBytes: ['number'],
    replyBytes: ['number'],
    outcome: ['string'],
  };
  for (const [key, allowed] of Object.entries(types)) {
    const v = (s as unknown as Record<string, unknown>)[key];
    const t = v === null ? 'null' : typeof v;
    if (!allowed.includes(t)) return `${key} is ${t}`;
  }
  if (!Number.isFinite(new Date(s.startedAt).getTime())) return 'startedAt is not a date';
  return null;
}

describe('statescope open on a crafted file (the real process)', () => {
  it('lists the bad lines, then its REST API serves only records the page can render', async () => {
    const { text, bad, goodCount } = craftedJsonl();
    const crafted = file('crafted-process.jsonl', text);
    const proc = startCli(['open', crafted, '--dashboard', '127.0.0.1:0']);
    running.push(proc);
    const [, url] = await proc.waitForOutput(/statescope dashboard: (http:\/\/\S+)/);
    const base = new URL(url!).origin;
    expect(proc.stdout()).toContain(`${goodCount} exchanges, ${bad.length} skipped`);
    for (const b of bad) expect(proc.stderr()).toMatch(new RegExp(`crafted-process\\.jsonl line ${b.line}: not an exchange record: .*\\(skipped\\)`));

    const snap = (await (await fetch(`${base}/api/snapshot?limit=1000`)).json()) as SnapshotResponse;
    expect(snap.items).toHaveLength(goodCount);
    for (const item of snap.items) expect(summaryProblem(item), `summary #${item.id}`).toBeNull();
    expect(snap.stats.series).toHaveLength(300);
    for (const item of snap.items) {
      const res = await fetch(`${base}/api/exchanges/${item.id}`);
      expect(res.status).toBe(200);
      // The detail passes the very checks a saved record must pass: the types the UI expects.
      const detail: unknown = await res.json();
      expect(() => checkRecord(detail), `detail #${item.id}`).not.toThrow();
    }
    const stats = await fetch(`${base}/api/stats`);
    expect(stats.status).toBe(200);
  });

  it('opens a file whose only line is 1e19 at once, with nothing to show rather than a hang', async () => {
    const crafted = file('only-bad.jsonl', `${line({ ...good(1), startedAt: 1e19 })}\n`);
    const proc = startCli(['open', crafted, '--dashboard', '127.0.0.1:0']);
    running.push(proc);
    const [, url] = await proc.waitForOutput(/statescope dashboard: (http:\/\/\S+)/);
    const snap = (await (await fetch(`${new URL(url!).origin}/api/snapshot`)).json()) as SnapshotResponse;
    expect(snap.items).toEqual([]);
    expect(proc.stderr()).toMatch(/only-bad\.jsonl line 1: not an exchange record: startedAt is out of range/);
  });
});
