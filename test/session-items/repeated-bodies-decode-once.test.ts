// The relay skips decoding a session body whose bytes it has just decoded (a Get's reply is what
// the Set before it wrote), recognised by the SHA-1 it computes for every session body anyway;
// and the store keeps each table compactly. The risks: a body that differs by a
// single byte (in a value, in the table, in a corrupt spot) being given a remembered table, a
// body split differently being digested differently, and a record that reads back from the
// store (which keeps the relay's tables in binary, names by reference) differently from the one built.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { bodySinkFor, createSessionItemsDecoding, pendingDecodesOf, type SessionItemsDecoding } from '../../server/capture/session-items-capture.ts';
import { extrasOf } from '../../server/capture/record-codec.ts';
import { serializeSession } from '../../server/client/session-body-writer.ts';
import { emulatedSessionBody } from '../../server/client/emulated-session.ts';
import { CompactStore } from '../../server/capture/compact-store.ts';
import type { ExchangeRecord, SessionItemsRecord } from '../../server/capture/wire-types.ts';
import { makeRecord } from '../dashboard/fake-source.ts';

interface Applied {
  bodyDigest?: string;
  sessionItems?: SessionItemsRecord;
}

/** Feeds a body to the relay's sink in the given pieces and returns what it put on the record. */
function throughSink(decoding: SessionItemsDecoding, body: Buffer, cuts: number[] = [], session = SESSION): Applied {
  const sink = bodySinkFor(0, decoding, body.length, true, session)!;
  let at = 0;
  for (const cut of [...cuts, body.length]) {
    sink.add(body.subarray(at, cut));
    at = cut;
  }
  const target: Applied = {};
  sink.applyTo(target);
  return target;
}

const SESSION = '%2fLM%2fW3SVC%2f1%2fROOT%2fShop(h1)%2fs1';
const fullDigest = (body: Buffer) => createHash('sha1').update(body).digest('base64');

/** What a fresh run (nothing remembered) says of the body. */
const fresh = (body: Buffer) => throughSink(createSessionItemsDecoding('names')!, body).sessionItems;

const base = serializeSession({
  timeoutMinutes: 20,
  items: [
    ['UserName', { type: 'String', value: 'someone@example.com' }],
    ['UserId', { type: 'Int32', value: 4242 }],
    ['Cart', { type: 'Object', className: 'Shop.ShoppingCart', assembly: 'Shop', bytes: 64 }],
  ],
});

