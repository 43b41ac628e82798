// A scriptable state-server peer on a real socket: frames requests with the protocol framer
// and answers with whatever bytes the test's handler returns. Used where the test needs to
// control the reply exactly (missing version header, 400, silence, abrupt close, a reply cut
// off mid-body through the socket itself). It records every byte it received, per connection,
// so relay tests can compare what each side sent with what the other received.
import net from 'node:net';
import { RequestFramer, type RequestHead } from '../../server/protocol/index.ts';

export interface ReceivedRequest {
  head: RequestHead;
  body: Buffer;
  /** Exactly the bytes received for this request. */
  bytes: Buffer;
  connection: number;
}

/** Reply bytes, or what to do instead: say nothing, or drop the connection. */
export type RawAnswer = Buffer | 'hang' | 'close';
/** `socket` is there for scripts that write or close on their own schedule (then answer 'hang'). */
export type RawHandler = (request: ReceivedRequest, index: number, socket: net.Socket) => RawAnswer | Promise<RawAnswer>;

export interface RawServer {
  port: number;
  requests: ReceivedRequest[];
  /** Every chunk received, per connection in order of acceptance (connection n at index n-1). */
  received: Buffer[][];
  /** Connections accepted so far. */
  accepted(): number;
  /** Connections currently open. */
  open(): number;
  /** Connections the client closed (FIN or reset) so far. */
  closedByClient(): number;
  /** Drops every open connection from the server side. */
  dropAll(): void;
  close(): Promise<void>;
}

export function reply(status: string, headers: Array<[string, string]> = [], body = Buffer.alloc(0)): Buffer {
  const lines = [status, ...headers.map(([n, v]) => `${n}: ${v}`), 'Cache-Control: private', `Content-Length: ${body.length}`];
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

export const OK_V4 = () => reply('200 OK', [['X-AspNet-Version', '4.0.30319']]);
export const OK_NO_VERSION = () => reply('200 OK');

export async function startRawServer(handler: RawHandler): Promise<RawServer> {
  const requests: ReceivedRequest[] = [];
  const received: Buffer[][] = [];
  const sockets = new Set<net.Socket>();
  // Sockets this side closed on purpose, so they don't count as closed by the client.
  const closedHere = new WeakSet<net.Socket>();
  let accepted = 0;
  let closedByClient = 0;
  const server = net.createServer((socket) => {
    const connection = ++accepted;
    const chunks: Buffer[] = [];
    received.push(chunks);
    sockets.add(socket);
    let head: RequestHead | null = null;
    let body: Buffer[] = [];
    const framer = new RequestFramer({
      onHead: (h) => {
        head = h;
        body = [];
      },
      onBody: (chunk) => body.push(Buffer.from(chunk)),
      onMessageEnd: () => {
        const b = Buffer.concat(body);
        const request = { head: head!, body: b, bytes: Buffer.concat([head!.raw, b]), connection };
        const index = requests.push(request) - 1;
        void Promise.resolve(handler(request, index, socket)).then((answer) => {
          if (answer === 'close') {
            closedHere.add(socket);
            socket.destroy();
          } else if (answer !== 'hang' && !socket.destroyed) socket.write(answer);
        });
      },
      onError: () => {
        closedHere.add(socket);
        socket.destroy();
      },
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(Buffer.from(chunk));
      framer.push(chunk);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      if (!closedHere.has(socket)) closedByClient++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    requests,
    received,
    accepted: () => accepted,
    open: () => sockets.size,
    closedByClient: () => closedByClient,
    dropAll() {
      for (const s of sockets) {
        closedHere.add(s);
        s.destroy();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) {
          closedHere.add(s);
          s.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
