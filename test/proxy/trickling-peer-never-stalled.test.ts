// A head split across segments is held so it can be written in one piece, but never for long:
// a peer that trickles bytes (or frames lines with bare LF) still gets every byte through.
import { afterEach, expect, it } from 'vitest';
import net from 'node:net';
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

const received = () => Buffer.concat(upstream.received.flat());

it('holds a split head until complete and writes it in one piece', async () => {
  upstream = await startRawServer(() => transcript('07').response.bytes);
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port }, headHoldMs: 2000 });
  const req = transcript('07').request!.bytes;
  const socket = net.connect({ port: app.proxy.port, host: '127.0.0.1' });
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  socket.write(req.subarray(0, 20));
  await new Promise((r) => setTimeout(r, 100));
  expect(received().length).toBe(0); // held, not dribbled out
  socket.write(req.subarray(20));
  await waitFor(() => received().length === req.length, 2000, 'head upstream');
  const chunks = upstream.received.flat();
  expect(chunks).toHaveLength(1);
  socket.destroy();
});

it('flushes a trickling head raw after the hold time, then forwards the rest at once', async () => {
  upstream = await startRawServer(() => 'hang');
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port }, headHoldMs: 1000 });
  const socket = net.connect({ port: app.proxy.port, host: '127.0.0.1' });
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  // Bare-LF header lines: the framer never sees CRLF CRLF, so it never completes the head.
  const first = Buffer.from('GET %2fa(h)%2fs HTTP/1.1\r\nHost: x\n', 'latin1');
  socket.write(first);
  await waitFor(() => received().length === first.length, 3000, 'held bytes flushed after the hold time');
  const more = Buffer.from('Exclusive: acquire\n\n', 'latin1');
  socket.write(more);
  // Well within another hold period: the rest is not held a second time.
  await waitFor(() => received().length === first.length + more.length, 800, 'the rest, without a second hold');
  expect(received().equals(Buffer.concat([first, more]))).toBe(true);
  socket.destroy();
});
