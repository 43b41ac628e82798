// The Redis store sends the operations it reads in one event-loop turn as one batch (see
// redis-batches.ts), Sets among the others. The risk: a client that pipelines sees its requests answered as if run in
// another order than it sent them. Each test sends its whole sequence in one write, so it lands
// in one turn, and compares every reply byte for byte with what the in-memory store (which runs
// each request to completion as it is read) answers to the same bytes.
import { describe, expect, it } from 'vitest';
import { RawClient, request, storesForFile, targetFor, withServer, FakeClock } from '../stateserver/helpers.ts';
import type { StateServerOptions } from '../../server/stateserver/index.ts';
import { randomBytes } from 'node:crypto';
import { MAX_BATCH_BODY_BYTES, MAX_BATCH_OPERATIONS } from '../../server/stateserver/redis-batches.ts';

const storeFor = storesForFile();
const A = targetFor('orderorderorderorder0001');
const B = targetFor('orderorderorderorder0002');

interface Step {
  bytes: Buffer;
  verb: string;
}
const step = (verb: string, target: string, headers: Array<[string, string | number]> = [], body?: string): Step => ({
  bytes: request(verb, target, headers, body),
  verb: verb === 'HEAD' ? 'HEAD' : verb,
});

/** Sends `setup` one by one, then `pipelined` in one write; returns the pipelined replies' bytes. */
async function replies(options: StateServerOptions, setup: Step[], pipelined: Step[]): Promise<string[]> {
  let out: string[] = [];
  await withServer({ ...options, now: new FakeClock(Date.UTC(2030, 0, 1)).now, timezoneOffsetMinutes: 0 }, async (server) => {
    const client = await RawClient.connect(server.port);
    try {
      for (const s of setup) await client.exchange(s.bytes, s.verb);
      client.send(Buffer.concat(pipelined.map((s) => s.bytes)), ...pipelined.map((s) => s.verb));
      out = [];
      for (let i = 0; i < pipelined.length; i++) out.push((await client.nextReply()).bytes.toString('latin1'));
    } finally {
      client.destroy();
    }
  });
  return out;
}

async function sameOnBothStores(options: Omit<StateServerOptions, 'store'>, setup: Step[], pipelined: Step[]): Promise<string[]> {
  const memory = await replies({ ...options, store: storeFor('memory') }, setup, pipelined);
  const redis = await replies({ ...options, store: storeFor('redis') }, setup, pipelined);
  expect(redis).toEqual(memory);
  return redis;
}

const status = (reply: string): string => reply.slice(0, reply.indexOf('\r\n'));
const body = (reply: string): string => reply.slice(reply.indexOf('\r\n\r\n') + 4);

