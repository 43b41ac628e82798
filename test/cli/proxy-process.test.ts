// The main job as a user runs it: `statescope` as a child process with the embedded upstream.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createStateClient, newSessionId } from '../../server/client/index.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';
import { startCli, type CliProcess } from '../helpers/cli.ts';

let proc: CliProcess | null = null;
afterEach(async () => {
  await proc?.stop('SIGKILL');
  proc = null;
});

it('headless: one line per exchange on stdout and a JSONL log flushed on SIGTERM', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'statescope-'));
  const log = path.join(dir, 'capture.jsonl');
  proc = startCli(['--listen', '127.0.0.1:0', '--no-dashboard', '--no-embedded-version-header', '--log-exchanges', '--log', log]);
  await proc.waitForOutput(/statescope log: .*\n/); // the banner's last line
  const [, port] = await proc.waitForOutput(/proxy listening on 127\.0\.0\.1:(\d+), forwarding to 127\.0\.0\.1:\d+ \(embedded state server, no X-AspNet-Version header\)/);
  expect(proc.stdout()).toContain(`stateConnectionString="tcpip=127.0.0.1:${port}"`);
  expect(proc.stdout()).toContain('dashboard: off');

  const client = createStateClient({ host: '127.0.0.1', port: Number(port) });
  const id = newSessionId();
  await expect(client.createUninitialized(id)).rejects.toThrow(/version 2\.0 or above/);
  const got = await client.getExclusive(id);
  await client.set(id, Buffer.from('hello'), { lockCookie: got.lockCookie ?? 0 });
  await client.close();

  await proc.waitForOutput(/Set\s+200 ver:MISSING session=/);
  expect(proc.stdout()).toMatch(/CreateUninitialized\s+200 ver:MISSING/);
  expect(proc.stdout()).toMatch(/GetExclusive\s+200 ver:MISSING session=\w+ cookie=2/);
  expect(await proc.stop('SIGTERM')).toBe(0);
  const records = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ExchangeRecord);
  expect(records.map((r) => r.request?.kind)).toEqual(['CreateUninitialized', 'GetExclusive', 'Set']);
  expect(records.every((r) => r.outcome === 'ok' && r.reply?.versionHeader.present === false)).toBe(true);
  // Session bodies are private: not in the log unless --capture-bodies asks.
  expect(readFileSync(log, 'utf8')).not.toContain(Buffer.from('hello').toString('base64'));
});

it('--inject-version fixes the failure for the emulator', async () => {
  proc = startCli(['--listen', '127.0.0.1:0', '--no-dashboard', '--no-embedded-version-header', '--inject-version', '--log-exchanges']);
  await proc.waitForOutput(/statescope dashboard: off.*\n/); // the banner's last line
  const [, port] = await proc.waitForOutput(/proxy listening on 127\.0\.0\.1:(\d+)/);
  expect(proc.stdout()).toContain('injecting X-AspNet-Version: 4.0.30319');
  const client = createStateClient({ host: '127.0.0.1', port: Number(port) });
  await expect(client.createUninitialized(newSessionId())).resolves.toMatchObject({ status: 200 });
  await client.close();
  await proc.waitForOutput(/CreateUninitialized\s+200 ver:injected\(4\.0\.30319\)/);
});

it('rejects bad arguments with a clear message', async () => {
  for (const [args, message] of [
    [['--listen', 'nonsense'], /expected HOST:PORT/],
    [['--inject-version=1.0.3705'], /major version below 2/],
    [['--capture-bodies', 'lots'], /must be a whole number/],
  ] as const) {
    proc = startCli([...args]);
    const code = await new Promise((r) => proc!.child.once('exit', r));
    expect(code).not.toBe(0);
    expect(proc.stderr()).toMatch(message);
  }
});

it('a port in use gives one clear line and exit code 1, not a stack trace', async () => {
  const net = await import('node:net');
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    proc = startCli(['--listen', `127.0.0.1:${port}`, '--no-dashboard']);
    const code = await new Promise((r) => proc!.child.once('exit', r));
    expect(code).toBe(1);
    expect(proc.stderr()).toMatch(new RegExp(`statescope: cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use`));
    expect(proc.stderr()).not.toMatch(/\n\s+at /);
  } finally {
    blocker.close();
  }
});
