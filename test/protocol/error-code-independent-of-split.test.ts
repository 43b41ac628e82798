// Framer errors must not depend on TCP segmentation: the same bytes give the same error code at
// the same offset whether they arrive in one push, split at any byte, or one byte at a time,
// and nothing is lost (reported + handed back = everything pushed). A relay's record, log and
// metrics label would otherwise say different things about the same client.
import { describe, expect, it } from 'vitest';
import { RequestFramer, ResponseFramer, type FramerLimits, type ProtocolError } from '../../server/protocol/index.ts';
import { frame, segmentations, type FrameResult } from '../helpers/framer-recorder.ts';

/** Error, offset, messages and bytes accounted for: what must be equal for every segmentation. */
function outcome(got: FrameResult) {
  return {
    code: got.error?.code ?? null,
    offset: got.error?.offset ?? null,
    messages: got.messages.length,
    accounted: got.reported.length + (got.unconsumed?.length ?? 0),
  };
}

/**
 * Pushes `bytes` cut at `cut` (0: one push) straight into a framer, without the recorder's
 * copies, so tens of thousands of split points of a 70 KB input stay cheap.
 */
function errorAtSplit(direction: 'request' | 'response', bytes: Buffer, cut: number, limits: Partial<FramerLimits> = {}) {
  let error: ProtocolError | null = null;
  let handedBack = 0;
  let reported = 0;
  const handlers = {
    onHead: (h: { raw: Buffer }) => (reported += h.raw.length),
    onBody: (c: Buffer) => (reported += c.length),
    onMessageEnd() {},
    onError(e: ProtocolError, unconsumed: Buffer) {
      error = e;
      handedBack = unconsumed.length;
    },
  };
  const framer = direction === 'request' ? new RequestFramer(handlers, limits) : new ResponseFramer(handlers, limits);
  const pieces = cut === 0 ? [bytes] : [bytes.subarray(0, cut), bytes.subarray(cut)];
  for (const piece of pieces) {
    if (framer.failed) handedBack += piece.length; // the caller forwards these raw
    else framer.push(piece);
  }
  const e = error as ProtocolError | null;
  return { code: e?.code ?? null, offset: e?.offset ?? null, accounted: reported + handedBack };
}

/**
 * Cut points: every one, or (`sampled`, for inputs whose error is found only at the head limit,
 * where each cut costs a copy of up to 64 KiB) every one near the start and around the limit,
 * and every 61st elsewhere.
 */
function cuts(length: number, sampled: boolean): number[] {
  const limit = 64 * 1024;
  const all = Array.from({ length: length - 1 }, (_, i) => i + 1);
  return sampled ? all.filter((c) => c < 300 || Math.abs(c - limit) < 300 || c % 61 === 0) : all;
}

function expectSameAtEverySplit(direction: 'request' | 'response', bytes: Buffer, code: string, offset = 0, messages = 0, sampled = false): void {
  const whole = errorAtSplit(direction, bytes, 0);
  expect(whole).toEqual({ code, offset, accounted: bytes.length });
  for (const cut of cuts(bytes.length, sampled)) {
    const got = errorAtSplit(direction, bytes, cut);
    if (got.code !== whole.code || got.offset !== whole.offset || got.accounted !== whole.accounted) {
      expect({ cut, ...got }).toEqual({ cut, ...whole });
    }
  }
  // And one byte at a time.
  expect(outcome(frame(direction, [...bytes].map((b) => Buffer.from([b]))))).toEqual({ code, offset, messages, accounted: bytes.length });
}

describe('the same error code and offset for every split point', () => {
  it('a bare-LF start line followed by 70,000 bytes: bad_request_line, never head_too_large', () => {
    expectSameAtEverySplit('request', Buffer.from('GET x HTTP/1.1\n' + 'A'.repeat(70_000), 'latin1'), 'bad_request_line');
  });

  it('a 70,000-byte line with no end: head_too_large whatever the split', () => {
    expectSameAtEverySplit('request', Buffer.from('GET ' + 'A'.repeat(70_000), 'latin1'), 'head_too_large', 0, 0, true);
  });

  it('a start line that ends only past the head limit: head_too_large', () => {
    expectSameAtEverySplit('request', Buffer.from('GET ' + 'x'.repeat(65_600) + ' HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'), 'head_too_large', 0, 0, true);
  });

  it('a binary first byte before 70,000 bytes: bad_request_line at once', () => {
    expectSameAtEverySplit('request', Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), Buffer.alloc(70_000, 0x41)]), 'bad_request_line');
  });

  it('a bad status line followed by 70,000 bytes: bad_status_line', () => {
    expectSameAtEverySplit('response', Buffer.from('200 OK\n' + 'A'.repeat(70_000), 'latin1'), 'bad_status_line');
  });

  it('a bad header line in an over-long head: head_too_large (header lines are judged when the head is whole)', () => {
    expectSameAtEverySplit('request', Buffer.from('GET x HTTP/1.1\r\nno colon here\r\n' + 'A'.repeat(70_000), 'latin1'), 'head_too_large', 0, 0, true);
  });

  it('after two good requests the offset is where the bad one began, for every split', () => {
    const good = Buffer.from('GET %2fa(h)%2fs HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');
    const bytes = Buffer.concat([good, good, Buffer.from('GET x HTTP/1.1\n' + 'A'.repeat(3000), 'latin1')]);
    expectSameAtEverySplit('request', bytes, 'bad_request_line', good.length * 2, 2);
  });
});

describe('fuzz: random inputs give one result whatever the segmentation', () => {
  let seed = 9;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const prefixes = ['', 'GET %2fa HTTP/1.1\r\n', 'PUT %2fa HTTP/1.1\r\nContent-Length: 3\r\n', '200 OK\r\n', 'GET x HTTP/1.1\n', '404 Not Found\r\nContent-Length: 2\r\n\r\nab'];
  // Small limits, so that the head limit races the other errors inside short inputs.
  const limits = { maxHeadBytes: 64, maxHeaders: 3, maxBodyBytes: 16 };

  it('600 random inputs, every split point and one byte at a time', () => {
    for (let i = 0; i < 600; i++) {
      const len = 1 + Math.floor(rand() * 120);
      const body = Buffer.alloc(len);
      for (let j = 0; j < len; j++) body[j] = rand() < 0.35 ? [13, 10, 32, 58, 65][Math.floor(rand() * 5)]! : Math.floor(rand() * 256);
      const input = Buffer.concat([Buffer.from(prefixes[Math.floor(rand() * prefixes.length)]!, 'latin1'), body]);
      const direction = rand() < 0.5 ? 'request' : 'response';
      const verbs = ['GET', 'HEAD', 'GET'];
      const expected = outcome(frame(direction, [input], verbs, limits));
      for (const chunks of segmentations(input)) {
        const got = outcome(frame(direction, chunks, verbs, limits));
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          expect({ input: input.toString('latin1'), cuts: chunks.map((c) => c.length), ...got }).toEqual({
            input: input.toString('latin1'),
            cuts: chunks.map((c) => c.length),
            ...expected,
          });
        }
      }
    }
  });
});
