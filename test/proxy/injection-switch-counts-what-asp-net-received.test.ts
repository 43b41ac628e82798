// The verdict said replies "reached ASP.NET without it since injection went on" from a switch
// time the browser guessed on its own clock: a reply that ended just before the switch, or one
// whose head was already on the wire, flipped the card to a warning for good (a flaky dashboard
// test showed it). The server now counts, from the moment of the switch and on its own clock,
// what it fixed and what was already on the wire; this drives the real relay across a switch.
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { connectRawClient, waitFor } from '../helpers/net-peers.ts';
import { OK_NO_VERSION, startRawServer, type RawServer } from '../helpers/raw-server.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';

let app: TestApp | null = null;
let upstream: RawServer | null = null;
afterEach(async () => {
  await app?.close(0);
  await upstream?.close();
  app = null;
  upstream = null;
});

const request = Buffer.from('GET %2fLM%2fW3SVC%2f1%2fROOT%2fa(h)%2fs HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');
const VERSION_LINE = 'X-AspNet-Version: 4.0.30319';

it('counts the reply whose head was on the wire at the switch apart from those it fixed after', async () => {
  const body = Buffer.from('0123456789', 'latin1');
  const head = Buffer.from(`200 OK\r\nCache-Control: private\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1');
  // The first reply sends its head at once and its body only when the test says so.
  let sendBody: (() => void) | null = null;
  upstream = await startRawServer((_r, index, socket: net.Socket) => {
    if (index > 0) return OK_NO_VERSION();
    socket.write(head);
    sendBody = () => socket.write(body);
    return 'hang';
  });
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port }, injection: { enabled: false, value: '4.0.30319' } });
  expect(app.capture.stats().injection).toBeNull();

  const slow = await connectRawClient(app.proxy.port);
  const slowDone = slow.exchange(request);
  await waitFor(() => Buffer.concat(slow.received).length >= head.length, 3000, 'the head of the first reply');
  expect(Buffer.concat(slow.received).toString('latin1')).not.toContain(VERSION_LINE);

  app.capture.setInjection({ enabled: true });
  const switched = app.capture.stats().injection;
  expect(switched).toMatchObject({ injected: 0, onTheWire: 0 });
  expect(Math.abs(switched!.since - Date.now())).toBeLessThan(1000);

  // The rest of the first reply arrives after the switch: it reached ASP.NET without the header.
  sendBody!();
  await slowDone;
  // Three more replies, all after the switch: every one gets the header.
  const fresh = await connectRawClient(app.proxy.port);
  for (let i = 0; i < 3; i++) await fresh.exchange(request);
  expect(Buffer.concat(fresh.received).toString('latin1').split(VERSION_LINE)).toHaveLength(4);
  await waitFor(() => app!.capture.stats().totals.replies === 4, 3000, 'four replies counted');
  expect(app.capture.stats().injection).toMatchObject({ since: switched!.since, injected: 3, onTheWire: 1 });

  // Off: no counts. On again: they start from zero.
  app.capture.setInjection({ enabled: false });
  expect(app.capture.stats().injection).toBeNull();
  app.capture.setInjection({ enabled: true });
  await fresh.exchange(request);
  await waitFor(() => app!.capture.stats().totals.replies === 5, 3000, 'the fifth reply');
  expect(app.capture.stats().injection).toMatchObject({ injected: 1, onTheWire: 0 });
  slow.close();
  fresh.close();
});

it('injection on from the start counts from the start, and a clear starts the counts again', async () => {
  upstream = await startRawServer(() => OK_NO_VERSION());
  app = await startTestApp({ upstream: { host: '127.0.0.1', port: upstream.port }, injection: { enabled: true, value: '4.0.30319' } });
  const client = await connectRawClient(app.proxy.port);
  for (let i = 0; i < 2; i++) await client.exchange(request);
  await waitFor(() => app!.capture.stats().totals.replies === 2, 3000, 'two replies');
  const before = app.capture.stats().injection!;
  expect(before).toMatchObject({ injected: 2, onTheWire: 0 });
  expect(before.since).toBeLessThanOrEqual(Date.now());
  app.capture.clear();
  expect(app.capture.stats().injection).toMatchObject({ injected: 0, onTheWire: 0 });
  client.close();
});
