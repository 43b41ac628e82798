// --log lines are written from the record's raw pieces (not JSON.stringify over the lazy
// header getter). The risk: a line that says something else than the record (a header lost or
// mis-split, an escape wrong, a field left out), which `statescope open` would then show.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStateClient, newSessionId } from '../../server/client/index.ts';
import { recordJson } from '../../server/capture/record-json.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';
import { makeRecord } from '../dashboard/fake-source.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

const viaStringify = (r: ExchangeRecord) => JSON.parse(JSON.stringify(r)) as unknown;

describe('--log lines', () => {
  it('parse to exactly the records the relay built (real traffic, injection and bodies on)', async () => {
    const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'statescope-logline-')), 'capture.jsonl');
    const app = await startTestApp({ embeddedVersionHeader: null, injection: { enabled: true, value: '4.0.30319' }, captureBodiesBytes: 16, logFile: log });
    apps.push(app);
    const client = createStateClient({ host: '127.0.0.1', port: app.proxy.port });
    const id = newSessionId();
    await client.createUninitialized(id);
    const got = await client.getExclusive(id);
    await client.getExclusive(id); // 423
    await client.set(id, Buffer.from('"quoted"\\ and \u00e9'), { lockCookie: got.lockCookie ?? 0 });
    await client.get(id);
    await client.close();
    await app.close();
    apps.pop();
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(app.records).toHaveLength(5);
    lines.forEach((line, i) => expect(JSON.parse(line), `line ${i + 1}`).toEqual(viaStringify(app.records[i]!)));
  });

  it('escape what JSON must escape, keep saved headers as given, and leave nothing out', () => {
    const r = makeRecord(3);
    r.error = 'line1\nline2 "quoted" \u2028 \\ \u0001';
    r.client = '[::1]:5\u00e9';
    r.request!.head = 'GET x HTTP/1.1\r\nWeird:  spaced value  \r\nno colon line\r\nX-Quote: "a"\\b\r\n\r\n';
    Object.defineProperty(r.request, 'headers', { value: [['As', 'saved']], enumerable: true, writable: true });
    r.reply!.injectedLine = 'X-AspNet-Version: 4.0.30319';
    r.reply!.body = 'AAEC';
    r.reply!.bodyTruncated = true;
    expect(JSON.parse(recordJson(r))).toEqual(viaStringify(r));
    const noReply: ExchangeRecord = { ...makeRecord(4), reply: null, request: null, latencyMs: null, firstByteMs: null, outcome: 'client_reset' };
    expect(JSON.parse(recordJson(noReply))).toEqual(viaStringify(noReply));
  });
});
