// The reply timeout is counted from the oldest unanswered request (or the upstream's last byte):
// a socket idle timer, refreshed by the client's own writes, let a pipelining client keep a dead
// upstream's connection alive for ever. And the records say who left first.
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { waitFor } from '../helpers/net-peers.ts';
import { sleep, startRawServer, type RawServer } from '../helpers/raw-server.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';

let app: TestApp | null = null;
let upstream: RawServer | null = null;
let extra: net.Server | null = null;
afterEach(async () => {
  await app?.close(0);
  await upstream?.close();
  await new Promise<void>((resolve) => (extra ? extra.close(() => resolve()) : resolve()));
  app = null;
  upstream = null;
  extra = null;
});

const get = (i: number) => Buffer.from(`GET %2fLM%2fW3SVC%2f1%2fROOT%2fa(h)%2fsession${i} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1');

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  return socket;
}

it('a client that keeps sending does not keep a silent upstream alive', async () => {
  upstream = await startRawServer(() => 'hang');
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port }, replyTimeoutMs: 600 });
  const socket = await connect(app.proxy.port);
  let closed = false;
  socket.once('close', () => (closed = true));
  // One request, then another every 100 ms: each one reaches the upstream, which once
  // refreshed the upstream socket's idle timer so that the timeout never fired.
  let sent = 0;
  while (!closed && sent < 50) {
    socket.write(get(sent++));
    await sleep(100);
  }
  expect(closed).toBe(true);
  expect(sent).toBeLessThan(50); // closed about 600 ms after the first request, not after the last
  await waitFor(() => app!.proxy.connections().client === 0, 3000, 'the relay gone');
  app.capture.flush(); // records reach taps in batches
  // Every forwarded request is recorded (and one sent while the close was on its way, too).
  expect(app.records.length).toBeGreaterThanOrEqual(upstream.requests.length);
  expect(app.records[0]).toMatchObject({ outcome: 'upstream_timeout', request: { sessionId: 'session0' } });
  expect(app.records[0]!.error).toMatch(/upstream sent nothing for 600 ms while a reply was due/);
  expect(app.records.every((r) => r.outcome === 'upstream_timeout')).toBe(true);
});

it('the client left first: an upstream reset after the client closed is recorded client_reset', async () => {
  let upstreamGot = 0;
  extra = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('data', (c: Buffer) => (upstreamGot += c.length));
    socket.on('error', () => {});
    // Never answers; resets the connection when the proxy passes the client's FIN on.
    socket.on('end', () => socket.resetAndDestroy());
  });
  await new Promise<void>((resolve) => extra!.listen(0, '127.0.0.1', resolve));
  const port = (extra.address() as net.AddressInfo).port;
  app = await startTestApp({ upstream: { host: '127.0.0.1', port }, replyTimeoutMs: 5000 });
  const socket = await connect(app.proxy.port);
  const three = Buffer.concat([get(1), get(2), get(3)]);
  socket.write(three);
  await waitFor(() => upstreamGot === three.length, 3000, 'the three requests upstream');
  socket.end();
  await waitFor(() => app!.records.length === 3, 3000, 'three records');
  for (const r of app.records) {
    expect(r.outcome).toBe('client_reset');
    expect(r.error).toMatch(/client closed the connection first/);
  }
  socket.destroy();
});

it('an upstream that resets while the client waits is still upstream_reset', async () => {
  upstream = await startRawServer(() => 'close');
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port } });
  const socket = await connect(app.proxy.port);
  socket.write(get(1));
  await waitFor(() => app!.records.length === 1, 3000, 'record');
  expect(app.records[0]!.outcome).toBe('upstream_reset');
  socket.destroy();
});

it('a reply still arriving, byte by byte, outlasts the timeout: progress from the upstream counts', async () => {
  const body = Buffer.from('0123456789', 'latin1');
  upstream = await startRawServer((_request, _i, socket) => {
    socket.write(`200 OK\r\nX-AspNet-Version: 4.0.30319\r\nContent-Length: ${body.length}\r\n\r\n`);
    void (async () => {
      for (const b of body) {
        await sleep(120);
        if (!socket.destroyed) socket.write(Buffer.from([b]));
      }
    })();
    return 'hang';
  });
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port }, replyTimeoutMs: 500 });
  const socket = await connect(app.proxy.port);
  socket.write(get(1));
  await waitFor(() => app!.records.length === 1, 5000, 'record');
  expect(app.records[0]).toMatchObject({ outcome: 'ok', reply: { status: 200, bodySize: body.length } });
  socket.destroy();
});

it('a request body still arriving outlasts the timeout: the reply is due once the request is through', async () => {
  upstream = await startRawServer(() => Buffer.from('200 OK\r\nX-AspNet-Version: 4.0.30319\r\nContent-Length: 0\r\n\r\n', 'latin1'));
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port }, replyTimeoutMs: 400 });
  const socket = await connect(app.proxy.port);
  const body = Buffer.alloc(8, 0x41);
  socket.write(Buffer.from(`PUT %2fLM%2fW3SVC%2f1%2fROOT%2fa(h)%2fs HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'));
  for (const b of body) {
    await sleep(120);
    socket.write(Buffer.from([b]));
  }
  await waitFor(() => app!.records.length === 1, 5000, 'record');
  expect(app.records[0]).toMatchObject({ outcome: 'ok', request: { kind: 'Set', bodySize: 8 }, reply: { status: 200 } });
  socket.destroy();
});
