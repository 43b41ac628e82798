// Two `statescope server` processes on one Redis must behave as one state server: a session
// begun on one continues on the other, with the same lock cookies, 423s, ActionFlags and expiry
// bookkeeping, whichever instance each request of ASP.NET happens to reach.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, request, targetFor } from '../stateserver/helpers.ts';
import { useRedisServer } from './use-redis-server.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

const holder = useRedisServer();
let a: ServerProcess;
let b: ServerProcess;
let onA: RawClient;
let onB: RawClient;

beforeAll(async () => {
  [a, b] = await Promise.all([startServerProcess(holder.redis.url), startServerProcess(holder.redis.url)]);
  onA = await RawClient.connect(a.port);
  onB = await RawClient.connect(b.port);
});

afterAll(async () => {
  onA?.destroy();
  onB?.destroy();
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('one session, two statescope servers, one Redis', () => {
  it('runs a whole page life alternating between the instances', async () => {
    const T = targetFor('splitsplitsplitsplit0001');
    // The first page: GetExclusive finds nothing, CreateUninitialized on the other instance.
    expect((await onA.exchange(request('GET', T, [['Exclusive', 'acquire']]))).head.status).toBe(404);
    const created = await onB.exchange(request('PUT', T, [['Timeout', 20], ['LockCookie', 0], ['ExtraFlags', 1]], 'init'));
    expect(created.head.status).toBe(200);
    // The uninitialized flag is seen once, by whichever instance reads first.
    const first = await onA.exchange(request('GET', T, [['Exclusive', 'acquire']]));
    expect(first.head.status).toBe(200);
    expect(first.header('ActionFlags')).toBe('1');
    expect(first.header('LockCookie')).toBe('2');
    // While A's page holds the lock, B answers 423 with A's lock.
    const locked = await onB.exchange(request('GET', T, [['Exclusive', 'acquire']]));
    expect(locked.head.status).toBe(423);
    expect(locked.header('LockCookie')).toBe('2');
    expect(Number(locked.header('LockAge'))).toBeGreaterThanOrEqual(0);
    expect((await onB.exchange(request('GET', T))).head.status).toBe(423);
    // A Set with a wrong cookie on B is refused; the right cookie on B stores and releases.
    expect((await onB.exchange(request('PUT', T, [['Timeout', 20], ['LockCookie', 3]], 'nope'))).head.status).toBe(423);
    expect((await onB.exchange(request('PUT', T, [['Timeout', 20], ['LockCookie', 2]], 'page 1'))).head.status).toBe(200);
    const read = await onA.exchange(request('GET', T));
    expect(read.body.toString()).toBe('page 1');
    expect(read.header('ActionFlags')).toBeUndefined();
    // The counter is shared: the next lock, taken on B, is 3; released on A.
    expect((await onB.exchange(request('GET', T, [['Exclusive', 'acquire']]))).header('LockCookie')).toBe('3');
    expect((await onA.exchange(request('GET', T, [['Exclusive', 'release'], ['LockCookie', 3]]))).head.status).toBe(200);
    expect((await onB.exchange(request('HEAD', T), 'HEAD')).head.status).toBe(200);
    // Abandon on A, gone on B.
    expect((await onA.exchange(request('DELETE', T))).head.status).toBe(200);
    expect((await onB.exchange(request('GET', T))).head.status).toBe(404);
  });

  it('keeps one byte count for the ceiling across instances', async () => {
    const [small1, small2] = await Promise.all([
      startServerProcess(holder.redis.url, ['--max-stored-bytes', '100']),
      startServerProcess(holder.redis.url, ['--max-stored-bytes', '100']),
    ]);
    const c1 = await RawClient.connect(small1.port);
    const c2 = await RawClient.connect(small2.port);
    try {
      // The two earlier servers' items are gone (removed above), so the total starts at 0.
      expect((await c1.exchange(request('PUT', targetFor('ceiling1'), [['Timeout', 20]], Buffer.alloc(60)))).head.status).toBe(200);
      expect((await c2.exchange(request('PUT', targetFor('ceiling2'), [['Timeout', 20]], Buffer.alloc(41)))).head.status).toBe(500);
      expect((await c2.exchange(request('PUT', targetFor('ceiling2'), [['Timeout', 20]], Buffer.alloc(40)))).head.status).toBe(200);
      await expect.poll(() => small2.cli.stderr()).toMatch(/store full \(60 bytes of 100\), Set of 41 bytes/);
      await c1.exchange(request('DELETE', targetFor('ceiling1')));
      await c2.exchange(request('DELETE', targetFor('ceiling2')));
    } finally {
      c1.destroy();
      c2.destroy();
      await Promise.all([small1.stop(), small2.stop()]);
    }
  });
});