describe('operations batched in one turn', () => {
  it('run in the order one client pipelined them on one key: Set, Get, locks, Remove, Create', async () => {
    const r = await sameOnBothStores({}, [], [
      step('PUT', A, [['Timeout', 20]], 'one'),
      step('GET', A),
      step('PUT', A, [['Timeout', 20]], 'two'),
      step('GET', A, [['Exclusive', 'acquire']]),
      step('PUT', A, [['Timeout', 20], ['LockCookie', 99]], 'refused'),
      step('GET', A),
      step('PUT', A, [['Timeout', 20], ['LockCookie', 2]], 'three'),
      step('GET', A),
      step('DELETE', A),
      step('GET', A),
      step('PUT', A, [['Timeout', 20], ['ExtraFlags', 1]], ''),
      step('GET', A),
      step('GET', A),
      step('HEAD', A),
    ]);
    expect(r.map(status)).toEqual([
      '200 OK', '200 OK', '200 OK', '200 OK', '423 Locked', '423 Locked', '200 OK', '200 OK', '200 OK', '404 Not Found', '200 OK', '200 OK', '200 OK', '200 OK',
    ]);
    expect([body(r[1]!), body(r[3]!), body(r[7]!)]).toEqual(['one', 'two', 'three']);
    // ActionFlags: 1 on the first read of the uninitialized item only.
    expect(r[11]).toContain('ActionFlags: 1\r\n');
    expect(r[12]).not.toContain('ActionFlags');
  });

  it('never lets a Remove overtake a Set read before it (the Set must still find the store full)', async () => {
    // 8 of 10 bytes used by A: B's Set of 8 does not fit until A is removed, which comes after.
    const r = await sameOnBothStores(
      { maxStoredBytes: 10 },
      [step('PUT', A, [['Timeout', 20]], 'aaaaaaaa')],
      [step('PUT', B, [['Timeout', 20]], 'bbbbbbbb'), step('DELETE', A), step('PUT', B, [['Timeout', 20]], 'bbbbbbbb'), step('GET', B)],
    );
    expect(r.map(status)).toEqual(['500 Internal Server Error', '200 OK', '200 OK', '200 OK']);
    expect(body(r[3]!)).toBe('bbbbbbbb');
  });

  it('lets reads of other keys go first but keeps reads of a key after the Set before them', async () => {
    const r = await sameOnBothStores(
      {},
      [step('PUT', A, [['Timeout', 20]], 'old-a'), step('PUT', B, [['Timeout', 20]], 'old-b')],
      [
        step('PUT', A, [['Timeout', 20]], 'new-a'),
        step('GET', B),
        step('GET', A),
        step('PUT', B, [['Timeout', 20]], 'new-b'),
        step('HEAD', A),
        step('GET', B, [['Exclusive', 'acquire']]),
        step('GET', A, [['Exclusive', 'acquire']]),
        step('GET', B),
      ],
    );
    expect(r.map(status)).toEqual(['200 OK', '200 OK', '200 OK', '200 OK', '200 OK', '200 OK', '200 OK', '423 Locked']);
    expect([body(r[1]!), body(r[2]!), body(r[5]!), body(r[6]!)]).toEqual(['old-b', 'new-a', 'new-b', 'new-a']);
  });

  it('answers many clients pipelining in the same turn each as if alone, across batches split at their size limit', async () => {
    await withServer({ store: storeFor('redis') }, async (server) => {
      const clients = await Promise.all(Array.from({ length: 16 }, () => RawClient.connect(server.port)));
      const targets = clients.map((_, i) => targetFor(`manymanymanymanymany${String(i).padStart(4, '0')}`));
      // Lock rounds without Sets all join one batch: 16 clients x 45 requests exceed
      // MAX_BATCH_OPERATIONS, so the turn's operations are split over several batches.
      const rounds = 9;
      expect(16 * rounds * 5).toBeGreaterThan(2 * MAX_BATCH_OPERATIONS);
      try {
        for (const [i, c] of clients.entries()) await c.exchange(request('PUT', targets[i]!, [['Timeout', 20]], `v${i}`));
        const runs = clients.map(async (client, i) => {
          const t = targets[i]!;
          const steps: Step[] = [];
          for (let round = 0; round < rounds; round++) {
            steps.push(
              step('GET', t, [['Exclusive', 'acquire']]),
              step('GET', t),
              step('GET', t, [['Exclusive', 'release'], ['LockCookie', 2 + round]]),
              step('GET', t),
              step('HEAD', t),
            );
          }
          client.send(Buffer.concat(steps.map((s) => s.bytes)), ...steps.map((s) => s.verb));
          const got: string[] = [];
          for (let k = 0; k < steps.length; k++) got.push((await client.nextReply()).bytes.toString('latin1'));
          return got;
        });
        const all = await Promise.all(runs);
        all.forEach((got, i) => {
          for (let round = 0; round < rounds; round++) {
            const r = got.slice(round * 5, round * 5 + 5);
            const where = `client ${i} round ${round}`;
            expect(r.map(status), where).toEqual(['200 OK', '423 Locked', '200 OK', '200 OK', '200 OK']);
            expect(r[0], where).toContain(`LockCookie: ${2 + round}\r\n`);
            expect(r[1], where).toContain(`LockCookie: ${2 + round}\r\n`);
            expect([body(r[0]!), body(r[3]!)], where).toEqual([`v${i}`, `v${i}`]);
          }
        });
      } finally {
        for (const c of clients) c.destroy();
      }
    });
  });

  it('keeps large binary bodies whole and in order, many clients at once', async () => {
    await withServer({ store: storeFor('redis') }, async (server) => {
      const clients = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(server.port)));
      // 8 clients x 3 Sets of 300 KiB of random bytes (not valid UTF-8: any text decoding on the
      // way would change them), several times what one batch takes.
      const bodies = clients.map(() => [0, 1, 2].map(() => randomBytes(300 * 1024)));
      expect(8 * 3 * 300 * 1024).toBeGreaterThan(4 * MAX_BATCH_BODY_BYTES);
      try {
        const runs = clients.map(async (client, i) => {
          const t = targetFor(`bigbigbigbigbigbigbi${String(i).padStart(4, '0')}`);
          const parts: Buffer[] = [];
          const verbs: string[] = [];
          for (const b of bodies[i]!) {
            parts.push(request('PUT', t, [['Timeout', 20]], b), request('GET', t));
            verbs.push('PUT', 'GET');
          }
          client.send(Buffer.concat(parts), ...verbs);
          const got = [];
          for (let k = 0; k < verbs.length; k++) got.push(await client.nextReply(20_000));
          return got;
        });
        const all = await Promise.all(runs);
        all.forEach((got, i) => {
          expect(got.map((r) => r.head.status), `client ${i}`).toEqual([200, 200, 200, 200, 200, 200]);
          for (let k = 0; k < 3; k++) expect(got[2 * k + 1]!.body.equals(bodies[i]![k]!), `client ${i} body ${k}`).toBe(true);
        });
      } finally {
        for (const c of clients) c.destroy();
      }
    });
  });
});
