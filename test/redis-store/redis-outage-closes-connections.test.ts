// When Redis is down, hung or not there yet, statescope must fail the way a dead state server
// does: close the client's connection without a reply. An invented 404 or 500 on a Get would
// make ASP.NET start a new, empty session and the user would silently lose theirs. The operator
// gets one log line per outage (not one per request), a counter, and service back by itself.
import { afterEach, describe, expect, it } from 'vitest';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { RawClient, request, targetFor } from '../stateserver/helpers.ts';
import { freePort, RedisProcess, redisCommand } from './redis-process.ts';

const T = targetFor('outageoutageoutage000001');
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(port?: number): Promise<{ redis: RedisProcess | null; server: RunningStateServer; lines: string[]; url: string }> {
  const lines: string[] = [];
  const redisPort = port ?? (await freePort());
  const redis = port === undefined ? await RedisProcess.start({ port: redisPort }) : null;
  if (redis) cleanup.push(() => redis.dispose());
  const url = `redis://127.0.0.1:${redisPort}`;
  const server = await startStateServer({ port: 0, store: { kind: 'redis', url }, log: (l) => lines.push(l) });
  cleanup.push(() => server.close());
  return { redis, server, lines, url };
}

/** Sends one request on a fresh connection; resolves with the bytes received before the close. */
async function answeredWith(port: number, bytes: Buffer, verb: string): Promise<string> {
  const client = await RawClient.connect(port);
  client.send(bytes, verb);
  const closed = await Promise.race([client.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 8000))]);
  client.destroy();
  if (!closed) throw new Error('connection was neither answered-and-closed nor closed');
  return client.received().toString('latin1');
}

/** The body of the reply on a fresh connection ('' for a bodiless one), or null when it was closed unanswered. */
async function firstReply(port: number, bytes: Buffer, verb: string): Promise<string | null> {
  const client = await RawClient.connect(port);
  try {
    client.send(bytes, verb);
    return await Promise.race([client.nextReply(5000).then((r) => r.body.toString()), client.closed.then(() => null)]);
  } finally {
    client.destroy();
  }
}

const EVERY_OPERATION: Array<[string, Buffer, string]> = [
  ['Get', request('GET', T), 'GET'],
  ['GetExclusive', request('GET', T, [['Exclusive', 'acquire']]), 'GET'],
  ['ReleaseExclusive', request('GET', T, [['Exclusive', 'release'], ['LockCookie', 2]]), 'GET'],
  ['Set', request('PUT', T, [['Timeout', 20]], 'data'), 'PUT'],
  ['CreateUninitialized', request('PUT', T, [['Timeout', 20], ['ExtraFlags', 1]], 'x'), 'PUT'],
  ['Remove', request('DELETE', T), 'DELETE'],
  ['ResetTimeout', request('HEAD', T), 'HEAD'],
];

