// Real-socket helpers for tests: a raw client that sends bytes and reads framed replies (it
// records every byte it receives), polling, and a port nothing listens on. The scripted
// state-server peer is in raw-server.ts.
import net from 'node:net';
import { ResponseFramer, type ResponseHead } from '../../server/protocol/index.ts';

export interface RawClient {
  socket: net.Socket;
  received: Buffer[];
  /** Sends one request and resolves with its framed reply. */
  exchange(request: Buffer, verb?: string): Promise<{ head: ResponseHead; body: Buffer }>;
  closed: Promise<void>;
  close(): void;
}

export async function connectRawClient(port: number, host = '127.0.0.1'): Promise<RawClient> {
  const socket = net.connect({ port, host });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  const received: Buffer[] = [];
  const waiting: { resolve: (r: { head: ResponseHead; body: Buffer }) => void; reject: (e: Error) => void }[] = [];
  let head: ResponseHead | null = null;
  let body: Buffer[] = [];
  const framer = new ResponseFramer({
    onHead: (h) => {
      head = h;
      body = [];
    },
    onBody: (c) => body.push(Buffer.from(c)),
    onMessageEnd: () => waiting.shift()?.resolve({ head: head!, body: Buffer.concat(body) }),
    onError: (e) => waiting.shift()?.reject(new Error(e.message)),
  });
  socket.on('data', (chunk: Buffer) => {
    received.push(Buffer.from(chunk));
    framer.push(chunk);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void closed.then(() => {
    for (const w of waiting.splice(0)) w.reject(new Error('connection closed before the reply'));
  });
  return {
    socket,
    received,
    closed,
    close: () => socket.destroy(),
    exchange(request, verb) {
      framer.expectReplyTo(verb ?? request.toString('latin1', 0, 8).split(' ')[0]!);
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        socket.write(request);
      });
    },
  };
}

/** Resolves when `predicate` holds, polling; rejects after `ms`. */
export async function waitFor(predicate: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
