// App-start markers must tell a new AppDomain (every connection new from then on) from a pool
// that grew (older connections keep being used), including records arriving out of start order.
import { describe, expect, it } from 'vitest';
import type { ExchangeSummary } from '../../server/capture/wire-types.ts';
import { MARK_APP_START, MARK_CONNECTION, MARK_VERSION_FAILS, MarkerTracker, SETTLE_MS } from '../../ui/src/state/markers.ts';

let nextId = 1;
function ex(connectionId: number, startedAt: number, version: ExchangeSummary['version'] = 'present', port = 5000 + connectionId): ExchangeSummary {
  return {
    id: nextId++,
    connectionId,
    client: `10.0.0.7:${port}`,
    startedAt,
    latencyMs: 2,
    kind: 'Get',
    verb: 'GET',
    sessionId: 's',
    appId: '/LM/W3SVC/1/ROOT/App',
    appHash: null,
    status: 200,
    version,
    versionValue: version === 'present' ? '4.0.30319' : null,
    lockCookie: null,
    lockAgeSeconds: null,
    requestBytes: 100,
    replyBytes: 50,
    outcome: 'ok',
  };
}

const starts = (t: MarkerTracker, items: ExchangeSummary[]) => items.filter((s) => ((t.marks.get(s.id) ?? 0) & MARK_APP_START) !== 0).map((s) => s.id);

describe('MarkerTracker', () => {
  it('marks a restart (old connections never used again) and not a pool that grew', () => {
    const gen1 = [ex(1, 0), ex(2, 10), ex(1, 20)];
    const growth = [ex(3, 30), ex(1, 40), ex(3, 50)]; // conn 3 opens, conn 1 is used again: growth
    const restart = [ex(4, 1000, 'missing'), ex(5, 1001, 'missing'), ex(4, 1010), ex(5, 1020)];
    const later = [ex(4, 1000 + SETTLE_MS + 10), ex(5, 1000 + SETTLE_MS + 20)];
    const all = [...gen1, ...growth, ...restart, ...later];
    const t = new MarkerTracker();
    t.reset(all, true);
    expect(starts(t, all)).toEqual([gen1[0]!.id, restart[0]!.id]);
    // The first reply of the new AppDomain lacked the header, and so did the request sent with it.
    expect(t.marks.get(restart[0]!.id)! & MARK_VERSION_FAILS).toBeTruthy();
    expect(t.marks.get(restart[1]!.id)! & MARK_VERSION_FAILS).toBeTruthy();
    expect(t.marks.get(restart[2]!.id) ?? 0).toBe(0);
    // Each connection's first exchange is marked once.
    expect(all.filter((s) => ((t.marks.get(s.id) ?? 0) & MARK_CONNECTION) !== 0).map((s) => s.connectionId)).toEqual([1, 2, 3, 4, 5]);
  });

  it('waits SETTLE_MS before calling it: an old connection used late still cancels it', () => {
    const t = new MarkerTracker();
    t.reset([], true);
    const a = [ex(1, 0), ex(2, 100)];
    t.add(a);
    t.add([ex(1, 100 + SETTLE_MS - 50)]); // conn 1 (older than conn 2) is used again: growth
    t.advance(100 + SETTLE_MS * 10 + 10_000);
    expect(starts(t, a)).toEqual([a[0]!.id]);
  });

  it('does not mark the first exchange of a list that began mid-stream', () => {
    const items = [ex(7, 0), ex(8, 5), ex(7, 10)];
    const t = new MarkerTracker();
    t.reset(items, false);
    t.settleAll();
    expect(starts(t, items)).toEqual([]);
    // Connection 8 opened after the list began (higher id), so it is known to be new.
    expect(items.filter((s) => ((t.marks.get(s.id) ?? 0) & MARK_CONNECTION) !== 0).map((s) => s.connectionId)).toEqual([8]);
  });
});
