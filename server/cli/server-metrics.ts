// `statescope server --metrics HOST:PORT`: Prometheus metrics of a standalone state server, so a
// Redis outage (every request closed unanswered) shows on a dashboard and in alerts, not only in
// the log. A listener of its own: the state-server port speaks only the state-server protocol.
import http from 'node:http';
import { Gauge, Registry } from 'prom-client';
import { followingCounter } from '../capture/metrics.ts';
import type { RunningStateServer } from '../stateserver/index.ts';
import { formatHostPort, type HostPort } from './address.ts';

export interface ServerMetrics {
  url: string;
  close(): Promise<void>;
}

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

export function serverMetricsRegistry(server: RunningStateServer): Registry {
  const registry = new Registry();
  followingCounter([registry], 'statescope_server_requests_total', 'Requests the state server received', () => server.stats().requests);
  followingCounter(
    [registry],
    'statescope_server_store_failures_total',
    'Requests whose connection was closed unanswered because the store (Redis) failed or did not answer',
    () => server.stats().storeFailures,
  );
  gauge(registry, 'statescope_server_connections', 'Client connections open now', () => server.stats().connections);
  gauge(registry, 'statescope_server_items', 'Sessions stored (for Redis: as last read, shared by every server on it)', () => server.stats().items);
  gauge(registry, 'statescope_server_stored_bytes', 'Bytes of session data stored (for Redis: as last read)', () => server.stats().storedBytes);
  return registry;
}

export async function startServerMetrics(server: RunningStateServer, at: HostPort): Promise<ServerMetrics> {
  const registry = serverMetricsRegistry(server);
  const listener = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('statescope: only GET /metrics here\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`statescope: ${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(at.port, at.host, () => resolve());
  });
  const address = listener.address() as { port: number };
  return {
    url: `http://${formatHostPort({ host: at.host, port: address.port })}/metrics`,
    close: () =>
      new Promise((resolve) => {
        listener.closeAllConnections();
        listener.close(() => resolve());
      }),
  };
}
