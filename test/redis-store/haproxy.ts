// A real HAProxy (Debian's haproxy, installed by .ci/run) in TCP mode in front of state servers,
// as an operator would put it: round robin, health checks every 200 ms, a connection refused by
// a dead backend redispatched to the other. Config and stats socket in a temporary directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './redis-process.ts';

export interface BackendStats {
  name: string;
  /** UP, DOWN, ... as HAProxy's health checks see it. */
  status: string;
  /** Connections HAProxy has sent to this backend so far. */
  totalSessions: number;
}

export class HaproxyProcess {
  private output = '';
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  static async start(backendPorts: number[]): Promise<HaproxyProcess> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'statescope-haproxy-'));
    const port = await freePort();
    const config = [
      'global',
      '  maxconn 2000',
      `  stats socket ${path.join(dir, 'admin.sock')} mode 600 level admin`,
      'defaults',
      '  mode tcp',
      '  timeout connect 1s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  retries 2',
      '  option redispatch',
      'frontend state',
      `  bind 127.0.0.1:${port}`,
      '  default_backend statescope',
      'backend statescope',
      '  balance roundrobin',
      ...backendPorts.map((p, i) => `  server s${i} 127.0.0.1:${p} check inter 200 fall 1 rise 2`),
      '',
    ].join('\n');
    const file = path.join(dir, 'haproxy.cfg');
    writeFileSync(file, config);
    const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const proxy = new HaproxyProcess(port, dir, child, exited);
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (proxy.output += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (proxy.output += s));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const stats = await proxy.backends().catch(() => []);
      if (stats.length === backendPorts.length && stats.every((s) => s.status === 'UP')) return proxy;
      if (child.exitCode !== null || Date.now() > deadline) {
        await proxy.stop();
        throw new Error(`haproxy did not come up: ${proxy.output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** `show stat` on the admin socket, the backend's servers only. */
  async backends(): Promise<BackendStats[]> {
    const csv = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(path.join(this.dir, 'admin.sock'));
      let text = '';
      socket.on('connect', () => socket.write('show stat\n'));
      socket.on('data', (c) => (text += c.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
    const columns = header!.split(',');
    const col = (row: string[], name: string) => row[columns.indexOf(name)] ?? '';
    return rows
      .map((line) => line.split(','))
      .filter((row) => col(row, 'pxname') === 'statescope' && /^s\d+$/.test(col(row, 'svname')))
      .map((row) => ({ name: col(row, 'svname'), status: col(row, 'status'), totalSessions: Number(col(row, 'stot')) }));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
