// The --log file over a long run, as a user runs it (a child process, real sockets): killed
// with SIGTERM mid-traffic, rotated mid-run, stopped by each stop signal while an exchange is
// in flight.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createStateClient, newSessionId, type StateClient } from '../../server/client/index.ts';
import type { ExchangeRecord, RequestKind } from '../../server/capture/wire-types.ts';
import { startCli, type CliProcess } from '../helpers/cli.ts';
import { connectRawClient, waitFor } from '../helpers/net-peers.ts';
import { startRawServer, type RawServer } from '../helpers/raw-server.ts';
import { transcript } from '../helpers/transcripts.ts';

let proc: CliProcess | null = null;
let upstream: RawServer | null = null;
afterEach(async () => {
  await proc?.stop('SIGKILL');
  await upstream?.close();
  proc = null;
  upstream = null;
});

function tempLog(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'statescope-log-')), 'capture.jsonl');
}

/** Every line must parse: a torn last line would fail here. */
function readLog(file: string): ExchangeRecord[] {
  const text = readFileSync(file, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ExchangeRecord);
}

async function startProxy(args: string[]): Promise<number> {
  proc = startCli(['--listen', '127.0.0.1:0', '--no-dashboard', ...args]);
  const [, port] = await proc.waitForOutput(/proxy listening on 127\.0\.0\.1:(\d+)/);
  return Number(port);
}

/** Waits for the exit a signal already asked for (stop() would send a second signal: exit 130). */
function exited(p: CliProcess): Promise<number | null> {
  if (p.child.exitCode !== null) return Promise.resolve(p.child.exitCode);
  return new Promise((resolve) => p.child.once('exit', (code) => resolve(code)));
}

function client(port: number): StateClient {
  return createStateClient({ host: '127.0.0.1', port, networkTimeoutSeconds: 5 });
}

it('SIGTERM during traffic leaves a complete log holding every exchange a client saw complete', async () => {
  const log = tempLog();
  const port = await startProxy(['--log', log]);
  const completed: { sessionId: string; kind: RequestKind }[] = [];
  let stopping = false;
  const worker = async (): Promise<void> => {
    const c = client(port);
    try {
      while (!stopping) {
        const id = newSessionId();
        await c.createUninitialized(id);
        completed.push({ sessionId: id, kind: 'CreateUninitialized' });
        const got = await c.getExclusive(id);
        completed.push({ sessionId: id, kind: 'GetExclusive' });
        await c.set(id, Buffer.from('state'), { lockCookie: got.lockCookie ?? 0 });
        completed.push({ sessionId: id, kind: 'Set' });
      }
    } catch {
      // the proxy went away under us: expected
    } finally {
      await c.close();
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await waitFor(() => completed.length >= 300, 15_000, '300 exchanges');
  proc!.child.kill('SIGTERM');
  const code = await exited(proc!);
  stopping = true;
  await Promise.all(workers);
  expect(code).toBe(0);

  const records = readLog(log);
  // Ids are assigned to every exchange the proxy saw, so contiguous ids mean none went missing.
  expect(records.map((r) => r.id)).toEqual(records.map((_, i) => i + 1));
  const ok = new Set(records.filter((r) => r.outcome === 'ok').map((r) => `${r.request!.sessionId} ${r.request!.kind}`));
  const missing = completed.filter((c) => !ok.has(`${c.sessionId} ${c.kind}`));
  expect(missing).toEqual([]);
  expect(completed.length).toBeGreaterThanOrEqual(300);
  // Connections close as soon as they are idle: a request that came after that is recorded as
  // refused by the shutdown, never left half-done.
  expect(new Set(records.map((r) => r.outcome))).toEqual(new Set(records.length > completed.length ? ['ok', 'proxy_shutdown'] : ['ok']));
});

it('rotates by size (fractional MiB) mid-run without losing an exchange', async () => {
  const log = tempLog();
  const port = await startProxy(['--log', log, '--log-max-mb', '0.01', '--log-keep', '100']);
  const c = client(port);
  const made = 150;
  for (let i = 0; i < made; i++) await c.resetTimeout(newSessionId());
  await c.close();
  expect(await proc!.stop('SIGTERM')).toBe(0);

  const files = [log];
  for (let n = 1; existsSync(`${log}.${n}`); n++) files.push(`${log}.${n}`);
  expect(files.length).toBeGreaterThan(5); // ~1 KiB a line, rotated every 10 KiB
  // FILE.N is the oldest: reading from it up to FILE gives the exchanges in order.
  const perFile = files.reverse().map(readLog);
  for (const records of perFile.slice(0, -1)) {
    const size = Buffer.byteLength(records.map((r) => JSON.stringify(r) + '\n').join(''));
    expect(size).toBeGreaterThanOrEqual(10_486);
    expect(size).toBeLessThan(10_486 + 2000); // rotated at the line that crossed the limit
  }
  const ids = perFile.flat().map((r) => r.id);
  expect(ids).toEqual(Array.from({ length: made }, (_, i) => i + 1));
});

it('--log-keep bounds the rotated files', async () => {
  const log = tempLog();
  const port = await startProxy(['--log', log, '--log-max-mb', '0.005', '--log-keep', '2']);
  const c = client(port);
  for (let i = 0; i < 60; i++) await c.resetTimeout(newSessionId());
  await c.close();
  expect(await proc!.stop('SIGTERM')).toBe(0);
  expect([existsSync(`${log}.1`), existsSync(`${log}.2`), existsSync(`${log}.3`)]).toEqual([true, true, false]);
  // What is kept is the newest, contiguous up to the last exchange.
  const ids = [`${log}.2`, `${log}.1`, log].flatMap(readLog).map((r) => r.id);
  expect(ids.at(-1)).toBe(60);
  expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => 60 - ids.length + 1 + i));
});

// SIGINT is Ctrl+C (and how WinSW stops a service), SIGHUP a closing terminal or Windows console.
it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('an exchange in flight at %s completes: the client gets its reply, the log has it ok', async (signal) => {
  const reply = transcript('05').response.bytes;
  upstream = await startRawServer((_request, _i, socket) => {
    setTimeout(() => socket.write(reply), 300);
    return 'hang';
  });
  const log = tempLog();
  const port = await startProxy(['--log', log, '--upstream', `127.0.0.1:${upstream.port}`, '--shutdown-grace', '5']);
  const raw = await connectRawClient(port);
  const answered = raw.exchange(transcript('05').request!.bytes);
  await waitFor(() => upstream!.received.some((r) => r.length > 0), 3000, 'request upstream');
  const t0 = Date.now();
  proc!.child.kill(signal);
  const { head, body } = await answered;
  expect(head.status).toBe(200);
  expect(Buffer.concat([head.raw, body]).equals(reply)).toBe(true);
  expect(await exited(proc!)).toBe(0);
  expect(proc!.stderr()).toContain(`statescope: ${signal}, letting exchanges in flight finish`);
  expect(Date.now() - t0).toBeLessThan(4000); // it did not wait out the whole grace period
  await raw.closed; // the proxy closed the connection once its exchange was done
  const records = readLog(log);
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ outcome: 'ok', request: { kind: 'GetExclusive' }, reply: { status: 200 } });
  expect(records[0]!.latencyMs!).toBeGreaterThanOrEqual(250);
});
