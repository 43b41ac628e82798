// The version check of protocol notes §7.4 against a real socket peer that does or does not
// send X-AspNet-Version: fails once per partition, after the server executed the request.
import { afterEach, describe, expect, it } from 'vitest';
import { createStateClient, NEED_V2_STATE_SERVER, StateClientError, type StateClient } from '../../server/client/index.ts';
import { reply, startRawServer, type RawServer } from '../helpers/raw-server.ts';

const SID = 'aaaaaaaaaaaaaaaaaaaaaaaa';

let server: RawServer | undefined;
let client: StateClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

async function expectVersionError(promise: Promise<unknown>): Promise<StateClientError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StateClientError);
  const e = error as StateClientError;
  expect(e.code).toBe('need_v2_state_server');
  expect(e.message).toBe(
    'Unable to use session state server because this version of ASP.NET requires session state server version 2.0 or above.',
  );
  expect(e.message).toBe(NEED_V2_STATE_SERVER);
  return e;
}

describe('version check', () => {
  it('without the header: fails on the first request only, after the server ran it', async () => {
    server = await startRawServer(() => reply('200 OK'));
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    expect(client.stateServerVersion).toBe(-1);
    const error = await expectVersionError(client.resetTimeout(SID));
    expect(error.status).toBe(200);
    // The request was sent and answered before the exception.
    expect(server.requests).toHaveLength(1);
    expect(client.stateServerVersion).toBe(0);
    for (let i = 0; i < 5; i++) expect((await client.resetTimeout(SID)).status).toBe(200);
    expect((await client.get(SID)).outcome).toBe('absent');
    expect(server.requests).toHaveLength(7);
  });

  it('after restartApp() the new partition checks (and fails) again', async () => {
    server = await startRawServer(() => reply('200 OK'));
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    await expectVersionError(client.get(SID));
    await client.get(SID);
    client.restartApp();
    expect(client.generation).toBe(1);
    expect(client.stateServerVersion).toBe(-1);
    await expectVersionError(client.getExclusive(SID));
    await client.getExclusive(SID);
    client.restartApp();
    await expectVersionError(client.set(SID, Buffer.from([1, 2, 3]), { lockCookie: 2 }));
    await client.set(SID, Buffer.from([1, 2, 3]), { lockCookie: 2 });
  });

  it('with a 2.0 or 4.0 header: never fails, also after restarts', async () => {
    for (const value of ['4.0.30319', '2.0.50727']) {
      server = await startRawServer(() => reply('200 OK', [['X-AspNet-Version', value]]));
      client = createStateClient({ host: '127.0.0.1', port: server.port });
      for (let restart = 0; restart < 3; restart++) {
        for (let i = 0; i < 3; i++) expect((await client.resetTimeout(SID)).status).toBe(200);
        expect(client.stateServerVersion).toBe(Number(value[0]));
        client.restartApp();
      }
      await client.close();
      await server.close();
    }
  });

  it('a 1.x server fails the check like a missing header', async () => {
    server = await startRawServer(() => reply('200 OK', [['X-AspNet-Version', '1.1.4322']]));
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    await expectVersionError(client.get(SID));
    expect(client.stateServerVersion).toBe(1);
    expect((await client.get(SID)).status).toBe(200);
  });

  it('checks on any status, and a header-less reply later on does not matter', async () => {
    let n = 0;
    server = await startRawServer(() => (n++ === 0 ? reply('404 Not Found') : reply('423 Locked', [['LockAge', '1'], ['LockCookie', '5']])));
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    await expectVersionError(client.getExclusive(SID));
    const locked = await client.getExclusive(SID);
    expect(locked).toMatchObject({ outcome: 'locked', lockCookie: 5, lockAge: 1 });
  });

  it('concurrent first requests all check, as there is no lock around the check', async () => {
    server = await startRawServer(() => reply('200 OK'));
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    const outcomes = await Promise.allSettled([client.get(SID), client.get(SID), client.get(SID)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(server.accepted()).toBe(3);
    expect((await client.get(SID)).status).toBe(200);
  });

  it('a 400 is reported before the check, which stays pending', async () => {
    let n = 0;
    server = await startRawServer(() => (n++ === 0 ? reply('400 Bad Request') : reply('200 OK')));
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    const error = await client.releaseExclusive(SID, 1).catch((e: unknown) => e as StateClientError);
    expect(error).toBeInstanceOf(StateClientError);
    expect((error as StateClientError).code).toBe('bad_state_server_request');
    expect(client.stateServerVersion).toBe(-1);
    await expectVersionError(client.get(SID));
  });
});
