// The session view's lock history: holds from GetExclusive to their release, waiters, and a
// release forced by a waiter (ReleaseExclusive right after its 423, GetExclusive right after).
import { describe, expect, it } from 'vitest';
import type { ExchangeSummary, RequestKind } from '../../server/capture/wire-types.ts';
import { sessionLocks } from '../../ui/src/state/session-locks.ts';

let id = 1;
function ex(kind: RequestKind, startedAt: number, status: number, lockCookie: string | null, client = '10.0.0.1:1'): ExchangeSummary {
  return {
    id: id++, connectionId: 1, client, startedAt, latencyMs: 1, kind, verb: 'GET', sessionId: 's', appId: null, appHash: null,
    status, version: 'present', versionValue: '4.0.30319', lockCookie, lockAgeSeconds: status === 423 ? 5 : null,
    requestBytes: 1, replyBytes: 1, outcome: 'ok',
  };
}

describe('sessionLocks', () => {
  it('finds the holder, the waiter, the forced release and the normal one', () => {
    const entries = [
      ex('GetExclusive', 0, 200, '2', 'A:1'),
      ex('GetExclusive', 300, 423, '2', 'B:2'),
      ex('ReleaseExclusive', 302, 200, '2', 'B:2'),
      ex('GetExclusive', 304, 200, '3', 'B:2'),
      ex('Set', 500, 200, '3', 'B:2'),
    ];
    const locks = sessionLocks(entries);
    expect(locks.holds.map((h) => [h.cookie, h.holder, h.releasedBy, h.forced, h.waiters])).toEqual([
      ['2', 'A:1', 'ReleaseExclusive', true, 1],
      ['3', 'B:2', 'Set', false, 0],
    ]);
    expect(locks.waits.map((w) => w.client)).toEqual(['B:2']);
    expect(locks.holds[0]!.end).toBe(303);
  });

  it('a holder releasing on its own long after a 423 is not forced; an unreleased lock stays open', () => {
    const entries = [
      ex('GetExclusive', 0, 200, '2'),
      ex('GetExclusive', 100, 423, '2'),
      ex('ReleaseExclusive', 900, 200, '2'),
      ex('GetExclusive', 1000, 200, '3'),
    ];
    const locks = sessionLocks(entries);
    expect(locks.holds.map((h) => h.forced)).toEqual([false, false]);
    expect(locks.holds[1]!.end).toBeNull();
  });
});
