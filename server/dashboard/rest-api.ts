// The REST half of the dashboard: snapshot and detail reads, controls, exports (JSONL, HAR).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidFilterError, isFiltering, matcher, parseFilters } from '../capture/filters.ts';
import { harEnvelope, toHarEntry } from '../capture/har-export.ts';
import type { CaptureSource } from '../capture/source.ts';
import { sessionItemsApi } from '../capture/session-items-report.ts';

/**
 * The item views read the newest exchanges only: records are rebuilt from the compact store on
 * the relay's thread, and a million of them would stall traffic for seconds.
 */
const SESSION_ITEMS_SCAN = 20_000;
import { toSummary } from '../capture/summary.ts';
import type { ExchangeFilters, ExchangeRecord, SnapshotResponse } from '../capture/wire-types.ts';
import { parseCaptureBody, parseInjectionBody } from './control-input.ts';
import { HttpError, SECURITY_HEADERS, readJsonObject, sendJson } from './http-util.ts';

export const DEFAULT_SNAPSHOT_LIMIT = 5000;
export const MAX_SNAPSHOT_LIMIT = 50_000;

/** Handles /api/* except the ws feed. Throws HttpError for client mistakes. */
export async function handleApi(
  source: CaptureSource,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const route = `${method === 'HEAD' ? 'GET' : method} ${path}`;

  switch (route) {
    case 'GET /api/snapshot':
      return sendJson(res, 200, snapshot(source, parseLimit(url.searchParams.get('limit'))));
    case 'GET /api/state':
      return sendJson(res, 200, source.state());
    case 'GET /api/stats':
      return sendJson(res, 200, { stats: source.stats(), diagnoses: source.diagnoses() });
    case 'POST /api/injection': {
      const rule = parseInjectionBody(await readJsonObject(req));
      return sendJson(res, 200, control(() => source.setInjection(rule)));
    }
    case 'POST /api/capture': {
      const paused = parseCaptureBody(await readJsonObject(req));
      return sendJson(res, 200, control(() => source.setCapturePaused(paused)));
    }
    case 'POST /api/clear':
      control(() => source.clear());
      return sendJson(res, 200, { cleared: true });
    case 'GET /api/export.jsonl':
      return exportJsonl(source, res);
    case 'GET /api/export.har':
      return exportHar(source, res, filtersOf(url));
    case 'GET /api/session-items':
      return sendJson(res, 200, sessionItemsApi(source.records(SESSION_ITEMS_SCAN), url.searchParams));
  }

  const detail = /^\/api\/exchanges\/(\d{1,15})$/.exec(path);
  if (detail && route.startsWith('GET ')) {
    const record = source.record(Number(detail[1]));
    if (!record) throw new HttpError(404, `no exchange ${detail[1]} (never seen, or evicted from the capture)`);
    return sendJson(res, 200, record);
  }
  if (KNOWN_PATHS.has(path) || detail) throw new HttpError(405, `${method} not allowed on ${path}`);
  throw new HttpError(404, `no such endpoint: ${path}`);
}

const KNOWN_PATHS = new Set([
  '/api/snapshot',
  '/api/state',
  '/api/stats',
  '/api/injection',
  '/api/capture',
  '/api/clear',
  '/api/export.jsonl',
  '/api/export.har',
  '/api/session-items',
]);

function parseLimit(text: string | null): number {
  if (text === null || text === '') return DEFAULT_SNAPSHOT_LIMIT;
  if (!/^\d+$/.test(text)) throw new HttpError(400, '"limit" must be a whole number');
  return Math.min(Number(text), MAX_SNAPSHOT_LIMIT);
}

export function snapshot(source: CaptureSource, limit: number): SnapshotResponse {
  return {
    items: source.summaries?.(limit) ?? source.records(limit).map(toSummary),
    latestId: source.latestId(),
    state: source.state(),
    stats: source.stats(),
    diagnoses: source.diagnoses(),
  };
}

/** A read-only source (a saved capture) refuses controls: that is a conflict, not a crash. */
function control<T>(action: () => T): T {
  try {
    return action();
  } catch (err) {
    throw new HttpError(409, err instanceof Error ? err.message : String(err));
  }
}

function filtersOf(url: URL): ExchangeFilters {
  try {
    return parseFilters(url.searchParams);
  } catch (err) {
    if (err instanceof InvalidFilterError) throw new HttpError(400, err.message);
    throw err;
  }
}

const PAGE = 500;

/**
 * The stored records a page at a time, oldest first. Records that arrive during the download
 * are left out (it is a snapshot of the store when it began); ones evicted meanwhile are skipped.
 */
function* pages(source: CaptureSource): Generator<readonly ExchangeRecord[]> {
  if (!source.page) {
    const all = source.records(Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < all.length; i += PAGE) yield all.slice(i, i + PAGE);
    return;
  }
  const last = source.latestId();
  let after = 0;
  for (;;) {
    const page = source.page(after, PAGE).filter((r) => r.id <= last);
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.id;
    if (after >= last) return;
  }
}

async function exportJsonl(source: CaptureSource, res: ServerResponse): Promise<void> {
  await sendDownload(res, 'application/x-ndjson; charset=utf-8', 'jsonl', pages(source), {
    item: (record) => JSON.stringify(record) + '\n',
  });
}

/** HAR 1.2 of the stored exchanges that pass the table's filters (same query names as the UI's). */
async function exportHar(source: CaptureSource, res: ServerResponse, filters: ExchangeFilters): Promise<void> {
  const keep = isFiltering(filters) ? matcher(filters) : null;
  const { head, tail } = harEnvelope({ version: source.state().version, filters });
  await sendDownload(res, 'application/json; charset=utf-8', 'har', pages(source), {
    head,
    item: (record, i) => (keep && !keep(toSummary(record)) ? null : (i === 0 ? '' : ',') + JSON.stringify(toHarEntry(record))),
    tail,
  });
}

/** Streams page by page and honours backpressure, so a large capture never sits twice in memory. */
async function sendDownload(
  res: ServerResponse,
  contentType: string,
  extension: string,
  records: Iterable<readonly ExchangeRecord[]>,
  /** `item` gets the index among the records written so far; null leaves a record out. */
  parts: { head?: string; item: (record: ExchangeRecord, index: number) => string | null; tail?: string },
): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': contentType,
    'Content-Disposition': `attachment; filename="statescope-${stamp}.${extension}"`,
    'Cache-Control': 'no-store',
  });
  let text = parts.head ?? '';
  let written = 0;
  for (const page of records) {
    if (res.destroyed) return;
    for (const record of page) {
      const item = parts.item(record, written);
      if (item === null) continue;
      text += item;
      written++;
    }
    if (!res.write(text)) await waitForDrain(res);
    text = '';
  }
  res.end(text + (parts.tail ?? ''));
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
