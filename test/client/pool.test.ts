// Socket pooling like System.Web's ResourcePool: reuse, LIFO, parallel sockets for parallel
// requests, idle sockets disposed by the tick timer, dead pooled sockets replaced.
import { afterEach, describe, expect, it } from 'vitest';
import { createStateClient, type StateClient } from '../../server/client/index.ts';
import { waitFor } from '../helpers/net-peers.ts';
import { OK_V4, sleep, startRawServer, type RawServer } from '../helpers/raw-server.ts';

const SID = 'cccccccccccccccccccccccc';

let server: RawServer | undefined;
let client: StateClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

describe('connection pool', () => {
  it('reuses one socket for sequential requests', async () => {
    server = await startRawServer(OK_V4);
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    const ids = new Set<number>();
    for (let i = 0; i < 20; i++) ids.add((await client.resetTimeout(SID)).connectionId);
    expect(ids.size).toBe(1);
    expect(server.accepted()).toBe(1);
    expect(client.poolStats()).toMatchObject({ idle: 1, busy: 0, opened: 1 });
  });

  it('opens parallel sockets for parallel requests, one request per socket', async () => {
    server = await startRawServer(async () => {
      await sleep(20);
      return OK_V4();
    });
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    const replies = await Promise.all(Array.from({ length: 5 }, () => client!.get(SID)));
    expect(new Set(replies.map((r) => r.connectionId)).size).toBe(5);
    expect(server.accepted()).toBe(5);
    // Each socket carried exactly one request.
    const perConnection = new Map<number, number>();
    for (const r of server.requests) perConnection.set(r.connection, (perConnection.get(r.connection) ?? 0) + 1);
    expect([...perConnection.values()]).toEqual([1, 1, 1, 1, 1]);
    expect(client.poolStats()).toMatchObject({ idle: 5, busy: 0 });
  });

  it('checks out the socket returned last (LIFO)', async () => {
    server = await startRawServer(async (_r, index) => {
      if (index === 0) await sleep(80); // the first socket comes back last
      return OK_V4();
    });
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    const slow = client.get(SID);
    await sleep(10);
    const fast = await client.get(SID);
    const slowReply = await slow;
    expect(slowReply.connectionId).not.toBe(fast.connectionId);
    expect((await client.get(SID)).connectionId).toBe(slowReply.connectionId);
  });

  it('disposes sockets left unused for a whole tick', async () => {
    server = await startRawServer(OK_V4);
    client = createStateClient({ host: '127.0.0.1', port: server.port, idleTickMs: 100 });
    await client.get(SID);
    await sleep(30);
    expect(server.open()).toBe(1);
    // Disposed on the second tick after its return: between 100 and 200 ms idle.
    await waitFor(() => server!.closedByClient() === 1, 2000, 'the client to close its socket');
    expect(client.poolStats()).toMatchObject({ idle: 0, expired: 1 });
    await client.get(SID);
    expect(server.accepted()).toBe(2);
  });

  it('keeps a socket that is used in every tick', async () => {
    server = await startRawServer(OK_V4);
    client = createStateClient({ host: '127.0.0.1', port: server.port, idleTickMs: 100 });
    for (let i = 0; i < 8; i++) {
      await client.get(SID);
      await sleep(40);
    }
    expect(server.accepted()).toBe(1);
    expect(server.closedByClient()).toBe(0);
  });

  it('replaces a pooled socket the server closed', async () => {
    server = await startRawServer(OK_V4);
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    const first = await client.get(SID);
    server.dropAll();
    await sleep(50);
    const second = await client.get(SID);
    expect(second.status).toBe(200);
    expect(second.connectionId).not.toBe(first.connectionId);
    expect(client.poolStats()).toMatchObject({ replaced: 1, opened: 2, idle: 1 });
  });

  it('close() ends idle sockets; restartApp() drops the old pool', async () => {
    server = await startRawServer(OK_V4);
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    await client.get(SID);
    client.restartApp();
    await waitFor(() => server!.closedByClient() === 1, 2000, 'the client to close its socket');
    await client.get(SID);
    expect(server.accepted()).toBe(2);
    await client.close();
    await waitFor(() => server!.closedByClient() === 2, 2000, 'the client to close its socket');
    await expect(client.get(SID)).rejects.toThrow('closed');
  });
});
