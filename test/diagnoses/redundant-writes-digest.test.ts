// redundant-writes compares digests of bodies, never the bytes: through the real relay, a Set of
// exactly the bytes just read counts, a Set that differs in one byte does not, and the digest is
// the same however the body is split into TCP segments.
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { createStateClient, buildRequest, appIdHash, DEFAULT_APP_ID, type StateClient } from '../../server/client/index.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';

let app: TestApp | undefined;
let client: StateClient | undefined;
afterEach(async () => {
  await client?.close();
  await app?.close(0);
  app = client = undefined;
});

async function flushed(a: TestApp): Promise<void> {
  await new Promise((r) => setTimeout(r, 80)); // the capture hands records out in 50 ms batches
  a.capture.flush();
}

const redundant = (a: TestApp) => a.capture.diagnoses().find((d) => d.id === 'redundant-writes');

/** One page: lock, read, write `body` back, as the session module does. */
async function page(c: StateClient, id: string, body: (read: Buffer) => Buffer): Promise<void> {
  const item = await c.getExclusive(id);
  await c.set(id, body(item.body), { lockCookie: item.lockCookie!, timeoutMinutes: 20 });
}

it('counts Sets of the bytes just read, and not Sets that changed one byte', async () => {
  app = await startTestApp();
  client = createStateClient({ host: '127.0.0.1', port: app.proxy.port });
  const id = 'redundantwritesdigest0001';
  await client.set(id, Buffer.alloc(4096, 7), { newItem: true, timeoutMinutes: 20 });

  // Ten pages that each change the last byte: never redundant.
  for (let i = 0; i < 10; i++) await page(client, id, (read) => {
    const next = Buffer.from(read);
    next[next.length - 1] = (next[next.length - 1]! + 1) & 0xff;
    return next;
  });
  await flushed(app);
  expect(redundant(app)).toBeUndefined();
  const sets = app.records.filter((r) => r.request?.kind === 'Set');
  expect(new Set(sets.map((r) => r.request!.bodyDigest)).size).toBe(sets.length);

  // Three pages that write back what they read: the diagnosis, with each read and its write.
  for (let i = 0; i < 3; i++) await page(client, id, (read) => Buffer.from(read));
  await flushed(app);
  const d = redundant(app);
  expect(d?.count).toBe(3);
  const last = app.records.slice(-6);
  expect(d!.evidence.slice(0, 6).sort((a, b) => a - b)).toEqual(last.map((r) => r.id));
  // The records carry a digest, not the session bytes.
  for (const r of last) expect(r.request?.body ?? r.reply?.body).toBeUndefined();
});

it('a Set body trickled in small segments digests like the same body read in one piece', async () => {
  app = await startTestApp();
  client = createStateClient({ host: '127.0.0.1', port: app.proxy.port });
  const id = 'redundantwritesdigest0002';
  const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
  await client.set(id, body, { newItem: true, timeoutMinutes: 20 });
  const item = await client.getExclusive(id);

  // The write-back by hand, the body in 7 segments with pauses so the relay sees them apart.
  const built = buildRequest(
    { kind: 'Set', sessionId: id, body, timeoutMinutes: 20, lockCookie: item.lockCookie! },
    { hostHeader: 'x', appId: DEFAULT_APP_ID, appHash: appIdHash(DEFAULT_APP_ID) },
  );
  const socket = net.connect({ host: '127.0.0.1', port: app.proxy.port });
  socket.setNoDelay(true);
  await new Promise((r) => socket.once('connect', r));
  const reply = new Promise<string>((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString('latin1'))));
  const headLength = built.bytes.length - built.bodyLength;
  socket.write(built.bytes.subarray(0, headLength));
  for (let at = headLength; at < built.bytes.length; at += 450) {
    await new Promise((r) => setTimeout(r, 15));
    socket.write(built.bytes.subarray(at, at + 450));
  }
  expect(await reply).toMatch(/^200 OK/);
  socket.destroy();
  await flushed(app);
  const read = app.records.find((r) => r.request?.kind === 'GetExclusive' && r.reply?.status === 200)!;
  const write = app.records.filter((r) => r.request?.kind === 'Set').at(-1)!;
  expect(read.reply!.bodyDigest).toMatch(/^[A-Za-z0-9+/]{16}$/);
  expect(write.request!.bodyDigest).toBe(read.reply!.bodyDigest);
});
