import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeRecord, ProxyState, SnapshotResponse } from '../../server/capture/wire-types.ts';
import { closeAll, postJson, start } from './harness.ts';

afterEach(closeAll);

describe('dashboard REST API', () => {
  it('serves a snapshot of summaries, newest last, limited', async () => {
    const { source, base } = await start();
    source.emit(30);
    const all = (await (await fetch(`${base}/api/snapshot`)).json()) as SnapshotResponse;
    expect(all.items).toHaveLength(30);
    expect(all.latestId).toBe(30);
    expect(all.items.at(-1)!.id).toBe(30);
    expect(all.items[0]).toMatchObject({ kind: 'GetExclusive', sessionId: 'sess1', version: 'missing', status: 200 });
    expect(all.state.listen).toBe('127.0.0.1:42425');
    expect(all.stats.totals.exchanges).toBe(30);
    expect(all.diagnoses).toEqual([]);

    const some = (await (await fetch(`${base}/api/snapshot?limit=5`)).json()) as SnapshotResponse;
    expect(some.items.map((i) => i.id)).toEqual([26, 27, 28, 29, 30]);
    expect((await fetch(`${base}/api/snapshot?limit=abc`)).status).toBe(400);
  });

  it('returns a full record by id, 404 otherwise', async () => {
    const { source, base } = await start();
    source.emit(3);
    const res = await fetch(`${base}/api/exchanges/2`);
    expect(res.status).toBe(200);
    const record = (await res.json()) as ExchangeRecord;
    expect(record.request!.head).toContain('Exclusive: acquire\r\n');
    const missing = await fetch(`${base}/api/exchanges/99`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/no exchange 99/);
    expect((await fetch(`${base}/api/nothing`)).status).toBe(404);
  });

  it('state and stats', async () => {
    const { base } = await start();
    expect(((await (await fetch(`${base}/api/state`)).json()) as ProxyState).upstream).toBe('127.0.0.1:42424');
    const stats = (await (await fetch(`${base}/api/stats`)).json()) as { stats: unknown; diagnoses: unknown[] };
    expect(stats.stats).toBeTruthy();
    expect(stats.diagnoses).toEqual([]);
  });

  it('switches injection on and validates the value', async () => {
    const { base } = await start();
    const on = await postJson(`${base}/api/injection`, { enabled: true, value: '2.0.50727' });
    expect(on.status).toBe(200);
    expect(((await on.json()) as ProxyState).injection).toEqual({ enabled: true, value: '2.0.50727' });

    for (const value of ['1.1.4322', 'abc', '4.0', '', 4]) {
      const bad = await postJson(`${base}/api/injection`, { value });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/value/);
    }
    expect((await postJson(`${base}/api/injection`, { enabled: 'yes' })).status).toBe(400);
    expect((await postJson(`${base}/api/injection`, '{not json')).status).toBe(400);
    expect((await postJson(`${base}/api/injection`, { pad: 'x'.repeat(70_000) })).status).toBe(413);
    const noType = await fetch(`${base}/api/injection`, { method: 'POST', body: '{"enabled":true}' });
    expect(noType.status).toBe(415);
    expect((await fetch(`${base}/api/injection`)).status).toBe(405);
  });

  it('pauses capture and clears', async () => {
    const { source, base } = await start();
    source.emit(4);
    const paused = await postJson(`${base}/api/capture`, { paused: true });
    expect(((await paused.json()) as ProxyState).capturePaused).toBe(true);
    expect((await postJson(`${base}/api/capture`, {})).status).toBe(400);
    expect((await postJson(`${base}/api/clear`, {})).status).toBe(200);
    expect(source.stored).toHaveLength(0);
  });

  it('refuses controls on a read-only source with 409', async () => {
    const { base } = await start({ readOnly: true });
    for (const [path, body] of [
      ['/api/injection', { enabled: true }],
      ['/api/capture', { paused: true }],
      ['/api/clear', {}],
    ] as const) {
      const res = await postJson(`${base}${path}`, body);
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: string }).error).toMatch(/saved capture/);
    }
  });

  it('exports every stored record as JSON lines', async () => {
    const { source, base } = await start();
    source.emit(1234);
    const res = await fetch(`${base}/api/export.jsonl`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="statescope-.*\.jsonl"$/);
    const lines = (await res.text()).trimEnd().split('\n');
    expect(lines).toHaveLength(1234);
    expect((JSON.parse(lines[1233]!) as ExchangeRecord).id).toBe(1234);
  });
});
