// Runs the real `statescope` entry point as a child process, as a user would.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './transcripts.ts';

export const CLI = path.join(repoRoot, 'server', 'cli', 'statescope.mjs');

export function runCli(args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return runProgram(process.execPath, [CLI, ...args], { timeoutMs });
}

export function runProgram(
  file: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const execOptions = { cwd: options.cwd ?? repoRoot, timeout: options.timeoutMs ?? 20_000, env: options.env ?? process.env };
    execFile(file, args, execOptions, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout. */
  waitForOutput(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `wrapper`: a command that runs node for us, e.g. ['prlimit', '--nofile=256:256']. */
export function startCli(args: string[], wrapper: string[] = []): CliProcess {
  const [command, ...prefix] = [...wrapper, process.execPath];
  return startProgram(command!, [...prefix, CLI, ...args]);
}

/** Any statescope build (an installed bin, a single executable) run as a user would. */
export function startProgram(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const child = spawn(file, args, { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitForOutput(pattern, ms = 15_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = out.match(pattern);
        if (m) return m;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no ${pattern} in output; stdout: ${out}\nstderr: ${err}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
