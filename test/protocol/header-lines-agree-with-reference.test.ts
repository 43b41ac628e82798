// The header reader walks the head's text by hand for speed: a slip there would accept a line
// the protocol forbids, or reject one a real server sends. Hostile heads (bare CR and LF, NBSP,
// empty names, colons everywhere, conflicting lengths, chunked, a header count either side of
// the limit) must give exactly what the obvious split-and-regex reader gives.
import { expect, it } from 'vitest';
import { headerLinesOf, readWantedHeaders, scanHeaderLines, wantedHeaders } from '../../server/protocol/header-lines.ts';
import { RequestFramer } from '../../server/protocol/index.ts';
import { referenceHeaderLines, type HeaderLines } from './header-lines-reference.ts';
import type { HeaderLinesError } from '../../server/protocol/header-lines.ts';

const WANTED = ['content-length', 'transfer-encoding', 'x-aspnet-version', 'lockcookie', 'a', 'z'];

/** What the fast reader says, in the reference's form: the scan, then the lines it accepted. */
function fastHeaderLines(text: string, max: number): HeaderLines | HeaderLinesError {
  const scan = scanHeaderLines(text, text.indexOf('\r\n') + 2, max);
  if ('code' in scan) return scan;
  return { headers: headerLinesOf(text), contentLength: scan.contentLength };
}

/** The first value of each wanted name, as a lookup in the reference's header list finds it. */
function wantedFrom(text: string): Record<string, string> {
  const values: (string | undefined)[] = [];
  readWantedHeaders(text, wantedHeaders(WANTED), values);
  const found: Record<string, string> = {};
  WANTED.forEach((name, slot) => {
    if (values[slot] !== undefined) found[name] = values[slot];
  });
  return found;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['Content-Length', 'content-length', 'Transfer-Encoding', 'X-AspNet-Version', 'LockCookie', ':', ': ', ' ', '\t', '\xa0', '\r', '\n', '\v', '\f', 'a', 'Z', '0', '12', '007', '-1', 'identity', 'chunked', '(', '@', 'é', '\x00', '\x7f', '\xff', '99999999999999999'];

function randomHead(random: () => number, maxLines: number): string {
  const lines: string[] = ['GET /x HTTP/1.1'];
  const count = Math.floor(random() * maxLines);
  for (let i = 0; i < count; i++) {
    let line = '';
    const parts = 1 + Math.floor(random() * 6);
    for (let k = 0; k < parts; k++) line += PIECES[Math.floor(random() * PIECES.length)];
    lines.push(line);
  }
  // A head ends at its first CRLF CRLF: lines that would end it early are not heads.
  return lines.join('\r\n').replaceAll('\r\n\r\n', '\r\n') + '\r\n\r\n';
}

it('agrees with the reference reader on 200,000 hostile heads', () => {
  const random = rng(7);
  let checked = 0;
  for (let i = 0; i < 200_000; i++) {
    const text = randomHead(random, 12);
    if (text.indexOf('\r\n\r\n') !== text.length - 4) continue;
    const max = 1 + Math.floor(random() * 10);
    const reference = referenceHeaderLines(text, max);
    expect(fastHeaderLines(text, max), JSON.stringify(text)).toEqual(reference);
    if ('headers' in reference) {
      const firsts: Record<string, string> = {};
      for (const h of reference.headers) if (WANTED.includes(h.name.toLowerCase())) firsts[h.name.toLowerCase()] ??= h.value;
      expect(wantedFrom(text), JSON.stringify(text)).toEqual(firsts);
    }
    checked++;
  }
  expect(checked).toBeGreaterThan(150_000);
});

it('agrees on the cases a hand-written reader gets wrong', () => {
  const cases = [
    'GET / HTTP/1.1\r\n\r\n',
    'GET / HTTP/1.1\r\nA:\r\n\r\n',
    'GET / HTTP/1.1\r\nA: \xa0v\xa0 \r\n\r\n',
    'GET / HTTP/1.1\r\nA:b\rc\r\n\r\n',
    'GET / HTTP/1.1\r\nA:b\nc\r\n\r\n',
    'GET / HTTP/1.1\r\n:b\r\n\r\n',
    'GET / HTTP/1.1\r\nA b: c\r\n\r\n',
    'GET / HTTP/1.1\r\nno colon\r\nB: c:d\r\n\r\n',
    'GET / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n',
    'GET / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\n',
    'GET / HTTP/1.1\r\nContent-Length: +5\r\n\r\n',
    'GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n',
    'GET / HTTP/1.1\r\nTransfer-Encoding: Identity\r\nTransfer-Encoding: chunked\r\n\r\n',
    'GET / HTTP/1.1\r\nbad line\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n',
  ];
  for (const text of cases) {
    for (const max of [1, 2, 3, 100]) {
      expect(fastHeaderLines(text, max), JSON.stringify(text)).toEqual(referenceHeaderLines(text, max));
    }
  }
});

it("the framer reports the reader's result as it did: headers in wire order, values trimmed", () => {
  const heads: unknown[] = [];
  const errors: string[] = [];
  const framer = new RequestFramer({ onHead: (h) => heads.push(h.headers), onMessageEnd: () => {}, onError: (e) => errors.push(e.code) });
  framer.push(Buffer.from('PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length:  3 \r\nLockCookie:\t7\r\n\r\nabc', 'latin1'));
  expect(errors).toEqual([]);
  expect(heads).toEqual([[{ name: 'Host', value: 'x' }, { name: 'Content-Length', value: '3' }, { name: 'LockCookie', value: '7' }]]);
});
