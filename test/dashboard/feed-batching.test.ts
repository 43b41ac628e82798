// The feed must coalesce: thousands of exchanges a second become a few frames, not thousands.
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeSummary, FeedMessage } from '../../server/capture/wire-types.ts';
import { closeAll, connectFeed, postJson, start } from './harness.ts';

afterEach(closeAll);

const items = (messages: FeedMessage[]): ExchangeSummary[] =>
  messages.flatMap((m) => (m.type === 'exchanges' ? m.items : []));

describe('dashboard ws feed', () => {
  it('says hello, then batches many records into few frames', async () => {
    const { source, dashboard } = await start({ tickMs: 100 });
    const feed = await connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed`);
    const hello = await feed.waitFor((m) => m.type === 'hello');
    expect(hello).toMatchObject({ type: 'hello', latestId: 0, state: { listen: '127.0.0.1:42425' } });
    expect(feed.frames[0]).toEqual([hello]);

    for (let i = 0; i < 50; i++) source.emit(100); // 5 000 records in 50 capture batches
    await feed.waitFor(() => items(feed.messages()).length >= 5000);
    const got = items(feed.messages());
    expect(got.map((s) => s.id)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    expect(got[0]).toMatchObject({ kind: 'GetExclusive', version: 'missing', lockCookie: '1' });
    expect(feed.frames.length).toBeLessThanOrEqual(4);
    for (const frame of feed.frames) expect(Array.isArray(frame)).toBe(true);
    feed.ws.close();
  });

  it('forwards state changes, clears, and stats at most once a second', async () => {
    const { source, dashboard, base } = await start({ tickMs: 50 });
    const feed = await connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed`);
    await postJson(`${base}/api/injection`, { enabled: true });
    const state = await feed.waitFor((m) => m.type === 'state');
    expect(state.type === 'state' && state.state.injection.enabled).toBe(true);
    await postJson(`${base}/api/clear`, {});
    await feed.waitFor((m) => m.type === 'cleared');
    source.statsCalls = 0;
    await new Promise((r) => setTimeout(r, 1100));
    // 22 ticks went by; stats were computed at most twice.
    expect(source.statsCalls).toBeLessThanOrEqual(2);
    expect(feed.messages().filter((m) => m.type === 'stats').length).toBeGreaterThanOrEqual(1);
    feed.ws.close();
  });

  it('a client that throws away its socket does not disturb the others', async () => {
    const { source, dashboard } = await start({ tickMs: 50 });
    const rude = await connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed`);
    const good = await connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed`);
    rude.ws.terminate();
    source.emit(10);
    await good.waitFor(() => items(good.messages()).length === 10);
    good.ws.close();
  });
});
