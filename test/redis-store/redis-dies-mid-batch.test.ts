// The Redis store sends many clients' requests to Redis as one batch. The risks: a Redis that
// dies with a batch in flight makes the server answer some client wrongly (a reply meant for
// another, an invented 404), closes clients that had nothing in flight, or leaves one hanging;
// and a Redis restarted under load loses a reply or invents one. What a client may see is its
// own correct reply or its connection closed, nothing else.
import { afterEach, describe, expect, it } from 'vitest';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { RawClient, request, targetFor } from '../stateserver/helpers.ts';
import { RedisProcess } from './redis-process.ts';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(persistence: 'none' | 'aof'): Promise<{ redis: RedisProcess; server: RunningStateServer; lines: string[] }> {
  const lines: string[] = [];
  const redis = await RedisProcess.start({ persistence });
  cleanup.push(() => redis.dispose());
  const server = await startStateServer({ port: 0, store: { kind: 'redis', url: redis.url }, log: (l) => lines.push(l) });
  cleanup.push(() => server.close());
  return { redis, server, lines };
}

const put = (target: string, value: string) => request('PUT', target, [['Timeout', 20]], value);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis dying with a batch in flight', () => {
  it('closes exactly the connections that were waiting on it, unanswered; the others carry on', async () => {
    const { redis, server, lines } = await setup('none');
    const targets = [0, 1, 2, 3].map((i) => targetFor(`midbatchmidbatchmidb${String(i).padStart(4, '0')}`));
    const clients = await Promise.all(targets.map(() => RawClient.connect(server.port)));
    for (const [i, c] of clients.entries()) expect((await c.exchange(put(targets[i]!, `v${i}`))).head.status).toBe(200);
    const before = clients.map((c) => c.received().length);

    // Redis hangs; clients 0 and 1 (which pipelines two requests) and 2 send, 3 stays idle.
    redis.freeze();
    clients[0]!.send(request('GET', targets[0]!), 'GET');
    clients[1]!.send(Buffer.concat([put(targets[1]!, 'w1'), request('GET', targets[1]!)]), 'PUT', 'GET');
    clients[2]!.send(request('HEAD', targets[2]!), 'HEAD');
    await sleep(300);
    expect(clients.map((c) => c.isClosed)).toEqual([false, false, false, false]);
    // ...and dies with their batch unanswered.
    await redis.kill();
    await Promise.all(clients.slice(0, 3).map((c) => c.closed));
    // Not one byte after the replies they had before: no invented 404 or 500.
    expect(clients.map((c) => c.received().length)).toEqual(before);
    expect(server.stats().storeFailures).toBe(3);
    await sleep(300);
    expect(clients[3]!.isClosed).toBe(false);

    await redis.launch();
    await expect.poll(() => lines.some((l) => l.includes('is back; serving again')), { timeout: 10_000 }).toBe(true);
    // The idle connection is served on the new Redis (no persistence: the item is truly gone).
    expect((await clients[3]!.exchange(request('GET', targets[3]!))).head.status).toBe(404);
    expect((await clients[3]!.exchange(put(targets[3]!, 'again'))).head.status).toBe(200);
    expect((await clients[3]!.exchange(request('GET', targets[3]!))).body.toString()).toBe('again');
    for (const c of clients) c.destroy();
  });

  it('loses no reply and invents none while Redis is restarted twice under 16 clients of load', async () => {
    // AOF fsynced per write: whatever Redis acknowledged survives its SIGKILL.
    const { redis, server } = await setup('aof');
    let stop = false;
    const tallies = { replies: 0, closes: 0, wrong: [] as string[] };

    const worker = async (i: number): Promise<void> => {
      const target = targetFor(`restartrestartrestart${String(i).padStart(3, '0')}`);
      let n = 0;
      while (!stop) {
        let client: RawClient;
        try {
          client = await RawClient.connect(server.port);
        } catch {
          await sleep(20);
          continue;
        }
        try {
          while (!stop) {
            const value = `c${i}-${++n}`;
            const set = await Promise.race([client.exchange(put(target, value)), client.closed.then(() => null)]);
            if (set === null) break;
            tallies.replies++;
            if (set.head.status !== 200) tallies.wrong.push(`client ${i} Set: ${set.head.status}`);
            const get = await Promise.race([client.exchange(request('GET', target)), client.closed.then(() => null)]);
            if (get === null) break;
            tallies.replies++;
            // Only this client writes its key, and Redis keeps what it acknowledged even across
            // a kill: the Get must return the value just set, whatever happened in between.
            const got = get.head.status === 200 ? get.body.toString() : String(get.head.status);
            if (got !== value) tallies.wrong.push(`client ${i} Get: ${got}, expected ${value}`);
          }
          if (!stop) tallies.closes++;
        } finally {
          client.destroy();
        }
        await sleep(20);
      }
    };

    const workers = Array.from({ length: 16 }, (_, i) => worker(i));
    for (let restart = 0; restart < 2; restart++) {
      await sleep(800);
      const repliesBefore = tallies.replies;
      await redis.kill();
      await sleep(200);
      await redis.launch();
      await sleep(800);
      // Traffic resumed on the restarted Redis.
      expect(tallies.replies).toBeGreaterThan(repliesBefore);
    }
    stop = true;
    await Promise.all(workers);
    expect(tallies.wrong).toEqual([]);
    expect(tallies.replies).toBeGreaterThan(200);
    // Each kill closed the connections with a request in flight (and those that sent while Redis was down).
    expect(tallies.closes).toBeGreaterThan(0);
  }, 30_000);
});
