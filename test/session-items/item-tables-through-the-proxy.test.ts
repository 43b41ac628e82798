// --session-items on real traffic: the emulator's real-format sessions (plain and compressed)
// go through the real proxy to the embedded state server, and the records carry the item
// tables of Sets and of Get/GetExclusive replies, keys named or hashed, in the order the
// exchanges finished; a body that is not a session is reported as such and relayed untouched.
import { afterEach, describe, expect, it } from 'vitest';
import { createStateClient, newSessionId } from '../../server/client/index.ts';
import { runScenario } from '../../server/client/scenario.ts';
import { serializeSession } from '../../server/client/session-body-writer.ts';
import type { ExchangeRecord, SessionItemsRecord } from '../../server/capture/wire-types.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';

let app: TestApp | null = null;
afterEach(async () => {
  await app?.close(0);
  app = null;
});

async function settled(a: TestApp, count: number): Promise<ExchangeRecord[]> {
  const deadline = Date.now() + 10_000;
  while (a.records.length < count && Date.now() < deadline) {
    a.capture.flush();
    await new Promise((r) => setTimeout(r, 20));
  }
  return a.records;
}

function tables(records: ExchangeRecord[]): { record: ExchangeRecord; items: SessionItemsRecord; side: 'request' | 'reply' }[] {
  const out: { record: ExchangeRecord; items: SessionItemsRecord; side: 'request' | 'reply' }[] = [];
  for (const record of records) {
    if (record.request?.sessionItems) out.push({ record, items: record.request.sessionItems, side: 'request' });
    if (record.reply?.sessionItems) out.push({ record, items: record.reply.sessionItems, side: 'reply' });
  }
  return out;
}

