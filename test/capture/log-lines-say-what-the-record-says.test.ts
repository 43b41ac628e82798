// --log lines against the records the relay built, over real traffic. The risk: a line that
// says something else than the record (a header lost or mis-split by the lazy header getter, a
// line lost or out of order between batches), which `statescope open` would then show.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStateClient, newSessionId } from '../../server/client/index.ts';
import { emulatedSessionBody } from '../../server/client/emulated-session.ts';
import { checkRecord } from '../../server/capture/record-check.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

const viaStringify = (r: ExchangeRecord) => JSON.parse(JSON.stringify(r)) as Record<string, Record<string, unknown> | null>;
/** The record's JSON without the header pairs, which a line leaves to the head's text. */
function withoutHeaders(r: ExchangeRecord): unknown {
  const json = viaStringify(r);
  for (const side of ['request', 'reply']) if (json[side]) delete json[side]!.headers;
  return json;
}

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
    lines.forEach((line, i) => {
      expect(JSON.parse(line), `line ${i + 1}`).toEqual(withoutHeaders(app.records[i]!));
      // Opened again, a line is the whole record, header pairs read back from the head included.
      const opened = checkRecord(JSON.parse(line));
      expect(opened.unknownFields).toEqual([]);
      expect(viaStringify(opened.record), `line ${i + 1} opened`).toEqual(viaStringify(app.records[i]!));
      expect(opened.record.request!.headers.length, `line ${i + 1} request headers`).toBeGreaterThan(0);
    });
  });

  it('carry every field a record can have (a field added to the records and not to the log fails here)', async () => {
    const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'statescope-logline-')), 'capture.jsonl');
    // Bodies captured, items decoded, injection on, digests taken: every optional field set.
    const app = await startTestApp({ embeddedVersionHeader: null, injection: { enabled: true, value: '4.0.30319' }, captureBodiesBytes: 4096, sessionItems: 'names', logFile: log });
    apps.push(app);
    const client = createStateClient({ host: '127.0.0.1', port: app.proxy.port });
    const id = newSessionId();
    await client.createUninitialized(id);
    const got = await client.getExclusive(id);
    await client.set(id, emulatedSessionBody(() => 0.5, { timeoutMinutes: 20 }), { lockCookie: got.lockCookie ?? 0 });
    await client.get(id);
    await client.close();
    await app.close();
    apps.pop();
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const keysOf = (o: object | null | undefined) => Object.keys(o ?? {}).filter((k) => k !== 'headers').sort();
    const seen = { record: new Set<string>(), request: new Set<string>(), reply: new Set<string>() };
    app.records.forEach((record, i) => {
      const json = viaStringify(record);
      const line = JSON.parse(lines[i]!) as typeof json;
      expect(keysOf(line), `line ${i + 1}`).toEqual(keysOf(json));
      expect(keysOf(line.request), `line ${i + 1} request`).toEqual(keysOf(json.request));
      expect(keysOf(line.reply), `line ${i + 1} reply`).toEqual(keysOf(json.reply));
      keysOf(json).forEach((k) => seen.record.add(k));
      keysOf(json.request).forEach((k) => seen.request.add(k));
      keysOf(json.reply).forEach((k) => seen.reply.add(k));
    });
    // The traffic above did reach the optional fields, so the comparison covered them.
    expect([...seen.request]).toEqual(expect.arrayContaining(['body', 'bodyDigest', 'sessionItems']));
    expect([...seen.reply]).toEqual(expect.arrayContaining(['injectedLine', 'body', 'bodyDigest', 'sessionItems']));
  });

});
