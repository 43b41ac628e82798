// Sliding expiry (notes §6.1) with an injected clock, and the uninitialized-item flag (§6.3).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../server/stateserver/memory-store.ts';
import { RedisStore } from '../../server/stateserver/redis-store.ts';
import type { StateStore } from '../../server/stateserver/store.ts';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { FakeClock, RawClient, request, targetFor, type HeaderList, STORE_NAMES, storesForFile } from './helpers.ts';

const storeFor = storesForFile();

describe.each(STORE_NAMES)('expiry (%s store)', (storeName) => {
  const T = targetFor('expiryexpiryexpiry000000');
  const MINUTE = 60_000;

  let clock: FakeClock;
  let server: RunningStateServer;
  let client: RawClient;

  beforeEach(async () => {
    clock = new FakeClock(Date.UTC(2025, 5, 1));
    server = await startStateServer({ host: '127.0.0.1', port: 0, store: storeFor(storeName), now: clock.now });
    client = await RawClient.connect(server.port);
  });

  afterEach(async () => {
    client.destroy();
    await server.close();
  });

  const put = (body: string, headers: HeaderList = [['Timeout', 20]]) => client.exchange(request('PUT', T, headers, body));
  const status = async (bytes: Buffer, verb?: string) => (await client.exchange(bytes, verb)).head.status;

  describe('sliding expiry', () => {
    it('keeps an item for Timeout minutes after the last access, then 404s', async () => {
      await put('v', [['Timeout', 5]]);
      clock.advance(5 * MINUTE - 1);
      expect((await server.storeStats()).items).toBe(1);
      clock.advance(1);
      expect(await status(request('GET', T))).toBe(404);
      expect(await server.storeStats()).toMatchObject({ items: 0, storedBytes: 0 });
    });

    it('defaults to 20 minutes without a Timeout header', async () => {
      await put('v', []);
      const r = await client.exchange(request('GET', T));
      expect(r.header('Timeout')).toBe('20');
      clock.advance(20 * MINUTE - 1);
      expect(await status(request('HEAD', T), 'HEAD')).toBe(200);
      clock.advance(20 * MINUTE);
      expect(await status(request('HEAD', T), 'HEAD')).toBe(404);
    });

    it('is refreshed by every kind of read, not only HEAD', async () => {
      await put('v', [['Timeout', 1]]);
      const reads: Array<[Buffer, string]> = [
        [request('HEAD', T), 'HEAD'],
        [request('GET', T), 'GET'],
        [request('GET', T, [['Exclusive', 'acquire']]), 'GET'],
        [request('GET', T), 'GET'], // 423 while locked still counts as a read
        [request('GET', T, [['Exclusive', 'release'], ['LockCookie', 2]]), 'GET'],
        [request('PUT', T, [['Timeout', 1]], 'w'), 'PUT'],
      ];
      for (const [bytes, verb] of reads) {
        clock.advance(MINUTE - 1);
        expect(await status(bytes, verb)).not.toBe(404);
      }
      clock.advance(MINUTE - 1);
      expect((await client.exchange(request('GET', T))).body.toString()).toBe('w');
    });

    it('also expires locked items (locks never outlive the item)', async () => {
      await put('v', [['Timeout', 1]]);
      await client.exchange(request('GET', T, [['Exclusive', 'acquire']]));
      clock.advance(MINUTE);
      expect(await status(request('GET', T, [['Exclusive', 'acquire']]))).toBe(404);
    });

    it('treats Timeout 0 as no sliding expiry, as the ASP.NET cache does', async () => {
      await put('v', [['Timeout', 0]]);
      clock.advance(10 * 525_600 * MINUTE);
      const r = await client.exchange(request('GET', T));
      expect(r.head.status).toBe(200);
      expect(r.header('Timeout')).toBe('0');
    });

    it('the sweep drops expired items nobody asks for', async () => {
      const storeClock = new FakeClock(Date.UTC(2025, 5, 1));
      const spec = storeFor(storeName);
      const store: StateStore =
        spec.kind === 'memory' ? new MemoryStore(storeClock.now) : new RedisStore({ ...spec, now: storeClock.now });
      try {
        if (store instanceof RedisStore) expect(await store.ready(5000)).toBe(true);
        const put = (key: string, body: string, timeoutMinutes: number) =>
          store.set(key, { body: Buffer.from(body), timeoutMinutes, lockCookie: undefined, maxStoredBytes: Infinity });
        await put('a', 'aaaa', 1);
        await put('b', 'bb', 3);
        await put('c', 'c', 0);
        storeClock.advance(2 * MINUTE);
        expect(await store.purgeExpired()).toBe(1);
        expect(await store.stats()).toEqual({ items: 2, storedBytes: 3 });
        expect(await store.purgeExpired()).toBe(0);
        storeClock.advance(525_600 * MINUTE);
        expect(await store.purgeExpired()).toBe(1);
        expect(await store.stats()).toEqual({ items: 1, storedBytes: 1 });
      } finally {
        await store.close();
      }
    });
  });

  describe('uninitialized items (ExtraFlags / ActionFlags)', () => {
    const create = (body = 'empty', cookie = 0) =>
      client.exchange(request('PUT', T, [['Timeout', 20], ['LockCookie', cookie], ['ExtraFlags', 1]], body));

    it('reports ActionFlags 1 to the first Get only', async () => {
      expect((await create()).head.status).toBe(200);
      const first = await client.exchange(request('GET', T));
      expect(first.headerNames).toEqual(['X-AspNet-Version', 'ActionFlags', 'Timeout', 'Cache-Control', 'Content-Length']);
      expect(first.header('ActionFlags')).toBe('1');
      const second = await client.exchange(request('GET', T));
      expect(second.header('ActionFlags')).toBeUndefined();
      expect((await client.exchange(request('GET', T, [['Exclusive', 'acquire']]))).header('ActionFlags')).toBeUndefined();
    });

    it('reports it to a first GetExclusive before LockCookie', async () => {
      await create();
      const first = await client.exchange(request('GET', T, [['Exclusive', 'acquire']]));
      expect(first.headerNames.slice(1, 4)).toEqual(['ActionFlags', 'LockCookie', 'Timeout']);
      await client.exchange(request('GET', T, [['Exclusive', 'release'], ['LockCookie', 2]]));
      expect((await client.exchange(request('GET', T))).header('ActionFlags')).toBeUndefined();
    });

    it('is ignored with 200 when the item exists, even if locked', async () => {
      await put('live');
      await client.exchange(request('GET', T, [['Exclusive', 'acquire']]));
      expect((await create('placeholder')).head.status).toBe(200);
      await client.exchange(request('GET', T, [['Exclusive', 'release'], ['LockCookie', 2]]));
      const r = await client.exchange(request('GET', T));
      expect(r.body.toString()).toBe('live');
      expect(r.header('ActionFlags')).toBeUndefined();
    });

    it('is cleared by an ordinary Set, and any ExtraFlags value with bit 1 creates', async () => {
      await client.exchange(request('PUT', T, [['Timeout', 20], ['ExtraFlags', 3]], 'e'));
      await put('real', [['Timeout', 20], ['ExtraFlags', 0]]);
      expect((await client.exchange(request('GET', T))).header('ActionFlags')).toBeUndefined();
    });
  });
});
