// Lock rules of protocol notes §6.2, one connection per test, as seen on the wire.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { FakeClock, RawClient, bareReply, request, targetFor, type HeaderList, STORE_NAMES, storesForFile } from './helpers.ts';

const storeFor = storesForFile();

describe.each(STORE_NAMES)('locking (%s store)', (storeName) => {
  const T = targetFor('lockinglockinglocking000');
  const START = Date.UTC(2025, 0, 15, 12, 0, 0);

  let clock: FakeClock;
  let server: RunningStateServer;
  let client: RawClient;

  beforeEach(async () => {
    clock = new FakeClock(START);
    server = await startStateServer({ host: '127.0.0.1', port: 0, store: storeFor(storeName), now: clock.now, timezoneOffsetMinutes: 0 });
    client = await RawClient.connect(server.port);
  });

  afterEach(async () => {
    client.destroy();
    await server.close();
  });

  const put = (body: string, headers: HeaderList = [['Timeout', 20]], target = T) =>
    client.exchange(request('PUT', target, headers, body));
  const get = (target = T) => client.exchange(request('GET', target));
  const acquire = (target = T) => client.exchange(request('GET', target, [['Exclusive', 'acquire']]));
  const release = (headers: HeaderList, target = T) =>
    client.exchange(request('GET', target, [['Exclusive', 'release'], ...headers]));
  const remove = (headers: HeaderList = [], target = T) => client.exchange(request('DELETE', target, headers));
  const head = (target = T) => client.exchange(request('HEAD', target), 'HEAD');

  describe('GetExclusive', () => {
    it('gives a new item cookie 2, then counts up by one per lock', async () => {
      await put('v', [['Timeout', 20], ['LockCookie', 0]]);
      const first = await acquire();
      expect(first.headerNames).toEqual(['X-AspNet-Version', 'LockCookie', 'Timeout', 'Cache-Control', 'Content-Length']);
      expect(first.header('LockCookie')).toBe('2');
      expect(first.body.toString()).toBe('v');
      await release([['LockCookie', 2]]);
      expect((await acquire()).header('LockCookie')).toBe('3');
      await put('w', [['Timeout', 20], ['LockCookie', 3]]);
      expect((await acquire()).header('LockCookie')).toBe('4');
    });

    it('answers 423 with LockDate, LockAge, LockCookie while locked', async () => {
      await put('v');
      await acquire();
      clock.advance(42_700);
      const again = await acquire();
      expect(again.head.status).toBe(423);
      expect(again.head.reason).toBe('Locked');
      expect(again.headerNames).toEqual(['X-AspNet-Version', 'LockDate', 'LockAge', 'LockCookie', 'Cache-Control', 'Content-Length']);
      // .NET ticks of the lock time (server in UTC here), age truncated to whole seconds.
      expect(again.header('LockDate')).toBe((BigInt(START) * 10000n + 621355968000000000n).toString());
      expect(again.header('LockAge')).toBe('42');
      expect(again.header('LockCookie')).toBe('2');
      expect(again.body.length).toBe(0);
      expect(again.header('Content-Length')).toBe('0');
    });

    it('404s for a missing item', async () => {
      expect((await acquire()).bytes.toString('latin1')).toBe(bareReply('404 Not Found'));
    });

    it('takes any case of the Exclusive value', async () => {
      await put('v');
      const r = await client.exchange(request('GET', T, [['exclusive', 'AcQuIrE']]));
      expect(r.header('LockCookie')).toBe('2');
      const rel = await client.exchange(request('GET', T, [['EXCLUSIVE', 'RELEASE'], ['lockcookie', 2]]));
      expect(rel.head.status).toBe(200);
      expect((await get()).head.status).toBe(200);
    });
  });

  describe('Get (non-exclusive)', () => {
    it('returns data with Timeout and no LockCookie, even after earlier locks', async () => {
      await put('data', [['Timeout', 35]]);
      await acquire();
      await release([['LockCookie', 2]]);
      const r = await get();
      expect(r.headerNames).toEqual(['X-AspNet-Version', 'Timeout', 'Cache-Control', 'Content-Length']);
      expect(r.header('Timeout')).toBe('35');
      expect(r.body.toString()).toBe('data');
    });

    it('never returns data while locked', async () => {
      await put('data');
      await acquire();
      const r = await get();
      expect(r.head.status).toBe(423);
      expect(r.body.length).toBe(0);
    });
  });

  describe('Set (PUT)', () => {
    it('by the lock owner stores the body and releases the lock', async () => {
      await put('one');
      await acquire();
      expect((await put('two', [['Timeout', 20], ['LockCookie', 2]])).head.status).toBe(200);
      const r = await get();
      expect(r.head.status).toBe(200);
      expect(r.body.toString()).toBe('two');
    });

    it('423s for a wrong or missing cookie while locked and leaves the item alone', async () => {
      await put('one');
      await acquire();
      const wrong = await put('two', [['Timeout', 20], ['LockCookie', 7]]);
      expect(wrong.head.status).toBe(423);
      expect(wrong.header('LockCookie')).toBe('2');
      const missing = await put('three', [['Timeout', 20]]);
      expect(missing.head.status).toBe(423);
      await release([['LockCookie', 2]]);
      expect((await get()).body.toString()).toBe('one');
    });

    it('ignores the cookie when the item is not locked', async () => {
      await put('one');
      expect((await put('two', [['Timeout', 20], ['LockCookie', 99]])).head.status).toBe(200);
      expect((await put('three', [['Timeout', 20]])).head.status).toBe(200);
      expect((await get()).body.toString()).toBe('three');
    });

    it('accepts the Lock-Cookie spelling', async () => {
      await put('one');
      await acquire();
      expect((await put('two', [['Timeout', 20], ['Lock-Cookie', 2]])).head.status).toBe(200);
      expect((await get()).body.toString()).toBe('two');
    });

    it('with a new Timeout replaces the entry, which takes the request cookie as its counter', async () => {
      await put('one');
      await acquire(); // 2
      expect((await put('two', [['Timeout', 45], ['LockCookie', 2]])).head.status).toBe(200);
      const r = await acquire();
      expect(r.header('Timeout')).toBe('45');
      expect(r.header('LockCookie')).toBe('3');
      await put('three', [['Timeout', 45], ['LockCookie', 3]]);
      // Unlocked, any cookie passes; the replacing entry counts on from it.
      await put('four', [['Timeout', 10], ['LockCookie', 40]]);
      expect((await acquire()).header('LockCookie')).toBe('41');
    });

    it('with the same Timeout keeps the counter', async () => {
      await put('one');
      await acquire(); // 2
      await put('two', [['Timeout', 20], ['LockCookie', 2]]);
      expect((await acquire()).header('LockCookie')).toBe('3');
    });
  });

  describe('ReleaseExclusive', () => {
    it('400s without a cookie, locked or not, present or not', async () => {
      expect((await release([])).bytes.toString('latin1')).toBe(bareReply('400 Bad Request'));
      await put('v');
      expect((await release([])).head.status).toBe(400);
      await acquire();
      expect((await release([])).head.status).toBe(400);
      expect((await get()).head.status).toBe(423);
    });

    it('unlocks with the matching cookie', async () => {
      await put('v');
      await acquire();
      expect((await release([['LockCookie', 2]])).bytes.toString('latin1')).toBe(bareReply('200 OK'));
      expect((await get()).head.status).toBe(200);
    });

    it('423s with a different cookie and keeps the lock', async () => {
      await put('v');
      await acquire();
      const r = await release([['LockCookie', 3]]);
      expect(r.head.status).toBe(423);
      expect(r.headerNames).toEqual(['X-AspNet-Version', 'LockDate', 'LockAge', 'LockCookie', 'Cache-Control', 'Content-Length']);
      expect((await get()).head.status).toBe(423);
    });

    it('answers 200 when the item is not locked, 404 when missing', async () => {
      await put('v');
      expect((await release([['LockCookie', 12]])).head.status).toBe(200);
      expect((await release([['LockCookie', 12]], targetFor('nobody'))).head.status).toBe(404);
    });
  });

  describe('Remove (DELETE)', () => {
    it('423s while locked without the right cookie, removes with it', async () => {
      await put('v');
      await acquire();
      expect((await remove()).head.status).toBe(423);
      expect((await remove([['LockCookie', 5]])).head.status).toBe(423);
      expect((await remove([['LockCookie', 2]])).bytes.toString('latin1')).toBe(bareReply('200 OK'));
      expect((await get()).head.status).toBe(404);
    });

    it('removes an unlocked item with any cookie or none, 404 when missing', async () => {
      await put('v');
      expect((await remove([['LockCookie', 77]])).head.status).toBe(200);
      expect((await remove()).bytes.toString('latin1')).toBe(bareReply('404 Not Found'));
      await put('w');
      expect((await remove()).head.status).toBe(200);
    });
  });

  describe('ResetTimeout (HEAD)', () => {
    it('200 without a body for an existing item (locked or not), 404 when missing', async () => {
      expect((await head()).bytes.toString('latin1')).toBe(bareReply('404 Not Found'));
      await put('some data');
      expect((await head()).bytes.toString('latin1')).toBe(bareReply('200 OK'));
      await acquire();
      expect((await head()).bytes.toString('latin1')).toBe(bareReply('200 OK'));
    });
  });

  describe('keys', () => {
    it('decode the target: %2f and a 1.x client\'s // path name the same item', async () => {
      const encoded = '%2fLM%2fW3SVC%2f1%2fROOT%2fOld(abc)%2fsession1';
      await put('v', [['Timeout', 20]], encoded);
      const r = await client.exchange(request('GET', '//LM/W3SVC/1/ROOT/Old(abc)/session1'));
      expect(r.body.toString()).toBe('v');
      const upper = await client.exchange(request('GET', '%2FLM%2FW3SVC%2F1%2FROOT%2FOld(abc)%2Fsession1'));
      expect(upper.body.toString()).toBe('v');
    });

    it("decode '+' as a space, form-style", async () => {
      await put('v', [['Timeout', 20]], 'a+b');
      expect((await get('a%20b')).body.toString()).toBe('v');
      expect((await get('a%2bb')).head.status).toBe(404);
    });

    it('keep sessions apart', async () => {
      await put('one', [['Timeout', 20]], targetFor('s1'));
      await put('two', [['Timeout', 20]], targetFor('s2'));
      await acquire(targetFor('s1'));
      expect((await get(targetFor('s2'))).body.toString()).toBe('two');
      expect((await server.storeStats()).items).toBe(2);
    });
  });
});
