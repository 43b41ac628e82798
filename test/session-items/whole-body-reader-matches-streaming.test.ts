// The relay reads small session bodies whole (session-items-whole.ts) and streams large ones
// (session-items.ts, session-body.ts). The fast reader must say exactly what the streaming one
// says, or a body would read differently depending on its size: same table, same error text,
// same offset, for the worked example, every type id, every writer feature, hostile tables, and
// every body cut at every byte and corrupted at every byte with every interesting value.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeSessionBody } from '../../server/protocol/session-body.ts';
import { readSessionItems, SESSION_ITEM_TYPES } from '../../server/protocol/session-items.ts';
import { decodeWholeSessionBody, KeySectionMemo, readWholeSessionItems, WholeBodyReader, WHOLE_INFLATED_MAX } from '../../server/protocol/session-items-whole.ts';
import { serializeSession, type SessionValue } from '../../server/client/session-body-writer.ts';
import { emulatedSessionBody } from '../../server/client/emulated-session.ts';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

const PAYLOADS: Record<number, string> = {
  1: '03616263', 2: '01000000', 3: '01', 4: '0000000000000000', 5: '00'.repeat(16), 6: '07', 7: '41', 8: '0000803f',
  9: '000000000000f03f', 10: 'ff', 11: '0100', 12: '0100000000000000', 13: '0100', 14: '01000000', 15: '0100000000000000',
  16: '0100000000000000', 17: '00'.repeat(16), 18: '01000000', 19: '0100000000000000', 20: '00010000000000', 21: '',
};

const every: SessionValue[] = Object.keys(SESSION_ITEM_TYPES).map((id) => ({ type: 'raw', typeId: Number(id), payload: hex(PAYLOADS[Number(id)]!) }));

const BODIES: [string, Buffer][] = [
  ['the worked example', Buffer.concat([hex('14000000 01 00 01000000 FFFFFFFF 04 76617231 12000000 01 10'), Buffer.from('This is the data'), hex('FF')])],
  ['the empty session', hex('14000000 00 00 ff')],
  ['every type id', serializeSession({ timeoutMinutes: 20, items: every.map((v, i) => [`k${i}`, v] as const) })],
  ['an emulated session', emulatedSessionBody(() => 0.05, { timeoutMinutes: 20 })],
  ['a null key and an object', serializeSession({ timeoutMinutes: 5, items: [[null, { type: 'Null' }], ['o', { type: 'Object', className: 'A.B', assembly: 'A', bytes: 40 }], ['s', { type: 'String', value: 'é'.repeat(200) }]] })],
  ['static objects after the count', hex('14000000 00 01 02000000 0161 ff')],
  ['a huge declared count', hex('14000000 01 00 ffffff7f ffffffff')],
];

const LIMITS = [undefined, { maxItems: 2, maxKeyBytes: 3 }];

/**
 * Readers as the relay keeps them: one per limits for the whole file, whose memo of key
 * sections has seen every body before (cut, corrupt, hostile), so a stale or wrong memory of
 * names would show as a difference.
 */
const MEMO_READERS = LIMITS.map((limits) => new WholeBodyReader(limits, new KeySectionMemo(64)));

function same(body: Buffer, where: string): void {
  LIMITS.forEach((limits, i) => {
    const streaming = readSessionItems(body, limits);
    expect(readWholeSessionItems(body, limits), `${where} ${JSON.stringify(limits)}`).toEqual(streaming);
    // Twice: the first read may decode the names, the second finds them in the memo.
    expect(MEMO_READERS[i]!.read(body), `${where} ${JSON.stringify(limits)}, with the memo`).toEqual(streaming);
    expect(MEMO_READERS[i]!.read(body), `${where} ${JSON.stringify(limits)}, from the memo`).toEqual(streaming);
  });
}

