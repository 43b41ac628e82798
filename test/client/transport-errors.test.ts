// Connection failures surface as Cant_make_session_request with the native client's last
// phase, and a 400 as Bad_state_server_request; the texts are compared verbatim.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createStateClient, StateClientError, type StateClient } from '../../server/client/index.ts';
import { freePort } from '../helpers/free-port.ts';
import { reply, startRawServer, type RawServer } from '../helpers/raw-server.ts';

const SID = 'bbbbbbbbbbbbbbbbbbbbbbbb';

// Written out again on purpose (not imported): note the two double spaces.
const CANT_MAKE =
  "Unable to make the session state request to the session state server. Please ensure that the ASP.NET State service is started and that the client and server ports are the same.  If the server is on a remote machine, please ensure that it accepts remote requests by checking the value of HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\aspnet_state\\Parameters\\AllowRemoteConnection.  If the server is on the local machine, and if the before mentioned registry value does not exist or is set to 0, then the state server connection string must use either 'localhost' or '127.0.0.1' as the server name.";
const BAD_REQUEST =
  'Unable to make the session state request to the session state server. The session state server is running, but the request is not formatted correctly.';

let server: RawServer | undefined;
let client: StateClient | undefined;
const extraServers: net.Server[] = [];
const extraSockets: net.Socket[] = [];
afterEach(async () => {
  await client?.close();
  await server?.close();
  for (const s of extraSockets.splice(0)) s.destroy();
  for (const s of extraServers.splice(0)) await new Promise((resolve) => s.close(resolve));
  client = server = undefined;
});

async function failureOf(promise: Promise<unknown>): Promise<StateClientError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StateClientError);
  return error as StateClientError;
}


describe('connection failures', () => {
  it('connection refused: Cant_make_session_request, phase Connecting', async () => {
    client = createStateClient({ host: '127.0.0.1', port: await freePort() });
    const error = await failureOf(client.getExclusive(SID));
    expect(error.code).toBe('cant_make_session_request');
    expect(error.message).toBe(CANT_MAKE);
    expect(error.phase).toBe('Connecting to the state server');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(error.detail).toContain("last phase='Connecting to the state server', error code=ECONNREFUSED");
    // No reply, so the version check has not happened.
    expect(client.stateServerVersion).toBe(-1);
  });

  it('no reply within stateNetworkTimeout: phase Reading', async () => {
    server = await startRawServer(() => 'hang');
    client = createStateClient({ host: '127.0.0.1', port: server.port, networkTimeoutSeconds: 0.3 });
    const started = Date.now();
    const error = await failureOf(client.get(SID));
    const elapsed = Date.now() - started;
    expect(error.message).toBe(CANT_MAKE);
    expect(error.phase).toBe('Reading response from the state server');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ETIMEDOUT');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
    expect(client.poolStats()).toMatchObject({ idle: 0, busy: 0 });
  });

  it('a peer that stops reading: phase Sending once the timeout passes', async () => {
    const stalled = net.createServer((socket) => {
      socket.pause();
      socket.on('error', () => {});
      // A paused socket never sees the client's close, so teardown ends it from this side.
      extraSockets.push(socket);
    });
    extraServers.push(stalled);
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const port = (stalled.address() as net.AddressInfo).port;
    client = createStateClient({ host: '127.0.0.1', port, networkTimeoutSeconds: 0.5 });
    // Far more than loopback socket buffers hold, so the write cannot complete.
    const error = await failureOf(client.set(SID, Buffer.alloc(64 * 1024 * 1024, 1), { lockCookie: 2 }));
    expect(error.message).toBe(CANT_MAKE);
    expect(error.phase).toBe('Sending request to the state server');
    expect(error.requestBytes).toBeGreaterThan(64 * 1024 * 1024);
  });

  it('the server closes instead of answering: phase Reading', async () => {
    server = await startRawServer(() => 'close');
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    const error = await failureOf(client.getExclusive(SID));
    expect(error.phase).toBe('Reading response from the state server');
    expect(error.message).toBe(CANT_MAKE);
  });

  it('an unparseable reply: phase Reading, socket not reused', async () => {
    let n = 0;
    server = await startRawServer(() => (n++ === 0 ? Buffer.from('\x00\x01garbage\r\n\r\n', 'latin1') : reply('200 OK', [['X-AspNet-Version', '4.0.30319']])));
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    const error = await failureOf(client.get(SID));
    expect(error.phase).toBe('Reading response from the state server');
    expect((await client.get(SID)).status).toBe(200);
    expect(server.accepted()).toBe(2);
  });

  it('a truncated body then close: phase Reading', async () => {
    server = await startRawServer(() => Buffer.from('200 OK\r\nX-AspNet-Version: 4.0.30319\r\nContent-Length: 10\r\n\r\nabc'));
    client = createStateClient({ host: '127.0.0.1', port: server.port, networkTimeoutSeconds: 0.3 });
    const pending = client.get(SID);
    setTimeout(() => server?.dropAll(), 50);
    const error = await failureOf(pending);
    expect(error.phase).toBe('Reading response from the state server');
  });
});

describe('400 Bad Request', () => {
  it('raises Bad_state_server_request whatever the operation', async () => {
    server = await startRawServer(() => reply('400 Bad Request', [['X-AspNet-Version', '4.0.30319']]));
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    for (const call of [() => client!.set(SID, Buffer.from('x'), { timeoutMinutes: 600000 }), () => client!.releaseExclusive(SID, 1), () => client!.get(SID)]) {
      const error = await failureOf(call());
      expect(error.code).toBe('bad_state_server_request');
      expect(error.message).toBe(BAD_REQUEST);
      expect(error.status).toBe(400);
      expect(error.phase).toBeUndefined();
    }
    // The socket went back to the pool before the status was looked at.
    expect(server.accepted()).toBe(1);
  });

  it('other statuses on non-Get operations are not errors', async () => {
    const statuses = ['404 Not Found', '423 Locked', '500 Internal Server Error'];
    let n = 0;
    server = await startRawServer(() => reply(statuses[n++ % 3]!, [['X-AspNet-Version', '4.0.30319']]));
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    expect((await client.remove(SID, 1)).status).toBe(404);
    expect((await client.set(SID, Buffer.from('x'), { lockCookie: 1 })).status).toBe(423);
    expect((await client.get(SID)).outcome).toBe('absent'); // 500 on a Get: treated as no item
  });
});
