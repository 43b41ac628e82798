// The mission's failure end to end: an ASP.NET client against a state server that sends no
// X-AspNet-Version fails its first request after each app start and works in between; with
// the header it never fails. Against the embedded server and the real `statescope server`.
import { afterEach, describe, expect, it } from 'vitest';
import { createStateClient, NEED_V2_STATE_SERVER, newSessionId, type StateClient } from '../../server/client/index.ts';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { listeningPort, runCli, type CliProcess } from './cli-process.ts';

let server: RunningStateServer | undefined;
let client: StateClient | undefined;
let proc: CliProcess | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  await proc?.stop();
  client = server = proc = undefined;
});

/** One app start's worth of pages; returns the message of each request that threw. */
async function pages(c: StateClient, n: number): Promise<Array<string | null>> {
  const out: Array<string | null> = [];
  const id = newSessionId();
  for (let i = 0; i < n; i++) {
    try {
      const item = await c.getExclusive(id);
      if (item.outcome === 'absent') {
        await c.createUninitialized(id);
        out.push(null);
        continue;
      }
      await c.set(id, Buffer.from(`page ${i}`), { lockCookie: item.lockCookie ?? 0 });
      out.push(null);
    } catch (error) {
      out.push((error as Error).message);
    }
  }
  return out;
}

async function expectFailsOncePerAppStart(port: number): Promise<void> {
  client = createStateClient({ host: '127.0.0.1', port });
  for (let start = 0; start < 3; start++) {
    const results = await pages(client, 4);
    expect(results[0]).toBe(NEED_V2_STATE_SERVER);
    expect(results.slice(1)).toEqual([null, null, null]);
    client.restartApp();
  }
}

async function expectNeverFails(port: number): Promise<void> {
  client = createStateClient({ host: '127.0.0.1', port });
  for (let start = 0; start < 3; start++) {
    expect(await pages(client, 4)).toEqual([null, null, null, null]);
    expect(client.stateServerVersion).toBe(4);
    client.restartApp();
  }
}

describe('missing X-AspNet-Version, embedded state server', () => {
  it('fails on the first request only, works afterwards, fails again after restartApp()', async () => {
    server = await startStateServer({ port: 0, versionHeader: null });
    await expectFailsOncePerAppStart(server.port);
  });

  it('the failing request was executed: a create is stored, a lock is taken and its cookie lost', async () => {
    server = await startStateServer({ port: 0, versionHeader: null });
    client = createStateClient({ host: '127.0.0.1', port: server.port });
    const id = newSessionId();
    await expect(client.createUninitialized(id)).rejects.toThrow(NEED_V2_STATE_SERVER);
    expect(await client.getExclusive(id)).toMatchObject({ outcome: 'found', actionFlags: 1, lockCookie: 2 });
    await client.releaseExclusive(id, 2);

    client.restartApp();
    await expect(client.getExclusive(id)).rejects.toThrow(NEED_V2_STATE_SERVER);
    // The lock from the failed GetExclusive stays until someone breaks it (notes §7.4.7).
    expect(await client.get(id)).toMatchObject({ outcome: 'locked', lockCookie: 3 });
    await client.releaseExclusive(id, 3);
    expect((await client.get(id)).outcome).toBe('found');
  });

  it('with the header, never fails', async () => {
    server = await startStateServer({ port: 0 });
    await expectNeverFails(server.port);
  });
});

describe('missing X-AspNet-Version, real `statescope server` process', () => {
  it('--no-version-header: fails once per app start', async () => {
    proc = runCli(['server', '--listen', '127.0.0.1:0', '--no-version-header']);
    await expectFailsOncePerAppStart(await listeningPort(proc));
  });

  it('default header: never fails', async () => {
    proc = runCli(['server', '--listen', '127.0.0.1:0']);
    await expectNeverFails(await listeningPort(proc));
  });

  it('`statescope load` against it reports version errors only, right after each app start', async () => {
    proc = runCli(['server', '--listen', '127.0.0.1:0', '--no-version-header']);
    const port = await listeningPort(proc);
    const load = runCli(['load', '--target', `127.0.0.1:${port}`, '--sessions', '3', '--duration', '2', '--restart-every', '0.6', '--json']);
    const code = await load.exited;
    expect(code, load.stderr()).toBe(0);
    const report = JSON.parse(load.stdout()) as {
      errors: Array<{ message: string; count: number }>;
      restarts: number[];
      operationsTotal: number;
    };
    expect(report.errors.map((e) => e.message)).toEqual([NEED_V2_STATE_SERVER]);
    const generations = report.restarts.length + 1;
    expect(report.restarts.length).toBeGreaterThanOrEqual(2);
    // Per app start: the first request fails, and so does any request sent before that reply
    // came back (at most one per user); a restart just before the end may see no traffic.
    expect(report.errors[0]!.count).toBeLessThanOrEqual(3 * generations);
    expect(report.errors[0]!.count).toBeGreaterThanOrEqual(generations - 1);
    expect(report.operationsTotal).toBeGreaterThan(report.errors[0]!.count * 10);
  });
});