describe("a session's body equal to its last one is recognised by its bytes, and only by them", () => {
  it("remembers the session's last body under its SHA-1 and gives the same table for the same bytes, however split", () => {
    const decoding = createSessionItemsDecoding('names')!;
    const first = throughSink(decoding, base);
    expect(first.sessionItems).toMatchObject({ ok: true, itemCount: 3 });
    expect(decoding.recall(SESSION, fullDigest(base))).toBe(first.sessionItems);
    expect(decoding.recall('another session', fullDigest(base))).toBeUndefined();
    for (const cuts of [[1], [7], [base.length - 1], [3, 20, 40]]) {
      const again = throughSink(decoding, base, cuts);
      expect(again.sessionItems).toBe(first.sessionItems);
      expect(again.bodyDigest).toBe(first.bodyDigest);
    }
  });

  it('decodes afresh a body that differs by one byte anywhere, and says what a fresh run says of it', () => {
    const decoding = createSessionItemsDecoding('names')!;
    throughSink(decoding, base);
    for (let at = 0; at < base.length; at++) {
      const changed = Buffer.from(base);
      changed[at] = changed[at]! ^ 0x21;
      // The changed body, then the original again: neither may be given the other's table.
      expect(throughSink(decoding, changed).sessionItems, `byte ${at}`).toEqual(fresh(changed));
      expect(throughSink(decoding, base).sessionItems, `byte ${at}, then the original`).toEqual(fresh(base));
    }
  });

  it('reads a body split in two at every byte (the table across the boundary) as the whole body, the first time and when recalled', () => {
    for (const body of [base, emulatedSessionBody(() => 0.7, { timeoutMinutes: 20, compressed: true })]) {
      const expected = fresh(body);
      expect(expected!.ok).toBe(true);
      for (let cut = 1; cut < body.length; cut++) {
        const decoding = createSessionItemsDecoding('names')!;
        expect(throughSink(decoding, body, [cut]).sessionItems, `cut at ${cut}`).toEqual(expected);
        expect(throughSink(decoding, body, [cut - 1 || 1]).sessionItems, `recalled, cut at ${cut}`).toEqual(expected);
      }
    }
  });

  it('gives a compressed body cut at every byte the failure a fresh run gives, twice in a row, and never throws', async () => {
    const compressed = emulatedSessionBody(() => 0.2, { timeoutMinutes: 20, compressed: true });
    const decoding = createSessionItemsDecoding('names')!;
    /** The record's table once any decode left to zlib's streaming inflater has finished. */
    const settled = async (target: Applied) => {
      for (const p of pendingDecodesOf({ request: target, reply: null }) ?? []) await p.settled;
      return target.sessionItems;
    };
    let failures = 0;
    for (let length = 1; length < compressed.length; length++) {
      const cut = compressed.subarray(0, length);
      const first = await settled(throughSink(decoding, cut));
      const again = await settled(throughSink(decoding, cut));
      expect(first, `cut at ${length}`).toEqual(await settled(throughSink(createSessionItemsDecoding('names')!, cut)));
      expect(again).toEqual(first);
      if (first!.ok === false) failures++;
      else expect(length, 'only the cut that drops ASP.NET\'s 0xFF after the Deflate stream reads whole').toBe(compressed.length - 1);
    }
    expect(failures).toBe(compressed.length - 2);
  });

  it("remembers only the session's last body, and each session's apart", () => {
    const decoding = createSessionItemsDecoding('names')!;
    const other = serializeSession({ timeoutMinutes: 20, items: [['UserId', { type: 'Int32', value: 1 }]] });
    throughSink(decoding, base);
    throughSink(decoding, other, [], 's2');
    expect(decoding.recall(SESSION, fullDigest(base))).toBeDefined();
    expect(decoding.recall('s2', fullDigest(other))).toBeDefined();
    throughSink(decoding, other);
    expect(decoding.recall(SESSION, fullDigest(base))).toBeUndefined();
    expect(throughSink(decoding, base).sessionItems).toEqual(fresh(base));
    expect(throughSink(decoding, other, [], 's2').sessionItems).toEqual(fresh(other));
    // A sink told no session decodes every body.
    const sink = bodySinkFor(0, decoding, base.length, true)!;
    sink.add(base);
    const target: Applied = {};
    sink.applyTo(target);
    expect(target.sessionItems).toEqual(fresh(base));
  });

  it('gives a corrupt or cut body seen twice the same failure both times', () => {
    const decoding = createSessionItemsDecoding('names')!;
    const corrupt = Buffer.from(base);
    corrupt[9] = 0x80; // a negative item count
    const cut = base.subarray(0, 30);
    for (const body of [corrupt, cut, corrupt, cut]) {
      const got = throughSink(decoding, body).sessionItems;
      expect(got).toEqual(fresh(body));
      expect(got!.ok).toBe(false);
    }
  });

  it('keeps plain and compressed forms of one session apart, and hashed keys stay hashed', () => {
    const random = () => 0.3;
    const plain = emulatedSessionBody(random, { timeoutMinutes: 20 });
    const compressed = emulatedSessionBody(random, { timeoutMinutes: 20, compressed: true });
    const hashed = createSessionItemsDecoding('hashed')!;
    const a = throughSink(hashed, plain).sessionItems!;
    const b = throughSink(hashed, compressed).sessionItems!;
    const a2 = throughSink(hashed, plain).sessionItems!;
    expect(a.ok && a.form).toBe('plain');
    expect(b.ok && b.form).toBe('compressed');
    expect(a2).toEqual(a);
    expect(throughSink(hashed, plain).sessionItems).toBe(a2);
    expect(JSON.stringify([a, b])).not.toContain('UserName');
  });
});

