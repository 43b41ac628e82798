// The race an in-process lock cannot win: 40 clients on two statescope servers sharing one Redis
// take and release the lock of one session for 10 s. Never may two hold it at once, and no Set
// may be lost: each holder appends its own entry to the body it read, so a lost update or a
// stale read shows up as a body that is not exactly the previous holder's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, request, targetFor } from '../stateserver/helpers.ts';
import { useRedisServer } from './use-redis-server.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

const CLIENTS = 40;
const DURATION_MS = 10_000;
const T = targetFor('racerace0race0race0race0');

const holder = useRedisServer();
let servers: ServerProcess[] = [];

beforeAll(async () => {
  servers = await Promise.all([startServerProcess(holder.redis.url), startServerProcess(holder.redis.url)]);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

describe('40 clients, two servers, one lock', () => {
  it('never has two holders and loses no Set', { timeout: 60_000 }, async () => {
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) => RawClient.connect(servers[i % 2]!.port)),
    );
    expect((await clients[0]!.exchange(request('PUT', T, [['Timeout', 20]], 'start'))).head.status).toBe(200);

    let holderId: number | null = null;
    /** The body the last holder sent with its Set: the lock was free only after Redis ran it. */
    let lastSent = 'start';
    const violations: string[] = [];
    const counts = { acquired: 0, sets: 0, releases: 0, locked: 0, perServer: [0, 0] };
    const deadline = Date.now() + DURATION_MS;

    async function play(id: number, client: RawClient): Promise<void> {
      let turn = 0;
      while (Date.now() < deadline) {
        const got = await client.exchange(request('GET', T, [['Exclusive', 'acquire']]));
        if (got.head.status === 423) {
          counts.locked++;
          if (got.header('LockCookie') === undefined) violations.push(`423 without LockCookie for client ${id}`);
          await new Promise((r) => setImmediate(r));
          continue;
        }
        if (got.head.status !== 200) {
          violations.push(`client ${id}: GetExclusive answered ${got.head.status}`);
          return;
        }
        // Our 200 was produced after the previous holder's Set or Release ran in Redis, and that
        // holder gave up `holderId` before sending it: anyone still marked here holds it too.
        if (holderId !== null) violations.push(`client ${id} got the lock while client ${holderId} held it`);
        holderId = id;
        counts.acquired++;
        counts.perServer[id % 2]!++;
        const body = got.body.toString('latin1');
        if (body !== lastSent) violations.push(`client ${id} read ${body.length} bytes, the last Set sent ${lastSent.length}`);
        const cookie = got.header('LockCookie')!;
        turn++;
        if (turn % 4 === 0) {
          holderId = null;
          const released = await client.exchange(request('GET', T, [['Exclusive', 'release'], ['LockCookie', cookie]]));
          if (released.head.status !== 200) violations.push(`release by ${id} answered ${released.head.status}`);
          counts.releases++;
        } else {
          const next = `${body},${id}.${turn}`;
          lastSent = next;
          holderId = null;
          const set = await client.exchange(request('PUT', T, [['Timeout', 20], ['LockCookie', cookie]], next));
          if (set.head.status !== 200) violations.push(`Set by ${id} answered ${set.head.status}`);
          counts.sets++;
        }
      }
    }

    await Promise.all(clients.map((c, i) => play(i, c)));
    const final = await clients[1]!.exchange(request('GET', T));
    for (const c of clients) c.destroy();

    expect(violations.slice(0, 10)).toEqual([]);
    // Every acknowledged Set left exactly one entry, in the body the last one wrote.
    expect(final.body.toString('latin1')).toBe(lastSent);
    expect(lastSent.split(',').length - 1).toBe(counts.sets);
    // The run really contended on both instances.
    expect(counts.acquired).toBeGreaterThan(100);
    expect(counts.locked).toBeGreaterThan(counts.acquired);
    expect(Math.min(...counts.perServer)).toBeGreaterThan(20);
    console.log(`lock race: ${JSON.stringify(counts)}`);
  });
});
