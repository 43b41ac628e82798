// The state server a demo scenario needs: statescope's embedded server, restarted every so often
// (server-restart) or behind a link that delays some replies (short-network-timeout). Loopback
// only; used by `statescope demo --scenario NAME` and by the scenario tests.
import net from 'node:net';
import { startStateServer, type RunningStateServer } from '../stateserver/index.ts';
import type { ServerConditions } from './scenarios.ts';

export interface ScenarioUpstream {
  host: string;
  port: number;
  /** Times the state server was restarted so far. */
  readonly restarts: number;
  /** Restarts the state server now, on the same port, with an empty store. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface ScenarioUpstreamOptions extends ServerConditions {
  versionHeader?: string | null;
  log?: (line: string) => void;
  random?: () => number;
}

export async function startScenarioUpstream(options: ScenarioUpstreamOptions): Promise<ScenarioUpstream> {
  const serverOptions = { host: '127.0.0.1', versionHeader: options.versionHeader === undefined ? '4.0.30319' : options.versionHeader, log: options.log ?? (() => {}) };
  let server: RunningStateServer = await startStateServer({ ...serverOptions, port: 0 });
  const serverPort = server.port;
  let restarts = 0;
  let restarting: Promise<void> | null = null;
  const restart = (): Promise<void> => {
    restarting ??= (async () => {
      await server.close();
      server = await startStateServer({ ...serverOptions, port: serverPort });
      restarts++;
      options.log?.(`scenario: state server restarted (${restarts}), every session in it is gone`);
    })().finally(() => (restarting = null));
    return restarting;
  };
  const timer =
    options.restartServerEverySeconds !== undefined && options.restartServerEverySeconds > 0
      ? setInterval(() => void restart().catch((e: Error) => options.log?.(`scenario: restart failed: ${e.message}`)), options.restartServerEverySeconds * 1000)
      : null;
  const link =
    options.slowReplyShare !== undefined && options.slowReplyShare > 0
      ? await startSlowLink(serverPort, options.slowReplyShare, options.slowReplyMs ?? 1500, options.random ?? Math.random)
      : null;
  return {
    host: '127.0.0.1',
    port: link?.port ?? serverPort,
    get restarts() {
      return restarts;
    },
    restart,
    async close() {
      if (timer) clearInterval(timer);
      await restarting?.catch(() => {});
      await link?.close();
      await server.close();
    },
  };
}

/**
 * A relay that holds back a share of the state server's reply chunks for `delayMs`, keeping
 * their order: a state server (or network) that is sometimes slow.
 */
async function startSlowLink(upstreamPort: number, share: number, delayMs: number, random: () => number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const listener = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
    sockets.add(client).add(upstream);
    let readyAt = 0;
    upstream.on('data', (chunk: Buffer) => {
      const now = Date.now();
      readyAt = Math.max(readyAt, now + (random() < share ? delayMs : 0));
      if (readyAt <= now) client.write(chunk);
      else setTimeout(() => !client.destroyed && client.write(chunk), readyAt - now);
    });
    client.pipe(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', done);
      s.on('close', done);
    }
  });
  await new Promise<void>((resolve, reject) => listener.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (listener.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        listener.close(() => resolve());
      }),
  };
}
