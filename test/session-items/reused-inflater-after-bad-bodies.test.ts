// The relay inflates small compressed session bodies through one zlib handle kept for the run
// (whole-inflater.ts). The risks of keeping it: a corrupt, cut or oversized body leaving the
// handle in a state where the next good body inflates wrongly or not at all; inflated session
// values lingering in its scratch buffer after the read; and the fallback (inflateRawSync,
// where the handle is unavailable) reading differently from the reused path.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WholeInflater } from '../../server/protocol/whole-inflater.ts';
import { emulatedSessionBody } from '../../server/client/emulated-session.ts';

// A Lehmer generator: the same 40 sessions every run.
let state = 7;
const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
const BODIES = Array.from({ length: 40 }, () => emulatedSessionBody(random, { timeoutMinutes: 20, compressed: true }));
const copyOut = (inflated: Buffer) => Buffer.from(inflated);

/** What inflateRawSync says of a body under the same ceiling: its bytes, or undefined when it refuses. */
function expected(body: Buffer, max: number): Buffer | undefined {
  try {
    return zlib.inflateRawSync(body, { maxOutputLength: max - 1 });
  } catch {
    return undefined;
  }
}

describe.each([
  ['the reused handle', true],
  ['the inflateRawSync fallback', false],
])('%s', (_name, reuse) => {
  it('inflates good bodies exactly, before and after each kind of bad body', () => {
    const inflater = new WholeInflater(256 * 1024, reuse);
    const good = BODIES[0]!;
    const bad: [string, Buffer][] = [
      ['cut', good.subarray(0, good.length >> 1)],
      ['corrupt block header', Buffer.concat([Buffer.from([0xff]), good.subarray(1)])],
      ['not Deflate', Buffer.from('ffffffffffffffff', 'hex')],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [what, body] of bad) {
      expect(inflater.inflate(body, copyOut, null), what).toEqual(expected(body, 256 * 1024));
      for (const next of BODIES.slice(0, 5)) expect(inflater.inflate(next, copyOut, null), `after ${what}`).toEqual(zlib.inflateRawSync(next));
    }
  });

  it('agrees with inflateRawSync on a body corrupted at every byte, and on the next good body each time', () => {
    const inflater = new WholeInflater(256 * 1024, reuse);
    const body = BODIES[1]!;
    for (let at = 0; at < body.length; at++) {
      for (const value of [0x00, 0xff, body[at]! ^ 0x01]) {
        const corrupt = Buffer.from(body);
        corrupt[at] = value;
        expect(inflater.inflate(corrupt, copyOut, null), `byte ${at} = ${value}`).toEqual(expected(corrupt, 256 * 1024));
        expect(inflater.inflate(BODIES[2]!, copyOut, null)).toEqual(zlib.inflateRawSync(BODIES[2]!));
      }
    }
  });

  it('refuses a body that inflates past its ceiling, and inflates one that fits just after', () => {
    const inflater = new WholeInflater(1000, reuse);
    const fits = zlib.deflateRawSync(Buffer.alloc(999, 7));
    const exact = zlib.deflateRawSync(Buffer.alloc(1000, 7));
    const over = zlib.deflateRawSync(Buffer.alloc(1001, 7));
    expect(inflater.inflate(over, copyOut, null)).toBeUndefined();
    expect(inflater.inflate(fits, copyOut, null)).toEqual(Buffer.alloc(999, 7));
    // A handle that filled its output cannot tell "exactly" from "more to come": refused (the
    // relay then streams the body), by both paths alike.
    expect(inflater.inflate(exact, copyOut, null)).toBeUndefined();
    expect(inflater.inflate(fits, copyOut, null)).toEqual(Buffer.alloc(999, 7));
  });

  it('passes the bytes on only for the call, and leaves no inflated byte behind', () => {
    const inflater = new WholeInflater(256 * 1024, reuse);
    const seen: Buffer[] = [];
    for (const body of BODIES.slice(0, 5)) {
      const length = inflater.inflate(body, (inflated, into: Buffer[]) => {
        into.push(inflated); // the very bytes handed over, not a copy
        return inflated.length;
      }, seen);
      expect(length).toBe(zlib.inflateRawSync(body).length);
    }
    // With the reused handle the scratch buffer is wiped after each read; the fallback's own
    // output is garbage once read (and holds nothing else).
    if (reuse) for (const bytes of seen) expect(bytes.every((b) => b === 0)).toBe(true);
  });
});
