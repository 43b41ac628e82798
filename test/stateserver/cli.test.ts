// The real `statescope server` process: prints its port, answers raw bytes, stops on a signal.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startStateServer } from '../../server/stateserver/index.ts';
import { RedisProcess } from '../redis-store/redis-process.ts';
import { useRedisServer } from '../redis-store/use-redis-server.ts';
import { RawClient, repoRoot, request, targetFor } from './helpers.ts';

const ENTRY = path.join(repoRoot, 'server', 'cli', 'statescope.mjs');
const HEAD_REQUEST = 'HEAD %2fLM%2fW3SVC%2f1%2fROOT%2fApp(h)%2fs1 HTTP/1.1\r\nHost: x\r\n\r\n';

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill();
});

function run(args: string[]): Running {
  const child = spawn(process.execPath, [ENTRY, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits for the startup line and returns the port it names. */
async function listeningPort(proc: Running): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = /listening on 127\.0\.0\.1:(\d+) /.exec(proc.stdout());
    if (m) return Number(m[1]);
    if (proc.child.exitCode !== null) throw new Error(`exited early: ${proc.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no startup line; stdout=${proc.stdout()} stderr=${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function headReply(port: number): Promise<string> {
  const client = await RawClient.connect(port);
  const reply = await client.exchange(Buffer.from(HEAD_REQUEST, 'latin1'), 'HEAD');
  client.destroy();
  return reply.bytes.toString('latin1');
}

async function stop(proc: Running): Promise<void> {
  proc.child.kill('SIGTERM');
  const { code, signal } = await proc.exited;
  // Windows has no signal delivery to handle; there the process is simply terminated.
  if (process.platform !== 'win32') {
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(proc.stdout()).toContain('stopped');
  }
}

describe('statescope server (CLI)', () => {
  it('listens on the printed port and answers with the version header', async () => {
    const proc = run(['server', '--listen', '127.0.0.1:0']);
    const port = await listeningPort(proc);
    expect(port).toBeGreaterThan(0);
    expect(proc.stdout()).toContain('(X-AspNet-Version: 4.0.30319)');
    const reply = await headReply(port);
    expect(reply.startsWith('404 Not Found\r\nX-AspNet-Version: 4.0.30319\r\n')).toBe(true);
    expect(reply).toBe('404 Not Found\r\nX-AspNet-Version: 4.0.30319\r\nCache-Control: private\r\nContent-Length: 0\r\n\r\n');
    await stop(proc);
  });

  it('--no-version-header leaves the header out and says so', async () => {
    const proc = run(['server', '--listen', '127.0.0.1:0', '--no-version-header']);
    const port = await listeningPort(proc);
    expect(proc.stdout()).toContain('no X-AspNet-Version header');
    const reply = await headReply(port);
    expect(reply.startsWith('404 Not Found\r\n')).toBe(true);
    expect(reply).not.toMatch(/x-aspnet-version/i);
    await stop(proc);
  });

  it('--version-header sets the value', async () => {
    const proc = run(['server', '--listen', '127.0.0.1:0', '--version-header', '2.0.50727']);
    const port = await listeningPort(proc);
    expect(await headReply(port)).toContain('\r\nX-AspNet-Version: 2.0.50727\r\n');
    await stop(proc);
  });

  it('exits with an error when the port is taken', async () => {
    const blocker = await startStateServer({ host: '127.0.0.1', port: 0 });
    try {
      const proc = run(['server', '--listen', `127.0.0.1:${blocker.port}`]);
      const { code } = await proc.exited;
      expect(code).toBe(1);
      expect(proc.stderr()).toMatch(/cannot listen on 127\.0\.0\.1:\d+/);
    } finally {
      await blocker.close();
    }
  });

  it('rejects bad option values', async () => {
    const proc = run(['server', '--idle-timeout', 'soon']);
    const { code } = await proc.exited;
    expect(code).not.toBe(0);
    expect(proc.stderr()).toContain('--idle-timeout');
  });
});

describe('statescope server --store', () => {
  const holder = useRedisServer();

  it('keeps sessions in the Redis it names and says so at startup', async () => {
    const proc = run(['server', '--listen', '127.0.0.1:0', '--store', holder.redis.url]);
    const port = await listeningPort(proc);
    expect(proc.stdout()).toMatch(new RegExp(`sessions in redis://127\\.0\\.0\\.1:${holder.redis.port}`));
    const client = await RawClient.connect(port);
    expect((await client.exchange(request('PUT', targetFor('cli-store'), [['Timeout', 20]], 'in redis'))).head.status).toBe(200);
    client.destroy();
    // Another server on the same Redis (in process here) sees the item.
    const other = await startStateServer({ port: 0, store: { kind: 'redis', url: holder.redis.url } });
    try {
      const reader = await RawClient.connect(other.port);
      expect((await reader.exchange(request('GET', targetFor('cli-store')))).body.toString()).toBe('in redis');
      reader.destroy();
    } finally {
      await other.close();
    }
    await stop(proc);
  });

  it('logs in with user:password from the URL and never prints the password', async () => {
    const secured = await RedisProcess.start({ args: ['--requirepass', 's3cret-pass'] });
    try {
      const proc = run(['server', '--listen', '127.0.0.1:0', '--store', `redis://default:s3cret-pass@127.0.0.1:${secured.port}/2`]);
      const port = await listeningPort(proc);
      expect(proc.stdout()).toContain(`redis://default:***@127.0.0.1:${secured.port}/2`);
      expect(proc.stdout() + proc.stderr()).not.toContain('s3cret-pass');
      const client = await RawClient.connect(port);
      expect((await client.exchange(request('PUT', targetFor('auth'), [['Timeout', 20]], 'x'))).head.status).toBe(200);
      client.destroy();
      await stop(proc);
    } finally {
      await secured.dispose();
    }
  });

  it.each([
    ['another scheme', 'http://127.0.0.1:6379'],
    ['a database that is not a number', 'redis://127.0.0.1:6379/sessions'],
    ['no URL at all', 'localhost:6379'],
  ])('rejects %s', async (_name, value) => {
    const proc = run(['server', '--store', value]);
    const { code } = await proc.exited;
    expect(code).not.toBe(0);
    expect(proc.stderr()).toContain('--store');
  });

  it("is the proxy's embedded upstream store with `statescope --store`, and refused with --upstream", async () => {
    const proc = run(['proxy', '--listen', '127.0.0.1:0', '--no-dashboard', '--store', holder.redis.url]);
    const deadline = Date.now() + 20_000;
    let m: RegExpExecArray | null = null;
    while (!(m = /proxy listening on 127\.0\.0\.1:(\d+)/.exec(proc.stdout()))) {
      if (Date.now() > deadline || proc.child.exitCode !== null) throw new Error(proc.stdout() + proc.stderr());
      await new Promise((r) => setTimeout(r, 20));
    }
    const client = await RawClient.connect(Number(m[1]));
    expect((await client.exchange(request('PUT', targetFor('via-proxy'), [['Timeout', 20]], 'relayed'))).head.status).toBe(200);
    client.destroy();
    const direct = await startStateServer({ port: 0, store: { kind: 'redis', url: holder.redis.url } });
    try {
      const reader = await RawClient.connect(direct.port);
      expect((await reader.exchange(request('GET', targetFor('via-proxy')))).body.toString()).toBe('relayed');
      reader.destroy();
    } finally {
      await direct.close();
    }
    proc.child.kill('SIGTERM');
    await proc.exited;

    const both = run(['proxy', '--no-dashboard', '--upstream', '127.0.0.1:1', '--store', holder.redis.url]);
    const { code } = await both.exited;
    expect(code).not.toBe(0);
    expect(both.stderr()).toContain('--store is for the embedded state server');
  });
});
