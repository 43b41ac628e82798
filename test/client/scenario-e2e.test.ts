// The load scenario against the embedded state server: with restarts and no version header,
// version errors appear only right after app starts; with the header, never.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CANT_MAKE_SESSION_REQUEST, NEED_V2_STATE_SERVER } from '../../server/client/index.ts';
import { runScenario, startScenario, type ScenarioReport } from '../../server/client/scenario.ts';
import { formatReport } from '../../server/client/report.ts';
import { percentile } from '../../server/client/stats.ts';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';

let server: RunningStateServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const SESSIONS = 4;
/** Every page starts with GetExclusive, so a failing first request of an app start leaves a lock. */
const LOCKING_MIX = { readOnly: 0, keepAlive: 0, unchanged: 0.5, abandon: 0 };

function errorsByGeneration(report: ScenarioReport): number[] {
  const counts = new Array<number>(report.restarts.length + 1).fill(0);
  for (const e of report.errorEvents) counts[e.generation]!++;
  return counts;
}

describe('scenario runner', () => {
  it('no version header + restarts: version errors only right after each app start', async () => {
    server = await startStateServer({ port: 0, versionHeader: null });
    const report = await runScenario({
      host: '127.0.0.1',
      port: server.port,
      sessions: SESSIONS,
      durationSeconds: 3,
      restartEverySeconds: 0.8,
      executionTimeoutSeconds: 1,
      mix: LOCKING_MIX,
    });
    expect(report.elapsedSeconds).toBeGreaterThanOrEqual(2.9);
    expect(report.elapsedSeconds).toBeLessThan(4);
    expect(report.restarts).toHaveLength(3);
    expect(report.errors.map((e) => e.message)).toEqual([NEED_V2_STATE_SERVER]);
    expect(report.errorEvents).toHaveLength(report.errorsTotal);
    const perGeneration = errorsByGeneration(report);
    // Each app start fails at least once (its first request) and at most once per user (the
    // requests sent before the first reply came back). The last start is given no minimum.
    for (const n of perGeneration.slice(0, -1)) expect(n).toBeGreaterThanOrEqual(1);
    for (const n of perGeneration) expect(n).toBeLessThanOrEqual(SESSIONS);
    // Right after the start: at most one lock poll (500 ms) late, never later in the app's life.
    for (const e of report.errorEvents) expect(e.msSinceAppStart).toBeLessThan(800);
    // A failed GetExclusive took a lock and lost the cookie; waiting pages broke it (notes §7.4.7).
    // Only a GetExclusive that got its item (200) leaves such a lock (a 404, or a Set or Release
    // that happens to be first after a restart, does not), and breaking it needs
    // executionTimeout (1 s) to pass before the run ends.
    const lockingFailure = report.errorEvents.some((e) => e.kind === 'GetExclusive' && e.status === 200 && e.atMs < 1500);
    if (lockingFailure) {
      expect(report.pages.lockWaits).toBeGreaterThan(0);
      expect(report.pages.staleLocksReleased).toBeGreaterThanOrEqual(1);
    }
    expect(report.pages.completed).toBeGreaterThan(100);
    expect(report.operations['GetExclusive']?.['200']).toBeGreaterThan(100);
    expect(report.latencyMs.count).toBeGreaterThan(0);
    expect(report.latencyMs.p50).toBeLessThanOrEqual(report.latencyMs.p99);
    expect(formatReport(report)).toContain(`${report.errorsTotal} x ${NEED_V2_STATE_SERVER}`);
  });

  it('with the header: no errors at all, also across restarts', async () => {
    server = await startStateServer({ port: 0 });
    const report = await runScenario({
      host: '127.0.0.1',
      port: server.port,
      sessions: SESSIONS,
      durationSeconds: 1.5,
      restartEverySeconds: 0.4,
    });
    expect(report.restarts.length).toBeGreaterThanOrEqual(3);
    expect(report.errorsTotal).toBe(0);
    expect(report.pages.failed).toBe(0);
    expect(report.pages.staleLocksReleased).toBe(0);
    expect(Object.keys(report.operations).sort()).toEqual(
      ['CreateUninitialized', 'Get', 'GetExclusive', 'ReleaseExclusive', 'Remove', 'ResetTimeout', 'Set'].sort(),
    );
  });

  it('restarts on demand and stops early on abort', async () => {
    server = await startStateServer({ port: 0, versionHeader: null });
    const abort = new AbortController();
    const run = startScenario({ host: '127.0.0.1', port: server.port, sessions: 2, durationSeconds: 30, signal: abort.signal });
    setTimeout(() => run.restartApp(), 300);
    setTimeout(() => abort.abort(), 700);
    const report = await run.done;
    expect(report.elapsedSeconds).toBeLessThan(1.5);
    expect(report.restarts).toHaveLength(1);
    const perGeneration = errorsByGeneration(report);
    expect(perGeneration[0]).toBeGreaterThanOrEqual(1);
    expect(perGeneration[1]).toBeGreaterThanOrEqual(1);
  });

  it('paces pages at --rate', async () => {
    server = await startStateServer({ port: 0 });
    const report = await runScenario({ host: '127.0.0.1', port: server.port, sessions: 20, durationSeconds: 1, rate: 100 });
    const arrivals = report.pages.started + report.pages.skipped;
    expect(arrivals).toBeGreaterThanOrEqual(90);
    expect(arrivals).toBeLessThanOrEqual(101);
    expect(report.errorsTotal).toBe(0);
  });

  it('a refused target: connection errors with their phase, and the run still ends on time', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const report = await runScenario({ host: '127.0.0.1', port, sessions: 3, durationSeconds: 0.5 });
    expect(report.elapsedSeconds).toBeLessThan(1.5);
    expect(report.errors).toEqual([
      { message: CANT_MAKE_SESSION_REQUEST, code: 'cant_make_session_request', phase: 'Connecting to the state server', count: report.errorsTotal },
    ]);
    // Failed users pause 100 ms before their next page, so this stays small.
    expect(report.errorsTotal).toBeLessThanOrEqual(3 * 6 + 3);
    expect(Object.values(report.operations).flatMap((s) => Object.keys(s))).toEqual(expect.arrayContaining(['no reply']));
    expect(report.latencyMs.count).toBe(0);
    expect(formatReport(report)).toContain("[last phase: Connecting to the state server]");
  });
});

describe('percentiles', () => {
  it('uses nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99)]).toEqual([50, 90, 99]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });
});
