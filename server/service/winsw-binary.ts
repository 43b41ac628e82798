// Where the WinSW service wrapper (winsw.exe, from the node-windows package) is found: embedded
// in the Windows single executable, in dist/winsw/ of the npm package, or in node_modules when
// running from a checkout.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root.ts';

export const SEA_WINSW_ASSET = 'winsw/winsw.exe';

/** The wrapper's bytes, or null when this installation has none. */
export function winswBinary(): Buffer | null {
  const sea = process.getBuiltinModule('node:sea');
  if (sea.isSea()) {
    try {
      return Buffer.from(sea.getAsset(SEA_WINSW_ASSET));
    } catch {
      return null; // the Linux executable carries no Windows wrapper
    }
  }
  const root = packageRoot(import.meta.url) ?? '.';
  // The npm package carries a copy in dist/winsw/; a checkout has node-windows installed.
  const candidates = [path.join(root, 'dist', 'winsw', 'winsw.exe'), path.join(root, 'node_modules', 'node-windows', 'bin', 'winsw', 'winsw.exe')];
  const found = candidates.find((file) => existsSync(file));
  return found ? readFileSync(found) : null;
}
