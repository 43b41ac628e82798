// A client that pipelines (ASP.NET never does, a hand-written one might) still gets every reply,
// in order and byte for byte, but the upstream never has more than the bound unanswered: the
// relay stops reading the client past it and picks up exactly where it stopped.
import net from 'node:net';
import { expect, it, onTestFinished } from 'vitest';
import { waitFor } from '../helpers/net-peers.ts';
import { reply, sleep, startRawServer } from '../helpers/raw-server.ts';
import { startTestApp } from '../helpers/proxy-app.ts';

const MAX_IN_FLIGHT = 16;
const COUNT = 60;

/** Answers each request 10 ms after the previous answer, in order, and tracks the most unanswered. */
async function slowInOrderUpstream() {
  let answered = 0;
  let mostUnanswered = 0;
  let chain = Promise.resolve();
  const replies: Buffer[] = [];
  const server = await startRawServer((request, index, socket) => {
    mostUnanswered = Math.max(mostUnanswered, index + 1 - answered);
    const answer = reply('200 OK', [['X-AspNet-Version', '4.0.30319']], Buffer.from(`reply ${index} to ${request.head.verb}`, 'latin1'));
    replies.push(answer);
    chain = chain.then(async () => {
      await sleep(10);
      answered++;
      socket.write(answer);
    });
    return 'hang';
  });
  return { server, replies, mostUnanswered: () => mostUnanswered };
}

async function pipeline(port: number, requests: Buffer[], expectedBytes: () => number, segmented: boolean): Promise<Buffer> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  const received: Buffer[] = [];
  socket.on('data', (c: Buffer) => received.push(c));
  await new Promise((r) => socket.once('connect', r));
  const all = Buffer.concat(requests);
  if (!segmented) socket.write(all);
  else for (let at = 0; at < all.length; at += 7) socket.write(all.subarray(at, at + 7));
  await waitFor(() => Buffer.concat(received).length >= expectedBytes() && expectedBytes() > 0, 15_000, 'every reply');
  socket.destroy();
  return Buffer.concat(received);
}

for (const segmented of [false, true]) {
  it(`${COUNT} pipelined requests ${segmented ? 'in 7-byte segments' : 'in one write'}: all answered in order, at most ${MAX_IN_FLIGHT} upstream at once`, async () => {
    const peer = await slowInOrderUpstream();
    const upstream = peer.server;
    onTestFinished(() => upstream.close());
    const app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port } });
    onTestFinished(() => app.close(0));
    const requests = Array.from({ length: COUNT }, (_, i) =>
      i % 3 === 0
        ? Buffer.from(`PUT %2fLM%2fW3SVC%2f1%2fROOT%2fa(h)%2fs${i} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nbody${i % 10}`, 'latin1')
        : Buffer.from(`GET %2fLM%2fW3SVC%2f1%2fROOT%2fa(h)%2fs${i} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1'),
    );
    const expectedLength = () => (peer.replies.length === COUNT ? Buffer.concat(peer.replies).length : Infinity);
    const got = await pipeline(app.proxy.port, requests, expectedLength, segmented);
    // Transparency: exactly the upstream's bytes, in order; and exactly the client's bytes upstream.
    expect(got.equals(Buffer.concat(peer.replies))).toBe(true);
    expect(Buffer.concat(upstream.received.flat()).equals(Buffer.concat(requests))).toBe(true);
    expect(peer.mostUnanswered()).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    expect(peer.mostUnanswered()).toBeGreaterThan(1); // it did pipeline
    await waitFor(() => app.records.length === COUNT, 3000, 'a record per exchange');
    expect(app.records.map((r) => r.request?.sessionId)).toEqual(requests.map((_, i) => `s${i}`));
    expect(app.records.every((r) => r.outcome === 'ok')).toBe(true);
  });
}
