// The storage ceiling: purge expired items first, else refuse the Set with 500 and say so in
// the log, without flooding it.
import { describe, expect, it } from 'vitest';
import { FakeClock, RawClient, bareReply, request, targetFor, withServer, STORE_NAMES, storesForFile } from './helpers.ts';

const storeFor = storesForFile();

describe.each(STORE_NAMES)('limits (%s store)', (storeName) => {
  const MINUTE = 60_000;

  describe('maxStoredBytes', () => {
    it('refuses a Set that would exceed the ceiling with 500 and logs it', async () => {
      const lines: string[] = [];
      await withServer({ store: storeFor(storeName), maxStoredBytes: 100, log: (l) => lines.push(l) }, async (server) => {
        const client = await RawClient.connect(server.port);
        const put = (id: string, size: number, extra: ReadonlyArray<[string, number]> = []) =>
          client.exchange(request('PUT', targetFor(id), [['Timeout', 20], ...extra], Buffer.alloc(size, 0x61)));

        expect((await put('a', 60)).head.status).toBe(200);
        const refused = await put('b', 41);
        expect(refused.bytes.toString('latin1')).toBe(bareReply('500 Internal Server Error'));
        expect((await client.exchange(request('GET', targetFor('b')))).head.status).toBe(404);
        expect(await server.storeStats()).toMatchObject({ items: 1, storedBytes: 60 });
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/^statescope server: store full \(60 bytes of 100\), Set of 41 bytes for .*\)\/b refused/);

        // Exactly filling the ceiling is fine; replacing a body only counts the difference.
        expect((await put('b', 40)).head.status).toBe(200);
        expect((await put('a', 60)).head.status).toBe(200);
        expect((await put('a', 61)).head.status).toBe(500);
        expect((await put('a', 10)).head.status).toBe(200);
        expect((await server.storeStats()).storedBytes).toBe(50);
        // CreateUninitializedItem is subject to the same ceiling.
        expect((await put('c', 51, [['ExtraFlags', 1]])).head.status).toBe(500);
        // Removing frees room.
        await client.exchange(request('DELETE', targetFor('b')));
        expect((await put('c', 51, [['ExtraFlags', 1]])).head.status).toBe(200);
        client.destroy();
      });
    });

    it('a refused Set leaves the lock in place', async () => {
      await withServer({ store: storeFor(storeName), maxStoredBytes: 10 }, async (server) => {
        const client = await RawClient.connect(server.port);
        const t = targetFor('locked');
        await client.exchange(request('PUT', t, [['Timeout', 20]], 'small'));
        await client.exchange(request('GET', t, [['Exclusive', 'acquire']]));
        const r = await client.exchange(request('PUT', t, [['Timeout', 20], ['LockCookie', 2]], 'far too large'));
        expect(r.head.status).toBe(500);
        expect((await client.exchange(request('GET', t))).head.status).toBe(423);
        client.destroy();
      });
    });

    it('purges expired items before refusing', async () => {
      const clock = new FakeClock(Date.UTC(2025, 0, 1));
      const lines: string[] = [];
      await withServer({ store: storeFor(storeName), maxStoredBytes: 100, now: clock.now, log: (l) => lines.push(l) }, async (server) => {
        const client = await RawClient.connect(server.port);
        await client.exchange(request('PUT', targetFor('old'), [['Timeout', 1]], Buffer.alloc(80)));
        clock.advance(MINUTE);
        expect((await server.storeStats()).storedBytes).toBe(80); // expired, but not swept yet
        expect((await client.exchange(request('PUT', targetFor('new'), [['Timeout', 1]], Buffer.alloc(80)))).head.status).toBe(200);
        expect(await server.storeStats()).toMatchObject({ items: 1, storedBytes: 80 });
        expect(lines).toEqual([]);
        client.destroy();
      });
    });

    it('rate-limits the store-full log line', async () => {
      const clock = new FakeClock(Date.UTC(2025, 0, 1));
      const lines: string[] = [];
      await withServer({ store: storeFor(storeName), maxStoredBytes: 4, now: clock.now, log: (l) => lines.push(l) }, async (server) => {
        const client = await RawClient.connect(server.port);
        for (let i = 0; i < 50; i++) {
          expect((await client.exchange(request('PUT', targetFor(`s${i}`), [['Timeout', 20]], 'too big'))).head.status).toBe(500);
        }
        expect(lines).toHaveLength(1);
        clock.advance(10_000);
        await client.exchange(request('PUT', targetFor('later'), [['Timeout', 20]], 'too big'));
        expect(lines).toHaveLength(2);
        expect(lines[1]).toMatch(/store full .* refused \(49 similar messages suppressed\)$/);
        client.destroy();
      });
    });

    it('keeps control characters of a key out of the log line', async () => {
      const lines: string[] = [];
      await withServer({ store: storeFor(storeName), maxStoredBytes: 0, log: (l) => lines.push(l) }, async (server) => {
        const client = await RawClient.connect(server.port);
        await client.exchange(request('PUT', 'evil%0d%0aforged', [['Timeout', 20]], 'x'));
        expect(lines[0]).toContain('evil\\x0d\\x0aforged');
        client.destroy();
      });
    });
  });
});
