// --log lines against the records the relay built, over real traffic. The risk: a line that
// says something else than the record (a header lost or mis-split by the lazy header getter, a
// line lost or out of order between batches), which `statescope open` would then show.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStateClient, newSessionId } from '../../server/client/index.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';
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

});
