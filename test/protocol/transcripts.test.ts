// Every shared vector parses to the right fields at every split point and re-serialises to the
// same bytes.
import { describe, expect, it } from 'vitest';
import {
  classifyRequest,
  decodeTarget,
  getHeader,
  getLockCookieText,
  serializeRequestHead,
  serializeResponseHead,
  type RequestHead,
  type ResponseHead,
} from '../../server/protocol/index.ts';
import { frame, segmentations } from '../helpers/framer-recorder.ts';
import { loadTranscripts } from '../helpers/transcripts.ts';

const { common, exchanges } = loadTranscripts();

const expectedKinds: Record<string, string> = {
  '01': 'CreateUninitialized',
  '02': 'GetExclusive',
  '03': 'Get',
  '04': 'Set',
  '05': 'GetExclusive',
  '06': 'ReleaseExclusive',
  '07': 'ResetTimeout',
  '08': 'GetExclusive',
  '09': 'Remove',
  '10': 'GetExclusive',
  '11': 'CreateUninitialized',
  '12': 'ReleaseExclusive',
};

describe.each(exchanges.filter((e) => e.request).map((e) => [e.name, e] as const))('request %s', (name, ex) => {
  const bytes = ex.request!.bytes;

  it('parses to the right fields', () => {
    const { messages, error } = frame('request', [bytes]);
    expect(error).toBeNull();
    expect(messages).toHaveLength(1);
    const head = messages[0]!.head as RequestHead;
    expect(head.target).toBe(common.target);
    expect(head.version).toBe('HTTP/1.1');
    expect(head.contentLength).toBe(ex.request!.body.length);
    expect(messages[0]!.body.equals(ex.request!.body)).toBe(true);
    expect(classifyRequest(head.verb, head.headers)).toBe(expectedKinds[name.slice(0, 2)]);
    const decoded = decodeTarget(head.target);
    expect(decoded).toMatchObject({
      key: common.decodedTarget,
      appId: common.appId,
      appHash: common.appIdHashSha256Base64,
      sessionId: common.sessionId,
    });
    // Header order and spelling as on the wire.
    const names = ex.request!.head.toString('latin1').split('\r\n').slice(1, -2).map((l) => l.split(':')[0]);
    expect(head.headers.map((h) => h.name)).toEqual(names);
  });

  it('gives the same result at every split point and one byte at a time', () => {
    const reference = frame('request', [bytes]);
    for (const chunks of segmentations(bytes)) {
      const got = frame('request', chunks);
      expect(got.error).toBeNull();
      expect(got.reported.equals(bytes)).toBe(true);
      expect(got.messages.map((m) => [m.head.raw.toString('latin1'), m.body.toString('hex')])).toEqual(
        reference.messages.map((m) => [m.head.raw.toString('latin1'), m.body.toString('hex')]),
      );
    }
  });

  it('re-serialises to the same bytes', () => {
    const { messages } = frame('request', [bytes]);
    const head = messages[0]!.head as RequestHead;
    expect(Buffer.concat([serializeRequestHead(head), messages[0]!.body]).equals(bytes)).toBe(true);
  });
});

describe.each(exchanges.map((e) => [e.name, e] as const))('response %s', (name, ex) => {
  const verbs = [ex.request ? ex.request.head.toString('latin1').split(' ')[0]! : 'PUT'];
  const variants = [ex.response, ...(ex.responseAfterInjection ? [ex.responseAfterInjection] : [])];

  it.each(variants.map((v, i) => [i, v] as const))('variant %i parses at every split point and re-serialises', (_i, msg) => {
    const reference = frame('response', [msg.bytes], verbs);
    expect(reference.error).toBeNull();
    expect(reference.messages).toHaveLength(1);
    const head = reference.messages[0]!.head as ResponseHead;
    const statusLine = msg.head.toString('latin1').split('\r\n')[0]!;
    expect(head.protocol).toBe(statusLine.startsWith('HTTP/') ? 'HTTP/1.1' : null);
    expect(`${head.status} ${head.reason}`).toBe(statusLine.replace(/^HTTP\/1\.1 /, ''));
    expect(head.bodyLength).toBe(msg.body.length);
    expect(reference.messages[0]!.body.equals(msg.body)).toBe(true);
    expect(Buffer.concat([serializeResponseHead(head), reference.messages[0]!.body]).equals(msg.bytes)).toBe(true);
    for (const chunks of segmentations(msg.bytes)) {
      const got = frame('response', chunks, verbs);
      expect(got.error).toBeNull();
      expect(got.reported.equals(msg.bytes)).toBe(true);
      expect(got.messages).toHaveLength(1);
    }
  });

  it('exposes the version header and protocol headers', () => {
    const head = frame('response', [ex.response.bytes], verbs).messages[0]!.head as ResponseHead;
    const version = getHeader(head.headers, 'x-aspnet-version');
    if (name.startsWith('11')) expect(version).toBeUndefined();
    else expect(version).toMatch(/^[24]\.0\.\d+$/);
    if (name.startsWith('03')) {
      expect(head.status).toBe(423);
      expect(getHeader(head.headers, 'LockDate')).toBe('638501544000000000');
      expect(getLockCookieText(head.headers)).toBe('2');
    }
  });
});

it('frames the whole sequence of exchanges sent as one chunk in each direction', () => {
  const withRequests = exchanges.filter((e) => e.request);
  const requests = Buffer.concat(withRequests.map((e) => e.request!.bytes));
  const replies = Buffer.concat(withRequests.map((e) => e.response.bytes));
  const verbs = withRequests.map((e) => e.request!.head.toString('latin1').split(' ')[0]!);
  const req = frame('request', [requests]);
  const rep = frame('response', [replies], verbs);
  expect(req.error).toBeNull();
  expect(rep.error).toBeNull();
  expect(req.messages).toHaveLength(withRequests.length);
  expect(rep.messages).toHaveLength(withRequests.length);
  expect(req.reported.equals(requests)).toBe(true);
  expect(rep.reported.equals(replies)).toBe(true);
  // Random segmentations of the whole stream give the same messages.
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let round = 0; round < 200; round++) {
    const chunks: Buffer[] = [];
    for (let pos = 0; pos < replies.length; ) {
      const n = 1 + Math.floor(rand() * 40);
      chunks.push(replies.subarray(pos, pos + n));
      pos += n;
    }
    const got = frame('response', chunks, verbs);
    expect(got.reported.equals(replies)).toBe(true);
    expect(got.messages).toHaveLength(withRequests.length);
  }
});
