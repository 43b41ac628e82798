// A client that stops reading must not make the proxy buffer the upstream's bytes without
// bound: the relay stops reading the upstream until the client drains, then every byte
// arrives intact.
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { waitFor } from '../helpers/net-peers.ts';
import { startRawServer, type RawServer } from '../helpers/raw-server.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';
import { transcript } from '../helpers/transcripts.ts';

let app: TestApp;
let upstream: RawServer;
afterEach(async () => {
  await app?.close(0);
  await upstream?.close();
});

it('pushes back on the upstream while the client is not reading', async () => {
  const BODY = 48 * 1024 * 1024;
  let upstreamSocket: net.Socket | null = null;
  upstream = await startRawServer((_request, _i, socket) => {
    upstreamSocket = socket;
    const head = Buffer.from(`200 OK\r\nX-AspNet-Version: 4.0.30319\r\nLockCookie: 2\r\nTimeout: 20\r\nCache-Control: private\r\nContent-Length: ${BODY}\r\n\r\n`, 'latin1');
    return Buffer.concat([head, Buffer.alloc(BODY, 0x5a)]);
  });
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port } });
  const client = net.connect({ port: app.proxy.port, host: '127.0.0.1' });
  await new Promise((r) => client.once('connect', r));
  client.pause();
  client.write(transcript('02').request!.bytes);
  await waitFor(() => upstreamSocket !== null, 3000, 'request upstream');
  // Give the bytes time to flow as far as they can.
  await new Promise((r) => setTimeout(r, 500));
  // Most of the reply is still waiting in the upstream's own send buffer: the proxy stopped
  // reading instead of queueing tens of MiB in memory.
  expect(upstreamSocket!.writableLength).toBeGreaterThan(BODY / 2);

  let received = 0;
  client.on('data', (c: Buffer) => (received += c.length));
  client.resume();
  await waitFor(() => received >= BODY, 20_000, 'the whole reply');
  await waitFor(() => app.records.length === 1, 3000, 'record');
  expect(app.records[0]).toMatchObject({ outcome: 'ok', reply: { status: 200, bodySize: BODY } });
  client.destroy();
});
