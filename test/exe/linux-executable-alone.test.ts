// Risk: the Linux single executable only works beside a checkout (it reads ui/dist, a
// node_modules, package.json or a Node on PATH). Copies it alone into an empty folder and runs
// from there what a user runs: --version, the main job with its dashboard, `server`, `check`.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { runProgram, startProgram, type CliProcess } from '../helpers/cli.ts';
import { expectDashboardLoads, expectRelayWorks, startMainJob, type Installed } from '../helpers/installed-statescope.ts';
import { repoRoot } from '../helpers/transcripts.ts';

const built = path.join(repoRoot, 'dist-exe', 'statescope-linux-x64');
const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
let dir: string;
let exe: Installed;
const running: CliProcess[] = [];

beforeAll(() => {
  if (!existsSync(built)) throw new Error('dist-exe/statescope-linux-x64 missing: run npm run build:exe (npm run test:exe does)');
  dir = mkdtempSync(path.join(tmpdir(), 'statescope-exe-'));
  copyFileSync(built, path.join(dir, 'statescope-linux-x64'));
  // No Node on PATH either: the executable carries its own.
  exe = { file: path.join(dir, 'statescope-linux-x64'), cwd: dir, env: { PATH: '/nonexistent', HOME: dir } };
});
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('prints the package version', async () => {
  const r = await runProgram(exe.file, ['--version'], { cwd: dir, env: exe.env });
  expect(r.stdout.trim()).toBe(version);
  expect(r.stderr).toBe('');
});

it('runs the main job: dashboard page and assets from the embedded UI, the relay answers', async () => {
  const job = await startMainJob(exe);
  running.push(job.proc);
  await expectDashboardLoads(job.dashboardUrl);
  await expectRelayWorks(job.proxyPort);
  expect(await job.proc.stop('SIGTERM')).toBe(0);
  expect(job.proc.stderr()).toMatch(/SIGTERM, letting exchanges in flight finish/);
});

it('runs `server`, and `check` tells a healthy server from one without the version header', async () => {
  for (const [serverArgs, exitCode, verdict] of [
    [[], 0, /X-AspNet-Version: 4\.0\.30319/],
    [['--no-version-header'], 1, /X-AspNet-Version: MISSING/],
  ] as const) {
    const server = startProgram(exe.file, ['server', '--listen', '127.0.0.1:0', ...serverArgs], { cwd: dir, env: exe.env });
    running.push(server);
    const [, port] = await server.waitForOutput(/listening on 127\.0\.0\.1:(\d+)/);
    const check = await runProgram(exe.file, ['check', `127.0.0.1:${port}`], { cwd: dir, env: exe.env });
    expect(check.stdout).toMatch(verdict);
    expect(check.code).toBe(exitCode);
    expect(await server.stop('SIGINT')).toBe(0);
  }
});

it('as a service, runs itself: the executable is the single executable, with no script before "proxy"', async () => {
  const r = await runProgram(exe.file, ['service', 'install', '--upstream', '10.0.0.5', '--dry-run'], { cwd: dir, env: exe.env });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`<executable>${exe.file}</executable>`);
  expect(r.stdout).toMatch(/<arguments>proxy --upstream=10\.0\.0\.5 --log=C:\\ProgramData\\statescope\\exchanges\.jsonl<\/arguments>/);
});
