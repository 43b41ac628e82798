// Graceful stop on Ctrl+C (SIGINT, also on Windows) and SIGTERM: run the handler once, then
// exit; a second signal exits at once.
export function onShutdownSignal(handler: (signal: string) => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    handler(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`statescope: shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
