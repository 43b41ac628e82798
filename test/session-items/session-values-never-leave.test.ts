// The privacy promise of --session-items, tested as a leak would happen: real sessions with
// known secret values (a String, an Int64, a DateTime, bytes inside an Object blob; plain and
// compressed) go through the real proxy, and every way out of statescope is searched for those
// bytes in every encoding a body could take there (text, hex, base64 at each alignment): the
// REST API (snapshot, details, state, stats, the item views), the ws feed, the JSONL log, both
// exports and /metrics. The names, types and sizes must be there; the values nowhere. A control
// run with --capture-bodies proves the search would find them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureMetrics } from '../../server/capture/metrics.ts';
import type { ExchangeRecord, FeedMessage } from '../../server/capture/wire-types.ts';
import { createStateClient, newSessionId } from '../../server/client/index.ts';
import { nrbfObject, serializeSession, type SessionValue } from '../../server/client/session-body-writer.ts';
import { startDashboard, type Dashboard } from '../../server/dashboard/index.ts';
import { connectFeed } from '../dashboard/harness.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';

const SECRET_TEXT = 'Card 4111-1111-1111-1111 exp 12/29 cvv 737';
const SECRET_BLOB = Buffer.from('-----BEGIN PRIVATE KEY----- MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'latin1');
const SECRET_INT64 = 0x5eb7a1c0ffee1234n;
const SECRET_TICKS = 638_000_123_456_789_012n;

function int64Bytes(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(v);
  return b;
}

/** Every form the secret bytes could take in JSON: text, hex, and base64 at all three alignments. */
function needles(secret: Buffer): string[] {
  const out = [secret.toString('latin1'), secret.toString('hex'), secret.toString('hex').toUpperCase()];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), secret]).toString('base64');
    out.push(enc.slice(k === 0 ? 0 : 4, Math.floor((k + secret.length) / 3) * 4));
  }
  return out;
}

const SECRETS: { what: string; needles: string[] }[] = [
  { what: 'the String value', needles: [...needles(Buffer.from(SECRET_TEXT, 'utf8')), JSON.stringify(SECRET_TEXT).slice(1, -1)] },
  { what: 'the Object blob', needles: needles(SECRET_BLOB) },
  { what: 'the Int64 value', needles: [...needles(int64Bytes(SECRET_INT64)), SECRET_INT64.toString()] },
  { what: 'the DateTime value', needles: [...needles(int64Bytes(SECRET_TICKS)), SECRET_TICKS.toString()] },
];

function leaksIn(text: string): string[] {
  const found: string[] = [];
  for (const s of SECRETS) if (s.needles.some((n) => n.length >= 8 && text.includes(n))) found.push(s.what);
  return found;
}

function secretSession(compressed: boolean): Buffer {
  const wallet: SessionValue = { type: 'raw', typeId: 20, payload: Buffer.concat([nrbfObject('Shop.Wallet', 'Shop', 4), SECRET_BLOB]) };
  return serializeSession({
    timeoutMinutes: 20,
    compressed,
    items: [
      ['CardNumber', { type: 'String', value: SECRET_TEXT }],
      ['AccountNo', { type: 'Int64', value: SECRET_INT64 }],
      ['LastLogin', { type: 'DateTime', ticks: SECRET_TICKS }],
      ['Wallet', wallet],
    ],
  });
}

let app: TestApp | null = null;
let dashboard: Dashboard | null = null;
let metrics: CaptureMetrics | null = null;
afterEach(async () => {
  await dashboard?.close();
  metrics?.close();
  await app?.close(0);
  app = dashboard = metrics = null;
});

interface Outputs {
  everything: Record<string, string>;
  details: ExchangeRecord[];
}

