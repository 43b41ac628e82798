// The option as a user types it: `statescope --session-items=hashed` in a real process, driven by
// `statescope load --compress-sessions` (another real process), writes hashed item tables of
// compressed sessions to its --log; a wrong value is refused with a clear message.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';
import { runCli, startCli, type CliProcess } from '../helpers/cli.ts';

let proc: CliProcess | null = null;
afterEach(async () => {
  await proc?.stop();
  proc = null;
});

describe('--session-items on the command line', () => {
  it('=hashed with the emulator\'s compressed sessions: hashed keys, no names, in the log', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statescope-option-'));
    try {
      const log = path.join(dir, 'capture.jsonl');
      proc = startCli(['--listen', '127.0.0.1:0', '--no-dashboard', '--session-items=hashed', '--log', log]);
      const [, port] = await proc.waitForOutput(/proxy listening on 127\.0\.0\.1:(\d+)/);
      const load = await runCli(['load', '--target', `127.0.0.1:${port}`, '--sessions', '3', '--duration', '1', '--compress-sessions', '--json'], 30_000);
      expect(load.code, load.stderr).toBe(0);
      expect(await proc.stop('SIGTERM')).toBe(0);
      proc = null;
      const records = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ExchangeRecord);
      const tables = records.flatMap((r) => [r.request?.sessionItems, r.reply?.sessionItems]).filter((t) => t?.ok && t.itemCount > 0);
      expect(tables.length).toBeGreaterThan(3);
      for (const t of tables) {
        if (!t?.ok) continue;
        expect(t.form).toBe('compressed');
        expect(t.keys).toBe('hashed');
        for (const item of t.items) expect(item.key).toMatch(/^[A-Za-z0-9_-]{8}$/);
      }
      const text = fs.readFileSync(log, 'utf8');
      for (const name of ['UserName', 'CartTotal', 'IsAuthenticated']) expect(text).not.toContain(name);
      expect(text).toContain('Shop.ShoppingCart'); // class names are types, shown as they are
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a value other than hashed, saying what it takes', async () => {
    const result = await runCli(['--listen', '127.0.0.1:0', '--no-dashboard', '--session-items=values']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--session-items takes no value or "hashed", got "values"');
  });
});
