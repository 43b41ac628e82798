// Child process of bench/session-items.ts: the real statescope assembly (capture on, no
// dashboard) relaying to the given upstream, with or without --session-items. Answers "cpu"
// over IPC with its own CPU time, so the parent can charge the relay, and only the relay.
import { APP_DEFAULTS, startApp } from '../server/cli/statescope-app.ts';
import { parseSessionItemsMode } from '../server/capture/session-items-capture.ts';

const [upstreamPort, mode] = process.argv.slice(2);

const app = await startApp({
  ...APP_DEFAULTS,
  listen: { host: '127.0.0.1', port: 0 },
  upstream: { host: '127.0.0.1', port: Number(upstreamPort) },
  stdout: process.stdout,
  upstreamProbeMs: 3_600_000,
  sessionItems: mode === 'off' ? 'off' : parseSessionItemsMode(mode),
});
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'cpu') {
    const items = app.capture.records(50).filter((r) => r.request?.sessionItems || r.reply?.sessionItems);
    const decodedOk = items.every((r) => (r.request?.sessionItems ?? r.reply?.sessionItems)!.ok);
    process.send?.({ type: 'cpu', cpu: process.cpuUsage(), decoded: items.length, decodedOk });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', port: app.proxy.port });
