// Dead upstreams: the client's connection is closed (never a made-up reply), the record names
// the request and the reason, and no socket is left behind.
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, connectRawClient, waitFor } from '../helpers/net-peers.ts';
import { startRawServer, type RawServer } from '../helpers/raw-server.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';
import { transcript } from '../helpers/transcripts.ts';

let app: TestApp;
let upstream: RawServer | null = null;

afterEach(async () => {
  await app?.close(0);
  await upstream?.close();
  upstream = null;
});

const getExclusive = transcript('02').request!.bytes;
const dataReply = transcript('05').response.bytes;

function expectNoLeaks() {
  return waitFor(() => {
    const c = app.proxy.connections();
    return c.client === 0 && c.upstream === 0;
  }, 5000, 'all sockets closed');
}

describe('upstream failures', () => {
  it('refused: closes the client without a reply and records upstream_refused with the request', async () => {
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: await closedPort() } });
    const client = await connectRawClient(app.proxy.port);
    client.socket.write(getExclusive);
    await client.closed;
    expect(Buffer.concat(client.received).length).toBe(0);
    await waitFor(() => app.records.length === 1, 3000, 'record');
    expect(app.records[0]).toMatchObject({ outcome: 'upstream_refused', reply: null, request: { kind: 'GetExclusive' } });
    expect(app.records[0]!.error).toMatch(/refused/);
    expect(app.capture.state().upstreamReachable).toBe(false);
    await expectNoLeaks();
  });

  it('refused with no request sent: still records the failure', async () => {
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: await closedPort() } });
    const client = await connectRawClient(app.proxy.port);
    await client.closed;
    await waitFor(() => app.records.length === 1, 3000, 'record');
    expect(app.records[0]).toMatchObject({ outcome: 'upstream_refused', request: null });
    await expectNoLeaks();
  });

  it('dies mid-body: forwards what came, then closes the client and records upstream_reset', async () => {
    const partial = dataReply.subarray(0, dataReply.length - 5);
    upstream = await startRawServer((_request, _i, socket) => {
      socket.write(partial);
      setTimeout(() => socket.destroy(), 50);
      return 'hang';
    });
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port } });
    const client = await connectRawClient(app.proxy.port);
    await expect(client.exchange(getExclusive)).rejects.toThrow(/closed/);
    expect(Buffer.concat(client.received).equals(partial)).toBe(true);
    await waitFor(() => app.records.length === 1, 3000, 'record');
    expect(app.records[0]).toMatchObject({ outcome: 'upstream_reset', reply: { status: 200, lockCookie: '3' } });
    await expectNoLeaks();
  });

  it('silent upstream: times out, closes the client, records upstream_timeout', async () => {
    upstream = await startRawServer(() => 'hang');
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port }, replyTimeoutMs: 300 });
    const client = await connectRawClient(app.proxy.port);
    await expect(client.exchange(getExclusive)).rejects.toThrow(/closed/);
    await waitFor(() => app.records.length === 1, 3000, 'record');
    expect(app.records[0]).toMatchObject({ outcome: 'upstream_timeout', request: { kind: 'GetExclusive' } });
    await expectNoLeaks();
  });

  it('an idle connection outlives the reply timeout, and the timeout still guards the next reply', async () => {
    let n = 0;
    upstream = await startRawServer(() => (n++ === 0 ? transcript('07').response.bytes : 'hang'));
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port }, replyTimeoutMs: 300 });
    const client = await connectRawClient(app.proxy.port);
    expect((await client.exchange(transcript('07').request!.bytes)).head.status).toBe(200);
    await new Promise((r) => setTimeout(r, 700)); // idle for more than two timeout periods
    expect(client.socket.destroyed).toBe(false);
    await expect(client.exchange(getExclusive)).rejects.toThrow(/closed/);
    await waitFor(() => app.records.length === 2, 3000, 'records');
    expect(app.records.map((r) => r.outcome)).toEqual(['ok', 'upstream_timeout']);
    await expectNoLeaks();
  });

  it('client closes mid-request: the upstream side is closed and the exchange recorded client_reset', async () => {
    upstream = await startRawServer(() => 'hang');
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port } });
    const put = transcript('04').request!.bytes;
    const client = await connectRawClient(app.proxy.port);
    client.socket.write(put.subarray(0, put.length - 3)); // head and part of the body
    await waitFor(() => upstream!.received.some((r) => r.length > 0), 3000, 'upstream to see bytes');
    const upstreamSide = upstream.received.findIndex((r) => r.length > 0);
    expect(upstreamSide).toBeGreaterThanOrEqual(0);
    client.close();
    await waitFor(() => app.records.length === 1, 3000, 'record');
    expect(app.records[0]).toMatchObject({ outcome: 'client_reset', request: { kind: 'Set', bodySize: 16 } });
    await expectNoLeaks();
    // Seen from the state server: the proxy's connection to it was closed too.
    await waitFor(() => upstream!.open() === 0 && upstream!.closedByClient() >= 1, 3000, 'the upstream connection closed');
  });

  it('client closes while waiting for the reply: recorded client_reset, upstream closed', async () => {
    upstream = await startRawServer(() => 'hang');
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port } });
    const client = await connectRawClient(app.proxy.port);
    client.socket.write(getExclusive);
    await waitFor(() => upstream!.received.some((r) => r.length > 0), 3000, 'request upstream');
    client.close();
    await waitFor(() => app.records.length === 1, 3000, 'record');
    expect(app.records[0]!.outcome).toBe('client_reset');
    await expectNoLeaks();
    await waitFor(() => upstream!.open() === 0 && upstream!.closedByClient() >= 1, 3000, 'the upstream connection closed');
  });

  it('a clean close by the upstream between exchanges closes the client without an error record', async () => {
    upstream = await startRawServer((_request, _i, socket) => {
      setTimeout(() => socket.end(), 20);
      return transcript('07').response.bytes;
    });
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port } });
    const client = await connectRawClient(app.proxy.port);
    await client.exchange(transcript('07').request!.bytes);
    await client.closed;
    await waitFor(() => app.records.length === 1, 3000, 'record');
    expect(app.records.map((r) => r.outcome)).toEqual(['ok']);
    await expectNoLeaks();
  });

  it('keeps serving other clients while one upstream connection fails', async () => {
    let n = 0;
    upstream = await startRawServer(() => {
      if (n++ === 0) return 'close';
      return transcript('07').response.bytes;
    });
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port } });
    const a = await connectRawClient(app.proxy.port);
    await expect(a.exchange(getExclusive)).rejects.toThrow();
    const b = await connectRawClient(app.proxy.port);
    const { head } = await b.exchange(transcript('07').request!.bytes);
    expect(head.status).toBe(200);
    b.close();
    await waitFor(() => app.records.length === 2, 3000, 'records');
    expect(app.records.map((r) => r.outcome).sort()).toEqual(['ok', 'upstream_reset']);
  });
});
