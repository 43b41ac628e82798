// A false positive is a defect: 60 s of the emulator's normal page mix, with application
// restarts every 10 s, through a real proxy process to its healthy embedded state server, must
// leave no diagnosis at all (every rule of the issue, and the older ones).
import { afterEach, expect, it } from 'vitest';
import { runLoadProcess, settledDiagnoses, startProxyProcess, stopAll } from './scenario-harness.ts';

afterEach(stopAll);

it('a healthy 60 s run with app restarts diagnoses nothing', { timeout: 150_000 }, async () => {
  const proxy = await startProxyProcess();
  // 120 pages/s over 20 users: the emulator dispatches pages every 10 ms, so two pages of one
  // user start together often enough for real 423s even on a quiet machine (at 40 pages/s a page
  // finishes before the next is dispatched, and whether any lock wait happens depends on load).
  const run = await runLoadProcess(proxy.address, ['--duration', '60', '--restart-every', '10', '--sessions', '20', '--rate', '120'], 140_000);
  expect(run.scenario).toBe('healthy');
  expect(run.errorsTotal).toBe(0);
  const diagnoses = await settledDiagnoses(proxy, run.operationsTotal);
  const { stats } = await proxy.stats();
  // The run really exercised what the rules look at: locks and 423s, abandons and re-creates,
  // reads and writes of every session.
  expect(stats.totals.exchanges).toBe(run.operationsTotal);
  expect(stats.byKind.GetExclusive).toBeGreaterThan(1000);
  expect(stats.byKind.Set).toBeGreaterThan(500);
  expect(stats.byKind.Remove).toBeGreaterThan(10);
  expect(stats.byKind.CreateUninitialized).toBeGreaterThan(10);
  expect(stats.byKind.Get).toBeGreaterThan(200);
  expect(stats.totals.locked423).toBeGreaterThan(0);
  expect(diagnoses.map((d) => `${d.id}: ${d.title}`)).toEqual([]);
});
