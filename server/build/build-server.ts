// npm run build:server: bundles the server (server/cli/main.ts and everything it imports) into
// dist/statescope.mjs, the file the installed `statescope` runs. One file loads faster than
// a hundred modules and needs no TypeScript at run time; the npm dependencies stay external
// (they are installed beside it), so the package still declares what it runs.
import { build, type BuildOptions } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVER_ENTRY = 'server/cli/main.ts';
/** The WinSW service wrapper that `statescope service` installs (node-windows ships it). */
export const WINSW_SOURCE = path.join(REPO_ROOT, 'node_modules', 'node-windows', 'bin', 'winsw', 'winsw.exe');

/** Options both bundles share (this one and the single executable's). */
export const COMMON_BUNDLE_OPTIONS: BuildOptions = {
  absWorkingDir: REPO_ROOT,
  entryPoints: [SERVER_ENTRY],
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'eof',
  logLevel: 'warning',
};

export async function buildServer(): Promise<void> {
  rmSync(path.join(REPO_ROOT, 'dist'), { recursive: true, force: true });
  await build({
    ...COMMON_BUNDLE_OPTIONS,
    // The entry stays dist/statescope.mjs; what it imports only when needed (the dashboard,
    // metrics) goes into chunks beside it, so `statescope --help` does not load ws or prom-client.
    entryPoints: { statescope: SERVER_ENTRY },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    packages: 'external',
    banner: { js: '#!/usr/bin/env node' },
  });
  // Beside the bundle, where server/service/winsw-binary.ts looks for it in the package.
  mkdirSync(path.join(REPO_ROOT, 'dist', 'winsw'), { recursive: true });
  copyFileSync(WINSW_SOURCE, path.join(REPO_ROOT, 'dist', 'winsw', 'winsw.exe'));
}

/** True when this file is the script node was asked to run (not imported by another build). */
export function isMainModule(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

if (isMainModule(import.meta.url)) await buildServer();
