// A body cut short at any byte, corrupted at any byte, or split into any segments must give a
// clear result and never a throw or a hang; and the same result however it is segmented.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SessionItemsReader, readSessionItems } from '../../server/protocol/session-items.ts';
import { decodeSessionBody } from '../../server/protocol/session-body.ts';
import { serializeSession } from '../../server/client/session-body-writer.ts';

const SAMPLE = serializeSession({
  timeoutMinutes: 20,
  items: [
    ['user', { type: 'String', value: 'someone@example.org' }],
    ['visits', { type: 'Int32', value: 7 }],
    [null, { type: 'Null' }],
    ['since', { type: 'DateTime', ticks: 638501544000000000n }],
    ['cart', { type: 'Object', className: 'Shop.Cart', assembly: 'Shop, Version=1.0.0.0', bytes: 300 }],
    ['flag', { type: 'Boolean', value: true }],
  ],
});
const COMPRESSED = serializeSession({
  timeoutMinutes: 20,
  items: [['cart', { type: 'Object', className: 'Shop.Cart', assembly: 'Shop', bytes: 2000 }]],
  compressed: true,
});

function readInPieces(body: Buffer, cuts: number[]) {
  const reader = new SessionItemsReader();
  let at = 0;
  for (const cut of [...cuts, body.length]) {
    reader.push(body.subarray(at, cut));
    at = cut;
  }
  return reader.finish();
}

describe('plain bodies', () => {
  const whole = readSessionItems(SAMPLE);

  it('decodes the sample', () => {
    expect(whole.ok && whole.table.items.map((i) => `${i.key}:${i.type}:${i.className ?? ''}`)).toEqual([
      'user:String:', 'visits:Int32:', 'null:Null:', 'since:DateTime:', 'cart:Object:Shop.Cart', 'flag:Boolean:',
    ]);
  });

  it('gives the same table for a split at every byte and for one byte at a time', () => {
    for (let cut = 0; cut <= SAMPLE.length; cut++) expect(readInPieces(SAMPLE, [cut])).toEqual(whole);
    expect(readInPieces(SAMPLE, Array.from({ length: SAMPLE.length }, (_, i) => i))).toEqual(whole);
  });

  it('reports a body cut at every byte as ending inside the session, with the offset', () => {
    for (let length = 0; length < SAMPLE.length; length++) {
      const result = readSessionItems(SAMPLE.subarray(0, length));
      expect(result.ok, `cut at ${length}`).toBe(false);
      if (!result.ok) expect(result.offset).toBeLessThanOrEqual(length);
    }
  });

  it('never throws for any single corrupted byte, and is segmentation-independent there too', () => {
    for (let at = 0; at < SAMPLE.length; at++) {
      for (const value of [0x00, 0x7f, 0x80, 0xff]) {
        const body = Buffer.from(SAMPLE);
        body[at] = value;
        const once = readSessionItems(body);
        expect(readInPieces(body, [at, at + 1])).toEqual(once);
      }
    }
  });
});

describe('compressed bodies', () => {
  it('decodes a raw-Deflate body with its trailing 0xFF', async () => {
    const result = await decodeSessionBody(COMPRESSED);
    expect(result.form).toBe('compressed');
    expect(result.ok && result.table.items).toEqual([{ key: 'cart', typeId: 20, type: 'Object', className: 'Shop.Cart', size: expect.any(Number) }]);
  });

  it('reports a compressed body cut at every byte, never throwing or hanging', async () => {
    for (let length = 1; length < COMPRESSED.length - 1; length++) {
      const result = await decodeSessionBody(COMPRESSED.subarray(0, length));
      expect(result.ok, `cut at ${length}`).toBe(false);
    }
  });

  it('reports garbage that is neither plain nor Deflate', async () => {
    const result = await decodeSessionBody(Buffer.from('ffffffffffffffffffffffff', 'hex'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/not a serialized session|ends inside/);
  });

  it('stops a Deflate bomb at the inflate limit', async () => {
    // A String item that claims 100 MB and inflates from a few KiB of zeros.
    const claimed = 100 * 1024 * 1024;
    const end = Buffer.alloc(4);
    end.writeInt32LE(1 + 4 + claimed);
    const prefix = Buffer.from([0x80, 0x80, 0x80, 0x32]); // 7-bit encoding of 100 MiB
    const plainStart = Buffer.concat([Buffer.from('14000000010001000000ffffffff0161', 'hex'), end, Buffer.from([1]), prefix]);
    const bomb = zlib.deflateRawSync(Buffer.concat([plainStart, Buffer.alloc(8 * 1024 * 1024)]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const result = await decodeSessionBody(bomb, { maxItems: 10, maxKeyBytes: 64, maxInflatedBytes: 1024 * 1024 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/inflates past 1048576 bytes/);
  });

  it('says an empty body is empty', async () => {
    expect(await decodeSessionBody(Buffer.alloc(0))).toMatchObject({ ok: false, form: 'empty' });
  });
});
