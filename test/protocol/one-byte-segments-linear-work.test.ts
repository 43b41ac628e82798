// A peer that sends one byte per segment must not cost quadratic CPU: the framer once
// re-concatenated everything held on every push (an 8 KiB start line a byte at a time: 709 ms).
// Time is noisy on a shared machine, so this counts work instead: every byte the Buffer
// primitives copy, scan, decode or allocate while the framer runs.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestFramer, ResponseFramer } from '../../server/protocol/index.ts';

let work = 0;
beforeEach(() => {
  work = 0;
  const proto = Buffer.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const count = <T extends object>(owner: T, name: string, bytes: (self: Buffer, args: unknown[], result: unknown) => number) => {
    const original = (owner as Record<string, (...a: unknown[]) => unknown>)[name]!;
    vi.spyOn(owner as Record<string, (...a: unknown[]) => unknown>, name).mockImplementation(function (this: Buffer, ...args: unknown[]) {
      const result = original.apply(this, args);
      work += bytes(this, args, result);
      return result;
    });
  };
  count(proto, 'indexOf', (self, args) => self.length - Number(args[1] ?? 0));
  count(proto, 'copy', (self, args) => Number(args[3] ?? self.length) - Number(args[2] ?? 0));
  count(proto, 'toString', (self, args) => Number(args[2] ?? self.length) - Number(args[1] ?? 0));
  count(proto, 'equals', (self) => self.length);
  count(Buffer, 'concat', (_self, _args, result) => (result as Buffer).length);
  count(Buffer, 'from', (_self, _args, result) => (result as Buffer).length);
  count(Buffer, 'allocUnsafe', (_self, args) => Number(args[0]));
  count(Buffer, 'alloc', (_self, args) => Number(args[0]));
});
afterEach(() => vi.restoreAllMocks());

const handlers = { onHead() {}, onBody() {}, onMessageEnd() {}, onError() {} };

function workOf(push: (bytes: Buffer) => void, bytes: Buffer, pieces: Buffer[]): { whole: number; oneByte: number } {
  work = 0;
  push(bytes);
  const whole = work;
  work = 0;
  for (const piece of pieces) push(piece);
  return { whole, oneByte: work };
}

function oneByteAtATime(bytes: Buffer): Buffer[] {
  return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

describe('work is linear in bytes whatever the segmentation', () => {
  it('an 8 KiB start line fed a byte at a time costs about what one push costs', () => {
    const request = Buffer.from(`GET %2f${'a'.repeat(8 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1');
    const pieces = oneByteAtATime(request);
    let heads = 0;
    const framer = () => new RequestFramer({ ...handlers, onHead: () => heads++ });
    const a = framer();
    const b = framer();
    const { whole, oneByte } = workOf((c) => (c === request ? a.push(c) : b.push(c)), request, pieces);
    expect(heads).toBe(2); // both really framed the request
    // Linear: a small constant factor. The quadratic version touched ~34 million bytes here.
    expect(oneByte).toBeLessThan(5 * whole + 4 * request.length);
  });

  it('a 60 KiB reply head fed a byte at a time stays linear, and reading the held head costs nothing', () => {
    const head = Buffer.from(`200 OK\r\nX-Pad: ${'p'.repeat(60 * 1024)}\r\nContent-Length: 0\r\n\r\n`, 'latin1');
    const pieces = oneByteAtATime(head);
    const framer = new ResponseFramer(handlers);
    framer.expectReplyTo('GET');
    work = 0;
    let viewed = 0;
    for (const piece of pieces) {
      framer.push(piece);
      // What a relay does after flushing a held head: take only the bytes that arrived since.
      const fresh = framer.pendingHead().subarray(viewed);
      viewed += fresh.length;
    }
    expect(framer.idle).toBe(true);
    expect(work).toBeLessThan(8 * head.length);
  });
});
