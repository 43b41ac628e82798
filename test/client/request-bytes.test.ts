// The emulator's requests are the transcripts' requests, byte for byte, both as built and as
// received by a real socket peer; the transcripts' replies are interpreted as §7.2 says.
import { afterEach, describe, expect, it } from 'vitest';
import {
  appIdHash,
  buildRequest,
  computeLockAge,
  createStateClient,
  emptySessionBody,
  newSessionId,
  type StateClient,
  type StateOperation,
  type StateReply,
  type WireEvent,
} from '../../server/client/index.ts';
import { loadTranscripts, transcript } from '../helpers/transcripts.ts';
import { startRawServer, type RawServer } from '../helpers/raw-server.ts';

const { common } = loadTranscripts();
const sessionId = common.sessionId;
const placeholder = Buffer.from('504c414345484f4c4445520d0a00ffff', 'hex');

/** The operation behind each transcript request, with the cookies the sequence hands out. */
const operations: Array<[string, StateOperation]> = [
  ['01', { kind: 'CreateUninitialized', sessionId, timeoutMinutes: 20 }],
  ['02', { kind: 'GetExclusive', sessionId }],
  ['03', { kind: 'Get', sessionId }],
  ['04', { kind: 'Set', sessionId, body: placeholder, timeoutMinutes: 20, lockCookie: 2 }],
  ['05', { kind: 'GetExclusive', sessionId }],
  ['06', { kind: 'ReleaseExclusive', sessionId, lockCookie: 3 }],
  ['07', { kind: 'ResetTimeout', sessionId }],
  ['08', { kind: 'GetExclusive', sessionId }],
  ['09', { kind: 'Remove', sessionId, lockCookie: 4 }],
  ['10', { kind: 'GetExclusive', sessionId }],
];

const context = { hostHeader: '127.0.0.1:42424', appId: common.appId, appHash: appIdHash(common.appId) };

