// This installation's root folder (the one holding statescope's package.json), whatever file
// the code runs from: server/... in a checkout, dist/ or dist/chunks/ in the npm package. Files
// that ship beside the code (the built UI, the service wrapper) are found from here.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(moduleUrl: string): string | null {
  let dir = path.dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && isStatescope(manifest)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function isStatescope(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'statescope';
  } catch {
    return false;
  }
}
