// Cost of the diagnosis rules per exchange, on their own: N synthetic records of a busy farm's
// shape (GetExclusive/Set/ReleaseExclusive/Get with 423s, 20,000 sessions, a few apps) fed to
// DiagnosisTracker.observe, against the same loop with the rules replaced by nothing. Then the
// live heap the rules keep after a flood of distinct sessions. Rounds alternate; load average
// printed with every figure. Run: npm run bench:diagnoses (node --expose-gc for the heap figure).
import os from 'node:os';
import { DiagnosisTracker } from '../server/capture/diagnosis.ts';
import type { ExchangeRecord, RequestKind } from '../server/capture/wire-types.ts';
import { syntheticRecord } from '../test/diagnoses/synthetic-records.ts';

const N = Number(process.env.BENCH_RECORDS ?? 500_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SESSIONS = 20_000;
const load = () => os.loadavg().map((n) => n.toFixed(2)).join(' ');

function busyFarm(count: number): ExchangeRecord[] {
  const out: ExchangeRecord[] = [];
  const kinds: RequestKind[] = ['GetExclusive', 'Set', 'GetExclusive', 'ReleaseExclusive', 'Get', 'ResetTimeout'];
  for (let i = 1; i <= count; i++) {
    const kind = kinds[i % kinds.length]!;
    const locked = i % 17 === 0;
    out.push(
      syntheticRecord({
        id: i,
        kind,
        sessionId: `session${(i * 7919) % SESSIONS}`,
        appId: `/LM/W3SVC/1/ROOT/App${((i * 7919) % SESSIONS) % 4}`,
        status: locked ? 423 : 200,
        replyCookie: kind === 'GetExclusive' ? String(i) : null,
        requestCookie: kind === 'Set' || kind === 'ReleaseExclusive' ? String(i - 1) : null,
        lockAge: locked ? 0 : null,
        requestBytes: kind === 'Set' ? 300 : 0,
        replyBytes: kind === 'Get' || kind === 'GetExclusive' ? 300 : 0,
        requestDigest: kind === 'Set' ? `d${i}` : undefined,
        replyDigest: kind === 'Get' || kind === 'GetExclusive' ? `d${i + 1}` : undefined,
        client: `10.0.0.${i % 4}:${40000 + (i % 100)}`,
      }),
    );
  }
  return out;
}

/** CPU time per record (user + system, ns): on a shared, loaded machine wall time mostly measures the wait for a core. */
function timeFeed(records: ExchangeRecord[], observe: (r: ExchangeRecord) => void): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < records.length; i++) observe(records[i]!);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / records.length;
}

let records = busyFarm(N);
let sink = 0;
const baseline = (r: ExchangeRecord) => {
  sink += r.id; // the loop and the record reads without any rule
};
console.log(`diagnosis rules: ${N} records per round, ${ROUNDS} rounds alternating (Node ${process.version})`);
const withRules: number[] = [];
const without: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const tracker = new DiagnosisTracker();
  const first = round % 2 === 0;
  if (first) withRules.push(timeFeed(records, (r) => tracker.observe(r)));
  without.push(timeFeed(records, baseline));
  if (!first) withRules.push(timeFeed(records, (r) => tracker.observe(r)));
  console.log(`  round ${round + 1}: rules ${withRules.at(-1)!.toFixed(0)} ns CPU/record, bare loop ${without.at(-1)!.toFixed(0)} ns CPU/record (load ${load()})`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`median: rules ${median(withRules).toFixed(0)} ns/record over the bare loop's ${median(without).toFixed(0)} (load ${load()})`);

// Memory the rules keep: a flood of distinct sessions (each new), past every map's ceiling.
const gc = (globalThis as { gc?: () => void }).gc;
records = [];
if (gc) {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const tracker = new DiagnosisTracker();
  const flood = 1_000_000;
  for (let i = 1; i <= flood; i++) {
    tracker.observe(syntheticRecord({ id: i, sessionId: `flood${i}`, kind: i % 2 ? 'GetExclusive' : 'Set', replyCookie: String(i), replyBytes: 100, requestBytes: 100, replyDigest: `x${i}` }));
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  console.log(`heap kept by the rules after ${flood} distinct sessions: ${((after - before) / 1024 / 1024).toFixed(1)} MiB (load ${load()})`);
  void tracker.list();
} else {
  console.log('(run with node --expose-gc for the heap figure)');
}
if (sink === -1) console.log(sink);
