// Risk: the published package does not work where it is installed (the UI missing from the
// tarball, a dev dependency needed at run time, sources or tests shipped instead of the build).
// Packs the tarball as `npm publish` would, installs it globally into a temporary prefix, and
// runs the installed `statescope` from an unrelated folder.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../helpers/cli.ts';
import { expectDashboardLoads, expectRelayWorks, startMainJob, type Installed, type RunningMainJob } from '../helpers/installed-statescope.ts';
import { repoRoot } from '../helpers/transcripts.ts';

const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let work: string;
let files: string[];
let installed: Installed;
let running: RunningMainJob | null = null;

beforeAll(() => {
  for (const built of ['dist/statescope.mjs', 'ui/dist/index.html']) {
    if (!existsSync(path.join(repoRoot, built))) throw new Error(`${built} missing: run npm run build first (npm test does)`);
  }
  work = mkdtempSync(path.join(tmpdir(), 'statescope-pkg-'));
  // --ignore-scripts: pack what `npm run build` made, rather than rebuilding ui/dist under the
  // feet of tests running at the same time.
  const packed = JSON.parse(
    execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: repoRoot, encoding: 'utf8' }),
  ) as { filename: string; files: { path: string }[] }[];
  files = packed[0]!.files.map((f) => f.path);
  const prefix = path.join(work, 'prefix');
  execFileSync(npm, ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(work, packed[0]!.filename)], {
    cwd: work,
    encoding: 'utf8',
    stdio: 'pipe',
  });
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'statescope-user-'));
  installed = { file: path.join(prefix, 'bin', 'statescope'), cwd: elsewhere };
}, 120_000);

afterAll(async () => {
  await running?.proc.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('installs as a service running node with its own entry script, and carries the WinSW wrapper', async () => {
    const r = await runProgram(installed.file, ['service', 'install', '--upstream', '10.0.0.5', '--dry-run'], { cwd: installed.cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`<executable>${process.execPath}</executable>`);
    expect(r.stdout).toMatch(/<arguments>\S+[\\/]lib[\\/]node_modules[\\/]statescope[\\/]dist[\\/]statescope\.mjs proxy --upstream=10\.0\.0\.5 /);
    expect(r.stdout).toMatch(/statescope-service\.exe: the WinSW wrapper, \d{5,} bytes/);
  });

  it('ships the build, the UI, README and LICENSE, and no sources, tests, benches or CI scripts', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/statescope.mjs', 'ui/dist/index.html']));
    expect(files.some((f) => /^ui\/dist\/assets\/.+\.js$/.test(f))).toBe(true);
    const unwanted = files.filter((f) => /^(test|bench|server|ui\/src|\.ci)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts'));
    expect(unwanted).toEqual([]);
  });

  it('prints its version', async () => {
    const r = await runProgram(installed.file, ['--version'], { cwd: installed.cwd });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('runs the main job from another folder: dashboard page and assets load, the relay answers', async () => {
    running = await startMainJob(installed);
    await expectDashboardLoads(running.dashboardUrl);
    await expectRelayWorks(running.proxyPort);
    const check = await runProgram(installed.file, ['check', `127.0.0.1:${running.proxyPort}`], { cwd: installed.cwd });
    expect(check.stdout).toContain('X-AspNet-Version: 4.0.30319');
    expect(check.code).toBe(0);
    expect(await running.proc.stop('SIGINT')).toBe(0);
    running = null;
  });
});
