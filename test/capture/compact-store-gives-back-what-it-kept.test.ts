// The compact store keeps heads as bytes and dissects them again when someone looks. The risk:
// a record that comes back different from the one the relay built (a lost header, an injected
// line, a body, an error text), or a wrap of the byte ring that overwrites a live record.
import { afterEach, describe, expect, it } from 'vitest';
import { createStateClient, newSessionId } from '../../server/client/index.ts';
import { CompactStore } from '../../server/capture/compact-store.ts';
import { toSummary } from '../../server/capture/summary.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';
import { makeRecord } from '../dashboard/fake-source.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

const asJson = (r: unknown) => JSON.parse(JSON.stringify(r)) as unknown;

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
}

describe('the compact store over real traffic', () => {
  it('gives back exactly the records the relay built: headers, injected lines, bodies, errors', async () => {
    const app = await startTestApp({ embeddedVersionHeader: null, injection: { enabled: true, value: '4.0.30319' }, captureBodiesBytes: 64 });
    apps.push(app);
    const client = createStateClient({ host: '127.0.0.1', port: app.proxy.port });
    const id = newSessionId();
    await client.createUninitialized(id);
    const got = await client.getExclusive(id);
    const locked = await client.getExclusive(id); // 423 with LockDate, LockAge, LockCookie
    expect(locked.outcome).toBe("locked");
    await client.set(id, Buffer.alloc(200, 9), { lockCookie: got.lockCookie ?? 0 });
    await client.get(id);
    await client.remove(id, 0);
    await client.get(newSessionId()); // 404
    await client.close();
    await waitFor(() => app.records.length >= 7);
    expect(app.records.length).toBe(7);
    for (const built of app.records) {
      const stored = app.capture.record(built.id);
      expect(asJson(stored), `#${built.id} ${built.request?.kind}`).toEqual(asJson(built));
    }
    // The table rows, read from the heads without building records, say what the records say.
    expect(app.capture.summaries(100)).toEqual(app.records.map(toSummary));
    const kinds = app.records.map((r) => r.request?.kind);
    expect(kinds).toEqual(['CreateUninitialized', 'GetExclusive', 'GetExclusive', 'Set', 'Get', 'Remove', 'Get']);
    expect(app.capture.record(app.records[2]!.id)!.reply!.lockDateTicks).toMatch(/^\d+$/);
    expect(app.capture.record(app.records[3]!.id)!.request!.body).toBe(Buffer.alloc(64, 9).toString('base64'));
    expect(app.capture.record(app.records[0]!.id)!.reply!.injectedLine).toBe('X-AspNet-Version: 4.0.30319');
  });
});

/** Records of very different sizes, so blobs straddle the ring's end and its chunks. */
function varied(id: number): ExchangeRecord {
  const r = makeRecord(id);
  const pad = 'x'.repeat((id * 7919) % 3000);
  const withPad: ExchangeRecord = { ...r, request: { ...r.request!, head: r.request!.head.replace('Host: localhost', `Host: localhost\r\nX-Pad: ${pad}`) } };
  if (id % 5 === 0) withPad.error = `failure ${id} ünïcødé`;
  if (id % 3 === 0) withPad.reply = null;
  if (id % 11 === 0) withPad.client = `[2001:db8::${id}]:${id}`.repeat(10); // too long to share: kept inline
  return withPad;
}

