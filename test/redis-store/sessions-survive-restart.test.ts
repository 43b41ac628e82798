// The point of the Redis store: restarting `statescope server` (an upgrade, a reboot, a crash)
// loses no session and no lock, and neither does restarting Redis itself when it persists (AOF).
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient, request, targetFor } from '../stateserver/helpers.ts';
import { useRedisServer } from './use-redis-server.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

const holder = useRedisServer({ persistence: 'aof' });
const running: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((p) => p.kill()));
});

async function serve(listen = '127.0.0.1:0'): Promise<ServerProcess> {
  const p = await startServerProcess(holder.redis.url, [], listen);
  running.push(p);
  return p;
}

const SESSIONS = ['restart000000000000000a1', 'restart000000000000000b2', 'restart000000000000000c3'].map(targetFor);
const body = (i: number) => Buffer.from(`session ${i} \u0000\u00ff binary`, 'latin1');

async function expectSessionsIntact(client: RawClient): Promise<void> {
  for (let i = 1; i < SESSIONS.length; i++) {
    const r = await client.exchange(request('GET', SESSIONS[i]!));
    expect(r.head.status).toBe(200);
    expect(r.body.equals(body(i))).toBe(true);
    expect(r.header('Timeout')).toBe(String(20 + i));
  }
  // The page that held the lock when the server went away still holds it, with its cookie.
  const locked = await client.exchange(request('GET', SESSIONS[0]!, [['Exclusive', 'acquire']]));
  expect(locked.head.status).toBe(423);
  expect(locked.header('LockCookie')).toBe('2');
}

describe('sessions in Redis', () => {
  it('survive a restart of statescope server on the same address, locks included', async () => {
    const first = await serve();
    const port = first.port;
    let client = await RawClient.connect(port);
    for (let i = 0; i < SESSIONS.length; i++) {
      expect((await client.exchange(request('PUT', SESSIONS[i]!, [['Timeout', 20 + i]], body(i)))).head.status).toBe(200);
    }
    expect((await client.exchange(request('GET', SESSIONS[0]!, [['Exclusive', 'acquire']]))).header('LockCookie')).toBe('2');
    client.destroy();
    expect(await first.stop()).toBe(0);

    const second = await serve(`127.0.0.1:${port}`);
    client = await RawClient.connect(second.port);
    await expectSessionsIntact(client);
    client.destroy();
  });

  it('survive Redis itself being killed and restarted (AOF), and the server reconnects by itself', async () => {
    const server = await serve();
    const client = await RawClient.connect(server.port);
    await expectSessionsIntact(client);
    await holder.redis.kill();
    // Redis gone: the client's connection is closed, no reply invented.
    const before = client.received().length;
    client.send(request('GET', SESSIONS[1]!), 'GET');
    await client.closed;
    expect(client.received().length).toBe(before);
    await holder.redis.launch();
    await expect.poll(() => server.cli.stderr(), { timeout: 10_000 }).toMatch(/is back; serving again/);
    const again = await RawClient.connect(server.port);
    await expectSessionsIntact(again);
    // The lock taken before everything restarted is released with its cookie.
    expect((await again.exchange(request('GET', SESSIONS[0]!, [['Exclusive', 'release'], ['LockCookie', 2]]))).head.status).toBe(200);
    expect((await again.exchange(request('GET', SESSIONS[0]!))).body.equals(body(0))).toBe(true);
    again.destroy();
  });
});