describe('request building', () => {
  it('computes the SHA-256 app hash and target of the transcripts', () => {
    expect(appIdHash(common.appId)).toBe(common.appIdHashSha256Base64);
    expect(buildRequest({ kind: 'Get', sessionId }, context).target).toBe(common.target);
    // Hosts that omit the leading slash get one, as HttpRuntime.AppDomainAppId is fixed up.
    expect(appIdHash('LM/W3SVC/1/ROOT/WebApp')).toBe(common.appIdHashSha256Base64);
  });

  it.each(operations)('transcript %s: built bytes are identical', (name, op) => {
    const expected = transcript(name).request!;
    const built = buildRequest(op, context);
    expect(built.bytes.toString('latin1')).toBe(expected.bytes.toString('latin1'));
    expect(built.bytes.equals(expected.bytes)).toBe(true);
  });

  it('serializes the empty session of an uninitialized item', () => {
    expect(emptySessionBody(20).toString('hex')).toBe('140000000000ff');
  });

  it('sends LockCookie 0 on the Set of a new item', async () => {
    const server = await startRawServer(() => Buffer.from('200 OK\r\nX-AspNet-Version: 4.0.30319\r\nContent-Length: 0\r\n\r\n'));
    const client = createStateClient({ host: '127.0.0.1', port: server.port });
    try {
      await client.set(sessionId, placeholder, { newItem: true, lockCookie: 9, timeoutMinutes: 30 });
      const head = server.requests[0]!.head.raw.toString('latin1');
      expect(head).toContain('\r\nContent-Length: 16\r\nTimeout: 30\r\nLockCookie: 0\r\nExtraFlags: 0\r\n\r\n');
      expect(head).toContain(`\r\nHost: 127.0.0.1:${server.port}\r\n`);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('makes session ids like SessionIDManager', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newSessionId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[a-z0-5]{24}$/);
  });
});

describe('the transcript sequence over a socket', () => {
  let server: RawServer | undefined;
  let client: StateClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
  });

  it('sends the transcript bytes and reads the transcript replies', async () => {
    const replies = operations.map(([name]) => transcript(name).response.bytes);
    server = await startRawServer((_request, index) => replies[index]!);
    const wire: WireEvent[] = [];
    client = createStateClient({
      host: '127.0.0.1',
      port: server.port,
      appId: common.appId,
      hostHeader: '127.0.0.1:42424',
      onWire: (e) => wire.push(e),
    });
    const results: StateReply[] = [];
    for (const [, op] of operations) results.push(await client.request(op));

    operations.forEach(([name], i) => {
      expect(server!.requests[i]!.bytes.equals(transcript(name).request!.bytes), name).toBe(true);
    });
    // One socket carried the whole sequence: requests are sequential, so the pool reuses it.
    expect(server.accepted()).toBe(1);

    const [create, first, locked, set, withData, release, reset, beforeRemove, remove, gone] = results as [
      StateReply, StateReply, StateReply, StateReply, StateReply, StateReply, StateReply, StateReply, StateReply, StateReply,
    ];
    expect([create.status, create.outcome]).toEqual([200, 'done']);
    expect(first).toMatchObject({ status: 200, outcome: 'found', actionFlags: 1, lockCookie: 2, timeoutMinutes: 20 });
    expect(first.body.toString('hex')).toBe('140000000000ff');
    expect(locked).toMatchObject({ status: 423, outcome: 'locked', lockCookie: 2, lockAge: 3, lockDateTicks: 638501544000000000n });
    expect(set.outcome).toBe('done');
    expect(withData).toMatchObject({ outcome: 'found', actionFlags: 0, lockCookie: 3 });
    expect(withData.body.equals(placeholder)).toBe(true);
    expect(release.status).toBe(200);
    // The HEAD reply is framed without a body, and the next exchange on the socket still works.
    expect(reset).toMatchObject({ status: 200, body: Buffer.alloc(0) });
    expect(beforeRemove.lockCookie).toBe(4);
    expect(remove.status).toBe(200);
    expect(gone).toMatchObject({ status: 404, outcome: 'absent', reason: 'Not Found' });
    expect(results.every((r) => r.versionHeader === '4.0.30319')).toBe(true);

    const replyBytes = wire.filter((e) => e.type === 'reply').map((e) => Buffer.concat([e.head.raw, e.body]));
    expect(replyBytes).toEqual(replies);
    const requestBytes = wire.filter((e) => e.type === 'request').map((e) => e.bytes);
    expect(requestBytes).toEqual(operations.map(([name]) => transcript(name).request!.bytes));
  });

  it('treats a 200 with an empty body on a Get as absent', async () => {
    server = await startRawServer(() => Buffer.from('200 OK\r\nX-AspNet-Version: 4.0.30319\r\nTimeout: 20\r\nContent-Length: 0\r\n\r\n'));
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    expect((await client.get(sessionId)).outcome).toBe('absent');
    expect((await client.getExclusive(sessionId)).outcome).toBe('absent');
  });

  it('accepts the MS-ASP example spellings in replies (variant 12)', async () => {
    const variant = transcript('12').response.bytes;
    server = await startRawServer(() => variant);
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    const r = await client.releaseExclusive(sessionId, 3);
    expect(r.status).toBe(200);
    expect(r.head.protocol).toBe('HTTP/1.1');
  });
});

describe('lock age', () => {
  it('uses LockAge when sane, else local now minus LockDate, else 0', () => {
    expect(computeLockAge(3, null)).toBe(3);
    expect(computeLockAge(400 * 24 * 3600, null)).toBe(0);
    const now = new Date(2024, 4, 1, 10, 0, 30); // local time, like LockDate
    const lockDate = 638501544000000000n; // 2024-05-01 10:00:00 in ticks
    expect(computeLockAge(null, lockDate, now)).toBe(30);
    expect(computeLockAge(-1, lockDate, now)).toBe(30);
    expect(computeLockAge(null, lockDate, new Date(2024, 3, 1))).toBe(0);
    expect(computeLockAge(null, null, now)).toBe(0);
  });
});