describe('the whole-body reader and the streaming reader agree', () => {
  for (const [name, body] of BODIES) {
    it(`on ${name}, whole, cut at every byte and corrupted at every byte`, () => {
      same(body, 'whole');
      for (let length = 0; length < body.length; length++) same(body.subarray(0, length), `cut at ${length}`);
      for (let at = 0; at < body.length; at++) {
        for (const value of [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff, body[at]! ^ 0x10]) {
          const corrupt = Buffer.from(body);
          corrupt[at] = value;
          same(corrupt, `byte ${at} = ${value}`);
        }
      }
      same(Buffer.concat([body, hex('00')]), 'one byte too many');
    });
  }

  it('the memo tells apart key sections of one length that end alike, and starts afresh when full', () => {
    const reader = new WholeBodyReader(undefined, new KeySectionMemo(2));
    const bodyWith = (names: string[]) => serializeSession({ timeoutMinutes: 20, items: names.map((n) => [n, { type: 'Int32', value: 1 }] as const) });
    // Same length, same last three bytes: only the first key's first byte differs.
    const sets = [['xxab', 'k'], ['yxab', 'k'], ['xxab', 'k'], ['zz', 'q', 'r'], ['yxab', 'k']];
    for (let round = 0; round < 3; round++) {
      for (const names of sets) {
        const body = bodyWith(names);
        expect(reader.read(body), names.join(',')).toEqual(readSessionItems(body));
      }
    }
  });

  it('the worked example reads as timeout 20, one 18-byte String named var1', () => {
    const result = readWholeSessionItems(BODIES[0]![1]);
    expect(result).toEqual({ ok: true, table: { timeoutMinutes: 20, itemCount: 1, items: [{ key: 'var1', typeId: 1, type: 'String', size: 18 }], valueBytes: 18, staticObjectCount: 0, decodedBytes: 42 } });
  });
});

describe('whole bodies decode as SessionBodyDecoder does, plain or compressed', () => {
  const compressed = serializeSession({ timeoutMinutes: 20, compressed: true, items: every.map((v, i) => [`k${i}`, v] as const) });

  it('a compressed body, whole and cut at every byte; what zlib refuses is left to the streaming decoder', async () => {
    expect(decodeWholeSessionBody(compressed)).toEqual(await decodeSessionBody(compressed));
    for (let length = 1; length < compressed.length; length++) {
      const cut = compressed.subarray(0, length);
      const whole = decodeWholeSessionBody(cut);
      if (whole !== undefined) expect(whole, `cut at ${length}`).toEqual(await decodeSessionBody(cut));
    }
  });

  it('a compressed body corrupted at every byte reads as the streaming decoder reads it, or is left to it', async () => {
    const body = serializeSession({ timeoutMinutes: 20, compressed: true, items: [['a', { type: 'String', value: 'hello' }], ['o', { type: 'Object', className: 'A.B', assembly: 'A', bytes: 30 }]] });
    for (let at = 0; at < body.length; at++) {
      for (const value of [0x00, 0xff, body[at]! ^ 0x01, body[at]! ^ 0x80]) {
        const corrupt = Buffer.from(body);
        corrupt[at] = value;
        const whole = decodeWholeSessionBody(corrupt);
        if (whole !== undefined) expect(whole, `byte ${at} = ${value}`).toEqual(await decodeSessionBody(corrupt));
      }
    }
  });

  it('plain bodies of every length, including too short to sniff', async () => {
    const body = BODIES[3]![1];
    for (let length = 0; length <= body.length; length++) {
      const cut = body.subarray(0, length);
      expect(decodeWholeSessionBody(cut), `length ${length}`).toEqual(await decodeSessionBody(cut));
    }
  });

  it('a compressed body that inflates past the on-the-spot limit is streamed instead', () => {
    const big = serializeSession({ timeoutMinutes: 20, compressed: true, items: [['blob', { type: 'Object', className: 'B', assembly: 'A', bytes: WHOLE_INFLATED_MAX }]] });
    expect(big.length).toBeLessThan(16 * 1024);
    expect(decodeWholeSessionBody(big)).toBeUndefined();
  });

  it('garbage that is neither form is left to the streaming decoder, which explains it', async () => {
    const garbage = zlib.deflateRawSync(Buffer.from('not a session')).subarray(0, 4);
    const noise = Buffer.concat([hex('ffffffffffff'), garbage]);
    expect(decodeWholeSessionBody(noise)).toBeUndefined();
    expect(await decodeSessionBody(noise)).toMatchObject({ ok: false, form: 'compressed' });
  });
});
