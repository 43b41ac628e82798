// `node server/cli/run-ts.mjs bench/relay-hot-path.ts`: the relay's own hot-path cost, side by
// side in one run, alternating rounds:
//   1. relay CPU seconds per 100k requests, plain vs --inject-version (capture on, an upstream
//      whose replies all lack the header, so every reply gets the line); target: inject <= 1.10x;
//   2. how to write a head with one line inserted: one joined buffer vs a corked writev of
//      three views vs the old Buffer.concat + corked writes (what SocketWriter picks);
//   3. the framer fed an 8 KiB start line one byte at a time vs in one push.
// Each relay runs in its own process (as in production) and reports process.cpuUsage() over IPC.
// BENCH_REQUESTS (per round, default 100000) and BENCH_ROUNDS (default 3) change the length.
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { runLoad } from './load-generator.ts';
import { APP_DEFAULTS, startApp } from '../server/cli/statescope-app.ts';
import { startStateServer } from '../server/stateserver/index.ts';
import { RequestFramer } from '../server/protocol/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

// --- child: one relay (or the upstream) per process ----------------------------------------

async function child(mode: string, upstreamPort: string): Promise<void> {
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'cpu') process.send!({ type: 'cpu', cpu: process.cpuUsage() });
  });
  process.on('disconnect', () => process.exit(0));
  if (mode === 'upstream') {
    // No X-AspNet-Version: with --inject-version every reply gets the line.
    const server = await startStateServer({ port: 0, versionHeader: null, maxStoredBytes: 1024 * 1024 * 1024 });
    process.send!({ type: 'ready', port: server.port });
    return;
  }
  const app = await startApp({
    ...APP_DEFAULTS,
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: Number(upstreamPort) },
    injection: { enabled: mode === 'inject', value: '4.0.30319' },
    stdout: process.stdout,
    upstreamProbeMs: 3_600_000,
  });
  process.send!({ type: 'ready', port: app.proxy.port });
}

interface Relay {
  process: ChildProcess;
  port: number;
  cpuSeconds(): Promise<number>;
}

