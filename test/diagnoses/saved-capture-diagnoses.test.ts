// A capture taken with --log and opened elsewhere with `statescope open` gets the same diagnoses,
// measured against the thresholds given to `open` (the digests travel in the log, the bodies never).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.ts';
import type { Diagnosis } from '../../server/capture/wire-types.ts';
import { runLoadProcess, startProxyProcess, stopAll } from './scenario-harness.ts';

let dir: string | undefined;
afterEach(async () => {
  await stopAll();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function openDiagnoses(file: string, args: string[]): Promise<Diagnosis[]> {
  const open = startCli(['open', file, '--dashboard', '127.0.0.1:0', ...args]);
  try {
    const m = await open.waitForOutput(/statescope dashboard: (http:\/\/\S+)/, 20_000);
    const res = await fetch(`${new URL(m[1]!).origin}/api/stats`);
    return ((await res.json()) as { diagnoses: Diagnosis[] }).diagnoses;
  } finally {
    await open.stop();
  }
}

it('statescope open: redundant writes from the logged digests, large sessions at the --large-session-kb given to open', { timeout: 60_000 }, async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'statescope-saved-diagnoses-'));
  const log = path.join(dir, 'capture.jsonl');
  const proxy = await startProxyProcess(['--log', log]);
  await runLoadProcess(proxy.address, ['--scenario', 'read-only-writes', '--duration', '2', '--rate', '40']);
  await proxy.stop();
  const text = await readFile(log, 'utf8');
  expect(text).toContain('"bodyDigest"');
  expect(text).not.toContain('"body":'); // digests only: no session bytes were asked for

  const defaults = await openDiagnoses(log, []);
  expect(defaults.map((d) => d.id)).toContain('redundant-writes');
  expect(defaults.map((d) => d.id)).not.toContain('large-sessions');
  // The emulator's items are a few hundred bytes: above 0.1 KiB they count as large.
  const strict = await openDiagnoses(log, ['--large-session-kb', '0.1']);
  expect(strict.map((d) => d.id)).toContain('large-sessions');
});
