// A bare state-server client on one TCP connection: writes a request, reads exactly one reply
// (head, then Content-Length bytes). For specs that need an exact sequence on the wire.
import net from 'node:net';

export interface RawReply {
  head: string;
  status: number;
  header(name: string): string | null;
}

export const TARGET = '%2fLM%2fW3SVC%2f1%2fROOT%2fWebApp(Rwn2B76J1oVKzRkl%2bKpWkuKfxf%2bl%2ftgZNAeuLju3xIo%3d)%2f';
export const APP_ID = '/LM/W3SVC/1/ROOT/WebApp';

export class RawClient {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiter?.();
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** The address the proxy sees for this client. */
  get address(): string {
    return `127.0.0.1:${this.socket.localPort}`;
  }

  async request(head: string, body: Buffer = Buffer.alloc(0)): Promise<RawReply> {
    this.socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end !== -1) {
        const text = this.buffer.subarray(0, end + 4).toString('latin1');
        const length = Number(/content-length:\s*(\d+)/i.exec(text)?.[1] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          this.buffer = this.buffer.subarray(end + 4 + length);
          const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(text)?.[1]?.trim() ?? null;
          return { head: text, status: Number(/^(?:HTTP\/1\.1 )?(\d{3})/.exec(text)?.[1]), header };
        }
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  close(): void {
    this.socket.end();
  }
}

export const createItem = (id: string) =>
  [`PUT ${TARGET}${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 7\r\nTimeout: 20\r\nLockCookie: 0\r\nExtraFlags: 1\r\n\r\n`, Buffer.from('140000000000ff', 'hex')] as const;
export const getExclusive = (id: string) => `GET ${TARGET}${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nExclusive: acquire\r\n\r\n`;
export const releaseExclusive = (id: string, cookie: string) =>
  `GET ${TARGET}${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nExclusive: release\r\nLockCookie: ${cookie}\r\n\r\n`;
export const setItem = (id: string, cookie: string) =>
  [`PUT ${TARGET}${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 7\r\nTimeout: 20\r\nLockCookie: ${cookie}\r\n\r\n`, Buffer.from('140000000000ff', 'hex')] as const;
