// A real `statescope server --store redis://...` process, as an operator runs it.
import { startCli, type CliProcess } from '../helpers/cli.ts';

export interface ServerProcess {
  cli: CliProcess;
  port: number;
  /** SIGKILL: the instance dies mid-traffic without closing anything. */
  kill(): Promise<void>;
  /** SIGTERM: the normal stop; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startServerProcess(store: string, args: string[] = [], listen = '127.0.0.1:0'): Promise<ServerProcess> {
  const cli = startCli(['server', '--listen', listen, '--store', store, ...args]);
  const m = await cli.waitForOutput(/listening on 127\.0\.0\.1:(\d+) /, 30_000);
  return {
    cli,
    port: Number(m[1]),
    async kill() {
      await cli.stop('SIGKILL');
    },
    stop: () => cli.stop('SIGTERM'),
  };
}
