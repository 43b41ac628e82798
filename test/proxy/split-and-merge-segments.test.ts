// Random session traffic from the client emulator, with TCP segments split and merged at
// random points on both sides of the proxy: each side still receives exactly the bytes the
// other sent, and every exchange is recorded.
import { afterEach, expect, it } from 'vitest';
import { createStateClient, newSessionId } from '../../server/client/index.ts';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { waitFor } from '../helpers/net-peers.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';
import { startResegmentingRelay, type ResegmentingRelay } from '../helpers/resegmenting-relay.ts';

let server: RunningStateServer;
let app: TestApp;
let clientSide: ResegmentingRelay;
let upstreamSide: ResegmentingRelay;

afterEach(async () => {
  await clientSide?.close();
  await app?.close(0);
  await upstreamSide?.close();
  await server?.close();
});

it('stays byte-identical under random segmentation in both directions', async () => {
  server = await startStateServer({ port: 0 });
  upstreamSide = await startResegmentingRelay(server.port, 11);
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstreamSide.port } });
  clientSide = await startResegmentingRelay(app.proxy.port, 23);

  let seed = 99;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  let operations = 0;
  const users = Array.from({ length: 6 }, async () => {
    const client = createStateClient({ host: '127.0.0.1', port: clientSide.port });
    const id = newSessionId();
    await client.createUninitialized(id);
    for (let page = 0; page < 25; page++) {
      const got = await client.getExclusive(id);
      operations++;
      const cookie = got.lockCookie ?? 0;
      const roll = rand();
      if (roll < 0.5) {
        const body = Buffer.alloc(1 + Math.floor(rand() * 3000), page);
        body[0] = 0x0d; // CR LF and NULs inside bodies must not confuse anybody
        await client.set(id, body, { lockCookie: cookie });
      } else if (roll < 0.8) {
        await client.releaseExclusive(id, cookie);
      } else {
        await client.releaseExclusive(id, cookie);
        await client.resetTimeout(id);
        operations++;
        await client.get(id);
        operations++;
      }
      operations++;
    }
    await client.close();
  });
  await Promise.all(users);
  const expected = operations + 6;
  await waitFor(() => app.records.length === expected, 10_000, `${expected} records`);
  expect(app.records.every((r) => r.outcome === 'ok')).toBe(true);

  // Pair connections by content: what clients sent (client-side relay, forward) must be what
  // the upstream received (upstream-side relay, forward), and the same backwards.
  const hex = (parts: Buffer[]) => Buffer.concat(parts).toString('hex');
  const nonEmpty = (conns: ResegmentingRelay['connections'], dir: 'forward' | 'backward') =>
    conns.map((c) => hex(c[dir])).filter((h) => h.length > 0).sort();
  expect(nonEmpty(upstreamSide.connections, 'forward')).toEqual(nonEmpty(clientSide.connections, 'forward'));
  expect(nonEmpty(clientSide.connections, 'backward')).toEqual(nonEmpty(upstreamSide.connections, 'backward'));
  expect(nonEmpty(clientSide.connections, 'forward').length).toBeGreaterThanOrEqual(6);
});
