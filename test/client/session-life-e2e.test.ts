// One session's life against the embedded state server, step by step, with every request and
// reply compared to the shared transcripts (01-10) where they apply.
import { afterEach, describe, expect, it } from 'vitest';
import { createStateClient, type StateClient, type StateReply, type WireEvent } from '../../server/client/index.ts';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { loadTranscripts, transcript } from '../helpers/transcripts.ts';

const { common } = loadTranscripts();
const id = common.sessionId;
const placeholder = Buffer.from('504c414345484f4c4445520d0a00ffff', 'hex');

let server: RunningStateServer | undefined;
const clients: StateClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await server?.close();
  server = undefined;
});

describe('a session, step by step', () => {
  it('matches transcripts 01-10 byte for byte', async () => {
    server = await startStateServer({ port: 0 });
    const wire: WireEvent[] = [];
    const make = () => {
      const c = createStateClient({
        host: '127.0.0.1',
        port: server!.port,
        appId: common.appId,
        hostHeader: '127.0.0.1:42424',
        onWire: (e) => wire.push(e),
      });
      clients.push(c);
      return c;
    };
    const owner = make();
    const other = make(); // a second user's request, e.g. from another web server of the farm

    /** Runs one step and checks its bytes against transcript `name` (reply optionally masked). */
    const step = async (name: string | null, run: () => Promise<StateReply>, mask?: (s: string) => string) => {
      const before = wire.length;
      const result = await run();
      const [request, reply] = wire.slice(before) as [WireEvent & { type: 'request' }, WireEvent & { type: 'reply' }];
      expect(request.type).toBe('request');
      expect(reply.type).toBe('reply');
      if (name !== null) {
        const t = transcript(name);
        expect(request.bytes.toString('latin1'), `${name} request`).toBe(t.request!.bytes.toString('latin1'));
        const got = Buffer.concat([reply.head.raw, reply.body]).toString('latin1');
        const want = t.response.bytes.toString('latin1');
        expect(mask ? mask(got) : got, `${name} reply`).toBe(mask ? mask(want) : want);
      }
      return result;
    };

    const created = await step('01', () => owner.createUninitialized(id, 20));
    expect(created.status).toBe(200);

    const first = await step('02', () => owner.getExclusive(id));
    expect(first).toMatchObject({ status: 200, outcome: 'found', actionFlags: 1, lockCookie: 2, timeoutMinutes: 20 });
    expect(first.body.toString('hex')).toBe('140000000000ff');

    // LockDate and LockAge depend on the clock; everything else must be as in the transcript.
    const maskLock = (s: string) => s.replace(/LockDate: \d+/, 'LockDate: *').replace(/LockAge: \d+/, 'LockAge: *');
    const locked = await step('03', () => other.get(id), maskLock);
    expect(locked).toMatchObject({ status: 423, outcome: 'locked', lockCookie: 2 });
    expect(locked.lockAge).toBeGreaterThanOrEqual(0);
    expect(locked.lockAge).toBeLessThan(5);
    expect(locked.lockDateTicks).not.toBeNull();

    const lockedToo = await step(null, () => other.getExclusive(id));
    expect(lockedToo).toMatchObject({ status: 423, outcome: 'locked', lockCookie: 2 });

    expect((await step('04', () => owner.set(id, placeholder, { lockCookie: 2, timeoutMinutes: 20 }))).status).toBe(200);

    const read = await step(null, () => other.get(id));
    expect(read).toMatchObject({ status: 200, outcome: 'found', actionFlags: 0, lockCookie: null });
    expect(read.body.equals(placeholder)).toBe(true);

    const withData = await step('05', () => owner.getExclusive(id));
    expect(withData).toMatchObject({ outcome: 'found', lockCookie: 3, actionFlags: 0 });
    expect(withData.body.equals(placeholder)).toBe(true);

    // A wrong cookie does not release; the right one does.
    expect((await step(null, () => other.releaseExclusive(id, 2))).status).toBe(423);
    expect((await step('06', () => owner.releaseExclusive(id, 3))).status).toBe(200);
    expect((await step('07', () => owner.resetTimeout(id))).status).toBe(200);

    const beforeRemove = await step('08', () => owner.getExclusive(id));
    expect(beforeRemove.lockCookie).toBe(4);
    expect((await step(null, () => other.remove(id, 3))).status).toBe(423);
    expect((await step('09', () => owner.remove(id, 4))).status).toBe(200);

    const gone = await step('10', () => owner.getExclusive(id));
    expect(gone).toMatchObject({ status: 404, outcome: 'absent' });
    expect((await step(null, () => owner.resetTimeout(id))).status).toBe(404);

    // Sequential requests: each client used one socket throughout.
    expect(new Set(wire.filter((e) => e.type === 'request').map((e) => e.connectionId)).size).toBe(2);
  });

  it('a first Set of a new session (LockCookie 0) stores it; 400 for a timeout above one year', async () => {
    server = await startStateServer({ port: 0 });
    const c = createStateClient({ host: '127.0.0.1', port: server.port });
    clients.push(c);
    expect((await c.set('newsessionnewsession0123', placeholder, { newItem: true })).status).toBe(200);
    const item = await c.getExclusive('newsessionnewsession0123');
    expect(item).toMatchObject({ outcome: 'found', lockCookie: 2, actionFlags: 0 });
    await expect(c.set('newsessionnewsession0123', placeholder, { lockCookie: 2, timeoutMinutes: 525601 })).rejects.toMatchObject({
      code: 'bad_state_server_request',
    });
  });
});
