// Every diagnosis in the scenario that reproduces it: a real `statescope proxy` process, real
// `statescope load --scenario NAME` runs of the ASP.NET client emulator, and the verdict read
// back from GET /api/stats (diagnoses[].id) with its evidence exchanges opened one by one.
import { afterEach, describe, expect, it } from 'vitest';
import { startScenarioUpstream } from '../../server/client/scenario-upstream.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';
import {
  evidenceOf,
  find,
  runLoadProcess,
  settledDiagnoses,
  startProxyProcess,
  startStateServerProcess,
  stopAll,
} from './scenario-harness.ts';

afterEach(stopAll);

const sessionOf = (r: ExchangeRecord) => r.request?.sessionId ?? null;

describe('each diagnosis fires in its scenario, with the exchanges that show it', () => {
  it('orphaned-locks: the lock taken, the waiters, the forced release; and lock contention', async () => {
    const proxy = await startProxyProcess(['--execution-timeout', '2']);
    const run = await runLoadProcess(proxy.address, ['--scenario', 'orphaned-locks', '--execution-timeout', '2', '--duration', '8', '--sessions', '3', '--rate', '10']);
    expect(run.pages['locksLeftBehind']).toBeGreaterThan(0);
    const diagnoses = await settledDiagnoses(proxy, run.operationsTotal);
    const orphan = find(diagnoses, 'orphaned-lock');
    const evidence = await evidenceOf(proxy, orphan);
    // Some lock's whole story is in the evidence: GetExclusive 200 with cookie C, a 423 for C
    // whose LockAge reached executionTimeout, and the waiter's ReleaseExclusive with C.
    const taken = evidence.filter((r) => r.request?.kind === 'GetExclusive' && r.reply?.status === 200 && r.reply.lockCookie !== null);
    const story = taken.find((t) => {
      const c = t.reply!.lockCookie;
      const same = (r: ExchangeRecord) => r.request?.target === t.request!.target;
      return (
        evidence.some((r) => same(r) && r.reply?.status === 423 && r.reply.lockCookie === c && (r.reply.lockAgeSeconds ?? 0) >= 2) &&
        evidence.some((r) => same(r) && r.request?.kind === 'ReleaseExclusive' && r.request.lockCookie === c && r.id > t.id)
      );
    });
    expect(story, JSON.stringify(evidence.map((r) => [r.id, r.request?.kind, r.reply?.status, r.request?.lockCookie, r.reply?.lockCookie]))).toBeDefined();
    expect(orphan.detail).toContain('not serializable');
    const contention = find(diagnoses, 'lock-contention');
    expect(contention.detail).toMatch(/p95 .*Polling cost: \d+ 423 replies/);
    for (const r of await evidenceOf(proxy, contention)) expect(['GetExclusive', 'Get', 'ReleaseExclusive', 'Set']).toContain(r.request?.kind);
  });

  it('server-restart: a real state server process restarted mid-run; sessions vanish and are created anew', async () => {
    const server = await startStateServerProcess();
    const proxy = await startProxyProcess(['--upstream', `127.0.0.1:${server.port}`]);
    const load = runLoadProcess(proxy.address, ['--scenario', 'server-restart', '--duration', '7', '--sessions', '12', '--rate', '40']);
    await new Promise((r) => setTimeout(r, 3000));
    await server.stop();
    await startStateServerProcess(server.port);
    const run = await load;
    const diagnoses = await settledDiagnoses(proxy, run.operationsTotal);
    const vanished = find(diagnoses, 'sessions-vanished');
    const evidence = await evidenceOf(proxy, vanished);
    // Every request the rule counts as finding a session gone: Get, GetExclusive and the
    // ResetTimeout ASP.NET sends for a page that reads nothing (the newest five make the
    // evidence, whichever kinds they were, so leaving one kind out made this flaky).
    const notFound = evidence.filter((r) => r.reply?.status === 404 && ['GetExclusive', 'Get', 'ResetTimeout'].includes(r.request?.kind ?? ''));
    expect(new Set(notFound.map(sessionOf)).size).toBeGreaterThanOrEqual(3);
    expect(evidence.some((r) => r.request?.kind === 'CreateUninitialized' || r.request?.kind === 'Set')).toBe(true);
    expect(vanished.detail).toContain('single point of failure');
  });

  it('farm-site-id: one session id under /LM/W3SVC/1/ and /LM/W3SVC/2/, from two web servers', async () => {
    const proxy = await startProxyProcess();
    const run = await runLoadProcess(proxy.address, ['--scenario', 'farm-site-id', '--duration', '3', '--rate', '60']);
    const d = find(await settledDiagnoses(proxy, run.operationsTotal), 'farm-site-id-mismatch');
    const evidence = await evidenceOf(proxy, d);
    const pair = evidence.find((a) => evidence.some((b) => sessionOf(a) === sessionOf(b) && a.request?.appId !== b.request?.appId));
    expect(pair).toBeDefined();
    expect(new Set(evidence.map((r) => r.request?.appId))).toEqual(new Set(['/LM/W3SVC/1/ROOT/WebApp', '/LM/W3SVC/2/ROOT/WebApp']));
    expect(d.detail).toMatch(/127\.0\.0\.[23]/); // names the web servers
  });

  it('farm-path-case: ROOT vs Root', async () => {
    const proxy = await startProxyProcess();
    const run = await runLoadProcess(proxy.address, ['--scenario', 'farm-path-case', '--duration', '3', '--rate', '60']);
    const d = find(await settledDiagnoses(proxy, run.operationsTotal), 'farm-app-path-case');
    const evidence = await evidenceOf(proxy, d);
    expect(new Set(evidence.map((r) => r.request?.appId))).toEqual(new Set(['/LM/W3SVC/1/ROOT/WebApp', '/LM/W3SVC/1/Root/WebApp']));
  });

  it('farm-hash: the same app id under a 44-character and a 28-character hash, saying which server sends which', async () => {
    const proxy = await startProxyProcess();
    const run = await runLoadProcess(proxy.address, ['--scenario', 'farm-hash', '--duration', '3', '--rate', '60']);
    const d = find(await settledDiagnoses(proxy, run.operationsTotal), 'farm-hash-mismatch');
    const evidence = await evidenceOf(proxy, d);
    expect(new Set(evidence.map((r) => r.request?.appHash?.length))).toEqual(new Set([44, 28]));
    expect(d.detail).toContain('mixed .NET Framework versions');
    // Each hash is attributed to the web server that sent it.
    for (const r of evidence) expect(d.detail).toContain(`${r.request!.appHash} (${r.request!.appHash!.length} characters, from ${r.client.split(':')[0]}`);
  });

  it('large-sessions and store-memory: items above --large-session-kb, from Content-Length alone', async () => {
    const proxy = await startProxyProcess(['--large-session-kb', '32']);
    const run = await runLoadProcess(proxy.address, ['--scenario', 'large-sessions', '--large-session-kb', '32', '--duration', '6', '--rate', '40']);
    const diagnoses = await settledDiagnoses(proxy, run.operationsTotal);
    const large = find(diagnoses, 'large-sessions');
    for (const r of await evidenceOf(proxy, large)) {
      const size = r.request?.kind === 'Set' ? r.request.bodySize : (r.reply?.bodySize ?? 0);
      expect(size).toBeGreaterThan(32 * 1024);
      expect(r.request?.body).toBeUndefined(); // no body capture was asked for, none was needed
    }
    expect(large.detail).toMatch(/\/LM\/W3SVC\/1\/ROOT\/WebApp: p50 \d+ KiB, p95 \d+ KiB, max \d+ KiB/);
    const memory = find(diagnoses, 'store-memory');
    expect(memory.title).toMatch(/about [\d.]+ MiB of session data in \d+ live sessions/);
    expect(memory.evidence.length).toBeGreaterThan(0);
  });

  it('read-only-writes: Sets that write back the bytes just read; not when the body changed', async () => {
    const proxy = await startProxyProcess();
    const run = await runLoadProcess(proxy.address, ['--scenario', 'read-only-writes', '--duration', '3', '--rate', '40']);
    expect(run.pages['unchangedWrites']).toBeGreaterThanOrEqual(3);
    const d = find(await settledDiagnoses(proxy, run.operationsTotal), 'redundant-writes');
    const evidence = await evidenceOf(proxy, d);
    const sets = evidence.filter((r) => r.request?.kind === 'Set');
    expect(sets.length).toBeGreaterThan(0);
    for (const set of sets) {
      // Its read is in the evidence too: same key, same digest, no body kept.
      const read = evidence.find((r) => r.request?.target === set.request!.target && r.id < set.id && r.reply?.bodyDigest === set.request!.bodyDigest);
      expect(read?.request?.kind).toBe('GetExclusive');
      expect(set.request!.body).toBeUndefined();
    }

    // The same traffic shape where every write changes the item: no diagnosis.
    const changed = await startProxyProcess();
    const healthy = await runLoadProcess(changed.address, ['--duration', '3', '--rate', '40']);
    const none = await settledDiagnoses(changed, healthy.operationsTotal);
    expect(none.map((x) => x.id)).not.toContain('redundant-writes');
  });

  it('short-network-timeout: clients leave ~1 s after a request with no reply; the timeout is inferred', async () => {
    const slow = await startScenarioUpstream({ slowReplyShare: 0.25, slowReplyMs: 1600 });
    try {
      const proxy = await startProxyProcess(['--upstream', `127.0.0.1:${slow.port}`]);
      const run = await runLoadProcess(proxy.address, ['--scenario', 'short-network-timeout', '--duration', '6', '--sessions', '6', '--rate', '20']);
      const d = find(await settledDiagnoses(proxy, run.operationsTotal), 'client-timeouts');
      const evidence = await evidenceOf(proxy, d);
      expect(evidence.length).toBeGreaterThanOrEqual(3);
      for (const r of evidence) {
        expect(r.outcome).toBe('client_reset');
        expect(r.reply).toBeNull();
        expect(r.latencyMs).toBeGreaterThan(850);
        expect(r.latencyMs).toBeLessThan(1400);
      }
      expect(d.title).toMatch(/about 1\.\d s/);
      expect(d.detail).toContain('shorter than the 10 s');
    } finally {
      await slow.close();
    }
  });

  it('exposed-listener: a proxy bound to every interface (only loopback is connected to)', async () => {
    const proxy = await startProxyProcess(['--listen', '0.0.0.0:0']);
    const run = await runLoadProcess(`127.0.0.1:${proxy.port}`, ['--duration', '1', '--rate', '20']);
    const d = find(await settledDiagnoses(proxy, run.operationsTotal), 'exposed-listener');
    expect(d.detail).toContain('every network interface');
    expect(d.detail).toContain('no authentication');
    expect(d.evidence.length).toBeGreaterThan(0);
  });
});
