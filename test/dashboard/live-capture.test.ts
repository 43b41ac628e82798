// The dashboard over the real capture store (the relay's side is played by ingest()).
import { afterEach, describe, expect, it } from 'vitest';
import { LiveCapture } from '../../server/capture/live-capture.ts';
import type { ExchangeSummary, ProxyState, SnapshotResponse } from '../../server/capture/wire-types.ts';
import { OUTCOME_CODES } from '../../server/capture/wire-types.ts';
import { OUTCOME_TEXT as UI_OUTCOME_TEXT } from '../../ui/src/outcome-text.ts';
import { makeRecord } from './fake-source.ts';
import { closeAll, connectFeed, postJson, start } from './harness.ts';
import { testCapture } from '../helpers/test-capture.ts';

afterEach(closeAll);

const capture = (): LiveCapture => testCapture();

describe('dashboard over LiveCapture', () => {
  it('streams ingested records, serves snapshot and detail, applies controls', async () => {
    const live = capture();
    const { base, dashboard } = await start({ source: live, tickMs: 50 });
    const feed = await connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed`);
    await feed.waitFor((m) => m.type === 'hello');
    for (let i = 0; i < 1500; i++) live.ingest(makeRecord(0));
    await feed.waitFor(() => feed.messages().flatMap((m) => (m.type === 'exchanges' ? m.items : [])).length === 1500);

    const snap = (await (await fetch(`${base}/api/snapshot?limit=10`)).json()) as SnapshotResponse;
    expect(snap.items.map((s: ExchangeSummary) => s.id)).toEqual(Array.from({ length: 10 }, (_, i) => 1491 + i));
    expect(snap.latestId).toBe(1500);
    expect(snap.stats.capture.stored).toBe(1000); // the ring's bound, not the traffic
    expect((await fetch(`${base}/api/exchanges/1500`)).status).toBe(200);
    expect((await fetch(`${base}/api/exchanges/1`)).status).toBe(404); // evicted

    const on = (await (await postJson(`${base}/api/injection`, { enabled: true, value: '2.0.50727' })).json()) as ProxyState;
    expect(on.injection).toEqual({ enabled: true, value: '2.0.50727' });
    await feed.waitFor((m) => m.type === 'state' && m.state.injection.enabled);
    expect((await postJson(`${base}/api/clear`, {})).status).toBe(200);
    await feed.waitFor((m) => m.type === 'cleared');
    feed.ws.close();
  });

  it('exports a store of many pages, oldest first, each record as stored, and only what was there when it began', async () => {
    const live = capture();
    const { base } = await start({ source: live });
    for (let i = 0; i < 2600; i++) live.ingest(makeRecord(0)); // 1,000 kept (the bound), two pages and more
    const res = await fetch(`${base}/api/export.jsonl`);
    // Arrivals during the download are not in it (the store is walked up to the latest id at the start).
    for (let i = 0; i < 50; i++) live.ingest(makeRecord(0));
    const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as { id: number });
    expect(lines.map((r) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => 1601 + i));
    expect(lines[999]).toEqual(JSON.parse(JSON.stringify(live.record(2600))));
    const har = (await (await fetch(`${base}/api/export.har?kind=GetExclusive`)).json()) as { log: { entries: { _id: number }[] } };
    expect(har.log.entries.map((e) => e._id)).toEqual(Array.from({ length: 1000 }, (_, i) => 1651 + i));
  });

  it('the UI has words for every outcome code of the catalogue, and no others', () => {
    expect(Object.keys(UI_OUTCOME_TEXT).sort()).toEqual([...OUTCOME_CODES].sort());
    for (const code of OUTCOME_CODES) expect(UI_OUTCOME_TEXT[code].length).toBeGreaterThan(0);
  });
});
