// Starts a dashboard on an ephemeral port over a FakeSource and opens feed clients.
import { WebSocket } from 'ws';
import { startDashboard, type Dashboard, type DashboardOptions } from '../../server/dashboard/index.ts';
import type { CaptureSource } from '../../server/capture/source.ts';
import type { FeedMessage } from '../../server/capture/wire-types.ts';
import { FakeSource } from './fake-source.ts';

export interface Harness<S extends CaptureSource> {
  source: S;
  dashboard: Dashboard;
  base: string;
}

const open: Dashboard[] = [];

export async function start<S extends CaptureSource = FakeSource>(
  options: Partial<Omit<DashboardOptions, 'source'>> & { source?: S; readOnly?: boolean } = {},
): Promise<Harness<S>> {
  const source = options.source ?? (new FakeSource(options.readOnly ?? false) as unknown as S);
  const dashboard = await startDashboard({ host: '127.0.0.1', port: 0, ...options, source });
  open.push(dashboard);
  return { source, dashboard, base: `http://127.0.0.1:${dashboard.port}` };
}

export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((d) => d.close()));
}

export interface FeedClient {
  ws: WebSocket;
  frames: FeedMessage[][];
  messages(): FeedMessage[];
  waitFor(predicate: (m: FeedMessage) => boolean, timeoutMs?: number): Promise<FeedMessage>;
}

export function connectFeed(url: string, headers: Record<string, string> = {}): Promise<FeedClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const frames: FeedMessage[][] = [];
    const waiters = new Set<() => void>();
    ws.on('message', (data) => {
      frames.push(JSON.parse(String(data)) as FeedMessage[]);
      for (const w of waiters) w();
    });
    const client: FeedClient = {
      ws,
      frames,
      messages: () => frames.flat(),
      waitFor: (predicate, timeoutMs = 5000) =>
        new Promise((res, rej) => {
          const check = (): void => {
            const found = client.messages().find(predicate);
            if (found) {
              waiters.delete(check);
              clearTimeout(timer);
              res(found);
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            rej(new Error('timed out waiting for a feed message'));
          }, timeoutMs);
          waiters.add(check);
          check();
        }),
    };
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
