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
import { runLoad } from './load-generator.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

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
  cpuMicros: number;
  requests: number;
  seconds: number;
}

const load = () => os.loadavg().map((n) => n.toFixed(2)).join(' ');

async function main(): Promise<void> {
  console.log(`statescope session-items bench: ${ROUNDS} rounds x ${ROUND_SECONDS} s, ${CONNECTIONS} connections (node ${process.version}, ${os.cpus().length} cores)`);
  console.log(`load average at start: ${load()}`);
  const server = await spawnChild('relay-process.ts', ['server', '']);
  const relays = {
    off: await spawnChild('session-items-relay.ts', [String(server.port), 'off']),
    on: await spawnChild('session-items-relay.ts', [String(server.port), 'names']),
  };
  const random = mulberry(42);
  const bodies = {
    plain: emulatedSessionBody(random, { timeoutMinutes: 20 }),
    compressed: emulatedSessionBody(random, { timeoutMinutes: 20, compressed: true }),
  };
  const rows: string[] = [];
  for (const [form, body] of Object.entries(bodies)) {
    const tallies = { off: { cpuMicros: 0, requests: 0, seconds: 0 }, on: { cpuMicros: 0, requests: 0, seconds: 0 } } as Record<'off' | 'on', Tally>;
    for (const relay of Object.values(relays)) await runLoad({ port: relay.port, connections: CONNECTIONS, seconds: 0.5, setBody: body }); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order: ('off' | 'on')[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const name of order) {
        const relay = relays[name];
        const before = await relay.ask<CpuReply>('cpu');
        const r = await runLoad({ port: relay.port, connections: CONNECTIONS, seconds: ROUND_SECONDS, setBody: body });
        const after = await relay.ask<CpuReply>('cpu');
        if (r.errors > 0) throw new Error(`${name}: ${r.errors} errors`);
        if (name === 'on' && (after.decoded === 0 || !after.decodedOk)) throw new Error(`${form} bodies were not decoded`);
        const t = tallies[name];
        t.cpuMicros += after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
        t.requests += r.requests;
        t.seconds += r.seconds;
        const per100k = ((after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6 / r.requests) * 1e5;
        console.log(`  ${form.padEnd(10)} round ${round + 1} ${name.padEnd(3)}: ${per100k.toFixed(2)} CPU s / 100k requests, ${(r.requests / r.seconds).toFixed(0)} req/s (load ${load()})`);
      }
    }
    const per = (t: Tally) => (t.cpuMicros / 1e6 / t.requests) * 1e5;
    const rate = (t: Tally) => t.requests / t.seconds;
    rows.push(
      `| ${form} (${body.length} B Set body) | ${per(tallies.off).toFixed(2)} | ${per(tallies.on).toFixed(2)} | ${((per(tallies.on) / per(tallies.off) - 1) * 100).toFixed(1)}% | ${rate(tallies.off).toFixed(0)} / ${rate(tallies.on).toFixed(0)} | ${load()} |`,
    );
  }
  console.log('\n| session bodies | relay CPU s / 100k requests, off | with --session-items | extra | req/s off / on | load average |');
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
