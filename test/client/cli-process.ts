// Runs the real `statescope` entry point as a child process (node, no shell) for end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../helpers/transcripts.ts';

const ENTRY = path.join(repoRoot, 'server', 'cli', 'statescope.mjs');

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** Ends the process if it is still running (SIGTERM; plain termination on Windows). */
  stop(): Promise<void>;
}

export function runCli(args: string[]): CliProcess {
  const child = spawn(process.execPath, [ENTRY, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
}

/** Port from the state server's startup line "... listening on 127.0.0.1:PORT (...)". */
export async function listeningPort(proc: CliProcess, ms = 20_000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(proc.stdout());
    if (m) return Number(m[1]);
    if (proc.child.exitCode !== null) throw new Error(`exited early: ${proc.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no startup line; stdout=${proc.stdout()} stderr=${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
