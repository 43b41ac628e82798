// Risk: the Windows single executable does not start, or its proxy, embedded state server or
// dashboard does not work, on the machines it is made for. Smoke-tests it under Wine (Debian's
// wine64, a fresh prefix set to Windows 10): --version, then the proxy with its embedded state
// server started by the .exe, driven from Linux over loopback by the ASP.NET client emulator,
// and its dashboard page and assets fetched. Node under Wine needs stdout to be a file, not a pipe.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectDashboardLoads, expectRelayWorks } from '../helpers/installed-statescope.ts';
import { repoRoot } from '../helpers/transcripts.ts';

const built = path.join(repoRoot, 'dist-exe', 'statescope-win-x64.exe');
const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
let dir: string;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync(built)) throw new Error('dist-exe/statescope-win-x64.exe missing: run npm run build:exe (npm run test:exe does)');
  dir = mkdtempSync(path.join(tmpdir(), 'statescope-wine-'));
  copyFileSync(built, path.join(dir, 'statescope.exe'));
  env = { ...process.env, WINEPREFIX: path.join(dir, 'prefix'), WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  const setup = spawnSync('wine', ['winecfg', '/v', 'win10'], { env, cwd: dir, stdio: 'ignore', timeout: 170_000 });
  if (setup.status !== 0) throw new Error(`winecfg /v win10 failed (status ${setup.status}): is wine64 installed?`);
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  // Ends the wineserver of this test's own prefix only.
  if (env) spawnSync('wineserver', ['-k'], { env, stdio: 'ignore', timeout: 30_000 });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the .exe under Wine with stdout and stderr going to one file. */
function runExe(args: string[], outFile: string): { child: ChildProcess; output: () => string } {
  const fd = openSync(outFile, 'w');
  const child = spawn('wine', ['statescope.exe', ...args], { env, cwd: dir, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.push(child);
  return { child, output: () => readFileSync(outFile, 'utf8') };
}

async function waitForOutput(output: () => string, pattern: RegExp, child: ChildProcess, ms = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = output().match(pattern);
    if (m) return m;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern}; output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('prints the package version', async () => {
  const run = runExe(['--version'], path.join(dir, 'version.txt'));
  const code = await new Promise((resolve) => run.child.once('exit', resolve));
  expect(run.output().trim()).toBe(version);
  expect(code).toBe(0);
});

it('carries the WinSW service wrapper and installs itself as the service executable', async () => {
  const run = runExe(['service', 'install', '--upstream', '10.0.0.5', '--dry-run'], path.join(dir, 'service.txt'));
  const code = await new Promise((resolve) => run.child.once('exit', resolve));
  expect(run.output()).toMatch(/<executable>[A-Z]:\\[^<]*statescope\.exe<\/executable>/);
  expect(run.output()).toMatch(/<arguments>proxy --upstream=10\.0\.0\.5 --log=C:\\ProgramData\\statescope\\exchanges\.jsonl<\/arguments>/);
  expect(run.output()).toMatch(/statescope-service\.exe: the WinSW wrapper, \d{5,} bytes/);
  expect(code).toBe(0);
});

it('runs the proxy with its embedded state server; the emulator on Linux gets replies; the dashboard loads', async () => {
  const run = runExe(['--listen', '127.0.0.1:0', '--dashboard', '127.0.0.1:0'], path.join(dir, 'proxy.txt'));
  const [, proxyPort] = await waitForOutput(run.output, /proxy listening on 127\.0\.0\.1:(\d+), forwarding to 127\.0\.0\.1:\d+ \(embedded state server\)/, run.child);
  const [, dashboardUrl] = await waitForOutput(run.output, /statescope dashboard: (http:\S+)/, run.child);
  const report = await expectRelayWorks(Number(proxyPort), 2);
  expect(report.operations.GetExclusive).toBeDefined();
  await expectDashboardLoads(dashboardUrl!);
  const stats = (await (await fetch(new URL('/api/stats', dashboardUrl))).json()) as { stats: { totals: { exchanges: number; versionPresent: number } } };
  expect(stats.stats.totals.exchanges).toBeGreaterThanOrEqual(report.operationsTotal - 5);
  expect(stats.stats.totals.versionPresent).toBeGreaterThan(0);
});
