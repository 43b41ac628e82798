// A client that sends a request head and then only part of the body held its connection for
// ever (the head limit does not see it: the head was complete). A body that stops coming for
// --head-timeout now closes the connection, recorded client_timeout with the request named;
// a body that keeps coming, however slowly, or that we hold up ourselves, is never cut.
import net from 'node:net';
import { expect, it, onTestFinished } from 'vitest';
import { waitFor } from '../helpers/net-peers.ts';
import { OK_V4, sleep, startRawServer } from '../helpers/raw-server.ts';
import { startTestApp } from '../helpers/proxy-app.ts';

const LIMIT_MS = 800;
const put = (length: number) => Buffer.from(`PUT %2fLM%2fW3SVC%2f1%2fROOT%2fa(h)%2fs HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\n`, 'latin1');

async function relayTo(port: number, replyTimeoutMs = 5000) {
  const app = await startTestApp({ upstream: { host: '127.0.0.1', port }, headTimeoutMs: LIMIT_MS, replyTimeoutMs });
  onTestFinished(() => app.close(0));
  const socket = net.connect({ port: app.proxy.port, host: '127.0.0.1' });
  socket.on('error', () => {});
  onTestFinished(() => void socket.destroy());
  await new Promise((r) => socket.once('connect', r));
  return { app, socket };
}

it('a body that stops coming closes the connection after the limit, recorded client_timeout', async () => {
  const upstream = await startRawServer(() => OK_V4());
  onTestFinished(() => upstream.close());
  const { app, socket } = await relayTo(upstream.port);
  let closed = false;
  socket.once('close', () => (closed = true));
  socket.write(Buffer.concat([put(100), Buffer.alloc(10, 0x41)]));
  await waitFor(() => closed, 10 * LIMIT_MS, 'the proxy to close the stalled connection');
  await waitFor(() => app.records.length === 1, 2000, 'record');
  expect(app.records[0]).toMatchObject({ outcome: 'client_timeout', request: { kind: 'Set', bodySize: 100 } });
  expect(app.records[0]!.error).toMatch(/stopped sending its request body \(90 bytes still due\)/);
});

it('a body trickling a byte every 200 ms, far past the limit in total, is not cut', async () => {
  const upstream = await startRawServer(() => OK_V4());
  onTestFinished(() => upstream.close());
  const { app, socket } = await relayTo(upstream.port);
  const body = Buffer.alloc(12, 0x42);
  socket.write(put(body.length));
  for (const b of body) {
    await sleep(200);
    socket.write(Buffer.from([b]));
  }
  await waitFor(() => app.records.length === 1, 5000, 'record');
  expect(app.records[0]).toMatchObject({ outcome: 'ok', request: { kind: 'Set', bodySize: 12 }, reply: { status: 200 } });
});

const BODY = 16 * 1024 * 1024;

/** An upstream that does not read (until resumed), then answers once it has the whole request. */
async function notReadingUpstream() {
  let socket: net.Socket | null = null;
  let received = 0;
  const server = net.createServer((s) => {
    socket = s;
    s.on('error', () => {});
    s.pause(); // reads nothing for a while: the proxy's writes back up, and it stops reading the client
    s.on('data', (c: Buffer) => {
      received += c.length;
      if (received >= put(BODY).length + BODY) s.write(OK_V4());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // A paused socket never notices the proxy closing it: destroy it, or close() waits for ever.
  onTestFinished(() => new Promise<void>((r) => (socket?.destroy(), server.close(() => r()))));
  return { port: (server.address() as net.AddressInfo).port, socket: () => socket };
}

it('a body held up by an upstream that is not reading is not the client stalling', async () => {
  const upstream = await notReadingUpstream();
  const { app, socket } = await relayTo(upstream.port);
  socket.write(put(BODY));
  socket.write(Buffer.alloc(BODY, 0x43));
  await waitFor(() => upstream.socket() !== null, 3000, 'upstream connection');
  await sleep(3 * LIMIT_MS);
  expect(app.records).toHaveLength(0); // not timed out while we held the body up
  upstream.socket()!.resume();
  await waitFor(() => app.records.length === 1, 15_000, 'record');
  expect(app.records[0]).toMatchObject({ outcome: 'ok', request: { kind: 'Set', bodySize: BODY }, reply: { status: 200 } });
});

it('an upstream that never reads the body is timed out like one that never answers', async () => {
  const upstream = await notReadingUpstream();
  const { app, socket } = await relayTo(upstream.port, 1000);
  let closed = false;
  socket.once('close', () => (closed = true));
  socket.write(put(BODY));
  socket.write(Buffer.alloc(BODY, 0x44));
  await waitFor(() => app.records.length === 1, 10_000, 'record');
  expect(app.records[0]).toMatchObject({ outcome: 'upstream_timeout', request: { kind: 'Set' } });
  expect(app.records[0]!.error).toMatch(/upstream read nothing for 1000 ms while a request body was being sent/);
  await waitFor(() => closed, 5000, 'the client closed');
});