async function runTraffic(captureBodiesBytes: number, dir: string): Promise<Outputs> {
  const logFile = path.join(dir, 'capture.jsonl');
  app = await startTestApp({ sessionItems: 'names', captureBodiesBytes, logFile });
  const capture = app.capture;
  metrics = new CaptureMetrics({ capture, version: 'test', dashboardClients: () => 0 });
  dashboard = await startDashboard({ host: '127.0.0.1', port: 0, source: capture, metrics });
  const base = `http://127.0.0.1:${dashboard.port}`;
  const feed = await connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed`, { Origin: base });

  const client = createStateClient({ host: app.proxy.host, port: app.proxy.port });
  const sessions = [newSessionId(), newSessionId()];
  for (const [i, id] of sessions.entries()) {
    const body = secretSession(i === 1);
    await client.set(id, body, { newItem: true });
    const lock = await client.getExclusive(id);
    expect(lock.body?.equals(body)).toBe(true);
    await client.set(id, body, { lockCookie: lock.lockCookie ?? 0 });
    await client.get(id);
  }
  await client.close();
  await feed.waitFor((m: FeedMessage) => m.type === 'exchanges' && m.items.some((s) => s.kind === 'Get' && s.sessionId === sessions[1]), 10_000);

  const get = async (p: string): Promise<string> => {
    const res = await fetch(base + p, { headers: { Origin: base } });
    expect(res.status, p).toBe(200);
    return res.text();
  };
  const snapshot = JSON.parse(await get('/api/snapshot')) as { items: { id: number }[] };
  const everything: Record<string, string> = {};
  const details: ExchangeRecord[] = [];
  for (const { id } of snapshot.items) {
    const text = await get(`/api/exchanges/${id}`);
    everything[`/api/exchanges/${id}`] = text;
    details.push(JSON.parse(text) as ExchangeRecord);
  }
  for (const p of ['/api/snapshot', '/api/state', '/api/stats', '/api/session-items', `/api/session-items?session=${sessions[0]}`, `/api/session-items?session=${sessions[1]}`, '/api/export.jsonl', '/api/export.har', '/metrics']) {
    everything[p] = await get(p);
  }
  everything['ws feed'] = feed.frames.map((f) => JSON.stringify(f)).join('\n');
  feed.ws.close();
  await app.close(1000);
  everything['--log file'] = fs.readFileSync(logFile, 'utf8');
  return { everything, details };
}

describe('session values never leave statescope', () => {
  it('with --session-items and no --capture-bodies: names, types and sizes everywhere, values and bodies nowhere', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statescope-secrets-'));
    try {
      const { everything, details } = await runTraffic(0, dir);
      for (const [where, text] of Object.entries(everything)) expect(leaksIn(text), `secret bytes in ${where}`).toEqual([]);
      // The decode happened: the table is in the details, the log, the exports and the item views.
      const tables = details.flatMap((d) => [d.request?.sessionItems, d.reply?.sessionItems]).filter((t) => t !== undefined);
      expect(tables.length).toBe(8);
      for (const t of tables) {
        expect(t.ok).toBe(true);
        if (!t.ok) continue;
        expect(t.items.map((i) => [i.key, i.type])).toEqual([['CardNumber', 'String'], ['AccountNo', 'Int64'], ['LastLogin', 'DateTime'], ['Wallet', 'Object']]);
        expect(t.items[3]!.className).toBe('Shop.Wallet');
        expect(t.items[0]!.size).toBe(1 + 1 + Buffer.byteLength(SECRET_TEXT));
      }
      expect(tables.map((t) => t.form).sort()).toEqual(['compressed', 'compressed', 'compressed', 'compressed', 'plain', 'plain', 'plain', 'plain']);
      for (const where of ['--log file', '/api/export.jsonl', '/api/export.har', '/api/session-items']) expect(everything[where], where).toContain('CardNumber');
      expect(everything['/api/export.har']).toContain('"_sessionItems"');
      // No body is kept without --capture-bodies.
      for (const d of details) {
        expect(d.request?.body).toBeUndefined();
        expect(d.reply?.body).toBeUndefined();
      }
      for (const where of ['--log file', '/api/export.jsonl', '/api/export.har']) {
        expect(everything[where], where).not.toMatch(/"body":|"postData"|"encoding":"base64"/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('control: with --capture-bodies the same search finds the values, so the test above can fail', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statescope-secrets-'));
    try {
      const { everything } = await runTraffic(65536, dir);
      expect(leaksIn(everything['--log file']!).sort()).toEqual(SECRETS.map((s) => s.what).sort());
      expect(leaksIn(everything['/api/export.har']!).length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
