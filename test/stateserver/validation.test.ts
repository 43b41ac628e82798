// Header values the managed server rejects with 400 (notes §5.2); the connection stays usable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { RawClient, bareReply, request, targetFor, type HeaderList, STORE_NAMES, storesForFile } from './helpers.ts';

const storeFor = storesForFile();

describe.each(STORE_NAMES)('validation (%s store)', (storeName) => {
  const T = targetFor('validationvalidation0000');
  const BAD = bareReply('400 Bad Request');

  let server: RunningStateServer;
  let client: RawClient;

  beforeAll(async () => {
    server = await startStateServer({ host: '127.0.0.1', port: 0, store: storeFor(storeName) });
    client = await RawClient.connect(server.port);
    await client.exchange(request('PUT', T, [['Timeout', 20]], 'stored'));
  });

  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  async function expectBad(bytes: Buffer, verb?: string): Promise<void> {
    const r = await client.exchange(bytes, verb);
    expect(r.bytes.toString('latin1')).toBe(BAD);
  }

  describe('400 Bad Request', () => {
    it.each<[string, HeaderList]>([
      ['non-numeric Timeout', [['Timeout', 'twenty']]],
      ['negative Timeout', [['Timeout', -1]]],
      ['Timeout above one year', [['Timeout', 525_601]]],
      ['Timeout beyond Int32', [['Timeout', '99999999999']]],
      ['empty Timeout', [['Timeout', '']]],
      ['non-numeric LockCookie', [['Timeout', 20], ['LockCookie', 'abc']]],
      ['negative LockCookie', [['Timeout', 20], ['LockCookie', -2]]],
      ['negative Lock-Cookie', [['Timeout', 20], ['Lock-Cookie', -2]]],
      ['non-numeric ExtraFlags', [['Timeout', 20], ['ExtraFlags', 'x']]],
    ])('Set with %s', async (_name, headers) => {
      await expectBad(request('PUT', T, headers, 'new'));
      // Nothing was stored.
      expect((await client.exchange(request('GET', T))).body.toString()).toBe('stored');
    });

    it('accepts the largest Timeout, 525600', async () => {
      const other = targetFor('maxtimeout');
      expect((await client.exchange(request('PUT', other, [['Timeout', 525_600]], 'x'))).head.status).toBe(200);
      expect((await client.exchange(request('GET', other))).header('Timeout')).toBe('525600');
    });

    it('Remove and ReleaseExclusive with an invalid cookie', async () => {
      await expectBad(request('DELETE', T, [['LockCookie', 'x']]));
      await expectBad(request('DELETE', T, [['LockCookie', -1]]));
      await expectBad(request('GET', T, [['Exclusive', 'release'], ['LockCookie', 'x']]));
      await expectBad(request('GET', T, [['Exclusive', 'release'], ['Lock-Cookie', -5]]));
      expect((await client.exchange(request('GET', T))).head.status).toBe(200);
    });

    it('ReleaseExclusive without a cookie', async () => {
      await expectBad(request('GET', T, [['Exclusive', 'release']]));
    });

    it('an unknown Exclusive value', async () => {
      await expectBad(request('GET', T, [['Exclusive', 'steal']]));
    });

    it('unknown verbs, with or without a body', async () => {
      await expectBad(request('POST', T, [], 'body bytes'), 'POST');
      await expectBad(request('OPTIONS', T), 'OPTIONS');
      await expectBad(request('get', T), 'get');
      // Framing stayed in step: the next request is answered normally.
      expect((await client.exchange(request('GET', T))).body.toString()).toBe('stored');
      expect(client.isClosed).toBe(false);
    });
  });
});
