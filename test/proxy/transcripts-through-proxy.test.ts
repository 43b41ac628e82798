// Every transcript through the proxy arrives byte-identical to direct, in both directions;
// with injection on, only transcript 11's reply changes, into its responseAfterInjection.
import { afterEach, describe, expect, it } from 'vitest';
import { connectRawClient, waitFor } from '../helpers/net-peers.ts';
import { startRawServer, type RawServer } from '../helpers/raw-server.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';
import { loadTranscripts } from '../helpers/transcripts.ts';

const withRequests = loadTranscripts().exchanges.filter((e) => e.request);
let upstream: RawServer;
let app: TestApp;

afterEach(async () => {
  await app?.close(0);
  await upstream?.close();
});

async function runAll(inject: boolean) {
  upstream = await startRawServer((_request, i) => withRequests[i]!.response.bytes);
  app = await startTestApp({
    upstream: { host: '127.0.0.1', port: upstream.port },
    injection: { enabled: inject, value: '4.0.30319' },
  });
  const client = await connectRawClient(app.proxy.port);
  const replies: Buffer[] = [];
  for (const ex of withRequests) {
    const { head, body } = await client.exchange(ex.request!.bytes);
    replies.push(Buffer.concat([head.raw, body]));
  }
  client.close();
  await waitFor(() => app.records.length === withRequests.length, 3000, 'records');
  return { client, replies };
}

describe('transcripts through the proxy', () => {
  it('injection off: both sides receive exactly the bytes the other sent, on one upstream connection', async () => {
    const { client, replies } = await runAll(false);
    // One upstream connection carried the traffic (another may be the reachability probe).
    const used = upstream.received.filter((chunks) => chunks.length > 0);
    expect(used).toHaveLength(1);
    expect(Buffer.concat(used[0]!).equals(Buffer.concat(withRequests.map((e) => e.request!.bytes)))).toBe(true);
    expect(Buffer.concat(client.received).equals(Buffer.concat(withRequests.map((e) => e.response.bytes)))).toBe(true);
    replies.forEach((r, i) => expect(r.equals(withRequests[i]!.response.bytes)).toBe(true));
    expect(app.records.every((r) => r.outcome === 'ok' && r.reply?.injected === false)).toBe(true);
  });

  it('injection on: only the reply without X-AspNet-Version changes, exactly as expected', async () => {
    const { replies } = await runAll(true);
    withRequests.forEach((ex, i) => {
      const expected = ex.responseAfterInjection?.bytes ?? ex.response.bytes;
      expect(replies[i]!.toString('latin1')).toBe(expected.toString('latin1'));
    });
    const injected = app.records.filter((r) => r.reply?.injected);
    expect(injected).toHaveLength(1);
    expect(injected[0]!.request?.kind).toBe('CreateUninitialized');
    expect(injected[0]!.reply).toMatchObject({
      injectedLine: 'X-AspNet-Version: 4.0.30319',
      versionHeader: { present: false, value: null, major: 0 },
    });
  });

  it('records decoded fields, header order and verdicts for each exchange', async () => {
    await runAll(false);
    const byKind = app.records.map((r) => r.request!.kind);
    expect(byKind).toEqual([
      'CreateUninitialized', 'GetExclusive', 'Get', 'Set', 'GetExclusive', 'ReleaseExclusive',
      'ResetTimeout', 'GetExclusive', 'Remove', 'GetExclusive', 'CreateUninitialized', 'ReleaseExclusive',
    ]);
    const locked = app.records[2]!;
    expect(locked.reply).toMatchObject({ status: 423, lockCookie: '2', lockAgeSeconds: 3, lockDateTicks: '638501544000000000', protocol: null });
    expect(locked.request).toMatchObject({ sessionId: 'q0jx2fo1wkbnu5dzh3vrap4c', appId: '/LM/W3SVC/1/ROOT/WebApp' });
    expect(app.records[11]!.reply?.protocol).toBe('HTTP/1.1');
    expect(app.records[11]!.request?.lockCookie).toBe('3'); // spelled Lock-Cookie
    expect(app.records[3]!.request?.headers.map(([n]) => n)).toEqual(['Host', 'Content-Length', 'Timeout', 'LockCookie', 'ExtraFlags']);
    expect(app.records[10]!.reply?.versionHeader.present).toBe(false);
    for (const r of app.records) {
      expect(r.latencyMs).toBeGreaterThanOrEqual(0);
      expect(r.firstByteMs).not.toBeNull();
      // Bodies are private: nothing kept unless --capture-bodies asks.
      expect(r.request?.body).toBeUndefined();
      expect(r.reply?.body).toBeUndefined();
    }
  });

  it('--capture-bodies keeps a capped prefix of each body', async () => {
    upstream = await startRawServer((_request, i) => withRequests[i]!.response.bytes);
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port }, captureBodiesBytes: 4 });
    const client = await connectRawClient(app.proxy.port);
    for (const ex of withRequests.slice(0, 5)) await client.exchange(ex.request!.bytes);
    await waitFor(() => app.records.length === 5, 3000, 'records');
    const set = app.records[3]!;
    expect(Buffer.from(set.request!.body!, 'base64').toString('hex')).toBe('504c4143');
    expect(set.request!.bodyTruncated).toBe(true);
    expect(Buffer.from(app.records[4]!.reply!.body!, 'base64').length).toBe(4);
    expect(app.records[0]!.request!.body).toBe(Buffer.from('140000000000ff', 'hex').subarray(0, 4).toString('base64'));
    client.close();
  });
});
