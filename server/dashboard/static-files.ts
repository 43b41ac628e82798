// Serves the built UI (ui/dist). Unknown paths fall back to index.html so client-side links
// keep working after a reload.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECURITY_HEADERS, sendText } from './http-util.ts';

export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../ui/dist/', import.meta.url));

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

export async function serveStatic(uiDir: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(res, 405, 'method not allowed\n');
  }
  const root = resolve(uiDir);
  const index = join(root, 'index.html');
  if (!(await isFile(index))) return sendText(res, 503, NOT_BUILT);

  let file = index;
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname);
  } catch {
    return sendText(res, 400, 'bad path\n');
  }
  if (relative !== '/' && !relative.includes('\0')) {
    const candidate = resolve(root, '.' + relative);
    // Never leave the UI directory, whatever the path says (.., encoded separators, drive letters).
    if (candidate.startsWith(root + sep) && (await isFile(candidate))) file = candidate;
    else if (extname(relative) !== '' && !relative.endsWith('.html')) return sendText(res, 404, 'not found\n');
  }

  const info = await stat(file);
  const hashedAsset = file !== index && file.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
    // Vite fingerprints assets, so they can be cached forever; index.html must always be fresh.
    'Cache-Control': hashedAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
