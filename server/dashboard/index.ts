// The dashboard's own listener: the built UI, a small REST API and the live ws feed, all
// behind one auth gate. It only ever talks to a CaptureSource, so it can show the live proxy
// or a saved capture alike.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { CaptureSource } from '../capture/source.ts';
import {
  bearerToken,
  hostAllowedWithoutToken,
  originAllowed,
  queryToken,
  resolveToken,
  tokenMatches,
} from './auth.ts';
import { DEFAULT_FEED_OPTIONS, FeedHub, type FeedClientStatus, type FeedOptions } from './feed.ts';
import { HttpError, sendError, tearDownWhenClientGoes } from './http-util.ts';
import { METRICS_PATH, sendMetrics, type MetricsEndpoint } from './metrics-endpoint.ts';
import { handleApi } from './rest-api.ts';
import { loadDefaultUi, loadUiFromDirectory, serveStatic } from './static-files.ts';

export interface DashboardOptions {
  host: string;
  port: number;
  source: CaptureSource;
  /** Required from clients when set; generated automatically when host is not loopback. */
  token?: string;
  /** Directory of the built UI, read once at start; defaults to ui/dist (or the executable's embedded UI). */
  uiDir?: string;
  /** Feed batching interval in ms (default 250). */
  tickMs?: number;
  /** Backpressure limits of the ws feed; defaults suit real use, tests shrink them. */
  feed?: Partial<Omit<FeedOptions, 'tickMs'>>;
  /** Served at /metrics (Prometheus); without it /metrics answers 404 (e.g. a saved capture). */
  metrics?: MetricsEndpoint;
}

export interface Dashboard {
  /** Where to open the dashboard; carries ?token=… when a token is in force. */
  url: string;
  host: string;
  port: number;
  token: string | null;
  /** Per-browser feed state, for diagnostics and tests. */
  feedClients(): FeedClientStatus[];
  close(): Promise<void>;
}

const FEED_PATH = '/api/feed';
const DOWNLOAD_PATHS = new Set(['/api/export.jsonl', '/api/export.har']);

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { host, source } = options;
  const token = resolveToken(host, options.token);
  const ui = options.uiDir === undefined ? loadDefaultUi() : loadUiFromDirectory(options.uiDir);
  const hub = new FeedHub(source, {
    ...DEFAULT_FEED_OPTIONS,
    ...options.feed,
    tickMs: options.tickMs ?? DEFAULT_FEED_OPTIONS.tickMs,
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });

  /** null when allowed, else [status, message]. */
  const gate = (req: IncomingMessage, url: URL, allowQueryToken: boolean): [number, string] | null => {
    if (token === null) {
      return hostAllowedWithoutToken(req, host) ? null : [403, 'unexpected Host header'];
    }
    const given = bearerToken(req) ?? (allowQueryToken ? queryToken(url) : null);
    return tokenMatches(token, given) ? null : [401, 'token required: open the dashboard URL printed by statescope'];
  };

  const server = createServer((req, res) => {
    tearDownWhenClientGoes(req, res);
    void route(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return sendError(res, err.status, err.message);
      console.error('statescope dashboard:', err);
      sendError(res, 500, 'internal error');
    });
  });

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const isMetrics = url.pathname === METRICS_PATH;
    if (!isMetrics && !url.pathname.startsWith('/api/') && url.pathname !== '/api') {
      // The page itself loads without a token; it then shows a "token required" screen.
      return serveStatic(ui, req, res, url);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && !originAllowed(req)) {
      throw new HttpError(403, 'cross-origin request refused');
    }
    // Downloads cannot carry an Authorization header, so the exports also accept ?token=.
    const denied = gate(req, url, DOWNLOAD_PATHS.has(url.pathname));
    if (denied) {
      const extra: Record<string, string> = denied[0] === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
      return sendError(res, denied[0], denied[1], extra);
    }
    if (isMetrics) return sendMetrics(options.metrics, req, res);
    return handleApi(source, req, res, url);
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const refuse = (status: number, message: string): void => {
      socket.end(`HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== FEED_PATH) return refuse(404, 'Not Found');
    if (!originAllowed(req)) return refuse(403, 'Forbidden');
    const denied = gate(req, url, true);
    if (denied) return refuse(denied[0], denied[0] === 401 ? 'Unauthorized' : 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => hub.add(ws));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: dashboardUrl(host, port, token),
    host,
    port,
    token,
    feedClients: () => hub.status(),
    close: async () => {
      hub.close();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function dashboardUrl(host: string, port: number, token: string | null): string {
  // A wildcard bind is reachable on loopback too; that is the address that always works here.
  let shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  if (shown.includes(':') && !shown.startsWith('[')) shown = `[${shown}]`;
  const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  return `http://${shown}:${port}/${query}`;
}
