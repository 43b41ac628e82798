// High availability as an operator builds it: HAProxy in TCP mode in front of two statescope
// servers on one Redis, and one server killed (SIGKILL) in the middle of traffic. The emulated
// ASP.NET apps must carry on with their sessions through the survivor: errors only for the
// requests that were on the dead instance at that moment, no session lost or re-created, and
// no acknowledged Set lost (checked by sessions that count in their body).
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioReport } from '../../server/client/scenario.ts';
import { startCli } from '../helpers/cli.ts';
import { RawClient, request, targetFor, type ReceivedReply } from '../stateserver/helpers.ts';
import { HaproxyProcess } from './haproxy.ts';
import { useRedisServer } from './use-redis-server.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

const LOAD_SESSIONS = 20;
const LOAD_SECONDS = 12;
const KILL_AFTER_MS = 4000;
const CHECKERS = 8;
/** ASP.NET's executionTimeout, shortened: a lock orphaned by the kill is broken after this. */
const STALE_LOCK_SECONDS = 2;

const holder = useRedisServer();
let servers: ServerProcess[] = [];
let haproxy: HaproxyProcess;

beforeAll(async () => {
  servers = await Promise.all([startServerProcess(holder.redis.url), startServerProcess(holder.redis.url)]);
  haproxy = await HaproxyProcess.start(servers.map((s) => s.port));
});
afterAll(async () => {
  await haproxy?.stop();
  await Promise.all(servers.map((s) => s.kill()));
});

class ConnectionLost extends Error {}

/** One reply, or ConnectionLost as soon as the connection closes (as ASP.NET sees a dead server). */
async function ask(client: RawClient, bytes: Buffer, verb = 'GET'): Promise<ReceivedReply> {
  if (client.isClosed) throw new ConnectionLost();
  client.send(bytes, verb);
  return Promise.race([
    client.nextReply(10_000),
    client.closed.then(() => {
      throw new ConnectionLost();
    }),
  ]);
}

/**
 * A session whose body is a counter: each page locks it, checks it holds the last value this
 * session stored (or the one whose Set was cut off unanswered), and stores the next.
 */
class CountingSession {
  private client: RawClient | null = null;
  readonly target: string;
  acked = 0;
  private inDoubt: number | null = null;
  created = false;
  problems: string[] = [];
  connectionsLost = 0;
  acksAfterKill = 0;

  constructor(id: number) {
    this.target = targetFor(`haproxyfailover0000000${String(id).padStart(2, '0')}`);
  }

