// HAR export of real traffic through the real proxy: injected replies, captured binary bodies,
// a 423 and an upstream_refused exchange; valid against the published HAR 1.2 schema, filtered
// like the table, and readable back into the very same records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateClient, newSessionId } from '../../server/client/index.ts';
import type { HarEntry, HarLog } from '../../server/capture/har-format.ts';
import { recordFromHarEntry } from '../../server/capture/har-import.ts';
import { startDashboard, type Dashboard } from '../../server/dashboard/index.ts';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { harValidator } from '../helpers/har-schema.ts';
import { connectRawClient, waitFor } from '../helpers/net-peers.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';
import { transcript } from '../helpers/transcripts.ts';

let upstream: RunningStateServer;
let app: TestApp;
let dashboard: Dashboard;
let base: string;
let sessionA: string;
const binary = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256)); // every byte value shows up

async function har(query = ''): Promise<HarLog> {
  const res = await fetch(`${base}/api/export.har${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { log: HarLog }).log;
}

beforeAll(async () => {
  // The classic failure: an upstream without X-AspNet-Version, fixed on the wire by injection.
  upstream = await startStateServer({ host: '127.0.0.1', port: 0, versionHeader: null });
  app = await startTestApp({
    upstream: { host: '127.0.0.1', port: upstream.port },
    injection: { enabled: true, value: '4.0.30319' },
    captureBodiesBytes: 4096,
  });
  dashboard = await startDashboard({ host: '127.0.0.1', port: 0, source: app.capture, token: 'tok' });
  base = `http://127.0.0.1:${dashboard.port}`;

  const client = createStateClient({ host: '127.0.0.1', port: app.proxy.port });
  const other = createStateClient({ host: '127.0.0.1', port: app.proxy.port });
  sessionA = newSessionId();
  await client.createUninitialized(sessionA);
  const locked = await client.getExclusive(sessionA);
  expect((await other.get(sessionA)).status).toBe(423);
  await client.set(sessionA, binary, { lockCookie: locked.lockCookie ?? 0 });
  expect((await client.get(sessionA)).body.equals(binary)).toBe(true);
  await client.resetTimeout(newSessionId());
  await client.close();
  await other.close();

  // The state server goes away: the next connection is refused, and the record says so.
  await upstream.close();
  const raw = await connectRawClient(app.proxy.port);
  raw.socket.write(transcript('02').request!.bytes);
  await raw.closed;
  await waitFor(() => app.records.some((r) => r.outcome === 'upstream_refused'), 5000, 'refused record');
  await waitFor(() => app.capture.records(100).length === app.records.length, 5000, 'capture caught up');
  expect(app.records).toHaveLength(7);
}, 30_000);

afterAll(async () => {
  await dashboard?.close();
  await app?.close(0);
});

