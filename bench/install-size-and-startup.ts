// npm run bench:startup: what installing and starting statescope costs, for the README.
// Sizes: the npm tarball, the installed package (with its dependencies), the single
// executables. Times, median of 5 rounds alternating between the contenders in each round:
// `statescope --help` from the installed package and from the Linux executable against
// `node -e 0`, and the main job from spawn until the proxy and the dashboard listen.
// Needs `npm run build` (and `npm run build:exe` for the executables' rows).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const npmCli = process.env.npm_execpath;
const npm = (args: string[], cwd: string) =>
  npmCli ? execFileSync(process.execPath, [npmCli, ...args], { cwd, encoding: 'utf8' }) : execFileSync('npm', args, { cwd, encoding: 'utf8' });

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function treeSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) total += statSync(path.join(e.parentPath, e.name)).size;
  return total;
}

function timeRun(file: string, args: string[], cwd: string): number {
  const t0 = performance.now();
  const r = spawnSync(file, args, { cwd, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}

/** ms from spawn until both the proxy and the dashboard have printed that they listen. */
function timeMainJob(file: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, [...args, '--listen', '127.0.0.1:0', '--dashboard', '127.0.0.1:0'], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (/proxy listening/.test(out) && /statescope dashboard: http/.test(out)) {
        const ms = performance.now() - t0;
        child.once('exit', () => resolve(ms));
        child.kill('SIGTERM');
      }
    });
    child.once('error', reject);
  });
}

const work = mkdtempSync(path.join(tmpdir(), 'statescope-bench-'));
try {
  console.log(`statescope install and startup, Node ${process.version}, load average ${load()}`);
  const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], root)) as { filename: string; size: number; unpackedSize: number }[];
  const prefix = path.join(work, 'prefix');
  npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(work, packed[0]!.filename)], work);
  const installedDir = path.join(prefix, 'lib', 'node_modules', 'statescope');
  console.log(`npm tarball: ${mib(packed[0]!.size)} (${mib(packed[0]!.unpackedSize)} unpacked)`);
  console.log(`installed with dependencies: ${mib(treeSize(installedDir))}`);
  const exes = ['statescope-linux-x64', 'statescope-win-x64.exe'].map((f) => path.join(root, 'dist-exe', f)).filter((f) => existsSync(f));
  for (const exe of exes) console.log(`${path.basename(exe)}: ${mib(statSync(exe).size)}`);

  const bin = path.join(prefix, 'bin', 'statescope');
  const linuxExe = exes.find((f) => f.endsWith('linux-x64'));
  const contenders: [string, string, string[]][] = [
    ['node -e 0', process.execPath, ['-e', '0']],
    ['statescope --help (npm package)', bin, ['--help']],
    ...(linuxExe ? [['statescope-linux-x64 --help', linuxExe, ['--help']] as [string, string, string[]]] : []),
  ];
  const helpTimes = new Map(contenders.map(([name]) => [name, [] as number[]]));
  const jobs: [string, string, string[]][] = [['main job listening (npm package)', bin, []], ...(linuxExe ? [['main job listening (linux-x64 executable)', linuxExe, []] as [string, string, string[]]] : [])];
  const jobTimes = new Map(jobs.map(([name]) => [name, [] as number[]]));
  timeRun(bin, ['--help'], work); // warm the file cache once
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, file, args] of contenders) helpTimes.get(name)!.push(timeRun(file, args, work));
    for (const [name, file, args] of jobs) jobTimes.get(name)!.push(await timeMainJob(file, args, work));
  }
  const base = median(helpTimes.get('node -e 0')!);
  for (const [name, times] of helpTimes) {
    const m = median(times);
    console.log(`${name}: ${m.toFixed(0)} ms median of ${ROUNDS}${name === 'node -e 0' ? '' : ` (${(m / base).toFixed(2)} x node -e 0; target <= 3)`}`);
  }
  for (const [name, times] of jobTimes) console.log(`${name}: ${median(times).toFixed(0)} ms median of ${ROUNDS} (target < 1000)`);
  console.log(`load average at the end: ${load()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