describe('Redis store faults', () => {
  it('closes the connection without a reply for every operation while Redis is dead, logs once, counts, recovers', async () => {
    const { redis, server, lines } = await setup();
    const client = await RawClient.connect(server.port);
    expect((await client.exchange(request('PUT', T, [['Timeout', 20]], 'before'))).head.status).toBe(200);
    await redis!.kill();
    for (const [name, bytes, verb] of EVERY_OPERATION) {
      expect(await answeredWith(server.port, bytes, verb), name).toBe('');
    }
    // The connection that was open when Redis died is closed at its next request, unanswered.
    const before = client.received().length;
    client.send(request('GET', T), 'GET');
    await client.closed;
    expect(client.received().length).toBe(before);
    expect(server.stats().storeFailures).toBe(EVERY_OPERATION.length + 1);
    expect(lines.filter((l) => l.includes('lost the Redis store'))).toHaveLength(1);
    // Eight failures, one line: the rest are held back by the rate limit.
    expect(lines.filter((l) => l.includes('store unavailable'))).toHaveLength(1);
    expect(lines.find((l) => l.includes('store unavailable'))).toMatch(
      /^statescope server: store unavailable \(Redis store redis:\/\/127\.0\.0\.1:\d+\/?: .+\), closed the connection from 127\.0\.0\.1:\d+ without a reply \(1 so far\)$/,
    );

    await redis!.launch();
    await expect.poll(() => lines.some((l) => l.includes('is back; serving again')), { timeout: 10_000 }).toBe(true);
    const after = await RawClient.connect(server.port);
    // This Redis had no persistence: the item is gone, and saying 404 now is the truth.
    expect((await after.exchange(request('GET', T))).head.status).toBe(404);
    expect((await after.exchange(request('PUT', T, [['Timeout', 20]], 'after'))).head.status).toBe(200);
    expect((await after.exchange(request('GET', T))).body.toString()).toBe('after');
    after.destroy();
  });

  it('closes a connection whose request Redis does not answer (hung Redis), within the command timeout', async () => {
    const { redis, server, lines } = await setup();
    const client = await RawClient.connect(server.port);
    expect((await client.exchange(request('PUT', T, [['Timeout', 20]], 'v'))).head.status).toBe(200);
    redis!.freeze();
    try {
      const started = Date.now();
      // Pipelined: the reply to the request before the hang is due first, then nothing.
      client.send(request('GET', T), 'GET');
      await client.closed;
      // 3 s command timeout, far below ASP.NET's 10 s stateNetworkTimeout.
      expect(Date.now() - started).toBeLessThan(7000);
      expect(server.stats().storeFailures).toBe(1);
      expect(lines.some((l) => /Redis store .* did not answer within 3000 ms; reconnecting/.test(l))).toBe(true);
    } finally {
      redis!.thaw();
    }
    // The hung link was dropped and is re-established once Redis answers; until then requests
    // fail the same way, each on its own connection.
    await expect.poll(() => firstReply(server.port, request('GET', T), 'GET'), { timeout: 10_000 }).toBe('v');
  });

  it('keeps reconnecting to a Redis that accepts connections but never answers, and serves once it does', async () => {
    const { redis, server, lines } = await setup();
    const client = await RawClient.connect(server.port);
    expect((await client.exchange(request('PUT', T, [['Timeout', 20]], 'v'))).head.status).toBe(200);
    redis!.freeze();
    try {
      client.send(request('GET', T), 'GET');
      await client.closed;
      // The reconnect reaches the stopped Redis (the kernel accepts), its handshake hangs.
      await expect.poll(() => lines.some((l) => l.includes('accepted the connection but does not answer')), { timeout: 15_000 }).toBe(true);
      expect(await firstReply(server.port, request('GET', T), 'GET')).toBeNull();
    } finally {
      redis!.thaw();
    }
    await expect.poll(() => firstReply(server.port, request('GET', T), 'GET'), { timeout: 15_000 }).toBe('v');
  });

  it('stops reading a pipelining client while Redis is slow, instead of queueing without bound', async () => {
    const { redis, server } = await setup();
    const client = await RawClient.connect(server.port);
    redis!.freeze();
    try {
      const one = request('HEAD', T);
      client.socket.write(Buffer.concat(Array.from({ length: 40_000 }, () => one)));
      await new Promise((r) => setTimeout(r, 1000));
      // At most 64 requests wait for the store, plus the rest of the 64 KiB chunk being parsed
      // (about 430 of these requests); unbounded, the server reads thousands.
      expect(server.stats().requests).toBeLessThan(1000);
      expect(client.socket.writableLength).toBeGreaterThan(0);
    } finally {
      redis!.thaw();
    }
    client.destroy();
  });

  it('fails (never reorders) a request whose script Redis forgot (SCRIPT FLUSH), then serves again', async () => {
    const { redis, server } = await setup();
    const client = await RawClient.connect(server.port);
    expect((await client.exchange(request('PUT', T, [['Timeout', 20]], 'one'))).head.status).toBe(200);
    expect(await redisCommand(redis!.port, 'SCRIPT FLUSH')).toBe('+OK');
    // Pipelined Set then Get: resending the Set after reloading the script would run it after the
    // Get. The connection is closed instead, with nothing answered out of order.
    client.send(Buffer.concat([request('PUT', T, [['Timeout', 20]], 'two'), request('GET', T)]), 'PUT', 'GET');
    await client.closed;
    expect(server.stats().storeFailures).toBeGreaterThanOrEqual(1);
    const again = await RawClient.connect(server.port);
    await expect.poll(async () => (await again.exchange(request('HEAD', T), 'HEAD')).head.status, { timeout: 5000 }).toBe(200);
    again.send(Buffer.concat([request('PUT', T, [['Timeout', 20]], 'three'), request('GET', T)]), 'PUT', 'GET');
    expect((await again.nextReply()).head.status).toBe(200);
    expect((await again.nextReply()).body.toString()).toBe('three');
    again.destroy();
  });

  it('starts while Redis is not there yet, closes connections meanwhile, serves once it comes up', async () => {
    const port = await freePort();
    const { server, lines } = await setup(port);
    expect(lines.some((l) => /Redis store redis:\/\/127\.0\.0\.1:\d+\/? not reachable yet/.test(l))).toBe(true);
    expect(await answeredWith(server.port, request('GET', T), 'GET')).toBe('');
    const redis = await RedisProcess.start({ port });
    cleanup.push(() => redis.dispose());
    await expect.poll(() => firstReply(server.port, request('HEAD', T), 'HEAD'), { timeout: 10_000 }).toBe('');
    const client = await RawClient.connect(server.port);
    expect((await client.exchange(request('HEAD', T), 'HEAD')).head.status).toBe(404);
    client.destroy();
  });

  it('answers a Set refused by Redis maxmemory (noeviction) with 500 like a full store, and keeps Gets working', async () => {
    const lines: string[] = [];
    const redis = await RedisProcess.start({ args: ['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction'] });
    cleanup.push(() => redis.dispose());
    const server = await startStateServer({ port: 0, store: { kind: 'redis', url: redis.url }, log: (l) => lines.push(l) });
    cleanup.push(() => server.close());
    const client = await RawClient.connect(server.port);
    expect((await client.exchange(request('PUT', T, [['Timeout', 20]], 'kept'))).head.status).toBe(200);
    let refused = 0;
    for (let i = 0; i < 40 && refused === 0; i++) {
      const r = await client.exchange(request('PUT', targetFor(`filler${i}`), [['Timeout', 20]], Buffer.alloc(256 * 1024, 1)));
      if (r.head.status === 500) refused++;
      else expect(r.head.status).toBe(200);
    }
    expect(refused).toBe(1);
    expect(lines.some((l) => /store full \(Redis refused the write: OOM/.test(l))).toBe(true);
    // A full Redis still serves sessions: reads refresh expiry, locks are taken and released.
    expect((await client.exchange(request('GET', T))).body.toString()).toBe('kept');
    const locked = await client.exchange(request('GET', T, [['Exclusive', 'acquire']]));
    expect(locked.header('LockCookie')).toBe('2');
    expect((await client.exchange(request('GET', T, [['Exclusive', 'release'], ['LockCookie', 2]]))).head.status).toBe(200);
    expect((await client.exchange(request('HEAD', T), 'HEAD')).head.status).toBe(200);
    // Requests pipelined around refused Sets, so they share their turn and go to Redis
    // together: the Sets get 500, everything else is answered as it would be, in order.
    const big = Buffer.alloc(256 * 1024, 2);
    client.send(
      Buffer.concat([
        request('PUT', targetFor('filler-pipelined'), [['Timeout', 20]], big),
        request('GET', T),
        request('GET', T, [['Exclusive', 'acquire']]),
        request('PUT', T, [['Timeout', 20], ['LockCookie', 3]], big),
        request('GET', T, [['Exclusive', 'release'], ['LockCookie', 3]]),
        request('HEAD', T),
        request('GET', targetFor('never-stored')),
        request('GET', T),
      ]),
      'PUT', 'GET', 'GET', 'PUT', 'GET', 'HEAD', 'GET', 'GET',
    );
    const pipelined = [];
    for (let i = 0; i < 8; i++) pipelined.push(await client.nextReply());
    expect(pipelined.map((r) => r.head.status)).toEqual([500, 200, 200, 500, 200, 200, 404, 200]);
    expect(pipelined[1]!.body.toString()).toBe('kept');
    expect(pipelined[2]!.header('LockCookie')).toBe('3');
    // The refused Set left the item as it was, and the lock to the Release after it.
    expect(pipelined[7]!.body.toString()).toBe('kept');
    expect(pipelined[7]!.header('LockCookie')).toBeUndefined();
    // Abandoning sessions frees room.
    for (let i = 0; i < 40; i++) await client.exchange(request('DELETE', targetFor(`filler${i}`)));
    expect((await client.exchange(request('PUT', T, [['Timeout', 20]], 'fits again'))).head.status).toBe(200);
    expect(client.isClosed).toBe(false);
  });
});
