// Real-socket peers for tests: a scripted upstream that answers framed requests, and a raw
// client that sends bytes and reads framed replies. They record every byte they see, so tests
// can compare what each side sent with what the other side received.
import net from 'node:net';
import { RequestFramer, ResponseFramer, type RequestHead, type ResponseHead } from '../../server/protocol/index.ts';

export interface ScriptedUpstream {
  port: number;
  /** Every byte received, across all connections, per connection in order. */
  received: Buffer[][];
  sent: Buffer[][];
  connections: number;
  close(): Promise<void>;
}

/** Answers each complete request with `reply(head, body, index)`; null = say nothing. */
export async function startScriptedUpstream(
  reply: (head: RequestHead, body: Buffer, index: number, socket: net.Socket) => Buffer | null,
): Promise<ScriptedUpstream> {
  const sockets = new Set<net.Socket>();
  const state: ScriptedUpstream = { port: 0, received: [], sent: [], connections: 0, close: async () => {} };
  let index = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    state.connections++;
    const received: Buffer[] = [];
    const sent: Buffer[] = [];
    state.received.push(received);
    state.sent.push(sent);
    let head: RequestHead | null = null;
    let body: Buffer[] = [];
    const framer = new RequestFramer({
      onHead: (h) => {
        head = h;
        body = [];
      },
      onBody: (c) => body.push(Buffer.from(c)),
      onMessageEnd: () => {
        const out = reply(head!, Buffer.concat(body), index++, socket);
        if (out && !socket.destroyed) {
          sent.push(out);
          socket.write(out);
        }
      },
      onError: () => socket.destroy(),
    });
    socket.on('data', (chunk: Buffer) => {
      received.push(Buffer.from(chunk));
      framer.push(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

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
