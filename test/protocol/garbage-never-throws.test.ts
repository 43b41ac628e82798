// Bad input yields one typed error with every unconsumed byte handed back; never an exception,
// never a framer that silently sits on bytes it cannot parse.
import { describe, expect, it } from 'vitest';
import { RequestFramer, ResponseFramer } from '../../server/protocol/index.ts';
import { frame } from '../helpers/framer-recorder.ts';

const good = Buffer.from('GET %2fa(h)%2fs HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');

describe('framer errors', () => {
  it.each([
    ['TLS client hello', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), 'bad_request_line'],
    ['HTTP/2 preface', Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), null],
    ['missing version', Buffer.from('GET %2fa\r\n\r\n', 'latin1'), 'bad_request_line'],
    ['bare LF start line', Buffer.from('GET %2fa HTTP/1.1\nHost: x\n\n', 'latin1'), 'bad_request_line'],
    ['header without colon', Buffer.from('GET %2fa HTTP/1.1\r\nHost x\r\n\r\n', 'latin1'), 'bad_header_line'],
    ['bad content length', Buffer.from('PUT %2fa HTTP/1.1\r\nContent-Length: 1x\r\n\r\n', 'latin1'), 'bad_content_length'],
    ['conflicting content length', Buffer.from('PUT %2fa HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 'latin1'), 'bad_content_length'],
    ['chunked', Buffer.from('PUT %2fa HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'latin1'), 'unsupported_transfer_encoding'],
  ])('%s', (_name, bytes, code) => {
    for (const chunks of [[bytes], [...bytes].map((b) => Buffer.from([b]))]) {
      const got = frame('request', chunks);
      if (code === null) {
        // Parses as a request line (verb PRI); what matters is that nothing throws.
        continue;
      }
      expect(got.error?.code).toBe(code);
      // Nothing lost: what was reported plus what was handed back is the whole input.
      expect(Buffer.concat([got.reported, got.unconsumed!]).equals(bytes)).toBe(true);
    }
  });

  it('reports an error after good messages with the right offset and the rest unconsumed', () => {
    const bad = Buffer.from('\x00\x01garbage', 'latin1');
    const got = frame('request', [Buffer.concat([good, good, bad, good])]);
    expect(got.messages).toHaveLength(2);
    expect(got.error?.offset).toBe(good.length * 2);
    expect(got.unconsumed!.equals(Buffer.concat([bad, good]))).toBe(true);
  });

  it('limits head size, header count and body size with typed errors', () => {
    const onError = (sink: string[]) => ({
      onHead() {},
      onMessageEnd() {},
      onError(e: { code: string }) {
        sink.push(e.code);
      },
    });
    const codes: string[] = [];
    const f1 = new RequestFramer(onError(codes), { maxHeadBytes: 100 });
    f1.push(Buffer.from('GET %2fa HTTP/1.1\r\n' + 'X-Pad: ' + 'a'.repeat(200), 'latin1'));
    const f2 = new RequestFramer(onError(codes), { maxHeaders: 3 });
    f2.push(Buffer.from('GET %2fa HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n', 'latin1'));
    const f3 = new RequestFramer(onError(codes), { maxBodyBytes: 10 });
    f3.push(Buffer.from('PUT %2fa HTTP/1.1\r\nContent-Length: 11\r\n\r\n', 'latin1'));
    expect(codes).toEqual(['head_too_large', 'too_many_headers', 'body_too_large']);
    // Once failed, further input is ignored rather than misparsed.
    f3.push(good);
    expect(f3.failed).toBe(true);
    expect(codes).toHaveLength(3);
  });

  it('survives random garbage without throwing', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 2000; i++) {
      const len = 1 + Math.floor(rand() * 200);
      const bytes = Buffer.alloc(len);
      for (let j = 0; j < len; j++) bytes[j] = rand() < 0.3 ? [13, 10, 32, 58][Math.floor(rand() * 4)]! : Math.floor(rand() * 256);
      const prefix = rand() < 0.5 ? Buffer.from('200 OK\r\n', 'latin1') : Buffer.alloc(0);
      const input = Buffer.concat([prefix, bytes]);
      const got = frame(rand() < 0.5 ? 'request' : 'response', [input.subarray(0, len >> 1), input.subarray(len >> 1)]);
      const accounted = got.reported.length + (got.unconsumed?.length ?? 0);
      // Either everything is accounted for, or the framer is honestly waiting for more head bytes.
      expect(accounted).toBeLessThanOrEqual(input.length);
    }
  });

  it('frames replies to HEAD without a body whatever Content-Length says', () => {
    const reply = Buffer.from('200 OK\r\nContent-Length: 5\r\n\r\n', 'latin1');
    const next = Buffer.from('404 Not Found\r\nContent-Length: 0\r\n\r\n', 'latin1');
    const got = frame('response', [Buffer.concat([reply, next])], ['HEAD', 'GET']);
    expect(got.error).toBeNull();
    expect(got.messages.map((m) => (m.head as { status: number }).status)).toEqual([200, 404]);
  });

  it('treats a reply with no Content-Length as bodiless', () => {
    const framer = new ResponseFramer({ onHead() {}, onMessageEnd() {}, onError() {} });
    framer.push(Buffer.from('200 OK\r\nX: 1\r\n\r\n', 'latin1'));
    expect(framer.idle).toBe(true);
  });
});
