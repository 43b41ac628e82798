// The capture stores, counts and diagnoses records in batches after ingest, not inside it (the
// relay does not wait for that work). The risk: a reader, or a change of capture state, that
// comes right after an exchange and sees the world without it (an API detail that 404s, stats
// one short, a verdict that counts a reply on the wrong side of the injection switch, a
// cleared capture that keeps a record, a pause that drops one ingested before it), or a queue
// that grows without bound when nobody reads.
import { describe, expect, it } from 'vitest';
import type { LiveCapture } from '../../server/capture/live-capture.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';
import { syntheticRecord } from '../diagnoses/synthetic-records.ts';
import { testCapture } from '../helpers/test-capture.ts';

/** A flush timer that never fires within a test: only reads and state changes observe. */
const capture = (batchMs = 60_000): LiveCapture => testCapture(batchMs, 100_000);

/** A reply that reached the client without X-AspNet-Version (not injected). */
function headerless(id: number): ExchangeRecord {
  // Now, so the diagnosis is within its five minutes of the capture's clock.
  const r = syntheticRecord({ id, kind: 'Get', status: 200, at: Date.now() });
  r.reply!.versionHeader = { present: false, value: null, major: 0 };
  return r;
}

describe('records observed after ingest', () => {
  it('are there for every read that comes right after the exchange', () => {
    const c = capture();
    const ingest = () => {
      const r = syntheticRecord({ id: 0, status: 200 });
      c.ingest(r); // assigns the id
      return r.id;
    };
    const first = ingest();
    expect(c.record(first)?.id).toBe(first);
    ingest();
    expect(c.stats().totals.exchanges).toBe(2);
    expect(c.stats().capture.stored).toBe(2);
    const third = ingest();
    expect(c.records(10).map((x) => x.id)).toEqual([first, first + 1, third]);
    const fourth = ingest();
    expect(c.summaries(10).map((s) => s.id)).toEqual([first, first + 1, third, fourth]);
    ingest();
    expect(c.page(0, 10)).toHaveLength(5);
  });

  it('are diagnosed before the diagnoses are read', () => {
    const c = capture();
    c.ingest(headerless(0));
    expect(c.diagnoses().map((d) => d.id)).toContain('missing-version-header');
  });

  it('count on the side of the injection switch they ended on', () => {
    const c = capture();
    c.ingest(headerless(0)); // ended before the switch
    c.setInjection({ enabled: true });
    expect(c.stats().injection).toMatchObject({ injected: 0, onTheWire: 0 });
    c.ingest(headerless(0)); // ended after it, head already on the wire
    expect(c.stats().injection).toMatchObject({ injected: 0, onTheWire: 1 });
  });

  it('ingested before a clear go with it; ingested before a pause are kept', () => {
    const c = capture();
    c.ingest(syntheticRecord({ id: 0, status: 200 }));
    c.clear();
    expect(c.stats().totals.exchanges).toBe(0);
    expect(c.records(10)).toEqual([]);
    c.ingest(syntheticRecord({ id: 0, status: 200 }));
    c.setCapturePaused(true);
    c.ingest(syntheticRecord({ id: 0, status: 200 }));
    expect(c.records(10)).toHaveLength(1);
    expect(c.stats().totals.exchanges).toBe(1);
  });

  it('are observed by the flush timer when nobody reads, and the queue stays bounded meanwhile', async () => {
    const c = capture(20);
    const delivered: number[] = [];
    c.subscribe((batch) => delivered.push(...batch.map((r) => r.id)));
    for (let i = 0; i < 10_000; i++) c.ingest(syntheticRecord({ id: 0, status: 200 }));
    // Past the bound, ingest observes at once: at most the bound's worth waits.
    const waiting = (c as unknown as { unobserved: unknown[] }).unobserved.length;
    expect(waiting).toBeGreaterThan(0);
    expect(waiting).toBeLessThanOrEqual(4096);
    await new Promise((r) => setTimeout(r, 100));
    expect((c as unknown as { unobserved: unknown[] }).unobserved).toHaveLength(0);
    expect(delivered).toHaveLength(10_000);
    expect(c.stats().totals.exchanges).toBe(10_000);
  });
});
