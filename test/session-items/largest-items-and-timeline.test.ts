// What the page's item views are computed from (GET /api/session-items): the largest items
// across sessions, in order, with where each was largest and its share of that session; one
// session's item sizes over time; bodies that were not sessions are counted, never listed.
import { describe, expect, it } from 'vitest';
import { sessionItemsOverview, sessionItemsTimeline } from '../../server/capture/session-items-report.ts';
import type { ExchangeRecord, SessionItemEntry, SessionItemsRecord } from '../../server/capture/wire-types.ts';
import { makeRecord } from '../dashboard/fake-source.ts';

function table(items: [string | null, string, number][]): SessionItemsRecord {
  const entries: SessionItemEntry[] = items.map(([key, type, size]) => ({ key, typeId: type === 'Object' ? 20 : 1, type, size }));
  const valueBytes = items.reduce((n, [, , size]) => n + size, 0);
  return { ok: true, form: 'plain', keys: 'names', timeoutMinutes: 20, itemCount: items.length, items: entries, valueBytes, staticObjectCount: 0, decodedBytes: valueBytes + 40 };
}

function record(id: number, sessionId: string, side: 'request' | 'reply', t: SessionItemsRecord): ExchangeRecord {
  const r = makeRecord(id);
  r.request!.sessionId = sessionId;
  r.startedAt = 1_000 + id;
  if (side === 'request') r.request!.sessionItems = t;
  else r.reply!.sessionItems = t;
  return r;
}

const records = [
  record(1, 'alice', 'request', table([['Cart', 'Object', 400], ['User', 'String', 20]])),
  record(2, 'alice', 'reply', table([['Cart', 'Object', 900], ['User', 'String', 20]])),
  record(3, 'bob', 'request', table([['Cart', 'Object', 100], ['Report', 'Object', 5000], [null, 'Null', 1]])),
  record(4, 'bob', 'request', { ok: false, form: 'plain', error: 'the timeout is 99999999 minutes', offset: 4 }),
  record(5, 'carol', 'request', table([['User', 'String', 30]])),
];

describe('largest session items', () => {
  it('lists keys by their largest size, with the session where they were largest and their share of it', () => {
    const o = sessionItemsOverview(records);
    expect(o.decoded).toBe(4);
    expect(o.notSessions).toBe(1);
    expect(o.keys).toBe('names');
    expect(o.largest.map((i) => [i.key, i.maxBytes, i.sessionId, i.exchangeId, i.sessions])).toEqual([
      ['Report', 5000, 'bob', 3, 1],
      ['Cart', 900, 'alice', 2, 2],
      ['User', 30, 'carol', 5, 2],
      [null, 1, 'bob', 3, 1],
    ]);
    expect(o.largest[0]!.shareOfSession).toBeCloseTo(5000 / 5101, 3);
    expect(o.largest[1]!.shareOfSession).toBeCloseTo(900 / 920, 3);
    expect(o.largestSessions.map((s) => [s.sessionId, s.maxBytes])).toEqual([['bob', 5101], ['alice', 920], ['carol', 30]]);
  });

  it('follows one session: each item size per body, keys largest first', () => {
    const t = sessionItemsTimeline(records, 'alice');
    expect(t.keys).toEqual(['Cart', 'User']);
    expect(t.points.map((p) => [p.exchangeId, p.side, p.valueBytes, p.sizes])).toEqual([
      [1, 'request', 420, { Cart: 400, User: 20 }],
      [2, 'reply', 920, { Cart: 900, User: 20 }],
    ]);
    expect(sessionItemsTimeline(records, 'bob').keys).toEqual(['Report', 'Cart', '(null key)']);
    expect(sessionItemsTimeline(records, 'nobody').points).toEqual([]);
  });
});