describe('session item tables of live traffic', () => {
  for (const compressed of [false, true]) {
    it(`names every item of the emulator's ${compressed ? 'compressed' : 'plain'} sessions, on Sets and on 200 Get replies`, async () => {
      app = await startTestApp({ sessionItems: 'names' });
      const report = await runScenario({ host: app.proxy.host, port: app.proxy.port, sessions: 4, durationSeconds: 1.5, rate: 0, compressSessions: compressed });
      expect(report.operations.Set).toBeDefined();
      await app.close(2000);
      const records = app.records;
      app = null;
      const found = tables(records);
      const sets = found.filter((t) => t.side === 'request');
      const replies = found.filter((t) => t.side === 'reply');
      expect(sets.length).toBeGreaterThan(5);
      expect(replies.filter((t) => t.items.ok && t.items.itemCount > 0).length).toBeGreaterThan(5);
      for (const t of found) {
        expect(t.items.ok, JSON.stringify(t.items)).toBe(true);
        // CreateUninitialized stores an empty (plain) session, which a Get then returns.
        if (!t.items.ok || t.items.itemCount === 0) continue;
        expect(t.items.form).toBe(compressed ? 'compressed' : 'plain');
        expect(t.items.keys).toBe('names');
        expect(t.items.timeoutMinutes).toBe(20);
        const byKey = new Map(t.items.items.map((i) => [i.key, i]));
        expect(byKey.get('UserName')?.type).toBe('String');
        expect(byKey.get('UserId')).toMatchObject({ type: 'Int32', size: 5 });
        expect(byKey.get('IsAuthenticated')).toMatchObject({ type: 'Boolean', size: 2 });
        expect(byKey.get('LastVisit')).toMatchObject({ type: 'DateTime', size: 9 });
        expect(byKey.get('CartTotal')).toMatchObject({ type: 'Double', size: 9 });
        expect(byKey.get('Cart')).toMatchObject({ type: 'Object', className: 'Shop.ShoppingCart' });
        expect(t.items.items.reduce((n, i) => n + i.size, 0)).toBe(t.items.valueBytes);
      }
      // Only Sets and 200 replies to Get / GetExclusive carry a table.
      for (const t of found) {
        if (t.side === 'request') expect(t.record.request!.kind).toBe('Set');
        else {
          expect(['Get', 'GetExclusive']).toContain(t.record.request!.kind);
          expect(t.record.reply!.status).toBe(200);
        }
      }
      // Held compressed records do not reorder: ids follow the order the capture received them in.
      const ids = records.map((r) => r.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    });
  }

  it('hashes key names with --session-items=hashed: short, stable within the run, the same on Set and Get', async () => {
    app = await startTestApp({ sessionItems: 'hashed' });
    const client = createStateClient({ host: app.proxy.host, port: app.proxy.port });
    const id = newSessionId();
    const body = serializeSession({ timeoutMinutes: 20, items: [['CustomerSSN', { type: 'String', value: 'x' }], [null, { type: 'Null' }], ['Basket', { type: 'Int32', value: 7 }]] });
    await client.set(id, body, { newItem: true });
    await client.get(id);
    await client.set(id, body, { newItem: true });
    await client.close();
    const records = await settled(app, 3);
    const found = tables(records).map((t) => t.items);
    expect(found).toHaveLength(3);
    const keyLists = found.map((t) => (t.ok ? t.items.map((i) => i.key) : []));
    expect(keyLists[0]).toHaveLength(3);
    expect(keyLists[1]).toEqual(keyLists[0]);
    expect(keyLists[2]).toEqual(keyLists[0]);
    const [ssn, nullKey, basket] = keyLists[0]!;
    expect(ssn).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(basket).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(ssn).not.toBe(basket);
    expect(nullKey).toBeNull();
    expect(JSON.stringify(records)).not.toContain('CustomerSSN');
    expect(found.every((t) => t.ok && t.keys === 'hashed')).toBe(true);
  });

  it('streams large sessions (plain and compressed, 3 MB) through the decoder and relays them byte for byte', async () => {
    app = await startTestApp({ sessionItems: 'names' });
    const client = createStateClient({ host: app.proxy.host, port: app.proxy.port });
    const id = newSessionId();
    for (const compressed of [false, true]) {
      const body = serializeSession({
        timeoutMinutes: 30,
        compressed,
        items: [['Report', { type: 'Object', className: 'Shop.Reports.SalesReport', assembly: 'Shop', bytes: 3_000_000 }], ['n', { type: 'Int32', value: 1 }]],
      });
      await client.set(id, body, { newItem: true });
      const back = await client.get(id);
      expect(back.body?.equals(body)).toBe(true);
    }
    await client.close();
    const found = tables(await settled(app, 4)).map((t) => t.items);
    expect(found).toHaveLength(4);
    expect(found.map((t) => t.ok && t.form)).toEqual(['plain', 'plain', 'compressed', 'compressed']);
    for (const t of found) {
      if (!t.ok) continue;
      expect(t.items.map((i) => [i.key, i.className ?? i.type])).toEqual([['Report', 'Shop.Reports.SalesReport'], ['n', 'Int32']]);
      expect(t.items[0]!.size).toBeGreaterThan(3_000_000);
    }
  });

  it('reports a body that is not a session and relays it byte for byte', async () => {
    app = await startTestApp({ sessionItems: 'names' });
    const client = createStateClient({ host: app.proxy.host, port: app.proxy.port });
    const id = newSessionId();
    const garbage = Buffer.from('this is not a serialized ASP.NET session at all, just text', 'latin1');
    await client.set(id, garbage, { newItem: true });
    const back = await client.get(id);
    await client.close();
    expect(back.body?.equals(garbage)).toBe(true);
    const records = await settled(app, 2);
    const found = tables(records);
    expect(found).toHaveLength(2);
    for (const t of found) {
      expect(t.items.ok).toBe(false);
      if (!t.items.ok) expect(t.items.error.length).toBeGreaterThan(5);
    }
  });

  it('keeps no table and no body without the options', async () => {
    app = await startTestApp();
    await runScenario({ host: app.proxy.host, port: app.proxy.port, sessions: 2, durationSeconds: 0.5, rate: 0 });
    await app.close(2000);
    const records = app.records;
    app = null;
    expect(records.length).toBeGreaterThan(5);
    for (const r of records) {
      expect(r.request?.sessionItems).toBeUndefined();
      expect(r.reply?.sessionItems).toBeUndefined();
      expect(r.request?.body).toBeUndefined();
      expect(r.reply?.body).toBeUndefined();
    }
    expect(app).toBeNull();
  });
});
