// A 20 MB session body, plain and compressed, decoded as it streams in 64 KiB pieces: the
// decoder must not hold the body (memory stays flat) and must still name the item.
import { describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import { SessionBodyDecoder } from '../../server/protocol/session-body.ts';
import { lengthPrefix } from '../../server/client/session-body-writer.ts';

const VALUE_BYTES = 20 * 1024 * 1024;
const PIECE = 64 * 1024;

/** Head of a session with one Byte-array-like String item of VALUE_BYTES characters. */
function head(): Buffer {
  const prefix = lengthPrefix(VALUE_BYTES);
  const end = Buffer.alloc(4);
  end.writeInt32LE(1 + prefix.length + VALUE_BYTES);
  return Buffer.concat([
    Buffer.from('14000000 01 00 01000000 ffffffff 04 62696773'.replace(/ /g, ''), 'hex'), // key "bigs"
    end, Buffer.from([1]), prefix,
  ]);
}

function* pieces(): Generator<Buffer> {
  yield head();
  const fill = Buffer.alloc(PIECE, 0x41);
  for (let sent = 0; sent < VALUE_BYTES; sent += PIECE) yield fill.subarray(0, Math.min(PIECE, VALUE_BYTES - sent));
  yield Buffer.from([0xff]);
}

function external(): number {
  const m = process.memoryUsage();
  return m.arrayBuffers + m.heapUsed;
}

describe('a 20 MB body', () => {
  it('plain: decoded while streaming, memory flat', async () => {
    const decoder = new SessionBodyDecoder();
    const before = external();
    let peak = 0;
    for (const piece of pieces()) {
      decoder.push(piece);
      peak = Math.max(peak, external() - before);
    }
    const result = await decoder.end();
    expect(result.ok && result.table.items[0]).toMatchObject({ key: 'bigs', type: 'String', size: expect.any(Number) });
    expect(result.ok && result.table.items[0]!.size).toBeGreaterThan(VALUE_BYTES);
    expect(peak).toBeLessThan(8 * 1024 * 1024);
  });

  it('compressed: inflated piece by piece into the same reader, memory flat', async () => {
    const deflater = zlib.createDeflateRaw();
    const compressed: Buffer[] = [];
    deflater.on('data', (d: Buffer) => compressed.push(d));
    const finished = new Promise((resolve) => deflater.on('end', resolve));
    for (const piece of pieces()) deflater.write(piece);
    deflater.end();
    await finished;
    compressed.push(Buffer.from([0xff]));

    const decoder = new SessionBodyDecoder();
    const before = external();
    for (const piece of compressed) decoder.push(piece);
    const result = await decoder.end();
    expect(result.form).toBe('compressed');
    expect(result.ok && result.table.items[0]).toMatchObject({ key: 'bigs', type: 'String' });
    expect(external() - before).toBeLessThan(16 * 1024 * 1024);
  });
});
