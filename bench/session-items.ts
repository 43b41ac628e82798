// `npm run bench:session-items`: what --session-items costs the relay. The same traffic (a
// closed loop of Set with a real serialized session, Get whose reply carries it, and HEAD) goes
// through two statescope processes side by side, one without and one with --session-items, for
// plain and for compressed (compressionEnabled) session bodies. It prints each relay's CPU time
// per 100,000 requests, read from the relay process itself, its throughput and median latency,
// and the load average (the machine is shared: compare the ratio, not the figures).
//
// How noise is kept out of the ratio: both relays carry their load at the same moment, each
// round (the machine's bursts hit both alike; each has its own sessions on the one state
// server), and the pair is started afresh several times (one process's luck with the JIT or its
// place on the cores moved whole runs by several per cent when one pair served every round).
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
/** Fresh relay pairs per form; the rounds are shared out between them. */
const PAIRS = Number(process.env.BENCH_PAIRS ?? 4);
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
  /** Median latency of each round, ms. */
  p50: number[];
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
  console.log(`statescope session-items bench: ${ROUNDS} rounds x ${ROUND_SECONDS} s on ${PAIRS} fresh relay pairs, ${CONNECTIONS} connections each (node ${process.version}, ${os.cpus().length} cores)`);
  console.log(`load average at start: ${load()}`);
  const server = await spawnChild('relay-process.ts', ['server', '']);
  // Many different sessions (sizes vary, one in ten caches a report), so tables rarely repeat
  // except as they do in real traffic: a Get returns what the Set before it wrote.
  const random = mulberry(42);
  const sessions = (compressed: boolean) => Array.from({ length: DISTINCT_SESSIONS }, () => emulatedSessionBody(random, { timeoutMinutes: 20, compressed }));
  const bodies = { plain: sessions(false), compressed: sessions(true) };
  const rows: string[] = [];
  for (const [form, body] of Object.entries(bodies)) {
    const tallies: Record<Mode, Tally> = { off: { per100k: [], rates: [], p50: [] }, on: { per100k: [], rates: [], p50: [] } };
    /** on / off of each round: the two ran at the same moment, so they shared the machine's mood. */
    const ratios: number[] = [];
    for (let pair = 0; pair < PAIRS; pair++) {
      const relays = await startPair(server.port, pair % 2 === 0 ? ['off', 'on'] : ['on', 'off']);
      await Promise.all(MODES.map((mode) => runLoad({ port: relays[mode].port, connections: CONNECTIONS, seconds: 0.5, setBodies: body, sessionPrefix: mode }))); // warm-up
      for (let round = pair; round < ROUNDS; round += PAIRS) {
        // Which relay is asked first for its CPU and loaded first alternates, like the pairs' start.
        const order: Mode[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
        const before = await askAll(relays, order);
        const results = await Promise.all(order.map((mode) => runLoad({ port: relays[mode].port, connections: CONNECTIONS, seconds: ROUND_SECONDS, setBodies: body, sessionPrefix: mode })));
        const after = await askAll(relays, order);
        order.forEach((mode, k) => {
          const r = results[k]!;
          if (r.errors > 0) throw new Error(`${mode}: ${r.errors} errors`);
          if (mode === 'on' && (after[mode].decoded === 0 || !after[mode].decodedOk)) throw new Error(`${form} bodies were not decoded`);
          const cpu = after[mode].cpu.user + after[mode].cpu.system - before[mode].cpu.user - before[mode].cpu.system;
          const per100k = (cpu / 1e6 / r.requests) * 1e5;
          tallies[mode].per100k.push(per100k);
          tallies[mode].rates.push(r.requests / r.seconds);
          tallies[mode].p50.push(percentile(r.latencies.sort(), 0.5));
          console.log(`  ${form.padEnd(10)} pair ${pair + 1} round ${round + 1} ${mode.padEnd(3)}: ${per100k.toFixed(2)} CPU s / 100k requests, ${(r.requests / r.seconds).toFixed(0)} req/s, p50 ${tallies[mode].p50.at(-1)!.toFixed(3)} ms (load ${load()})`);
        });
        ratios.push(tallies.on.per100k.at(-1)! / tallies.off.per100k.at(-1)!);
      }
      for (const mode of MODES) relays[mode].process.kill();
    }
    rows.push(
      `| ${form} (${DISTINCT_SESSIONS} sessions, Set bodies ${Math.round(body.reduce((n, b) => n + b.length, 0) / body.length)} B on average) | ${median(tallies.off.per100k).toFixed(2)} | ${median(tallies.on.per100k).toFixed(2)} | ${percent(median(ratios))} (middle half of the ${ratios.length} rounds ${percent(quantile(ratios, 0.25))} to ${percent(quantile(ratios, 0.75))}) | ${median(tallies.off.rates).toFixed(0)} / ${median(tallies.on.rates).toFixed(0)} | ${median(tallies.off.p50).toFixed(3)} / ${median(tallies.on.p50).toFixed(3)} | ${load()} |`,
    );
  }
  console.log('\nMedians over the rounds; "extra" is the median of each round\'s on/off ratio, with its interquartile range. Both relays shared the machine in every round, so req/s and latency are each one\'s share.');
  console.log('| session bodies | relay CPU s / 100k requests, off | with --session-items | extra | req/s off / on | p50 ms off / on | load average |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
  server.process.kill();
}

type Mode = 'off' | 'on';
const MODES: Mode[] = ['off', 'on'];

/** A fresh pair of relays to the state server, started in the given order. */
async function startPair(serverPort: number, order: Mode[]): Promise<Record<Mode, Child>> {
  const pair = {} as Record<Mode, Child>;
  for (const mode of order) pair[mode] = await spawnChild('session-items-relay.ts', [String(serverPort), mode === 'off' ? 'off' : 'names']);
  return pair;
}

async function askAll(relays: Record<Mode, Child>, order: Mode[]): Promise<Record<Mode, CpuReply>> {
  const replies = await Promise.all(order.map((mode) => relays[mode].ask<CpuReply>('cpu')));
  return { [order[0]!]: replies[0]!, [order[1]!]: replies[1]! } as Record<Mode, CpuReply>;
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
