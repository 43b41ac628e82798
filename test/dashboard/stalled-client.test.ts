// A browser tab that stops reading (frozen tab, sleeping laptop) must not make the server
// queue for it: its share is dropped, and once it reads again it is told to refetch.
import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { closeAll, connectFeed, start } from './harness.ts';

afterEach(closeAll);

describe('stalled feed client', () => {
  it('keeps server buffering bounded and reports dropped after resuming', async () => {
    const maxBufferedBytes = 256 * 1024;
    const { source, dashboard } = await start({ tickMs: 20, feed: { maxBufferedBytes, maxPendingItems: 2000 } });
    const stalled = await connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed`);
    const healthy = await connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed`);
    await stalled.waitFor((m) => m.type === 'hello');
    const socket = (stalled.ws as unknown as { _socket: Socket })._socket;
    socket.pause();

    // ~200 000 summaries (~60 MB of JSON) while the stalled tab reads nothing.
    let maxBuffered = 0;
    for (let round = 0; round < 100; round++) {
      source.emit(2000);
      await new Promise((r) => setTimeout(r, 25));
      for (const c of dashboard.feedClients()) maxBuffered = Math.max(maxBuffered, c.bufferedAmount);
      source.stored = []; // the fake keeps everything; the real store is a bounded ring
    }
    // Bounded by the stall limit plus one frame (2000 summaries ≈ 700 KB), not by traffic.
    expect(maxBuffered).toBeLessThan(maxBufferedBytes + 2 * 1024 * 1024);
    const statuses = dashboard.feedClients();
    expect(statuses.some((s) => s.dropped > 0)).toBe(true);

    // The healthy client got everything (drops there would only come from overflow, none here).
    expect(healthy.messages().some((m) => m.type === 'dropped')).toBe(false);

    socket.resume();
    const dropped = await stalled.waitFor((m) => m.type === 'dropped', 15_000);
    expect(dropped.type === 'dropped' && dropped.count).toBeGreaterThan(0);
    stalled.ws.close();
    healthy.ws.close();
  });
});
