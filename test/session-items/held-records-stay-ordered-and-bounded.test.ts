// The hand-off that waits for compressed bodies to inflate: records go out in the order they
// finished, a plain record behind a held one waits for it, a decode slower than the limit lets
// the record go marked "not decoded in time" (and the late result never changes it afterwards),
// and a crowd behind a slow decode is bounded in count. Real zlib, real decoder.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSessionItemsDecoding, SessionItemsSink } from '../../server/capture/session-items-capture.ts';
import { SessionItemsHandoff } from '../../server/capture/session-items-handoff.ts';
import type { ExchangeRecord, RequestRecord } from '../../server/capture/wire-types.ts';
import { serializeSession } from '../../server/client/session-body-writer.ts';
import { makeRecord } from '../dashboard/fake-source.ts';

const decoding = createSessionItemsDecoding('names')!;

/** A finished record whose request carried `body` through a real sink, fed in 1 KiB chunks. */
function recordWithBody(id: number, body: Buffer): ExchangeRecord {
  const record = makeRecord(id);
  const sink = new SessionItemsSink(decoding, body.length, null);
  for (let at = 0; at < body.length; at += 1024) sink.add(body.subarray(at, at + 1024));
  sink.applyTo(record.request as RequestRecord);
  return record;
}

const small = (compressed: boolean) =>
  serializeSession({ timeoutMinutes: 20, compressed, items: [['Basket', { type: 'String', value: 'x'.repeat(300) }]] });
/** Compressed, and past the size inflated on the spot (WHOLE_COMPRESSED_MAX): it inflates off the main thread. */
const streamed = () =>
  serializeSession({ timeoutMinutes: 20, compressed: true, items: [['Basket', { type: 'String', value: randomBytes(24 * 1024).toString('base64') }]] });
/** Inflates to ~16 MB of values: slow enough to outlast a 1 ms limit. */
const big = () =>
  serializeSession({ timeoutMinutes: 20, compressed: true, items: Array.from({ length: 16 }, (_, i) => [`Blob${i}`, { type: 'Object', className: 'Big', assembly: 'A', bytes: 1_000_000 }] as const) });

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

describe('hand-off of records with compressed session bodies', () => {
  it('holds a compressed record until inflated and keeps plain records behind it in order', async () => {
    const out: ExchangeRecord[] = [];
    const handoff = new SessionItemsHandoff((r) => out.push(r));
    handoff.push(recordWithBody(1, small(false)));
    handoff.push(recordWithBody(1.5, small(true)));
    expect(out.map((r) => r.id)).toEqual([1, 1.5]); // plain, and small compressed: read on the spot
    out.length = 0;
    handoff.push(recordWithBody(1, small(false)));
    expect(out.map((r) => r.id)).toEqual([1]);
    handoff.push(recordWithBody(2, streamed()));
    handoff.push(recordWithBody(3, small(false)));
    handoff.push(makeRecord(4));
    expect(out.map((r) => r.id)).toEqual([1]);
    await until(() => out.length === 4);
    expect(out.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    const held = out[1]!.request!.sessionItems!;
    expect(held).toMatchObject({ ok: true, form: 'compressed', itemCount: 1 });
    expect(handoff.size).toBe(0);
  });

  it('lets a slow decode go after the limit, marked, and the late result does not change it', async () => {
    const out: ExchangeRecord[] = [];
    const handoff = new SessionItemsHandoff((r) => out.push(r), { maxWaitMs: 1, maxHeld: 100 });
    const record = recordWithBody(1, big());
    handoff.push(record);
    handoff.push(makeRecord(2));
    await until(() => out.length === 2);
    expect(out.map((r) => r.id)).toEqual([1, 2]);
    expect(record.request!.sessionItems).toEqual({ ok: false, form: 'unknown', error: 'the session was still being decoded after 1 ms', offset: 0 });
    const logged = JSON.stringify(record);
    await new Promise((r) => setTimeout(r, 1500)); // the inflate finishes meanwhile
    expect(JSON.stringify(record)).toBe(logged);
  });

  it('bounds the records waiting behind a slow decode', async () => {
    const out: ExchangeRecord[] = [];
    const handoff = new SessionItemsHandoff((r) => out.push(r), { maxWaitMs: 60_000, maxHeld: 10 });
    handoff.push(recordWithBody(1, big()));
    for (let id = 2; id <= 20; id++) handoff.push(makeRecord(id));
    expect(handoff.size).toBeLessThanOrEqual(10);
    expect(out[0]!.id).toBe(1);
    expect(out[0]!.request!.sessionItems).toMatchObject({ ok: false, error: 'more than 10 exchanges waited for a session decode' });
    await until(() => out.length === 20);
    expect(out.map((r) => r.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await handoff.close(0);
  });

  it('a body cut short by a reset is reported as cut, not decoded', () => {
    const record = makeRecord(1);
    const body = small(false);
    const sink = new SessionItemsSink(decoding, body.length, null);
    sink.add(body.subarray(0, 10));
    sink.applyTo(record.request as RequestRecord);
    expect(record.request!.sessionItems).toEqual({ ok: false, form: 'unknown', error: `the body was cut after 10 of ${body.length} bytes`, offset: 10 });
  });
});
