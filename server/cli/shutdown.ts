// One graceful stop for every way an operator ends statescope, on Linux and Windows alike:
//   SIGINT   Ctrl+C (both), and what WinSW sends a service it stops
//   SIGTERM  kill, systemd, docker stop (on Windows it never arrives)
//   SIGBREAK Ctrl+Break in a Windows console
//   SIGHUP   the Windows console window closing (Windows ends the process ~10 s later), or the
//            terminal going away on Linux
// Each runs the handler once (exchanges in flight finish, the log is flushed), then exits; a
// second signal exits at once.
export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGBREAK', 'SIGHUP'] as const satisfies readonly NodeJS.Signals[];

export interface ShutdownOptions {
  /** How the process ends after the handler; tests pass their own. */
  exit?: (code: number) => void;
}

/** Registers the handler for every shutdown signal; returns a function that removes it. */
export function onShutdownSignal(handler: (signal: string) => Promise<void>, options: ShutdownOptions = {}): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return exit(130);
    stopping = true;
    handler(signal).then(
      () => exit(0),
      (err: unknown) => {
        process.stderr.write(`statescope: shutdown failed: ${(err as Error).message}\n`);
        exit(1);
      },
    );
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of SHUTDOWN_SIGNALS) process.off(signal, onSignal);
  };
}
