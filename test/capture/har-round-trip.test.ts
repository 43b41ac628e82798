// Records that live traffic rarely produces, through HAR and back: the HTTP/1.1 status-line
// form, a connection that failed before any request, odd bytes in a target, truncated bodies.
import { describe, expect, it } from 'vitest';
import { harEnvelope, toHarEntry } from '../../server/capture/har-export.ts';
import { recordFromHarEntry } from '../../server/capture/har-import.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';
import { decodeTarget } from '../../server/protocol/index.ts';
import { makeRecord } from '../dashboard/fake-source.ts';
import { harValidator } from '../helpers/har-schema.ts';

function variants(): ExchangeRecord[] {
  const http11 = makeRecord(1);
  http11.reply!.protocol = 'HTTP/1.1';
  http11.reply!.head = `HTTP/1.1 ${http11.reply!.head}`;

  const noRequest: ExchangeRecord = {
    ...makeRecord(2),
    request: null,
    reply: null,
    firstByteMs: null,
    outcome: 'upstream_refused',
    error: 'connection refused by 127.0.0.1:42424',
  };

  const odd = makeRecord(3);
  odd.request!.target = '/LM/W3SVC/1/ROOT/my app(h)/s#1?x=%zz';
  odd.request!.head = `GET ${odd.request!.target} HTTP/1.1\r\nHost: localhost\r\nExclusive: acquire\r\n\r\n`;
  const { appId, appHash, sessionId } = decodeTarget(odd.request!.target);
  Object.assign(odd.request!, { appId, appHash, sessionId });
  odd.upstream = '[::1]:42424';

  const bodies = makeRecord(4);
  bodies.request = { ...bodies.request!, body: Buffer.from([0, 255, 1]).toString('base64'), bodyTruncated: true };
  bodies.reply = { ...bodies.reply!, body: Buffer.from('abc').toString('base64'), bodyTruncated: false };

  const injected = makeRecord(5);
  injected.reply!.injected = true;
  injected.reply!.injectedLine = 'X-AspNet-Version: 2.0.50727';
  return [http11, noRequest, odd, bodies, injected];
}

describe('HAR round trip', () => {
  it('exports valid HAR and reads the same records back', () => {
    const records = variants();
    const { head, tail } = harEnvelope({ version: 'test' });
    const doc = JSON.parse(head + records.map((r) => JSON.stringify(toHarEntry(r))).join(',') + tail) as { log: { entries: unknown[] } };
    const validate = harValidator();
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const back = doc.log.entries.map((e, i) => recordFromHarEntry(e, i));
    // Compared as JSON: what the log, the API and the page see (headers come from the head).
    expect(JSON.parse(JSON.stringify(back))).toEqual(JSON.parse(JSON.stringify(records)));
  });

  it('writes the status-line form and a URI-safe url', () => {
    const [http11, noRequest, odd] = variants().map(toHarEntry);
    expect(http11!.response).toMatchObject({ httpVersion: 'HTTP/1.1', _statusLineForm: 'http' });
    expect(noRequest!.request).toMatchObject({ method: '', url: 'http://127.0.0.1:42424/', _noRequest: true, headersSize: -1 });
    expect(noRequest!.response).toMatchObject({ status: 0, content: { size: 0, mimeType: 'x-unknown' } });
    expect(odd!.request.url).toBe('http://[::1]:42424/LM/W3SVC/1/ROOT/my%20app(h)/s%231%3Fx=%25zz');
    expect(odd!.request._target).toBe('/LM/W3SVC/1/ROOT/my app(h)/s#1?x=%zz');
  });

  it('reads a HAR from another tool as far as HAR allows', () => {
    const foreign = {
      startedDateTime: '2024-05-01T10:00:00.000Z',
      time: 12.5,
      request: {
        method: 'GET',
        url: 'http://10.0.0.5:42424/%2fLM%2fW3SVC%2f1%2fROOT%2fShop(abc)%2fsessionid1',
        httpVersion: 'HTTP/1.1',
        headers: [{ name: 'Exclusive', value: 'acquire' }],
        bodySize: 0,
      },
      response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [{ name: 'LockCookie', value: '7' }], content: { size: 0, mimeType: '' }, bodySize: 0 },
      timings: { send: 0, wait: 10, receive: 2.5 },
    };
    const record = recordFromHarEntry(foreign, 4);
    expect(record).toMatchObject({ id: 5, upstream: '10.0.0.5:42424', latencyMs: 12.5, firstByteMs: 10, outcome: 'ok' });
    expect(record.request).toMatchObject({ kind: 'GetExclusive', sessionId: 'sessionid1', appHash: 'abc' });
    expect(record.request!.head).toBe('GET %2fLM%2fW3SVC%2f1%2fROOT%2fShop(abc)%2fsessionid1 HTTP/1.1\r\nExclusive: acquire\r\n\r\n');
    expect(record.reply).toMatchObject({ protocol: 'HTTP/1.1', lockCookie: '7', versionHeader: { present: false } });
    expect(() => recordFromHarEntry({ request: {} }, 0)).toThrow(/response/);
  });
});
