// What is real and what is logical in the Redis store's expiry. Real: each session hash carries
// a Redis TTL that always reaches past its sliding deadline (by up to a quarter of the timeout,
// so a busy session renews it once per that much time instead of on every access), so Redis
// frees abandoned sessions with no statescope server running. Logical: the deadline kept in the
// hash, on the server's clock (a test's fake clock here), decides what a request sees. A session
// Redis has already dropped by TTL is settled (404, bytes uncounted) by the next access.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { FakeClock, RawClient, request } from '../stateserver/helpers.ts';
import { redisCommand, uniquePrefix } from './redis-process.ts';
import { useRedisServer } from './use-redis-server.ts';

const holder = useRedisServer();
const KEY = 'ttl-session';
const MINUTE = 60_000;
let clock: FakeClock;
let server: RunningStateServer;
let client: RawClient;
let prefix: string;

beforeEach(async () => {
  clock = new FakeClock(Date.UTC(2030, 0, 1));
  prefix = uniquePrefix('ttl');
  server = await startStateServer({ port: 0, now: clock.now, store: { kind: 'redis', url: holder.redis.url, keyPrefix: prefix } });
  client = await RawClient.connect(server.port);
});
afterEach(async () => {
  client.destroy();
  await server.close();
});

const redis = (command: string) => redisCommand(holder.redis.port, command);
const pttl = async () => Number((await redis(`PTTL ${prefix}i:${KEY}`)).slice(1));

describe('Redis store expiry', () => {
  it('sets a real Redis TTL past the sliding deadline and renews it before the deadline outruns it', async () => {
    await client.exchange(request('PUT', KEY, [['Timeout', 5]], 'v'));
    const first = await pttl();
    // The timeout plus a quarter of it.
    expect(first).toBeGreaterThan(6.25 * MINUTE - 10_000);
    expect(first).toBeLessThanOrEqual(6.25 * MINUTE);
    // The logical deadline is on the injected clock, not on Redis's.
    expect(await redis(`HGET ${prefix}i:${KEY} x`)).toBe(String(clock.ms + 5 * MINUTE));
    expect(await redis(`HGET ${prefix}i:${KEY} e`)).toBe(String(clock.ms + 6.25 * MINUTE));
    // An access whose new deadline the TTL still covers leaves the TTL alone (cut short here by
    // hand, so we can tell); the deadline slides all the same.
    await redis(`PEXPIRE ${prefix}i:${KEY} 60000`);
    clock.advance(MINUTE);
    await client.exchange(request('HEAD', KEY), 'HEAD');
    expect(await pttl()).toBeLessThanOrEqual(60_000);
    expect(await redis(`HGET ${prefix}i:${KEY} x`)).toBe(String(clock.ms + 5 * MINUTE));
    // One whose new deadline would pass the TTL's end renews it, a quarter past the deadline.
    clock.advance(MINUTE);
    await client.exchange(request('GET', KEY));
    expect(await pttl()).toBeGreaterThan(6.25 * MINUTE - 10_000);
    expect(await redis(`HGET ${prefix}i:${KEY} e`)).toBe(String(clock.ms + 6.25 * MINUTE));
  });

  it('keeps Timeout 0 items without a TTL (no sliding expiry)', async () => {
    await client.exchange(request('PUT', KEY, [['Timeout', 0]], 'v'));
    expect(await pttl()).toBe(-1);
    // Changing to a timeout gives it one again.
    await client.exchange(request('PUT', KEY, [['Timeout', 3]], 'w'));
    expect(await pttl()).toBeGreaterThan(2 * MINUTE);
  });

  it('expires on the logical deadline even while the real TTL has time left', async () => {
    await client.exchange(request('PUT', KEY, [['Timeout', 5]], 'v'));
    clock.advance(5 * MINUTE);
    expect(await pttl()).toBeGreaterThan(0);
    expect((await client.exchange(request('GET', KEY))).head.status).toBe(404);
    expect(await pttl()).toBe(-2);
    expect(await server.storeStats()).toEqual({ items: 0, storedBytes: 0 });
  });

  it('settles a session Redis dropped by TTL at the next access: 404, its bytes no longer counted', async () => {
    await client.exchange(request('PUT', KEY, [['Timeout', 5]], 'twelve bytes'));
    expect(await server.storeStats()).toEqual({ items: 1, storedBytes: 12 });
    // What the real TTL does when nobody touched the session in time.
    expect(await redis(`DEL ${prefix}i:${KEY}`)).toBe(':1');
    expect(await server.storeStats()).toEqual({ items: 1, storedBytes: 12 });
    expect((await client.exchange(request('GET', KEY))).head.status).toBe(404);
    expect(await server.storeStats()).toEqual({ items: 0, storedBytes: 0 });
  });
});
