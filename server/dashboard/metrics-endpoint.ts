// GET /metrics: the Prometheus text exposition, behind the same gate as the REST API (a
// Prometheus job sends the token as `authorization: { credentials: ... }`, i.e. a Bearer
// header; the ?token= form is refused here so tokens do not end up in scrape configs' URLs).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, SECURITY_HEADERS } from './http-util.ts';

export const METRICS_PATH = '/metrics';

/** What the dashboard needs from a metrics registry (CaptureMetrics in server/capture). */
export interface MetricsEndpoint {
  contentType: string;
  render(): Promise<string>;
}

export async function sendMetrics(endpoint: MetricsEndpoint | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    throw new HttpError(405, `${req.method} not allowed on ${METRICS_PATH}`);
  }
  // A saved capture (statescope open) has no live traffic to count.
  if (!endpoint) throw new HttpError(404, 'no metrics here: this dashboard shows a saved capture, not a running proxy');
  const body = await endpoint.render();
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': endpoint.contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