  async run(until: number, killed: () => boolean): Promise<void> {
    while (Date.now() < until) {
      try {
        this.client ??= await RawClient.connect(haproxy.port);
        await this.page(this.client, killed);
      } catch (error) {
        if (!(error instanceof ConnectionLost) && !(error instanceof Error && /ECONNRE|closed/.test(error.message))) throw error;
        this.connectionsLost++;
        this.client?.destroy();
        this.client = null;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    this.client?.destroy();
  }

  private async page(client: RawClient, killed: () => boolean): Promise<void> {
    const got = await ask(client, request('GET', this.target, [['Exclusive', 'acquire']]));
    if (got.head.status === 404) {
      if (this.created) this.problems.push(`${this.target}: session lost (404 after it was created)`);
      const put = await ask(client, request('PUT', this.target, [['Timeout', 20], ['LockCookie', 0]], '0'), 'PUT');
      if (put.head.status === 200) this.created = true;
      return;
    }
    if (got.head.status === 423) {
      // A lock orphaned when its page's connection died: broken as ASP.NET breaks stale locks.
      if (Number(got.header('LockAge')) >= STALE_LOCK_SECONDS) {
        await ask(client, request('GET', this.target, [['Exclusive', 'release'], ['LockCookie', got.header('LockCookie')!]]));
      } else {
        await new Promise((r) => setTimeout(r, 50));
      }
      return;
    }
    if (got.head.status !== 200) {
      this.problems.push(`${this.target}: GetExclusive answered ${got.head.status}`);
      return;
    }
    const value = Number(got.body.toString());
    if (value !== this.acked && value !== this.inDoubt) {
      this.problems.push(`${this.target}: read ${value}, last acknowledged ${this.acked} (in doubt ${this.inDoubt})`);
    }
    this.acked = value;
    const next = value + 1;
    this.inDoubt = next;
    const set = await ask(client, request('PUT', this.target, [['Timeout', 20], ['LockCookie', got.header('LockCookie')!]], String(next)), 'PUT');
    if (set.head.status !== 200) this.problems.push(`${this.target}: Set answered ${set.head.status}`);
    this.acked = next;
    this.inDoubt = null;
    if (killed()) this.acksAfterKill++;
  }
}

describe('HAProxy (mode tcp) in front of two statescope servers on one Redis', () => {
  it('carries the sessions over when one server is killed mid-traffic', { timeout: 90_000 }, async () => {
    const load = startCli([
      'load', '--target', `127.0.0.1:${haproxy.port}`, '--sessions', String(LOAD_SESSIONS),
      '--duration', String(LOAD_SECONDS), '--execution-timeout', String(STALE_LOCK_SECONDS), '--json',
    ]);
    const loadStarted = Date.now();
    const checkers = Array.from({ length: CHECKERS }, (_, i) => new CountingSession(i));
    let killedAt = 0;
    const until = loadStarted + LOAD_SECONDS * 1000;
    const checking = Promise.all(checkers.map((c) => c.run(until, () => killedAt > 0)));

    await new Promise((r) => setTimeout(r, KILL_AFTER_MS));
    const beforeKill = await haproxy.backends();
    await servers[0]!.kill();
    killedAt = Date.now();

    await checking;
    const exitCode = load.child.exitCode ?? (await once(load.child, 'exit'))[0];
    expect(exitCode, load.stderr()).toBe(0);
    const report = JSON.parse(load.stdout()) as ScenarioReport;
    const afterKill = await haproxy.backends();

    // Both instances served before the kill; the dead one is marked down, the survivor took over.
    expect(beforeKill.map((b) => b.totalSessions).every((n) => n > 0)).toBe(true);
    expect(afterKill.find((b) => b.name === 's0')!.status).toMatch(/DOWN/);
    expect(afterKill.find((b) => b.name === 's1')!.totalSessions).toBeGreaterThan(beforeKill.find((b) => b.name === 's1')!.totalSessions);

    // No acknowledged Set lost, no session lost, and every counting session went on after the kill.
    expect(checkers.flatMap((c) => c.problems)).toEqual([]);
    for (const c of checkers) expect(c.acksAfterKill, c.target).toBeGreaterThan(5);

    // The emulator: errors only around the kill (requests that were on the dead server), then on.
    // The emulator's clock starts when its process is up, some time after it was spawned, so
    // the kill falls at or before killAtMs on that clock: every error must lie in one short
    // window that ends soon after it (an error before the kill would widen the window).
    const killAtMs = killedAt - loadStarted;
    const errorTimes = report.errorEvents.map((e) => e.atMs);
    if (errorTimes.length > 0) {
      expect(Math.max(...errorTimes) - Math.min(...errorTimes)).toBeLessThan(3000);
      expect(Math.max(...errorTimes)).toBeLessThan(killAtMs + 3000);
    }
    expect(report.errorsTotal).toBeLessThan(report.operationsTotal / 20);
    // Sessions carried on: no wave of re-created sessions (a lost session is re-created by
    // GetExclusive 404 -> CreateUninitialized); only the first page and abandons create one.
    const creates = report.operations.CreateUninitialized?.['200'] ?? 0;
    const abandons = report.operations.Remove?.['200'] ?? 0;
    expect(creates).toBeLessThanOrEqual(LOAD_SESSIONS + abandons + report.errorsTotal);
    expect(report.pages.completed).toBeGreaterThan(500);
    console.log(
      `failover: kill at ${killAtMs} ms; emulator ${report.operationsTotal} operations, ${report.errorsTotal} errors ` +
        `(${JSON.stringify(report.errors)}), ${creates} creates, ${abandons} abandons; counting sessions ` +
        `${checkers.reduce((n, c) => n + c.acked, 0)} Sets, ${checkers.reduce((n, c) => n + c.connectionsLost, 0)} connections lost`,
    );
  });
});
