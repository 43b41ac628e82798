// Serves the built UI from memory. It is small (a few hundred KiB), so it is read once when the
// dashboard starts — from ui/dist, or from the single executable's embedded assets — and every
// request is answered from a Buffer: no file handle per request, nothing to leak when a client
// goes away mid-response, and no path ever reaches the file system. Unknown page paths fall
// back to index.html so client-side links keep working after a reload.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { packageRoot } from '../package-root.ts';
import { SECURITY_HEADERS, sendText } from './http-util.ts';

/** Asset names in a single executable (see server/build/): a manifest listing the UI files. */
export const SEA_UI_MANIFEST = 'ui/manifest.json';
export const SEA_UI_PREFIX = 'ui/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const NOT_BUILT = 'statescope: dashboard UI not built: run npm run build:ui\n';

interface UiFile {
  body: Buffer;
  headers: Record<string, string | number>;
}

/** The whole UI, keyed by URL path ("/index.html", "/assets/index-1a2b.js"). */
export interface UiAssets {
  /** Where it was read from, for messages. */
  origin: string;
  files: ReadonlyMap<string, UiFile>;
}

/** The UI of this installation: embedded assets in a single executable, else ui/dist. */
export function loadDefaultUi(): UiAssets {
  const sea = process.getBuiltinModule('node:sea');
  return sea.isSea() ? loadUiFromSea(sea) : loadUiFromDirectory(defaultUiDir());
}

/** Reads every file under dir into memory; a missing directory gives an empty UI (503). */
export function loadUiFromDirectory(dir: string): UiAssets {
  const files = new Map<string, UiFile>();
  if (existsSync(join(dir, 'index.html'))) {
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue; // symlinks and the like are not part of a Vite build
      const full = join(entry.parentPath, entry.name);
      const urlPath = '/' + relative(dir, full).split(sep).join('/');
      files.set(urlPath, uiFile(urlPath, readFileSync(full)));
    }
  }
  return { origin: dir, files };
}

function loadUiFromSea(sea: typeof import('node:sea')): UiAssets {
  const files = new Map<string, UiFile>();
  const names = JSON.parse(sea.getAsset(SEA_UI_MANIFEST, 'utf8')) as string[];
  for (const name of names) {
    files.set('/' + name, uiFile('/' + name, Buffer.from(sea.getAsset(SEA_UI_PREFIX + name))));
  }
  return { origin: 'embedded assets', files };
}

function defaultUiDir(): string {
  return join(packageRoot(import.meta.url) ?? '.', 'ui', 'dist');
}

function uiFile(urlPath: string, body: Buffer): UiFile {
  // Vite fingerprints assets, so they can be cached forever; index.html must always be fresh.
  const hashedAsset = urlPath.startsWith('/assets/');
  return {
    body,
    headers: {
      ...SECURITY_HEADERS,
      'Content-Type': CONTENT_TYPES[extname(urlPath).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'Cache-Control': hashedAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
    },
  };
}

export function serveStatic(ui: UiAssets, req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(res, 405, 'method not allowed\n');
  }
  const index = ui.files.get('/index.html');
  if (!index) return sendText(res, 503, NOT_BUILT);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return sendText(res, 400, 'bad path\n');
  }
  // A map lookup, never a file-system path: "..", encoded separators or drive letters match nothing.
  let file = ui.files.get(path);
  if (!file) {
    if (extname(path) !== '' && !path.endsWith('.html')) return sendText(res, 404, 'not found\n');
    file = index;
  }
  res.writeHead(200, file.headers);
  res.end(req.method === 'HEAD' ? undefined : file.body);
}
