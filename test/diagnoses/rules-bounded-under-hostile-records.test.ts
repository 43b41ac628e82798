// The rules run on the relay's ingest path: odd or hostile records must not throw out of
// observe(), and a flood of distinct sessions, app ids and hashes must not grow what the rules
// say (or keep) without bound.
import { describe, expect, it } from 'vitest';
import { DiagnosisTracker } from '../../server/capture/diagnosis.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';
import { syntheticRecord } from './synthetic-records.ts';

describe('diagnosis rules under hostile input', () => {
  it('records without request, reply, ids or sane numbers are taken without throwing', () => {
    let clock = 1_700_000_000_000;
    const tracker = new DiagnosisTracker(() => clock);
    const odd: ExchangeRecord[] = [
      { ...syntheticRecord({ id: 1 }), request: null, reply: null, outcome: 'unparseable', latencyMs: null },
      { ...syntheticRecord({ id: 2, status: 423, lockAge: -5, replyCookie: null }) },
      { ...syntheticRecord({ id: 3, status: 423, lockAge: Number.MAX_SAFE_INTEGER, replyCookie: 'x' }) },
      syntheticRecord({ id: 4, kind: 'ReleaseExclusive', requestCookie: 'x' }),
      syntheticRecord({ id: 5, appId: '', appHash: '', sessionId: '' }),
      syntheticRecord({ id: 6, appId: '/LM/W3SVC/', sessionId: 'a'.repeat(100_000) }),
      syntheticRecord({ id: 7, status: null, outcome: 'client_reset', latencyMs: 5, client: '' }),
      syntheticRecord({ id: 8, kind: 'Set', requestBytes: -1, requestDigest: '' }),
      syntheticRecord({ id: 9, kind: 'Unknown', status: 404 }),
      { ...syntheticRecord({ id: 10 }), client: '[::1]:5', upstream: '' },
    ];
    for (const r of odd) tracker.observe(r);
    clock += 1000;
    expect(() => tracker.list()).not.toThrow();
    expect(tracker.ruleFailures).toBe(0);
    // The absurd LockAge is still an orphaned lock, and only one.
    expect(tracker.list().find((d) => d.id === 'orphaned-lock')?.count).toBe(1);
  });

  it('a flood of distinct apps, hashes and sessions keeps evidence and words bounded', () => {
    let clock = 1_700_000_000_000;
    const tracker = new DiagnosisTracker(() => clock);
    for (let i = 1; i <= 200_000; i++) {
      const n = i % 3;
      tracker.observe(
        syntheticRecord({
          id: i,
          at: clock,
          sessionId: `s${i % 50_000}`,
          // 350 apps in two spellings (under the app ceiling, so the farm rules see them all),
          // 50,000 sessions (past the session ceiling), clients from 50,000 addresses.
          appId: `/LM/W3SVC/${i % 7}/ROOT/App${i % 50}`.replace('ROOT', n === 0 ? 'Root' : 'ROOT'),
          appHash: `h${Math.floor(i / 1050) % 2}`,
          kind: n === 0 ? 'Set' : 'GetExclusive',
          requestBytes: n === 0 ? 2_000_000 : 0,
          replyBytes: n === 0 ? 0 : 2_000_000,
          client: `10.0.${i % 250}.${i % 200}:${1000 + (i % 60_000)}`,
        }),
      );
      clock++;
    }
    const list = tracker.list();
    expect(list.map((d) => d.id)).toEqual(expect.arrayContaining(['farm-hash-mismatch', 'farm-app-path-case', 'large-sessions', 'store-memory', 'exposed-listener']));
    for (const d of list) {
      expect(d.evidence.length).toBeLessThanOrEqual(8);
      expect(d.detail.length + d.title.length).toBeLessThan(6000);
    }
    expect(tracker.ruleFailures).toBe(0);
    // Only 50,000 keys are live, so the estimate cannot exceed 50,000 sessions' worth.
    const memory = list.find((d) => d.id === 'store-memory')!;
    const mib = Number(/about (?:at least )?([\d.]+) MiB/.exec(memory.title)![1]);
    expect(mib).toBeLessThanOrEqual((50_000 * 2_000_000) / 1024 / 1024 + 1);
  });

  it('diagnoses go quiet five minutes after their last match, on the capture clock', () => {
    let clock = 1_700_000_000_000;
    const tracker = new DiagnosisTracker(() => clock, { largeSessionKb: 1 });
    tracker.observe(syntheticRecord({ id: 1, at: clock, kind: 'Set', requestBytes: 5000 }));
    expect(tracker.list().map((d) => d.id)).toContain('large-sessions');
    clock += 5 * 60 * 1000 + 1;
    expect(tracker.list().map((d) => d.id)).not.toContain('large-sessions');
  });
});
