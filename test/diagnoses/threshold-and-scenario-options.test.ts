// The options of issue 11 as a user meets them: listed in --help, bad values refused with a clear
// message before anything starts.
import { describe, expect, it } from 'vitest';
import { SCENARIO_NAMES } from '../../server/client/scenarios.ts';
import { runCli } from '../helpers/cli.ts';

describe('diagnosis thresholds and scenarios on the command line', () => {
  it('load and demo --help list every scenario; proxy, demo and open list the thresholds', async () => {
    const [load, demo, proxy, open] = await Promise.all(['load', 'demo', 'proxy', 'open'].map((c) => runCli([c, '--help'])));
    for (const name of SCENARIO_NAMES) {
      expect(load!.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
      expect(demo!.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    for (const help of [proxy!, demo!, open!]) {
      expect(help.stdout).toContain('--execution-timeout <seconds>');
      expect(help.stdout).toContain('--state-network-timeout <seconds>');
      expect(help.stdout).toContain('--large-session-kb <kb>');
    }
    expect(proxy!.stdout).toMatch(/--execution-timeout[\s\S]*\(default: 110\)/);
  });

  it('refuses an unknown scenario and thresholds that are not positive numbers', async () => {
    const unknown = await runCli(['load', '--scenario', 'no-such-thing', '--duration', '0.1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('orphaned-locks');
    for (const [option, value] of [['--execution-timeout', '0'], ['--state-network-timeout', '-1'], ['--large-session-kb', 'big']]) {
      const bad = await runCli(['proxy', '--listen', '127.0.0.1:0', '--no-dashboard', option!, value!]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain(`${option} must be a positive number, got "${value}"`);
    }
  });
});