describe('GET /api/export.har', () => {
  it('is HAR 1.2 valid against the published schema, one entry per exchange', async () => {
    const res = await fetch(`${base}/api/export.har?token=tok`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="statescope-.*\.har"$/);
    const doc = (await res.json()) as { log: HarLog };
    const validate = harValidator();
    expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The validator is live: a broken copy fails it.
    const broken = structuredClone(doc) as unknown as { log: { entries: Record<string, unknown>[] } };
    delete broken.log.entries[0]!.timings;
    (broken.log.entries[1]!.request as { url: string }).url = 'not a uri';
    expect(validate(broken)).toBe(false);
    expect(doc.log.version).toBe('1.2');
    expect(doc.log.creator.name).toBe('statescope');
    expect(doc.log.entries.map((e) => e._id)).toEqual(app.records.map((r) => r.id));
    expect(doc.log.entries.map((e) => e._operation)).toEqual([
      'CreateUninitialized',
      'GetExclusive',
      'Get',
      'Set',
      'Get',
      'ResetTimeout',
      'GetExclusive',
    ]);
  });

  it('needs the token like the JSONL export (header or ?token=)', async () => {
    expect((await fetch(`${base}/api/export.har`)).status).toBe(401);
    expect((await fetch(`${base}/api/export.har`, { headers: { Authorization: 'Bearer tok' } })).status).toBe(200);
  });

  it('maps requests, injected replies, binary bodies and timings', async () => {
    const log = await har('?token=tok');
    const [create, getEx, locked, set, get, reset] = log.entries as [HarEntry, HarEntry, HarEntry, HarEntry, HarEntry, HarEntry];
    const target = app.records[0]!.request!.target;
    expect(create.request).toMatchObject({
      method: 'PUT',
      url: `http://127.0.0.1:${upstream.port}/${target}`,
      httpVersion: 'HTTP/1.1',
      _target: target,
      bodySize: 7,
    });
    expect(create.request.headers.map((h) => h.name)).toEqual(['Host', 'Content-Length', 'Timeout', 'LockCookie', 'ExtraFlags']);
    expect(create.request.headersSize).toBe(Buffer.byteLength(app.records[0]!.request!.head, 'latin1'));

    // Injected: the client received X-AspNet-Version first, right after the status line.
    expect(create.response).toMatchObject({ status: 200, statusText: 'OK', httpVersion: '', _statusLineForm: 'microsoft', redirectURL: '' });
    expect(create.response.headers[0]).toEqual({ name: 'X-AspNet-Version', value: '4.0.30319' });
    expect(create.response._head).not.toContain('X-AspNet-Version');
    expect(create.response.headersSize).toBe(Buffer.byteLength(create.response._head!, 'latin1') + 'X-AspNet-Version: 4.0.30319\r\n'.length);
    expect(create).toMatchObject({ _versionHeader: 'injected', _injected: true, _errorCode: 'ok', _sessionId: sessionA, _appHash: app.records[0]!.request!.appHash });
    expect(getEx._lockCookie).toMatch(/^\d+$/);
    expect(locked.response.status).toBe(423);

    expect(set.request.postData).toMatchObject({ mimeType: 'application/octet-stream', _encoding: 'base64' });
    expect(Buffer.from(set.request.postData!.text, 'base64').equals(binary)).toBe(true);
    expect(get.response.content.encoding).toBe('base64');
    expect(Buffer.from(get.response.content.text!, 'base64').equals(binary)).toBe(true);
    expect(get.response.content.size).toBe(binary.length);
    expect(get.response.bodySize).toBe(binary.length);
    expect(reset.request.method).toBe('HEAD');

    for (const e of log.entries) {
      expect(Date.parse(e.startedDateTime)).toBe(app.records.find((r) => r.id === e._id)!.startedAt);
      expect(e.timings.send + e.timings.wait + e.timings.receive).toBeCloseTo(e.time, 2);
      expect(e.timings.receive).toBeGreaterThanOrEqual(0);
    }
  });

  it('keeps failed exchanges: status 0 and the outcome code', async () => {
    const refused = (await har('?token=tok')).entries.at(-1)!;
    expect(refused.response).toMatchObject({ status: 0, statusText: '', headers: [], bodySize: -1 });
    expect(refused).toMatchObject({ _errorCode: 'upstream_refused', _versionHeader: 'none', _operation: 'GetExclusive' });
    expect(refused._error).toMatch(/refused/);
  });

  it('applies the table filters, with the same query names', async () => {
    const ids = async (q: string) => (await har(`?token=tok&${q}`)).entries.map((e) => e._operation);
    expect(await ids('kind=Get')).toEqual(['Get', 'Get']);
    expect(await ids('status=423')).toEqual(['Get']);
    expect(await ids('status=none')).toEqual(['GetExclusive']);
    expect(await ids('version=none')).toEqual(['GetExclusive']);
    expect(await ids(`text=${sessionA.slice(2, 10).toUpperCase()}`)).toHaveLength(5);
    expect(await ids('kind=Set&version=injected')).toEqual(['Set']);
    expect((await har('?token=tok&kind=Set')).entries).toHaveLength(1);
    const bad = await fetch(`${base}/api/export.har?token=tok&status=3xx`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/"status" must be one of/);
    // A filtered export is still a valid HAR and says what it was filtered by.
    const filtered = (await (await fetch(`${base}/api/export.har?token=tok&kind=Set`)).json()) as { log: HarLog & { _filters: unknown } };
    expect(harValidator()(filtered)).toBe(true);
    expect(filtered.log._filters).toEqual({ kind: 'Set', status: 'all', version: 'all', text: '' });
  });

  it('reads back into the very same records', async () => {
    const log = await har('?token=tok');
    const back = log.entries.map((e, i) => recordFromHarEntry(e, i));
    expect(JSON.parse(JSON.stringify(back))).toEqual(JSON.parse(JSON.stringify(app.records)));
  });
});
