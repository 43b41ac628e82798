// A real redis-server for tests (Debian's redis-server, which .ci/run installs): started on a
// free port in its own temporary directory, never the default 6379, stopped or killed by the
// test. Persistence is off unless a test asks for AOF. No test-runner imports: the store bench
// (bench/store.ts) starts its Redis with this too.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/free-port.ts';

export { freePort };

export interface RedisProcessOptions {
  /** 'aof' keeps every write in an append-only file, fsynced per write (survives even SIGKILL). */
  persistence?: 'none' | 'aof';
  /** Extra redis-server arguments, e.g. ['--maxmemory', '2mb']. */
  args?: string[];
  /** A port chosen beforehand (e.g. one a server was already pointed at); default a free one. */
  port?: number;
}

export class RedisProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisProcessOptions,
  ) {}

  static async start(options: RedisProcessOptions = {}): Promise<RedisProcess> {
    // A free port can be taken by another process before redis-server binds it: try again.
    for (let attempt = 1; ; attempt++) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'statescope-redis-'));
      const redis = new RedisProcess(options.port ?? (await freePort()), dir, options);
      try {
        await redis.launch();
        return redis;
      } catch (error) {
        await redis.dispose();
        if (options.port !== undefined || attempt >= 3) throw error;
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The redis-server process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts redis-server again on the same port and directory (after stop or kill). */
  async launch(): Promise<void> {
    if (this.child) throw new Error('redis-server already running');
    const aof = this.options.persistence === 'aof';
    const args = [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--dir', this.dir,
      '--save', '',
      '--appendonly', aof ? 'yes' : 'no',
      '--appendfsync', 'always',
      '--daemonize', 'no',
      '--protected-mode', 'yes',
      ...(this.options.args ?? []),
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.output = (this.output + s).slice(-8000)));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.output = (this.output + s).slice(-8000)));
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (this.child === child) this.child = null;
        resolve();
      }),
    );
    const deadline = Date.now() + 10_000;
    while (!(await ping(this.port))) {
      if (this.child !== child) throw new Error(`redis-server exited: ${this.output}`);
      if (Date.now() > deadline) throw new Error(`redis-server not answering on ${this.port}: ${this.output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** SIGKILL: Redis dies without a word, as on a crash or a pulled cable. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP / SIGCONT: Redis hangs with its connections open (a stuck host, a long fork). */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** Graceful shutdown (SIGTERM). */
  async stop(): Promise<void> {
    this.child?.kill('SIGTERM');
    await this.exited;
  }

  /** Stops the server and removes its directory. */
  async dispose(): Promise<void> {
    this.thaw();
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let prefixes = 0;
/** A key prefix no other server in this test process uses, so tests sharing a Redis never meet. */
export function uniquePrefix(label = 't'): string {
  return `${label}${process.pid}-${++prefixes}:`;
}


/**
 * Sends one inline command (e.g. 'SCRIPT FLUSH') and resolves with its reply: the line of a
 * status, error or integer reply ('+OK', ':1'), the value of a bulk string.
 */
export function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(`${command}\r\n`));
    let text = '';
    const done = (value: string): void => {
      socket.destroy();
      resolve(value);
    };
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n');
      if (end < 0) return;
      const line = text.slice(0, end);
      if (!line.startsWith('$') || line === '$-1') return done(line);
      const length = Number(line.slice(1));
      if (text.length >= end + 2 + length + 2) done(text.slice(end + 2, end + 2 + length));
    });
  });
}

/** True when a Redis on `port` answers PING. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let text = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      // A server with requirepass answers NOAUTH: up, just not ours to use without the password.
      if (text.includes('\r\n')) done(text.startsWith('+PONG') || text.startsWith('-NOAUTH'));
    });
  });
}
