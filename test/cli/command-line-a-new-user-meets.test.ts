// Risk: a new user's first commands go wrong in ways that have nothing to do with their state
// server: a missing port read as failure, a typo answered with pages of help, the main job's
// options hidden from `statescope --help`, a load run that cannot fail a script, warnings
// that look like leaks, a demo that cannot be pointed anywhere and ends without a word.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHostPort } from '../../server/cli/address.ts';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { runCli, startCli, type CliProcess } from '../helpers/cli.ts';
import { closedPort } from '../helpers/net-peers.ts';

let proc: CliProcess | null = null;
let server: RunningStateServer | null = null;
afterEach(async () => {
  await proc?.stop();
  proc = null;
  await server?.close();
  server = null;
});

describe('a state server named without a port is on 42424', () => {
  it('parses HOST, [v6] and v6 with the default port, and HOST:PORT as given', () => {
    expect(parseHostPort('stateserver', '127.0.0.1', 42424)).toEqual({ host: 'stateserver', port: 42424 });
    expect(parseHostPort('10.0.0.5', '127.0.0.1', 42424)).toEqual({ host: '10.0.0.5', port: 42424 });
    expect(parseHostPort('[::1]', '127.0.0.1', 42424)).toEqual({ host: '::1', port: 42424 });
    expect(parseHostPort('fe80::1', '127.0.0.1', 42424)).toEqual({ host: 'fe80::1', port: 42424 });
    expect(parseHostPort('tcpip=10.0.0.5:4000', '127.0.0.1', 42424)).toEqual({ host: '10.0.0.5', port: 4000 });
    expect(() => parseHostPort('a:b:c:99999', '127.0.0.1', 42424)).toThrow(/expected HOST or HOST:PORT/);
    // Where no port is obvious (a listen address) it is still required.
    expect(() => parseHostPort('0.0.0.0')).toThrow(/expected HOST:PORT/);
  });

  it('check HOST probes HOST:42424 and says "unreachable" (2), not "ASP.NET will fail" (1)', async () => {
    const r = await runCli(['check', '127.0.0.1', '--timeout', '2', '--json']);
    const result = JSON.parse(r.stdout) as { target: string; reachable: boolean };
    expect(result.target).toBe('127.0.0.1:42424');
    // Whatever listens on this machine's 42424, the exit code follows the verdict, never a parse error.
    expect([0, 1, 2]).toContain(r.code);
    if (!result.reachable) expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
  });

  it('--upstream HOST relays to HOST:42424', async () => {
    proc = startCli(['--listen', '127.0.0.1:0', '--no-dashboard', '--upstream', 'localhost']);
    await proc.waitForOutput(/forwarding to localhost:42424/);
  });
});

describe('a bad argument gets one line: what is wrong and where the help is', () => {
  it.each([
    [['load', '--sessions', 'lots'], /^statescope load: .*'--sessions <n>'.*"lots".*\(see statescope load --help\)\n$/],
    [['--upstrem', 'x'], /^statescope proxy: unknown option '--upstrem' \(Did you mean --upstream\?\) \(see statescope proxy --help\)\n$/],
    [['check'], /^statescope check: missing required argument 'host\[:port\]' \(see statescope check --help\)\n$/],
    [['check', 'a:b:c:99999'], /^statescope check: .*expected HOST or HOST:PORT.*\(see statescope check --help\)\n$/],
    [['server', '--listen', 'nowhere'], /^statescope server: .*expected HOST:PORT.*\(see statescope server --help\)\n$/],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });

  it('the top-level --help shows the main job options', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Commands:[\s\S]*check[\s\S]*The main job[\s\S]*--upstream <host\[:port\]>[\s\S]*--inject-version[\s\S]*--log <file>/);
  });
});

describe('load can fail a script', () => {
  it('exits 3 when errors pass --max-errors, 0 within it, without MaxListenersExceededWarning', async () => {
    const port = await closedPort();
    const args = ['load', '--target', `127.0.0.1:${port}`, '--duration', '0.5', '--sessions', '30'];
    const strict = await runCli([...args, '--max-errors', '0']);
    expect(strict.code).toBe(3);
    expect(strict.stderr).toMatch(/statescope load: \d+ errors in \d+ operations, more than --max-errors 0/);
    expect(strict.stderr).not.toMatch(/MaxListeners|Warning/);
    const lenient = await runCli([...args, '--max-errors', '100%']);
    expect(lenient.code).toBe(0);
    expect((await runCli([...args])).code).toBe(0);
    expect((await runCli(['load', '--max-errors', 'some'])).code).toBe(2);
  });
});

describe('demo takes the proxy options and sums up on Ctrl+C', () => {
  it('--upstream, --log and --inject-version, then a summary on SIGINT', async () => {
    server = await startStateServer({ host: '127.0.0.1', port: 0, versionHeader: null });
    const log = path.join(mkdtempSync(path.join(tmpdir(), 'statescope-demo-')), 'demo.jsonl');
    proc = startCli([
      'demo', '--listen', '127.0.0.1:0', '--no-dashboard', '--upstream', `127.0.0.1:${server.port}`,
      '--log', log, '--inject-version', '--sessions', '30', '--rate', '100', '--restart-every', '0.5',
    ]);
    await proc.waitForOutput(new RegExp(`forwarding to 127\\.0\\.0\\.1:${server.port}\\n`));
    expect(proc.stdout()).toContain('injecting X-AspNet-Version: 4.0.30319');
    await proc.waitForOutput(/statescope demo: 30 emulated users/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await proc.stop('SIGINT')).toBe(0);
    const out = proc.stdout();
    const summary = /statescope demo summary\n  proxy: \d+ exchanges; the upstream sent X-AspNet-Version in 0 of (\d+) replies \(missing in (\d+)\); statescope injected it into (\d+)/.exec(out);
    expect(summary, out).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThan(10);
    expect(summary![2]).toBe(summary![1]);
    expect(summary![3]).toBe(summary![1]);
    expect(out).toMatch(/Pages: [1-9]\d* completed/);
    expect(proc.stderr()).not.toMatch(/MaxListeners|Warning/);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.some((l) => l.includes('"injected"'))).toBe(true);
  });
});
