// What an operator would otherwise put in the path, for `npm run bench` to measure side by side:
// HAProxy (mode tcp, nbthread 1) and nginx's stream module, each a single process (so its CPU
// is one /proc entry), configured in a temp dir on a free loopback port, stopped afterwards.
// Debian: `apt-get install -y haproxy nginx libnginx-mod-stream`. Missing ones are skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test/helpers/free-port.ts';

export { freePort };

export interface ExternalRelay {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const HAPROXY = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'].find(existsSync);
const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find(existsSync);
const NGINX_STREAM_MODULE = ['/usr/lib/nginx/modules/ngx_stream_module.so', '/usr/share/nginx/modules/ngx_stream_module.so'].find(existsSync);


/** Resolves once something accepts connections on the port (the relay is up). */
async function waitForListener(port: number, child: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${name} did not listen on ${port}`);
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      const done = () => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null) return done();
      child.once('exit', done);
      child.kill('SIGTERM');
    });
}

async function start(name: string, command: string, args: string[], port: number, dir: string): Promise<ExternalRelay> {
  let stderr = '';
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    await waitForListener(port, child, name);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}: ${stderr.trim()}`);
  }
  return { name, port, pid: child.pid!, stop: stopper(child, dir) };
}

export async function startHaproxy(upstreamPort: number): Promise<ExternalRelay | null> {
  if (!HAPROXY) return null;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'statescope-bench-haproxy-'));
  const port = await freePort();
  const config = path.join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    `global
  nbthread 1
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen state
  bind 127.0.0.1:${port}
  server upstream 127.0.0.1:${upstreamPort}
`,
  );
  return start('haproxy', HAPROXY, ['-db', '-f', config], port, dir);
}

export async function startNginxStream(upstreamPort: number): Promise<ExternalRelay | null> {
  if (!NGINX || !NGINX_STREAM_MODULE) return null;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'statescope-bench-nginx-'));
  const port = await freePort();
  const config = path.join(dir, 'nginx.conf');
  // One process (no master), so its CPU is all in one /proc entry, like the others.
  writeFileSync(
    config,
    `load_module ${NGINX_STREAM_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 4096; }
stream {
  server {
    listen 127.0.0.1:${port};
    proxy_pass 127.0.0.1:${upstreamPort};
  }
}
`,
  );
  return start('nginx stream', NGINX, ['-p', dir, '-c', config, '-e', path.join(dir, 'error.log')], port, dir);
}

export function version(command: 'haproxy' | 'nginx'): string | null {
  const bin = command === 'haproxy' ? HAPROXY : NGINX;
  if (!bin) return null;
  const r = spawnSync(bin, command === 'haproxy' ? ['-v'] : ['-v'], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n')[0]!.trim();
}
