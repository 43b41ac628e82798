// Load generator for bench/dashboard.ts, run as a child process (so its CPU and memory are not
// counted as the server's). Raw TCP clients sending well-formed state-server requests, with
// the bytes of the protocol transcripts: each connection owns its own session ids and plays
// pages GetExclusive -> Set | ReleaseExclusive, one request at a time; a shared token bucket
// paces all connections to the target rate. Reports counters to the parent over IPC.
//
//   node server/cli/run-ts.mjs bench/dashboard-load.ts HOST PORT RATE CONNECTIONS SECONDS
import net from 'node:net';
import { randomInt } from 'node:crypto';

export interface LoadTick {
  type: 'tick';
  /** Exchanges completed (a full reply received), in total. */
  completed: number;
  sent: number;
  errors: number;
  statuses: Record<string, number>;
  /** Connections currently open. */
  open: number;
}

const [host = '127.0.0.1', portText = '0', rateText = '5000', connText = '24', secondsText = '60'] = process.argv.slice(2);
const port = Number(portText);
const rate = Number(rateText);
const connections = Number(connText);
// Bounded no matter what the parent does: it also asks us to stop, but we never outlive this.
const hardStopMs = (Number(secondsText) + 30) * 1000;

const APP_PATH = '%2fLM%2fW3SVC%2f1%2fROOT%2fWebApp(Rwn2B76J1oVKzRkl%2bKpWkuKfxf%2bl%2ftgZNAeuLju3xIo%3d)%2f';
const HOST_HEADER = `${host}:${port}`;
const SESSIONS_PER_CONNECTION = 8;
// A genuine empty session with timeout 20, and a 16-byte placeholder with CR LF, NUL, 0xFF.
const BODIES = [Buffer.from('140000000000ff', 'hex'), Buffer.from('504c414345484f4c4445520d0a00ffff', 'hex')];
const ID_CHARS = 'abcdefghijklmnopqrstuvwxyz012345';

function sessionId(): string {
  let s = '';
  for (let i = 0; i < 24; i++) s += ID_CHARS[randomInt(ID_CHARS.length)];
  return s;
}

const request = {
  create: (sid: string): Buffer =>
    Buffer.concat([
      Buffer.from(
        `PUT ${APP_PATH}${sid} HTTP/1.1\r\nHost: ${HOST_HEADER}\r\nContent-Length: 7\r\nTimeout: 20\r\nLockCookie: 0\r\nExtraFlags: 1\r\n\r\n`,
        'latin1',
      ),
      BODIES[0]!,
    ]),
  getExclusive: (sid: string): Buffer =>
    Buffer.from(`GET ${APP_PATH}${sid} HTTP/1.1\r\nHost: ${HOST_HEADER}\r\nExclusive: acquire\r\n\r\n`, 'latin1'),
  set: (sid: string, cookie: string): Buffer => {
    const body = BODIES[randomInt(BODIES.length)]!;
    return Buffer.concat([
      Buffer.from(
        `PUT ${APP_PATH}${sid} HTTP/1.1\r\nHost: ${HOST_HEADER}\r\nContent-Length: ${body.length}\r\nTimeout: 20\r\nLockCookie: ${cookie}\r\nExtraFlags: 0\r\n\r\n`,
        'latin1',
      ),
      body,
    ]);
  },
  release: (sid: string, cookie: string): Buffer =>
    Buffer.from(`GET ${APP_PATH}${sid} HTTP/1.1\r\nHost: ${HOST_HEADER}\r\nExclusive: release\r\nLockCookie: ${cookie}\r\n\r\n`, 'latin1'),
};

interface Reply {
  status: number;
  lockCookie: string | null;
}

const counters = { completed: 0, sent: 0, errors: 0, statuses: {} as Record<string, number>, open: 0 };

// ---- pacing: one token bucket shared by all connections -------------------------------------
const waiting: (() => void)[] = [];
let granted = 0;
const startedAt = performance.now();
let stopping = false;

function takeTurn(go: () => void): void {
  waiting.push(go);
}

const pacer = setInterval(() => {
  const allowed = Math.floor(((performance.now() - startedAt) / 1000) * rate);
  // No banking of unused turns beyond a short burst: a stall must not become a flood.
  if (allowed - granted > rate / 20 + connections) granted = allowed - Math.ceil(rate / 20);
  while (granted < allowed && waiting.length > 0) {
    granted++;
    waiting.shift()!();
  }
}, 2);

// ---- one client connection ------------------------------------------------------------------
class Client {
  private socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private onReply: ((r: Reply) => void) | null = null;
  private readonly sessions: { id: string; created: boolean }[] = [];
  private next = 0;

  constructor() {
    for (let i = 0; i < SESSIONS_PER_CONNECTION; i++) this.sessions.push({ id: sessionId(), created: false });
    this.socket = this.connect();
  }

  private connect(): net.Socket {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    socket.on('connect', () => {
      counters.open++;
      takeTurn(() => void this.page());
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (socket === this.socket) counters.open = Math.max(0, counters.open - 1);
      if (this.onReply) {
        counters.errors++;
        this.onReply = null;
      }
      if (!stopping) setTimeout(() => (this.socket = this.connect()), 100);
    });
    return socket;
  }

  close(): void {
    this.socket.destroy();
  }

  private send(bytes: Buffer): Promise<Reply> {
    counters.sent++;
    return new Promise((resolve) => {
      this.onReply = resolve;
      this.socket.write(bytes);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.toString('latin1', 0, end);
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.buffer.length < end + 4 + length) return;
      this.buffer = this.buffer.subarray(end + 4 + length);
      const status = Number(/^(?:HTTP\/1\.[01] )?(\d{3})/.exec(head)?.[1] ?? 0);
      const lockCookie = /\r\nlock-?cookie:\s*(\d+)/i.exec(head)?.[1] ?? null;
      counters.completed++;
      counters.statuses[status] = (counters.statuses[status] ?? 0) + 1;
      const done = this.onReply;
      this.onReply = null;
      done?.({ status, lockCookie });
    }
  }

  /** One page of one of this connection's sessions, then wait for the next turn. */
  private async page(): Promise<void> {
    if (stopping) return;
    const socket = this.socket;
    const s = this.sessions[this.next++ % this.sessions.length]!;
    try {
      if (!s.created) {
        await this.send(request.create(s.id));
        s.created = true;
        return;
      }
      const got = await this.send(request.getExclusive(s.id));
      if (got.status === 404) s.created = false;
      if (got.status !== 200 || got.lockCookie === null) return;
      // The second request of the page takes a turn of its own, so the rate counts exchanges.
      await new Promise<void>((resolve) => takeTurn(resolve));
      if (stopping || socket !== this.socket) return;
      await this.send(randomInt(2) === 0 ? request.set(s.id, got.lockCookie) : request.release(s.id, got.lockCookie));
    } finally {
      if (!stopping && socket === this.socket) takeTurn(() => void this.page());
    }
  }
}

const clients: Client[] = [];
for (let i = 0; i < connections; i++) clients.push(new Client());

const report = (): void => {
  const tick: LoadTick = { type: 'tick', ...counters, statuses: { ...counters.statuses } };
  process.send?.(tick);
};
const reporter = setInterval(report, 1000);

function stop(): void {
  if (stopping) return;
  stopping = true;
  clearInterval(pacer);
  clearInterval(reporter);
  for (const c of clients) c.close();
  report();
  setTimeout(() => process.exit(0), 50);
}

process.on('message', (m: unknown) => {
  if (m === 'stop') stop();
});
process.on('disconnect', stop);
setTimeout(stop, hardStopMs).unref();
