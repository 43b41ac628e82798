// Risk: a stop that is not SIGTERM (Ctrl+C, the terminal or Windows console closing, Ctrl+Break,
// a Windows service stop, which WinSW sends as Ctrl+C) kills statescope mid-exchange: the
// client loses its reply and the log its last lines. The signals that can be produced here are
// sent to the real CLI with an exchange in flight in log-durability.test.ts; SIGBREAK, which
// only a Windows console can produce, is checked here to reach the same shutdown path.
import { expect, it } from 'vitest';
import { onShutdownSignal, SHUTDOWN_SIGNALS } from '../../server/cli/shutdown.ts';
import { startCli } from '../helpers/cli.ts';

it('Ctrl+Break (SIGBREAK) is a shutdown signal: the same handler runs once, then exit 0; a second one exits at once', async () => {
  expect(SHUTDOWN_SIGNALS).toEqual(expect.arrayContaining(['SIGINT', 'SIGTERM', 'SIGBREAK', 'SIGHUP']));
  const exits: number[] = [];
  const seen: string[] = [];
  let finish!: () => void;
  const handled = new Promise<void>((resolve) => (finish = resolve));
  const remove = onShutdownSignal(
    async (signal) => {
      seen.push(signal);
      finish();
    },
    { exit: (code) => exits.push(code) },
  );
  try {
    expect(process.listenerCount('SIGBREAK')).toBeGreaterThan(0);
    process.emit('SIGBREAK', 'SIGBREAK');
    await handled;
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['SIGBREAK']);
    expect(exits).toEqual([0]);
    process.emit('SIGBREAK', 'SIGBREAK');
    expect(exits).toEqual([0, 130]);
  } finally {
    remove();
  }
  expect(process.listenerCount('SIGBREAK')).toBe(0);
});

// A supervisor (or a test) that stops statescope the moment it has printed where it listens
// must still get the graceful stop: the handlers are in place before that line is written.
it.each([
  [['--listen', '127.0.0.1:0', '--no-dashboard'], /statescope dashboard: off/],
  [['server', '--listen', '127.0.0.1:0'], /listening on 127\.0\.0\.1:\d+/],
])('stopped the instant it says it listens (%j): exit 0, every time', async (args, startupLine) => {
  const codes: (number | null)[] = [];
  for (let i = 0; i < 8; i++) {
    const proc = startCli(args);
    await proc.waitForOutput(startupLine);
    codes.push(await proc.stop('SIGINT'));
  }
  expect(codes).toEqual(Array(8).fill(0));
});
