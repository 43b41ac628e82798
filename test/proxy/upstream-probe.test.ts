// The dashboard's "upstream reachable" comes from real traffic, and from a connect-only probe
// only while there is none, so a busy state server never sees statescope's empty connections.
import { afterEach, expect, it } from 'vitest';
import { closedPort, connectRawClient, waitFor } from '../helpers/net-peers.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';
import { startRawServer, type RawServer } from '../helpers/raw-server.ts';
import { transcript } from '../helpers/transcripts.ts';

let app: TestApp;
let upstream: RawServer | null = null;
afterEach(async () => {
  await app?.close(0);
  await upstream?.close();
  upstream = null;
});

const emptyConnections = () => upstream!.received.filter((chunks) => chunks.length === 0).length;

it('probes a quiet upstream, and stops probing while traffic flows', async () => {
  upstream = await startRawServer(() => transcript('07').response.bytes);
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port }, upstreamProbeMs: 150 });
  await waitFor(() => emptyConnections() >= 2, 3000, 'probes of the quiet upstream');
  expect(app.capture.state().upstreamReachable).toBe(true);

  const exchange = async () => {
    const client = await connectRawClient(app.proxy.port);
    await client.exchange(transcript('07').request!.bytes);
    client.close();
  };
  await exchange(); // from here on, traffic reports reachability (a probe already under way may still land)
  const probesBefore = emptyConnections();
  // Traffic for six probe periods: each exchange's own connect reports reachability. A quiet
  // upstream would see about six probes; one may still slip in when the shared machine stalls
  // an exchange past a whole period.
  const until = Date.now() + 900;
  while (Date.now() < until) await exchange();
  expect(emptyConnections() - probesBefore).toBeLessThanOrEqual(1);
});

it('reports an upstream nobody listens on as unreachable', async () => {
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: await closedPort() }, upstreamProbeMs: 150 });
  await waitFor(() => app.capture.state().upstreamReachable === false, 3000, 'unreachable verdict');
});
