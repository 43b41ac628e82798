// The server's replies must equal the derived Microsoft transcripts byte for byte.
import { describe, expect, it } from 'vitest';
import {
  FakeClock,
  RawClient,
  bareReply,
  exchange,
  loadTranscripts,
  messageBytes,
  request,
  verbOf,
  withServer,
  STORE_NAMES,
  storesForFile,
} from './helpers.ts';

const storeFor = storesForFile();

describe.each(STORE_NAMES)('transcripts (%s store)', (storeName) => {
  const transcripts = loadTranscripts();
  const sequence = transcripts.exchanges.filter((e) => /^(0[1-9]|10)-/.test(e.name));
  /** 2024-05-01 10:00:00 in UTC; LockDate 638501544000000000 is that wall-clock time. */
  const LOCK_TIME_UTC = Date.UTC(2024, 4, 1, 10, 0, 0);

  async function replaySequence(clock: FakeClock, timezoneOffsetMinutes: number, freshConnections: boolean) {
    await withServer({ store: storeFor(storeName), now: clock.now, timezoneOffsetMinutes }, async (server) => {
      let client = await RawClient.connect(server.port);
      for (const ex of sequence) {
        // The transcript's 423 was taken 3 s after the lock of 02.
        if (ex.name.startsWith('03-')) clock.advance(3000);
        if (freshConnections) {
          client.destroy();
          client = await RawClient.connect(server.port);
        }
        const reply = await client.exchange(messageBytes(ex.request!), verbOf(ex.request!));
        expect(reply.bytes.toString('latin1'), ex.name).toBe(messageBytes(ex.response).toString('latin1'));
        expect(reply.bytes.equals(messageBytes(ex.response)), ex.name).toBe(true);
      }
      client.destroy();
    });
  }

  describe('transcripts 01-10', () => {
    it('has the ten exchanges to replay', () => {
      expect(sequence.map((e) => e.name.slice(0, 2))).toEqual(['01', '02', '03', '04', '05', '06', '07', '08', '09', '10']);
    });

    it('answers byte-for-byte on one connection (server in UTC)', async () => {
      await replaySequence(new FakeClock(LOCK_TIME_UTC), 0, false);
    });

    it('answers byte-for-byte on a fresh connection per request (server in UTC+2)', async () => {
      // The same local wall-clock time is two hours earlier in UTC.
      await replaySequence(new FakeClock(LOCK_TIME_UTC - 2 * 3600_000), -120, true);
    });

    it('accepts the MS-ASP example spellings of 12 (Lock-Cookie, Exclusive: Release)', async () => {
      const ex12 = exchange(transcripts, '12-');
      await withServer({ store: storeFor(storeName) }, async (server) => {
        const client = await RawClient.connect(server.port);
        const target = transcripts.common.target;
        await client.exchange(request('PUT', target, [['Timeout', 20]], 'data'));
        await client.exchange(request('GET', target, [['Exclusive', 'Acquire']])); // cookie 2
        const third = await client.exchange(request('GET', target, [['Exclusive', 'acquire']]));
        expect(third.head.status).toBe(423);
        await client.exchange(request('GET', target, [['Exclusive', 'release'], ['LockCookie', 2]]));
        expect((await client.exchange(request('GET', target, [['Exclusive', 'ACQUIRE']]))).header('LockCookie')).toBe('3');
        const release = await client.exchange(messageBytes(ex12.request!), 'GET');
        expect(release.bytes.toString('latin1')).toBe(bareReply('200 OK'));
        const get = await client.exchange(request('GET', target));
        expect(get.head.status).toBe(200);
        client.destroy();
      });
    });
  });

  describe('version header', () => {
    it('with versionHeader null replies like 11 (no X-AspNet-Version at all)', async () => {
      const ex11 = exchange(transcripts, '11-');
      await withServer({ store: storeFor(storeName), versionHeader: null }, async (server) => {
        const client = await RawClient.connect(server.port);
        const reply = await client.exchange(messageBytes(ex11.request!), 'PUT');
        expect(reply.bytes.equals(messageBytes(ex11.response))).toBe(true);
        const get = await client.exchange(request('GET', transcripts.common.target));
        expect(get.headerNames).toEqual(['ActionFlags', 'Timeout', 'Cache-Control', 'Content-Length']);
        client.destroy();
      });
    });

    it('as the 2.0 state service reproduces the captured bytes of 00', async () => {
      const ex00 = exchange(transcripts, '00-');
      const ex01 = exchange(transcripts, '01-');
      await withServer({ store: storeFor(storeName), versionHeader: '2.0.50727' }, async (server) => {
        const client = await RawClient.connect(server.port);
        const reply = await client.exchange(messageBytes(ex01.request!), 'PUT');
        expect(reply.bytes.equals(messageBytes(ex00.response))).toBe(true);
        client.destroy();
      });
    });

    it('sends the version header on every status', async () => {
      await withServer({ store: storeFor(storeName) }, async (server) => {
        const client = await RawClient.connect(server.port);
        const replies = [
          await client.exchange(request('GET', 'nothing-here')),
          await client.exchange(request('POST', 'x')),
          await client.exchange(request('PUT', 'k', [['Timeout', 20]], 'v')),
          await client.exchange(request('GET', 'k', [['Exclusive', 'acquire']])),
          await client.exchange(request('GET', 'k')),
        ];
        expect(replies.map((r) => r.head.status)).toEqual([404, 400, 200, 200, 423]);
        for (const r of replies) {
          expect(r.headerNames[0]).toBe('X-AspNet-Version');
          expect(r.headerNames.slice(-2)).toEqual(['Cache-Control', 'Content-Length']);
          expect(r.head.protocol).toBeNull();
        }
        client.destroy();
      });
    });
  });
});
