// 200 concurrent client connections of mixed traffic: every exchange recorded exactly once,
// none lost, every reply correct for its own connection.
import { afterEach, expect, it } from 'vitest';
import { buildTarget } from '../../server/protocol/index.ts';
import { connectRawClient, waitFor } from '../helpers/net-peers.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';

let app: TestApp;
afterEach(async () => app?.close(0));

function request(verb: string, session: string, headers: string[], body = Buffer.alloc(0)): Buffer {
  const target = buildTarget('/LM/W3SVC/1/ROOT/Load', 'hash/+=', session);
  const lines = [`${verb} ${target} HTTP/1.1`, 'Host: 127.0.0.1:42424', ...headers];
  if (body.length > 0) lines.splice(2, 0, `Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

it('records every exchange of 200 concurrent connections once', async () => {
  app = await startTestApp();
  const CONNECTIONS = 200;
  const ROUNDS = 5;
  const results = await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      const client = await connectRawClient(app.proxy.port);
      const session = `s${c}`.padEnd(24, 'a');
      const statuses: number[] = [];
      const create = await client.exchange(request('PUT', session, ['Timeout: 20', 'LockCookie: 0', 'ExtraFlags: 1'], Buffer.from('140000000000ff', 'hex')));
      statuses.push(create.head.status);
      for (let r = 0; r < ROUNDS; r++) {
        const got = await client.exchange(request('GET', session, ['Exclusive: acquire']));
        statuses.push(got.head.status);
        const cookie = got.head.headers.find((h) => h.name === 'LockCookie')!.value;
        const body = Buffer.from(`connection ${c} round ${r}`);
        const set = await client.exchange(request('PUT', session, ['Timeout: 20', `LockCookie: ${cookie}`, 'ExtraFlags: 0'], body));
        statuses.push(set.head.status);
        const read = await client.exchange(request('GET', session, []));
        statuses.push(read.head.status);
        expect(read.body.toString()).toBe(`connection ${c} round ${r}`);
        const head = await client.exchange(request('HEAD', session, []));
        statuses.push(head.head.status);
      }
      client.close();
      return statuses;
    }),
  );
  const perConnection = 1 + ROUNDS * 4;
  expect(results.every((s) => s.length === perConnection && s.every((x) => x === 200))).toBe(true);
  const total = CONNECTIONS * perConnection;
  await waitFor(() => app.records.length >= total, 15_000, `${total} records`);
  await new Promise((r) => setTimeout(r, 100));
  expect(app.records).toHaveLength(total);
  expect(new Set(app.records.map((r) => r.id)).size).toBe(total);
  expect(app.records.every((r) => r.outcome === 'ok' && r.reply?.versionHeader.present)).toBe(true);
  const byConnection = new Map<number, number>();
  for (const r of app.records) byConnection.set(r.connectionId, (byConnection.get(r.connectionId) ?? 0) + 1);
  expect(byConnection.size).toBe(CONNECTIONS);
  expect([...byConnection.values()].every((n) => n === perConnection)).toBe(true);
  const stats = app.capture.stats();
  expect(stats.totals.exchanges).toBe(total);
  expect(stats.capture.evicted).toBe(0);
  await waitFor(() => app.proxy.connections().client === 0, 5000, 'connections closed');
});