/** Bytes the record's item tables add to what the store keeps of it. */
function tableBytes(record: ExchangeRecord): number {
  const size = (r: ExchangeRecord) => {
    const store = new CompactStore({ maxCount: 10, maxBytes: 1024 * 1024 });
    store.add(r);
    return store.storedBytes;
  };
  const bare = structuredClone({ ...record, request: { ...record.request! }, reply: { ...record.reply! } }) as ExchangeRecord;
  delete bare.request!.sessionItems;
  delete bare.reply!.sessionItems;
  return size(record) - size(bare);
}

describe('the store keeps item tables compactly and gives them back exactly', () => {
  /** The record through the compact store and back. */
  const stored = (record: ExchangeRecord) => {
    const store = new CompactStore({ maxCount: 10, maxBytes: 1024 * 1024 });
    store.add(record);
    return store.get(record.id)!;
  };

  it('gives back every table the relay makes, field for field and in order: awkward names, null keys, classes, capped lists', () => {
    const random = (() => {
      let x = 7;
      return () => ((x = (x * 16807) % 2147483647) / 2147483647);
    })();
    const bodies = [
      base,
      serializeSession({ timeoutMinutes: 20, items: [] }),
      serializeSession({
        timeoutMinutes: 0,
        items: [
          [null, { type: 'Null' }],
          ['quote " back \\ slash \u0000 nul', { type: 'String', value: 'x' }],
          ['ünïcødé 🎉', { type: 'Object', className: 'A."B"\\C', assembly: 'A', bytes: 40 }],
          ['', { type: 'Int32', value: -1 }],
        ],
      }),
      serializeSession({ timeoutMinutes: 525_600, items: Array.from({ length: 250 }, (_, i) => [`k${i}`, { type: 'Int32', value: i }] as const) }),
      ...Array.from({ length: 30 }, () => emulatedSessionBody(random, { timeoutMinutes: 20, compressed: random() < 0.5 })),
    ];
    for (const mode of ['names', 'hashed'] as const) {
      const decoding = createSessionItemsDecoding(mode)!;
      for (const body of bodies) {
        const table = throughSink(decoding, body).sessionItems!;
        expect(table.ok, body.toString('hex').slice(0, 40)).toBe(true);
        const record = makeRecord(1);
        record.request!.sessionItems = table;
        record.reply!.sessionItems = table;
        const back = stored(record);
        // JSON text equality: the same fields, values and order as the relay's object.
        expect(JSON.stringify(back.request!.sessionItems)).toBe(JSON.stringify(table));
        expect(JSON.stringify(back.reply!.sessionItems)).toBe(JSON.stringify(table));
        // Compact: the two tables take well under their JSON in the store.
        expect(tableBytes(record)).toBeLessThan(JSON.stringify({ qs: table, ps: table }).length * 0.6);
        expect(extrasOf(record, true)).not.toContain('"qs"');
      }
    }
  });

  it("copies a table it wrote before for the records that share it (a Get after its Set), and never uses those bytes in another store", () => {
    const decoding = createSessionItemsDecoding('names')!;
    const table = throughSink(decoding, base).sessionItems!;
    const first = new CompactStore({ maxCount: 10, maxBytes: 1024 * 1024 });
    // A second store whose table of names already holds other names: its references differ.
    const other = new CompactStore({ maxCount: 10, maxBytes: 1024 * 1024 });
    const warm = makeRecord(1);
    warm.request!.sessionItems = throughSink(decoding, serializeSession({ timeoutMinutes: 5, items: [['Zeta', { type: 'Int32', value: 1 }], ['Cart', { type: 'Null' }]] }), [], 'other').sessionItems;
    other.add(warm);
    // Each store takes it three times in a row (written, then copied), then the first once more.
    for (const [store, id] of [[first, 2], [first, 3], [first, 4], [other, 2], [other, 3], [other, 4], [first, 5]] as const) {
      {
        const record = makeRecord(id);
        // The Set carries it on its request, the Get that reads it back on its reply.
        if (id % 2 === 0) record.request!.sessionItems = table;
        else record.reply!.sessionItems = table;
        store.add(record);
      }
    }
    for (const store of [first, other]) {
      for (let id = 2; id <= (store === first ? 5 : 4); id++) {
        const back = store.get(id)!;
        expect(JSON.stringify(id % 2 === 0 ? back.request!.sessionItems : back.reply!.sessionItems), `record ${id}`).toBe(JSON.stringify(table));
      }
    }
    expect(JSON.stringify(other.get(1)!.request!.sessionItems)).toBe(JSON.stringify(warm.request!.sessionItems));
    // What the table keeps for the store is no field of it: no JSON, log line or HAR entry shows it.
    expect(Object.keys(table)).toEqual(['ok', 'form', 'keys', 'timeoutMinutes', 'itemCount', 'items', 'valueBytes', 'staticObjectCount', 'decodedBytes']);
  });

  it('gives back names too long for its table of names, and every name once that table is full, exactly', () => {
    const decoding = createSessionItemsDecoding('names')!;
    const store = new CompactStore({ maxCount: 10, maxBytes: 1024 * 1024 });
    const long = (n: number) => serializeSession({
      timeoutMinutes: 20,
      items: [
        ['k'.repeat(129 + (n % 1000)), { type: 'Int32', value: 1 }],
        ['é'.repeat(100 + (n % 1000)), { type: 'Object', className: `Ns.${'Ü'.repeat(140)}${n}`, assembly: 'A', bytes: 40 }],
        [null, { type: 'Null' }],
      ],
    });
    // 5,000 records with names of their own: the table of names (4,096) fills, later ones are written inline.
    for (let id = 1; id <= 5000; id++) {
      const body = id % 100 === 0 ? long(id) : serializeSession({ timeoutMinutes: 20, items: [[`Item${id}`, { type: 'String', value: 'v' }], ['Shared', { type: 'Object', className: `Class${id}`, assembly: 'A', bytes: 8 }]] });
      const table = throughSink(decoding, body, [], `s${id}`).sessionItems!;
      expect(table, `record ${id}`).toMatchObject({ ok: true });
      const record = makeRecord(id);
      record.request!.sessionItems = table;
      store.add(record);
      expect(JSON.stringify(store.get(id)!.request!.sessionItems), `record ${id}`).toBe(JSON.stringify(table));
    }
  });

  it('gives back failures, tables read from files and records with bodies as they were', () => {
    const decoding = createSessionItemsDecoding('names')!;
    const set = throughSink(decoding, base);
    const failedBody = throughSink(decoding, base.subarray(0, 9));
    // A table that did not come from the relay (a saved capture), even with an unusual type name.
    const fromFile: SessionItemsRecord = { ok: true, form: 'plain', keys: 'names', timeoutMinutes: 5, itemCount: 1, items: [{ key: 'k', typeId: 1, type: 'Str', size: 3 }], valueBytes: 3, staticObjectCount: 0, decodedBytes: 30 };
    for (const [q, p, body] of [
      [set, undefined, undefined],
      [undefined, set, undefined],
      [failedBody, set, undefined],
      [{ bodyDigest: 'abc+/=', sessionItems: fromFile }, failedBody, undefined],
      [set, set, 'QUJD'],
    ] as [Applied | undefined, Applied | undefined, string | undefined][]) {
      const record = makeRecord(7);
      Object.assign(record.request!, q ?? {});
      Object.assign(record.reply!, p ?? {});
      if (body !== undefined) record.request!.body = body;
      const back = stored(record);
      expect(JSON.stringify(back.request!.sessionItems)).toBe(JSON.stringify(record.request!.sessionItems));
      expect(JSON.stringify(back.reply!.sessionItems)).toBe(JSON.stringify(record.reply!.sessionItems));
      expect(back.request!.bodyDigest).toBe(record.request!.bodyDigest);
      expect(back.reply!.bodyDigest).toBe(record.reply!.bodyDigest);
    }
  });
});
