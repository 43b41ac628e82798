// `npm run bench:store`: the embedded state server with the in-memory store against the same
// server with the Redis store, in one run and in alternating rounds, at 1 and 16 connections
// (the closed-loop Set/Get/ResetTimeout mix of bench/load-generator.ts). Each server is a real
// `statescope server` process; Redis is a real redis-server on a free port, no persistence.
// Target (issue 13): Redis >= 0.5 of the in-memory throughput at 16 connections.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisProcess } from '../test/redis-store/redis-process.ts';
import { percentile, runLoad } from './load-generator.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const TARGET_RATIO = 0.5;

interface Server {
  name: string;
  port: number;
  child: ChildProcess;
}

function startServer(name: string, args: string[]): Promise<Server> {
  const child = spawn(process.execPath, [path.join(ROOT, 'server', 'cli', 'statescope.mjs'), 'server', '--listen', '127.0.0.1:0', '--max-stored-bytes', '1g', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`${name} server exited (${code}): ${out}`)));
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ name, port: Number(m[1]), child });
    });
  });
}

/** CPU seconds (user + system) a process has used, from /proc; NaN where there is no /proc. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

const fmt = (n: number, digits = 3) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const load = () => os.loadavg().map((n) => n.toFixed(2)).join(' ');

async function main(): Promise<void> {
  console.log(`statescope store bench: ${ROUNDS} rounds x ${ROUND_SECONDS} s per store and concurrency (node ${process.version}, ${os.cpus().length} cores)`);
  console.log(`load average at start: ${load()}`);
  const redis = await RedisProcess.start();
  const servers = [await startServer('memory', []), await startServer('redis', ['--store', redis.url])];
  const tallies = new Map<string, { requests: number; seconds: number; latencies: number[]; errors: number; cpu: number; redisCpu: number }>();
  try {
    for (const connections of [1, 16]) {
      for (const s of servers) await runLoad({ port: s.port, connections, seconds: 0.5 }); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        for (const s of order) {
          const cpuBefore = cpuSeconds(s.child.pid);
          const redisBefore = cpuSeconds(redis.pid);
          const r = await runLoad({ port: s.port, connections, seconds: ROUND_SECONDS });
          const key = `${s.name}@${connections}`;
          const t = tallies.get(key) ?? { requests: 0, seconds: 0, latencies: [], errors: 0, cpu: 0, redisCpu: 0 };
          t.cpu += cpuSeconds(s.child.pid) - cpuBefore;
          if (s.name === 'redis') t.redisCpu += cpuSeconds(redis.pid) - redisBefore;
          t.requests += r.requests;
          t.seconds += r.seconds;
          t.errors += r.errors;
          for (const l of r.latencies) t.latencies.push(l);
          tallies.set(key, t);
          console.log(`  round ${round + 1} ${key.padEnd(10)} ${fmt(r.requests / r.seconds, 0).padStart(7)} req/s   load ${load()}`);
        }
      }
    }
  } finally {
    // Servers first, so they do not log Redis going away.
    await Promise.all(servers.map((s) => (s.child.exitCode === null ? (s.child.kill(), once(s.child, 'exit')) : null)));
    await redis.dispose();
  }

  const summary = (key: string) => {
    const t = tallies.get(key)!;
    const sorted = Float64Array.from(t.latencies).sort();
    const perRequestUs = (cpu: number) => (cpu / t.requests) * 1e6;
    return {
      rps: t.requests / t.seconds,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      errors: t.errors,
      serverUs: perRequestUs(t.cpu),
      redisUs: perRequestUs(t.redisCpu),
    };
  };
  // CPU per request does not depend on how busy the rest of the machine is, unlike req/s.
  console.log('\nstore     conns    req/s     p50 ms   p99 ms   errors   CPU us/request: statescope  redis-server');
  for (const connections of [1, 16]) {
    for (const s of servers) {
      const r = summary(`${s.name}@${connections}`);
      const redisUs = s.name === 'redis' ? fmt(r.redisUs, 1) : '-';
      console.log(
        `${s.name.padEnd(8)}  ${String(connections).padStart(5)}  ${fmt(r.rps, 0).padStart(8)}   ${fmt(r.p50).padStart(7)}  ${fmt(r.p99).padStart(7)}   ${String(r.errors).padStart(6)}   ${fmt(r.serverUs, 1).padStart(25)}  ${redisUs.padStart(12)}`,
      );
    }
  }
  const ratio1 = summary('redis@1').rps / summary('memory@1').rps;
  const ratio16 = summary('redis@16').rps / summary('memory@16').rps;
  console.log('\nratios');
  console.log(`  throughput @1   redis / memory  ${fmt(ratio1, 2)}`);
  console.log(`  throughput @16  redis / memory  ${fmt(ratio16, 2)}   (target >= ${TARGET_RATIO}) ${ratio16 >= TARGET_RATIO ? 'PASS' : 'MISS'}`);
  console.log(`load average at end: ${load()} (2-core machine shared with other work: figures move with it)`);
}

await main();
