// Test helpers for the state server: a raw-socket client that frames replies with the
// project's own ResponseFramer (so replies can be byte-compared), request builders, and the
// transcripts in test/fixtures.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ResponseFramer } from '../../server/protocol/framer.ts';
import type { ResponseHead } from '../../server/protocol/messages.ts';
import { buildTarget } from '../../server/protocol/target.ts';
import {
  startStateServer,
  type RunningStateServer,
  type StateServerOptions,
} from '../../server/stateserver/index.ts';
import { MEMORY_STORE, type StoreSpec } from '../../server/stateserver/store-spec.ts';
import { uniquePrefix } from '../redis-store/redis-process.ts';
import { useRedisServer } from '../redis-store/use-redis-server.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// --- transcripts -------------------------------------------------------------------------

interface TranscriptMessage {
  head: string;
  bodyHex: string;
}

export interface Exchange {
  name: string;
  request: TranscriptMessage | null;
  response: TranscriptMessage;
  responseAfterInjection?: TranscriptMessage;
}

export interface Transcripts {
  common: { target: string; decodedTarget: string; serverVersion: string };
  exchanges: Exchange[];
}

export function loadTranscripts(): Transcripts {
  const file = path.resolve(repoRoot, 'test/fixtures/transcripts.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Transcripts;
}

export function messageBytes(message: TranscriptMessage): Buffer {
  return Buffer.concat([Buffer.from(message.head, 'latin1'), Buffer.from(message.bodyHex, 'hex')]);
}

export function exchange(transcripts: Transcripts, prefix: string): Exchange {
  const found = transcripts.exchanges.find((e) => e.name.startsWith(prefix));
  if (!found) throw new Error(`no transcript exchange ${prefix}`);
  return found;
}

/** "GET" from a transcript request head. */
export function verbOf(message: TranscriptMessage): string {
  return message.head.slice(0, message.head.indexOf(' '));
}

// --- request builders --------------------------------------------------------------------

/** The target of session `sessionId` in a made-up app, encoded as a 4.x client does. */
export function targetFor(sessionId: string): string {
  return buildTarget('/LM/W3SVC/1/ROOT/TestApp', 'Rwn2B76J1oVKzRkl+KpWkuKfxf+l/tgZNAeuLju3xIo=', sessionId);
}

export type HeaderList = ReadonlyArray<readonly [string, string | number]>;

/** Request bytes: Host first, then `headers`, with Content-Length added when a body is given. */
export function request(verb: string, target: string, headers: HeaderList = [], body?: Buffer | string): Buffer {
  const bytes = body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1');
  let head = `${verb} ${target} HTTP/1.1\r\nHost: 127.0.0.1:42424\r\n`;
  const hasLength = headers.some(([name]) => name.toLowerCase() === 'content-length');
  if (bytes !== null && !hasLength) head += `Content-Length: ${bytes.length}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  head += '\r\n';
  return bytes === null ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), bytes]);
}

// --- raw client --------------------------------------------------------------------------

export interface ReceivedReply {
  head: ResponseHead;
  body: Buffer;
  /** Head and body exactly as received. */
  bytes: Buffer;
  /** Header lookup by exact-case name list, in wire order. */
  headerNames: string[];
  header(name: string): string | undefined;
}

export class RawClient {
  readonly socket: net.Socket;
  private readonly framer: ResponseFramer;
  private readonly replies: ReceivedReply[] = [];
  private readonly waiters: Array<(r: ReceivedReply) => void> = [];
  private currentHead: ResponseHead | null = null;
  private currentBody: Buffer[] = [];
  private allBytes: Buffer[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  framingError: string | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.framer = new ResponseFramer({
      onHead: (head) => {
        this.currentHead = head;
        this.currentBody = [];
      },
      onBody: (chunk) => this.currentBody.push(Buffer.from(chunk)),
      onMessageEnd: () => {
        const head = this.currentHead!;
        const body = Buffer.concat(this.currentBody);
        const received: ReceivedReply = {
          head,
          body,
          bytes: Buffer.concat([head.raw, body]),
          headerNames: head.headers.map((h) => h.name),
          header: (name) => head.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value,
        };
        const waiter = this.waiters.shift();
        if (waiter) waiter(received);
        else this.replies.push(received);
      },
      onError: (error) => {
        this.framingError = error.message;
      },
    }, { maxBodyBytes: Number.POSITIVE_INFINITY });
    socket.on('data', (chunk: Buffer) => {
      this.allBytes.push(chunk);
      this.framer.push(chunk);
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends raw bytes; `verbs` lists the requests they contain, so HEAD replies frame right. */
  send(bytes: Buffer | string, ...verbs: string[]): void {
    for (const verb of verbs) this.framer.expectReplyTo(verb);
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  nextReply(timeoutMs = 5000): Promise<ReceivedReply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (r: ReceivedReply): void => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push(done);
    });
  }

  /** Sends one request and waits for its reply. */
  async exchange(bytes: Buffer, verb?: string): Promise<ReceivedReply> {
    this.send(bytes, verb ?? bytes.toString('latin1', 0, bytes.indexOf(0x20)));
    return this.nextReply();
  }

  /** Every byte received so far. */
  received(): Buffer {
    return Buffer.concat(this.allBytes);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// --- stores ------------------------------------------------------------------------------

/** Every state-server behaviour is tested against each store. */
export const STORE_NAMES = ['memory', 'redis'] as const;
export type StoreName = (typeof STORE_NAMES)[number];

/**
 * Starts one real redis-server for the calling test file and returns a function that gives
 * each server a store: memory, or that Redis under a key prefix of its own (so servers of one
 * file never see each other's items unless a test shares the spec on purpose).
 */
export function storesForFile(): (name: StoreName) => StoreSpec {
  const holder = useRedisServer();
  return (name) => (name === 'memory' ? MEMORY_STORE : { kind: 'redis', url: holder.redis.url, keyPrefix: uniquePrefix() });
}

// --- server lifecycle --------------------------------------------------------------------

/** A controllable clock for `now`. */
export class FakeClock {
  constructor(public ms: number) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Starts a server on 127.0.0.1 port 0, runs `fn`, always closes the server. */
export async function withServer(
  options: StateServerOptions,
  fn: (server: RunningStateServer) => Promise<void>,
): Promise<void> {
  const server = await startStateServer({ host: '127.0.0.1', port: 0, ...options });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** Resolves once `predicate` holds, polling; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const VERSION_LINE = 'X-AspNet-Version: 4.0.30319\r\n';

/** The exact bytes of a bodiless Microsoft reply. */
export function bareReply(statusLine: string, version: string | null = '4.0.30319'): string {
  const v = version === null ? '' : `X-AspNet-Version: ${version}\r\n`;
  return `${statusLine}\r\n${v}Cache-Control: private\r\nContent-Length: 0\r\n\r\n`;
}
