// Where the WinSW service wrapper (winsw.exe, from the node-windows package) is found: embedded
// in the Windows single executable, beside the bundle in the npm package (dist/winsw/), or in
// node_modules when running from a checkout.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
  const candidates = ['./winsw/winsw.exe', '../../node_modules/node-windows/bin/winsw/winsw.exe'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = candidates.find((file) => existsSync(file));
  return found ? readFileSync(found) : null;
}
