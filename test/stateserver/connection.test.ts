// Connection handling: many exchanges per socket, pipelining, arbitrary segmentation, bad
// input, idle timeout and shutdown. Real sockets on 127.0.0.1.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { RawClient, bareReply, request, targetFor, waitFor, withServer, STORE_NAMES, storesForFile } from './helpers.ts';

const storeFor = storesForFile();

describe.each(STORE_NAMES)('connection (%s store)', (storeName) => {
  const T = targetFor('connectionconnection0000');
  const BINARY = Buffer.from('504c414345484f4c4445520d0a00ffff', 'hex');

  describe('sequential and pipelined requests', () => {
    it('serves many requests on one connection', async () => {
      await withServer({ store: storeFor(storeName) }, async (server) => {
        const client = await RawClient.connect(server.port);
        for (let i = 0; i < 200; i++) {
          expect((await client.exchange(request('PUT', T, [['Timeout', 20]], `value ${i}`))).head.status).toBe(200);
          expect((await client.exchange(request('GET', T))).body.toString()).toBe(`value ${i}`);
        }
        expect(server.stats()).toMatchObject({ requests: 400, connections: 1 });
        expect((await server.storeStats()).items).toBe(1);
        client.destroy();
      });
    });

    it('answers several requests arriving in one chunk, in order', async () => {
      await withServer({ store: storeFor(storeName) }, async (server) => {
        const client = await RawClient.connect(server.port);
        const verbs = ['PUT', 'GET', 'GET', 'HEAD', 'GET', 'DELETE', 'GET', 'POST', 'HEAD'];
        client.send(
          Buffer.concat([
            request('PUT', T, [['Timeout', 20], ['ExtraFlags', 1]], BINARY),
            request('GET', T, [['Exclusive', 'acquire']]),
            request('GET', T),
            request('HEAD', T),
            request('GET', T, [['Exclusive', 'release'], ['LockCookie', 2]]),
            request('DELETE', T),
            request('GET', T),
            request('POST', T, [], 'ignored'),
            request('HEAD', T),
          ]),
          ...verbs,
        );
        const replies = [];
        for (let i = 0; i < verbs.length; i++) replies.push(await client.nextReply());
        expect(replies.map((r) => r.head.status)).toEqual([200, 200, 423, 200, 200, 200, 404, 400, 404]);
        expect(replies[1]!.body.equals(BINARY)).toBe(true);
        expect(replies[1]!.header('ActionFlags')).toBe('1');
        client.destroy();
      });
    });

    it('keeps order when the next request is sent before the reply was read', async () => {
      await withServer({ store: storeFor(storeName) }, async (server) => {
        const client = await RawClient.connect(server.port);
        await client.exchange(request('PUT', T, [['Timeout', 20]], BINARY));
        // Far more reply bytes than socket buffers hold, requested before any is read.
        const big = Buffer.alloc(256 * 1024, 0xab);
        await client.exchange(request('PUT', T, [['Timeout', 20]], big));
        client.socket.pause();
        const count = 60;
        const burst: Buffer[] = [];
        for (let i = 0; i < count; i++) {
          burst.push(request('GET', T), request('HEAD', T));
        }
        client.send(Buffer.concat(burst), ...Array.from({ length: count }, () => ['GET', 'HEAD']).flat());
        await new Promise((r) => setTimeout(r, 100));
        client.socket.resume();
        for (let i = 0; i < count; i++) {
          const get = await client.nextReply();
          expect(get.body.equals(big)).toBe(true);
          expect((await client.nextReply()).bytes.toString('latin1')).toBe(bareReply('200 OK'));
        }
        client.destroy();
      });
    });

    it('handles a request delivered one byte at a time', async () => {
      await withServer({ store: storeFor(storeName) }, async (server) => {
        const client = await RawClient.connect(server.port);
        const bytes = Buffer.concat([request('PUT', T, [['Timeout', 20]], BINARY), request('GET', T)]);
        client.send(Buffer.alloc(0), 'PUT', 'GET');
        for (const byte of bytes) {
          client.socket.write(Buffer.from([byte]));
          await new Promise((r) => setImmediate(r));
        }
        expect((await client.nextReply()).head.status).toBe(200);
        const get = await client.nextReply();
        expect(get.body.equals(BINARY)).toBe(true);
        client.destroy();
      });
    });

    it('stores and returns a 5 MiB binary body intact', async () => {
      await withServer({ store: storeFor(storeName) }, async (server) => {
        const client = await RawClient.connect(server.port);
        const body = Buffer.alloc(5 * 1024 * 1024);
        for (let i = 0; i < body.length; i++) body[i] = (i * 7919) & 0xff;
        await client.exchange(request('PUT', T, [['Timeout', 20]], body));
        const get = await client.exchange(request('GET', T));
        expect(get.header('Content-Length')).toBe(String(body.length));
        expect(get.body.equals(body)).toBe(true);
        expect((await server.storeStats()).storedBytes).toBe(body.length);
        client.destroy();
      });
    });
  });

  describe('a client that pipelines and never reads', () => {
    it('is pushed back on (the server stops reading it) while another client is served', async () => {
      await withServer({ store: storeFor(storeName) }, async (server) => {
        const hog = await RawClient.connect(server.port);
        await hog.exchange(request('PUT', T, [['Timeout', 20]], Buffer.alloc(1024, 0x62)));
        hog.socket.pause();
        // 40,000 Gets of a 1 KiB body: 40 MiB of replies, far beyond any socket buffer.
        const one = request('GET', T);
        const burst = Buffer.concat(Array.from({ length: 40_000 }, () => one));
        hog.socket.write(burst);
        await new Promise((r) => setTimeout(r, 1000));
        // The requests are still waiting on the client side: the server stopped reading.
        expect(hog.socket.writableLength).toBeGreaterThan(0);
        const other = await RawClient.connect(server.port);
        expect((await other.exchange(request('HEAD', T), 'HEAD')).head.status).toBe(200);
        expect(server.stats().requests).toBeLessThan(40_000);
        other.destroy();
        hog.destroy();
      });
    });
  });

  describe('bad input', () => {
    it('answers garbage with 400, closes, and keeps serving others', async () => {
      await withServer({ store: storeFor(storeName) }, async (server) => {
        const bystander = await RawClient.connect(server.port);
        const client = await RawClient.connect(server.port);
        client.send(Buffer.from([0x00, 0x01, 0x02, 0xff, 0x0d, 0x0a]));
        await client.closed;
        expect(client.received().toString('latin1')).toBe(bareReply('400 Bad Request'));
        const next = await RawClient.connect(server.port);
        expect((await next.exchange(request('HEAD', T), 'HEAD')).head.status).toBe(404);
        expect((await bystander.exchange(request('HEAD', T), 'HEAD')).head.status).toBe(404);
        next.destroy();
        bystander.destroy();
      });
    });

    it('answers the good requests before the bad one in the same chunk, then closes', async () => {
      await withServer({ store: storeFor(storeName) }, async (server) => {
        const client = await RawClient.connect(server.port);
        client.send(Buffer.concat([request('HEAD', T), Buffer.from('this is not a request\r\n\r\n')]), 'HEAD');
        await client.closed;
        expect(client.received().toString('latin1')).toBe(bareReply('404 Not Found') + bareReply('400 Bad Request'));
      });
    });

    it.each([
      ['an HTTP-style request line', 'GET / HTTP/1.1 extra\r\n\r\n'],
      ['a header line without a colon', `GET ${T} HTTP/1.1\r\nHost x\r\n\r\n`],
      ['an invalid Content-Length', `PUT ${T} HTTP/1.1\r\nContent-Length: -1\r\n\r\n`],
      ['chunked transfer coding', `PUT ${T} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n`],
    ])('400 and close for %s', async (_name, text) => {
      await withServer({ store: storeFor(storeName) }, async (server) => {
        const client = await RawClient.connect(server.port);
        client.send(text);
        await client.closed;
        expect(client.received().toString('latin1')).toBe(bareReply('400 Bad Request'));
      });
    });

    it('400 and close when the body exceeds the framer limit', async () => {
      await withServer({ store: storeFor(storeName), limits: { maxBodyBytes: 16 } }, async (server) => {
        const client = await RawClient.connect(server.port);
        expect((await client.exchange(request('PUT', T, [['Timeout', 20]], BINARY))).head.status).toBe(200);
        client.send(request('PUT', T, [['Timeout', 20]], Buffer.alloc(17)), 'PUT');
        await client.closed;
        expect(client.received().toString('latin1').endsWith(bareReply('400 Bad Request'))).toBe(true);
        expect((await server.storeStats()).storedBytes).toBe(16);
      });
    });

    it('400 and close when a head exceeds the limit', async () => {
      const lines: string[] = [];
      await withServer({ store: storeFor(storeName), limits: { maxHeadBytes: 512 }, log: (l) => lines.push(l) }, async (server) => {
        const client = await RawClient.connect(server.port);
        client.send(`GET ${T} HTTP/1.1\r\nX-Filler: ${'a'.repeat(1000)}`);
        await client.closed;
        expect(client.received().toString('latin1')).toBe(bareReply('400 Bad Request'));
        expect(lines.some((l) => l.includes('head_too_large'))).toBe(true);
      });
    });

    it('survives a client that resets mid-request', async () => {
      await withServer({ store: storeFor(storeName) }, async (server) => {
        const client = await RawClient.connect(server.port);
        client.send(request('PUT', T, [['Content-Length', 1000], ['Timeout', 20]]).subarray(0, 40));
        client.socket.resetAndDestroy();
        await waitFor(() => server.stats().connections === 0);
        const next = await RawClient.connect(server.port);
        expect((await next.exchange(request('GET', T))).head.status).toBe(404);
        next.destroy();
      });
    });
  });

  describe('connection lifetime', () => {
    it('closes connections idle for idleTimeoutMs, but not busy ones', async () => {
      await withServer({ store: storeFor(storeName), idleTimeoutMs: 600 }, async (server) => {
        const idle = await RawClient.connect(server.port);
        const busy = await RawClient.connect(server.port);
        const started = Date.now();
        for (let i = 0; i < 9; i++) {
          await new Promise((r) => setTimeout(r, 100));
          expect((await busy.exchange(request('HEAD', T), 'HEAD')).head.status).toBe(404);
        }
        await idle.closed;
        expect(Date.now() - started).toBeGreaterThanOrEqual(550);
        expect(busy.isClosed).toBe(false);
        await busy.closed;
        await waitFor(() => server.stats().connections === 0);
      });
    });

    it('close() closes the listener and every open connection', async () => {
      let port = 0;
      let client: RawClient | null = null;
      await withServer({ store: storeFor(storeName) }, async (server) => {
        port = server.port;
        client = await RawClient.connect(server.port);
        await client.exchange(request('HEAD', T), 'HEAD');
        expect(server.stats().connections).toBe(1);
      });
      await client!.closed;
      await expect(
        new Promise((resolve, reject) => {
          const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s.destroy()));
          s.once('error', reject);
        }),
      ).rejects.toThrow(/ECONNREFUSED/);
    });
  });
});
