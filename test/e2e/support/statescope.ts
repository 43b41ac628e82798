// Runs the real `statescope` CLI as a child process on free ports, and `statescope load` (the
// ASP.NET client emulator) against it: what the e2e specs drive the dashboard with. No mocks.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = path.join(repoRoot, 'server', 'cli', 'statescope.mjs');
export const NEED_V2_TEXT =
  'Unable to use session state server because this version of ASP.NET requires session state server version 2.0 or above.';

export interface Statescope {
  /** host:port of the proxy, as printed (the real port when asked for 0). */
  proxyAddress: string;
  proxyPort: number;
  /** The dashboard URL exactly as printed (with ?token=… when a token is in force). */
  dashboardUrl: string;
  /** The dashboard's origin, without path or token. */
  dashboardOrigin: string;
  token: string | null;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

export interface LoadOptions {
  sessions?: number;
  duration?: number;
  rate?: number;
  restartEvery?: number;
  /** --execution-timeout: lock age (s) at which a waiting page breaks the lock. */
  executionTimeout?: number;
}

export interface LoadReport {
  pages: { started: number; completed: number; failed: number; staleLocksReleased?: number };
  /** ms since the run's start of each app restart. */
  restarts: number[];
  elapsedSeconds: number;
  operationsTotal: number;
  errors: { message: string; code: string; count: number }[];
  errorsTotal: number;
}

export function assertUiBuilt(): void {
  if (!existsSync(path.join(repoRoot, 'ui', 'dist', 'index.html'))) {
    throw new Error('ui/dist is missing: run `npm run build:ui` before the e2e tests');
  }
}

/** Waits for `child` to exit; SIGKILLs it if it outlives `ms` after `signal`. */
async function terminate(child: ChildProcess, signal: NodeJS.Signals, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

const LISTEN_LINE = /statescope proxy listening on (\S+):(\d+), forwarding to/;
const DASHBOARD_LINE = /statescope dashboard: (http:\/\/\S+)/;

/** `statescope [proxy] --listen 127.0.0.1:0 --dashboard 127.0.0.1:0 ...args`. */
export async function startStatescope(args: string[] = [], startupMs = 20_000): Promise<Statescope> {
  const full = [CLI, 'proxy', '--listen', '127.0.0.1:0', ...(args.includes('--dashboard') ? [] : ['--dashboard', '127.0.0.1:0']), ...args];
  return startCli(full, true, startupMs);
}

/** `statescope open FILE --dashboard 127.0.0.1:0`: a saved capture, read-only. */
export async function startOpen(file: string, startupMs = 20_000): Promise<Statescope> {
  return startCli([CLI, 'open', file, '--dashboard', '127.0.0.1:0'], false, startupMs);
}

async function startCli(full: string[], proxy: boolean, startupMs: number): Promise<Statescope> {
  assertUiBuilt();
  const child = spawn(process.execPath, full, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));

  const deadline = Date.now() + startupMs;
  let listen: RegExpMatchArray | null = null;
  let dash: RegExpMatchArray | null = null;
  while (!((listen || !proxy) && dash)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await terminate(child, 'SIGKILL', 1000);
      throw new Error(`statescope did not start (${full.slice(1).join(' ')})\nstdout: ${out}\nstderr: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 25));
    listen = out.match(LISTEN_LINE);
    dash = out.match(DASHBOARD_LINE);
  }
  const dashboardUrl = dash[1]!;
  const url = new URL(dashboardUrl);
  return {
    proxyAddress: listen ? `${listen[1]}:${listen[2]}` : '',
    proxyPort: listen ? Number(listen[2]) : 0,
    dashboardUrl,
    dashboardOrigin: url.origin,
    token: url.searchParams.get('token'),
    stdout: () => out,
    stderr: () => err,
    stop: () => terminate(child, 'SIGTERM', 8000),
  };
}

export interface RunningLoad {
  /** Resolves with the JSON report once the run ends (by itself or by stop()). */
  done: Promise<LoadReport>;
  stop(): Promise<void>;
}

/** `statescope load --target ... --json` in the background. */
export function startLoad(target: string, options: LoadOptions = {}): RunningLoad {
  const args = [
    CLI,
    'load',
    '--target',
    target,
    '--sessions',
    String(options.sessions ?? 8),
    '--duration',
    String(options.duration ?? 3),
    '--rate',
    String(options.rate ?? 100),
    '--restart-every',
    String(options.restartEvery ?? 0),
    ...(options.executionTimeout !== undefined ? ['--execution-timeout', String(options.executionTimeout)] : []),
    '--json',
  ];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<LoadReport>((resolve, reject) => {
    child.once('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve(JSON.parse(out) as LoadReport);
      } catch (e) {
        reject(new Error(`statescope load failed: ${String(e)}\nstdout: ${out}\nstderr: ${err}`));
      }
    });
  });
  // SIGINT ends the run early and still prints the report.
  return { done, stop: () => terminate(child, 'SIGINT', 5000) };
}

/** One complete `statescope load` run. */
export function runLoad(target: string, options: LoadOptions = {}): Promise<LoadReport> {
  return startLoad(target, options).done;
}

export function needV2Errors(report: LoadReport): number {
  return report.errors.filter((e) => e.message === NEED_V2_TEXT).reduce((n, e) => n + e.count, 0);
}
