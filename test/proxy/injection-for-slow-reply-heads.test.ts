// Injection was skipped for a reply head that took longer than the hold time: its bytes were
// flushed raw before the head was complete, so ASP.NET got it without X-AspNet-Version and the
// workaround failed exactly when the state server was slow. With injection on, a reply head is
// now held until complete (the client cannot use half a head anyway), bounded by the head limit.
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { connectRawClient, waitFor } from '../helpers/net-peers.ts';
import { sleep, startRawServer, type RawServer } from '../helpers/raw-server.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';

let app: TestApp | null = null;
let upstream: RawServer | null = null;
afterEach(async () => {
  await app?.close(0);
  await upstream?.close();
  app = null;
  upstream = null;
});

const HOLD_MS = 300;
const request = Buffer.from('GET %2fLM%2fW3SVC%2f1%2fROOT%2fa(h)%2fs HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');

function relayTo(port: number, inject: boolean) {
  return {
    upstream: { host: '127.0.0.1', port },
    injection: { enabled: inject, value: '4.0.30319' },
    headHoldMs: HOLD_MS,
    replyTimeoutMs: 2000,
  };
}

/** An upstream that writes its reply one byte every 50 ms; `done` tells when it wrote the last. */
async function tricklingUpstream(reply: Buffer): Promise<{ server: RawServer; done: () => boolean }> {
  let finished = false;
  const server = await startRawServer((_request, _i, socket: net.Socket) => {
    void (async () => {
      for (let i = 0; i < reply.length && !socket.destroyed; i++) {
        socket.write(reply.subarray(i, i + 1));
        await sleep(50);
      }
      finished = true;
    })();
    return 'hang';
  });
  return { server, done: () => finished };
}

it('injects into a reply whose head trickles in one byte per 50 ms, far past the hold time', async () => {
  const reply = Buffer.from('200 OK\r\nCache-Control: private\r\nContent-Length: 0\r\n\r\n', 'latin1');
  const trickle = await tricklingUpstream(reply);
  upstream = trickle.server;
  expect(reply.length * 50).toBeGreaterThan(5 * HOLD_MS);
  app = await startTestApp(relayTo(upstream.port, true));
  const client = await connectRawClient(app.proxy.port);
  const got = await client.exchange(request);
  // Exactly the upstream's bytes with the one line added after the status line, in one piece.
  const expected = Buffer.from('200 OK\r\nX-AspNet-Version: 4.0.30319\r\nCache-Control: private\r\nContent-Length: 0\r\n\r\n', 'latin1');
  expect(Buffer.concat(client.received).equals(expected)).toBe(true);
  expect(client.received).toHaveLength(1);
  expect(got.head.status).toBe(200);
  await waitFor(() => app!.records.length === 1, 2000, 'record');
  expect(app.records[0]).toMatchObject({ outcome: 'ok', reply: { injected: true, versionHeader: { present: false } } });
  client.close();
});

it('a slow reply that has the header is held too, and forwarded unchanged', async () => {
  const reply = Buffer.from('200 OK\r\nX-AspNet-Version: 2.0.50727\r\nContent-Length: 0\r\n\r\n', 'latin1');
  upstream = (await tricklingUpstream(reply)).server;
  app = await startTestApp(relayTo(upstream.port, true));
  const client = await connectRawClient(app.proxy.port);
  await client.exchange(request);
  expect(Buffer.concat(client.received).equals(reply)).toBe(true);
  await waitFor(() => app!.records.length === 1, 2000, 'record');
  expect(app.records[0]).toMatchObject({ outcome: 'ok', reply: { injected: false, versionHeader: { present: true, value: '2.0.50727' } } });
  client.close();
});

it('with injection off, a trickling reply head is still flushed raw after the hold time (transparency)', async () => {
  const reply = Buffer.from('200 OK\r\nCache-Control: private\r\nContent-Length: 0\r\n\r\n', 'latin1');
  const trickle = await tricklingUpstream(reply);
  upstream = trickle.server;
  app = await startTestApp(relayTo(upstream.port, false));
  const client = await connectRawClient(app.proxy.port);
  const done = client.exchange(request);
  await waitFor(() => client.received.length > 0, 3000, 'the first bytes');
  expect(trickle.done()).toBe(false); // they came before the upstream had finished the head
  await done;
  expect(Buffer.concat(client.received).equals(reply)).toBe(true);
  client.close();
});