function spawnRelay(mode: string, upstreamPort = 0): Promise<Relay> {
  const proc = fork(path.join(ROOT, 'server', 'cli', 'run-ts.mjs'), [SELF, 'child', mode, String(upstreamPort)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('message', (msg: { port: number }) =>
      resolve({
        process: proc,
        port: msg.port,
        cpuSeconds: () =>
          new Promise((res) => {
            proc.once('message', (m: { cpu: NodeJS.CpuUsage }) => res((m.cpu.user + m.cpu.system) / 1e6));
            proc.send({ type: 'cpu' });
          }),
      }),
    );
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function relayCpu(): Promise<void> {
  const upstream = await spawnRelay('upstream');
  const relays = { plain: await spawnRelay('plain', upstream.port), inject: await spawnRelay('inject', upstream.port) };
  const perMode: Record<keyof typeof relays, number[]> = { plain: [], inject: [] };
  const rate: Record<keyof typeof relays, number[]> = { plain: [], inject: [] };
  // Warm-up, so JIT and the capture store's first allocations are not billed to round 1.
  for (const relay of Object.values(relays)) await runLoad({ port: relay.port, connections: 16, seconds: 60, maxRequests: 20_000 });
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['plain', 'inject'] as const) : (['inject', 'plain'] as const);
    for (const mode of order) {
      const relay = relays[mode];
      const before = await relay.cpuSeconds();
      const result = await runLoad({ port: relay.port, connections: 16, seconds: 120, maxRequests: REQUESTS });
      const cpu = (await relay.cpuSeconds()) - before;
      perMode[mode].push((cpu * 100_000) / result.requests);
      rate[mode].push(result.requests / result.seconds);
      console.log(`  round ${round + 1} ${mode.padEnd(6)} ${result.requests} requests, ${(result.requests / result.seconds / 1000).toFixed(1)}k req/s, relay CPU ${((cpu * 100_000) / result.requests).toFixed(2)} s per 100k, errors ${result.errors} (load ${load()})`);
    }
  }
  const plain = median(perMode.plain);
  const inject = median(perMode.inject);
  console.log(
    `relay CPU per 100k requests at 16 connections (median of ${ROUNDS}): plain ${plain.toFixed(2)} s, --inject-version ${inject.toFixed(2)} s, ratio ${(inject / plain).toFixed(3)} (target <= 1.10); ` +
      `throughput ${(median(rate.plain) / 1000).toFixed(1)}k vs ${(median(rate.inject) / 1000).toFixed(1)}k req/s; load ${load()}`,
  );
  for (const p of [upstream, relays.plain, relays.inject]) p.process.kill();
}

// --- writing a head with one inserted line -------------------------------------------------

// A Get reply as the load generator's sessions get it: head and a 128-byte body in one chunk.
const HEAD = Buffer.from('200 OK\r\nCache-Control: private\r\nContent-Length: 128\r\n\r\n', 'latin1');
const BODY = Buffer.alloc(128, 0x41);
const CHUNK = Buffer.concat([HEAD, BODY]);
const LINE = Buffer.from('X-AspNet-Version: 4.0.30319\r\n', 'latin1');
const CUT = HEAD.indexOf('\r\n') + 2;

const strategies: Record<string, (socket: net.Socket) => void> = {
  'one joined buffer (chosen)': (s) => s.write(Buffer.concat([CHUNK.subarray(0, CUT), LINE, CHUNK.subarray(CUT, HEAD.length), CHUNK.subarray(HEAD.length)], CHUNK.length + LINE.length)),
  'corked writev of 4 views': (s) => {
    s.cork();
    s.write(CHUNK.subarray(0, CUT));
    s.write(LINE);
    s.write(CHUNK.subarray(CUT, HEAD.length));
    s.write(CHUNK.subarray(HEAD.length));
    s.uncork();
  },
  'concat head, corked head + body (before)': (s) => {
    const head = Buffer.concat([CHUNK.subarray(0, CUT), LINE, CHUNK.subarray(CUT, HEAD.length)]);
    s.cork();
    s.write(head);
    s.write(CHUNK.subarray(HEAD.length));
    s.uncork();
  },
  'the chunk as read, one write (no injection)': (s) => s.write(CHUNK),
};

async function writeStrategies(): Promise<void> {
  const server = net.createServer((s) => s.resume());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.setNoDelay(true);
  const N = 100_000;
  const results: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, write] of Object.entries(strategies)) {
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < N; i++) {
        write(socket);
        // Drain now and then, as a relay does between reads, so buffers do not pile up.
        if (i % 64 === 63 && socket.writableLength > 0) await new Promise((r) => setImmediate(r));
      }
      await new Promise<void>((r) => (socket.writableLength === 0 ? r() : socket.once('drain', () => r())));
      const cpu = process.cpuUsage(cpu0);
      (results[name] ??= []).push((cpu.user + cpu.system) / 1e6);
    }
  }
  console.log(`writing 100k Get replies (128-byte body) with one line inserted (CPU s of this process, median of ${ROUNDS}; load ${load()}):`);
  for (const [name, xs] of Object.entries(results)) console.log(`  ${name.padEnd(42)} ${median(xs).toFixed(3)} s`);
  socket.destroy();
  server.close();
}

// --- the framer, one byte at a time --------------------------------------------------------

function framerSegments(): void {
  const request = Buffer.from(`GET %2f${'a'.repeat(8 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1');
  const bytes = Array.from({ length: request.length }, (_, i) => request.subarray(i, i + 1));
  const time = (pieces: Buffer[]) => {
    const framer = new RequestFramer({ onHead() {}, onMessageEnd() {}, onError() {} });
    const t0 = performance.now();
    for (const p of pieces) framer.push(p);
    return performance.now() - t0;
  };
  const one: number[] = [];
  const each: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    one.push(time([request]));
    each.push(time(bytes));
  }
  console.log(`framer, 8 KiB start line: one push ${median(one).toFixed(3)} ms, one byte at a time ${median(each).toFixed(2)} ms (was 709 ms); load ${load()}`);
}

if (process.argv[2] === 'child') {
  await child(process.argv[3]!, process.argv[4]!);
} else {
  console.log(`relay hot path, Node ${process.version}, ${os.cpus().length} cores, load ${load()}`);
  framerSegments();
  await writeStrategies();
  await relayCpu();
}