describe('CompactStore', () => {
  it('wraps its byte ring many times without overwriting a live record', () => {
    const store = new CompactStore({ maxCount: 10_000, maxBytes: 64 * 1024 });
    const given = new Map<number, ExchangeRecord>();
    for (let id = 1; id <= 3000; id++) {
      const r = varied(id);
      given.set(id, r);
      store.add(r, false);
      if (id % 97 === 0) {
        // Everything still stored comes back exactly as given.
        for (const kept of store) expect(asJson(kept)).toEqual(asJson(given.get(kept.id)));
        expect(store.newestSummaries(50)).toEqual(store.newest(50).map((r) => toSummary(given.get(r.id)!)));
      }
    }
    expect(store.storedBytes).toBeLessThanOrEqual(64 * 1024);
    expect(store.size + store.evicted).toBe(3000);
    const newest = store.newest(5);
    expect(newest.map((r) => r.id)).toEqual([2996, 2997, 2998, 2999, 3000]);
  });

  it('bounded by count, reuses the start of its ring instead of walking (and allocating) all of --max-capture-mb', () => {
    // 2,000 records of a few hundred bytes in a 256 MiB ring: without the early wrap the write
    // position would walk 256 MiB, allocating every 8 MiB chunk it reached, long after the store was full.
    const store = new CompactStore({ maxCount: 2000, maxBytes: 256 * 1024 * 1024 });
    const padded = (id: number): ExchangeRecord => {
      const r = makeRecord(id);
      r.error = `padding ${'x'.repeat(id % 5000)}`; // 0 to 5,000 bytes of extras, so blobs differ in size
      return r;
    };
    const written: ExchangeRecord[] = [];
    let peak = 0;
    for (let id = 1; id <= 120_000; id++) {
      const record = padded(id);
      store.add(record);
      written.push(record);
      if (written.length > 2000) written.shift();
      peak = Math.max(peak, (store as unknown as { ring: { allocatedBytes: number } }).ring.allocatedBytes);
      if (id % 9973 === 0) {
        // Every live record still reads back as written, across early wraps and the gaps they leave.
        for (const w of [written[0]!, written[1000]!, written.at(-1)!]) expect(asJson(store.get(w.id))).toEqual(asJson(w));
      }
    }
    expect(store.size).toBe(2000);
    for (const w of written) expect(store.get(w.id)?.error).toBe(w.error);
    // Live data is about 2,000 x 2.5 KiB = 5 MiB: the ring holds at most a few 8 MiB chunks, not 256 MiB.
    expect(peak).toBeLessThanOrEqual(4 * 8 * 1024 * 1024);
  });

  it('bounds by count, finds by id, pages from an id, and clears', () => {
    const store = new CompactStore({ maxCount: 100, maxBytes: 1024 * 1024 });
    const given = new Map<number, ExchangeRecord>();
    for (let id = 2; id <= 500; id += 2) {
      given.set(id, makeRecord(id)); // even ids only
      store.add(given.get(id)!, false);
    }
    expect(store.size).toBe(100);
    expect(store.evicted).toBe(150);
    expect(store.get(302)?.id).toBe(302);
    expect(store.get(303)).toBeUndefined(); // between two ids
    expect(store.get(300)).toBeUndefined(); // evicted
    expect(store.page(401, 3).map((r) => r.id)).toEqual([402, 404, 406]);
    expect(store.newest(3, 496).map((r) => r.id)).toEqual([498, 500]);
    expect(asJson(store.get(500))).toEqual(asJson(given.get(500)));
    store.clear();
    expect(store.size).toBe(0);
    expect(store.storedBytes).toBe(0);
    expect([...store]).toEqual([]);
    store.add(makeRecord(7), false);
    expect(store.get(7)?.id).toBe(7);
  });

  it('a record larger than the whole store is not kept, and counted as evicted', () => {
    const store = new CompactStore({ maxCount: 10, maxBytes: 4096 });
    store.add(makeRecord(1), false);
    const big = makeRecord(2);
    big.reply!.body = Buffer.alloc(8192).toString('base64');
    store.add(big, false);
    expect(store.size).toBe(1);
    expect(store.evicted).toBe(1);
    expect(store.get(1)?.id).toBe(1);
  });

  it('keeps a saved record that disagrees with its own head exactly as given', () => {
    const store = new CompactStore({ maxCount: 10, maxBytes: 1024 * 1024 });
    const odd = makeRecord(1);
    odd.request = { ...odd.request!, kind: 'Set', sessionId: 'not-in-the-head', headers: [['Only', 'this']] };
    odd.reply = { ...odd.reply!, status: 500, versionHeader: { present: true, value: '1.1', major: 1 }, lockAgeSeconds: 3 };
    store.add(odd, false);
    expect(asJson(store.get(1))).toEqual(asJson(odd));
    expect(store.newestSummaries(1)).toEqual([toSummary(odd)]);
  });
});
