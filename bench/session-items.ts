// `npm run bench:session-items`: what --session-items costs the relay. The same traffic (a
// closed loop of Set with a real serialized session, Get whose reply carries it, and HEAD) goes
// through two statescope processes side by side, one without and one with --session-items, in
// alternating rounds; for plain and for compressed (compressionEnabled) session bodies. It
// prints each relay's CPU time per 100,000 requests, read from the relay process itself, its
// throughput, and the load average (the machine is shared: compare the ratio, not the figures).
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emulatedSessionBody } from '../server/client/emulated-session.ts';
import { percentile, runLoad } from './load-generator.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Many short rounds rather than a few long ones: the machine's noise comes in bursts of
// seconds, and a burst that lands inside one pair of rounds moves one ratio, not the median.
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 16);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const DISTINCT_SESSIONS = 5000;

interface Child {
  process: ChildProcess;
  port: number;
  ask<T>(type: string): Promise<T>;
}

function spawnChild(script: string, args: string[]): Promise<Child> {
  const child = fork(path.join(ROOT, 'server', 'cli', 'run-ts.mjs'), [path.join(ROOT, 'bench', script), ...args], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ask = <T>(type: string): Promise<T> =>
    new Promise((resolve) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        resolve(m as T);
      };
      child.on('message', onMessage);
      child.send({ type });
    });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.on('message', function onReady(msg: { type: string; port?: number }) {
      if (msg.type !== 'ready') return;
      child.off('message', onReady);
      resolve({ process: child, port: msg.port!, ask });
    });
  });
}

interface CpuReply {
  cpu: NodeJS.CpuUsage;
  decoded: number;
  decodedOk: boolean;
}

interface Tally {
  /** CPU seconds per 100k requests of each round. */
  per100k: number[];
  rates: number[];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
/** The p-quantile of the values, as the load generator takes latency percentiles. */
const quantile = (values: number[], p: number): number => percentile(Float64Array.from(values).sort(), p);
const percent = (ratio: number): string => `${((ratio - 1) * 100).toFixed(1)}%`;

const load = () => os.loadavg().map((n) => n.toFixed(2)).join(' ');

async function main(): Promise<void> {
  console.log(`statescope session-items bench: ${ROUNDS} rounds x ${ROUND_SECONDS} s, ${CONNECTIONS} connections (node ${process.version}, ${os.cpus().length} cores)`);
  console.log(`load average at start: ${load()}`);
  const server = await spawnChild('relay-process.ts', ['server', '']);
  const relays = {
    off: await spawnChild('session-items-relay.ts', [String(server.port), 'off']),
    on: await spawnChild('session-items-relay.ts', [String(server.port), 'names']),
  };
  // Many different sessions (sizes vary, one in ten caches a report), so tables rarely repeat
  // except as they do in real traffic: a Get returns what the Set before it wrote.
  const random = mulberry(42);
  const sessions = (compressed: boolean) => Array.from({ length: DISTINCT_SESSIONS }, () => emulatedSessionBody(random, { timeoutMinutes: 20, compressed }));
  const bodies = { plain: sessions(false), compressed: sessions(true) };
  const rows: string[] = [];
  for (const [form, body] of Object.entries(bodies)) {
    const tallies: Record<'off' | 'on', Tally> = { off: { per100k: [], rates: [] }, on: { per100k: [], rates: [] } };
    /** on / off of each round: the two ran back to back, so they shared the machine's mood. */
    const ratios: number[] = [];
    for (const relay of Object.values(relays)) await runLoad({ port: relay.port, connections: CONNECTIONS, seconds: 0.5, setBodies: body }); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order: ('off' | 'on')[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const name of order) {
        const relay = relays[name];
        const before = await relay.ask<CpuReply>('cpu');
        const r = await runLoad({ port: relay.port, connections: CONNECTIONS, seconds: ROUND_SECONDS, setBodies: body });
        const after = await relay.ask<CpuReply>('cpu');
        if (r.errors > 0) throw new Error(`${name}: ${r.errors} errors`);
        if (name === 'on' && (after.decoded === 0 || !after.decodedOk)) throw new Error(`${form} bodies were not decoded`);
        const per100k = ((after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6 / r.requests) * 1e5;
        tallies[name].per100k.push(per100k);
        tallies[name].rates.push(r.requests / r.seconds);
        console.log(`  ${form.padEnd(10)} round ${round + 1} ${name.padEnd(3)}: ${per100k.toFixed(2)} CPU s / 100k requests, ${(r.requests / r.seconds).toFixed(0)} req/s (load ${load()})`);
      }
      ratios.push(tallies.on.per100k.at(-1)! / tallies.off.per100k.at(-1)!);
    }
    rows.push(
      `| ${form} (${DISTINCT_SESSIONS} sessions, Set bodies ${Math.round(body.reduce((n, b) => n + b.length, 0) / body.length)} B on average) | ${median(tallies.off.per100k).toFixed(2)} | ${median(tallies.on.per100k).toFixed(2)} | ${percent(median(ratios))} (middle half of the ${ratios.length} round pairs ${percent(quantile(ratios, 0.25))} to ${percent(quantile(ratios, 0.75))}) | ${median(tallies.off.rates).toFixed(0)} / ${median(tallies.on.rates).toFixed(0)} | ${load()} |`,
    );
  }
  console.log('\nMedians over the rounds; "extra" is the median of each round pair\'s on/off ratio, with its interquartile range.');
  console.log('| session bodies | relay CPU s / 100k requests, off | with --session-items | extra | req/s off / on | load average |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
  for (const c of [server, relays.off, relays.on]) c.process.kill();
}

/** A small seeded generator, so both relays see the very same session bodies. */
function mulberry(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

await main();
