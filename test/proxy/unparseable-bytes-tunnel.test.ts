// Bytes the parser cannot make sense of keep flowing untouched (raw tunnel), and the record
// says why.
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { waitFor } from '../helpers/net-peers.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';
import { transcript } from '../helpers/transcripts.ts';

let app: TestApp;
let echo: net.Server;
afterEach(async () => {
  await app?.close(0);
  await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
});

async function startEcho(): Promise<number> {
  echo = net.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  return (echo.address() as net.AddressInfo).port;
}

async function roundTrip(port: number, chunks: Buffer[], expectBytes: number): Promise<Buffer> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  const got: Buffer[] = [];
  socket.on('data', (c: Buffer) => got.push(c));
  await new Promise((r) => socket.once('connect', r));
  for (const c of chunks) {
    socket.write(c);
    await new Promise((r) => setTimeout(r, 5));
  }
  await waitFor(() => Buffer.concat(got).length >= expectBytes, 3000, 'echoed bytes');
  socket.destroy();
  return Buffer.concat(got);
}

it('tunnels binary garbage from the client and records unparseable', async () => {
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: await startEcho() } });
  const garbage = Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x00]);
  const more = Buffer.from('more bytes after the garbage\r\n\r\n');
  const echoed = await roundTrip(app.proxy.port, [garbage, more], garbage.length + more.length);
  expect(echoed.equals(Buffer.concat([garbage, more]))).toBe(true);
  await waitFor(() => app.records.length >= 1, 3000, 'record');
  expect(app.records[0]!.outcome).toBe('unparseable');
  expect(app.records[0]!.error).toMatch(/client sent bytes that are not of this protocol \(bad_request_line/);
});

it('tunnels an unparseable reply after good exchanges, forwarding it untouched', async () => {
  // The echo upstream sends our request back: a request line is not a valid status line.
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: await startEcho() } });
  const req = transcript('07').request!.bytes;
  const echoed = await roundTrip(app.proxy.port, [req, req], req.length * 2);
  expect(echoed.equals(Buffer.concat([req, req]))).toBe(true);
  await waitFor(() => app.records.length >= 1, 3000, 'record');
  expect(app.records[0]).toMatchObject({ outcome: 'unparseable', request: { kind: 'ResetTimeout' } });
  expect(app.records[0]!.error).toMatch(/upstream sent bytes.*bad_status_line/);
});
