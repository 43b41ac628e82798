// `npm run bench`: relay overhead measured side by side in one run. Three paths to the same
// embedded state server (each process on its own event loop):
//   direct      load -> state server
//   pipe        load -> bare Node socket pipe -> state server   (the floor for any Node relay)
//   statescope  load -> statescope (capture on) -> state server
// at 1 and 16 connections, in alternating rounds so that machine noise hits all alike; then a
// long run through statescope that watches its memory. Targets (issue 3): statescope >= 0.8 of
// the pipe's throughput at 16 connections, p50 added latency < 0.15 ms at 1 connection, RSS flat.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, runLoad } from './load-generator.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MEMORY_EXCHANGES = Number(process.env.BENCH_EXCHANGES ?? 1_000_000);

interface Child {
  process: ChildProcess;
  port: number;
  memory(): Promise<NodeJS.MemoryUsage>;
}

function spawnChild(mode: string, upstreamPort?: number): Promise<Child> {
  const child = fork(path.join(ROOT, 'server', 'cli', 'run-ts.mjs'), [path.join(ROOT, 'bench', 'relay-process.ts'), mode, String(upstreamPort ?? '')], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: ['--expose-gc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.on('message', function onReady(msg: { type: string; port?: number }) {
      if (msg.type !== 'ready') return;
      child.off('message', onReady);
      resolve({
        process: child,
        port: msg.port!,
        memory: () =>
          new Promise((res) => {
            const onMsg = (m: { type: string; memory?: NodeJS.MemoryUsage }) => {
              if (m.type !== 'memory') return;
              child.off('message', onMsg);
              res(m.memory!);
            };
            child.on('message', onMsg);
            child.send({ type: 'memory' });
          }),
      });
    });
  });
}

interface Tally {
  requests: number;
  seconds: number;
  latencies: number[];
  errors: number;
}

const fmt = (n: number, digits = 3) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  console.log(`statescope bench: ${ROUNDS} rounds x ${ROUND_SECONDS} s per path and concurrency (node ${process.version}, ${process.platform})`);
  const server = await spawnChild('server');
  const pipe = await spawnChild('pipe', server.port);
  const scope = await spawnChild('statescope', server.port);
  const paths = [
    { name: 'direct', port: server.port },
    { name: 'pipe', port: pipe.port },
    { name: 'statescope', port: scope.port },
  ];
  const results = new Map<string, Tally>();
  for (const connections of [1, 16]) {
    for (const p of paths) await runLoad({ port: p.port, connections, seconds: 0.5 }); // warm-up (JIT, pools)
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? paths : [...paths].reverse();
      for (const p of order) {
        const r = await runLoad({ port: p.port, connections, seconds: ROUND_SECONDS });
        const key = `${p.name}@${connections}`;
        const t = results.get(key) ?? { requests: 0, seconds: 0, latencies: [], errors: 0 };
        t.requests += r.requests;
        t.seconds += r.seconds;
        t.errors += r.errors;
        for (const l of r.latencies) t.latencies.push(l);
        results.set(key, t);
      }
    }
  }

  const summary = (key: string) => {
    const t = results.get(key)!;
    const sorted = Float64Array.from(t.latencies).sort();
    return { rps: t.requests / t.seconds, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), errors: t.errors };
  };
  console.log('\npath          conns    req/s      p50 ms   p90 ms   p99 ms   errors');
  for (const connections of [1, 16]) {
    for (const p of paths) {
      const s = summary(`${p.name}@${connections}`);
      console.log(`${p.name.padEnd(12)}  ${String(connections).padStart(5)}  ${fmt(s.rps, 0).padStart(8)}   ${fmt(s.p50).padStart(7)}  ${fmt(s.p90).padStart(7)}  ${fmt(s.p99).padStart(7)}   ${s.errors}`);
    }
  }
  const ratio16 = summary('statescope@16').rps / summary('pipe@16').rps;
  const ratioDirect16 = summary('statescope@16').rps / summary('direct@16').rps;
  const pipeRatio16 = summary('pipe@16').rps / summary('direct@16').rps;
  const added1 = summary('statescope@1').p50 - summary('direct@1').p50;
  const addedPipe1 = summary('pipe@1').p50 - summary('direct@1').p50;
  console.log('\nratios');
  console.log(`  throughput @16  statescope / pipe    ${fmt(ratio16, 2)}   (target >= 0.80) ${ratio16 >= 0.8 ? 'PASS' : 'MISS'}`);
  console.log(`  throughput @16  statescope / direct  ${fmt(ratioDirect16, 2)}   (pipe / direct ${fmt(pipeRatio16, 2)})`);
  console.log(`  p50 added @1    statescope - direct  ${fmt(added1)} ms (target < 0.150) ${added1 < 0.15 ? 'PASS' : 'MISS'}   (pipe - direct ${fmt(addedPipe1)} ms)`);

  console.log(`\nmemory: ${MEMORY_EXCHANGES.toLocaleString('en-US')} exchanges through statescope at 16 connections (capture on, store capped at 100,000 records)`);
  const samples: { at: number; rss: number; heap: number }[] = [];
  let sampling = Promise.resolve();
  const started = Date.now();
  const memoryRun = await runLoad({
    port: scope.port,
    connections: 16,
    seconds: 600,
    maxRequests: MEMORY_EXCHANGES,
    maxSamples: 10_000,
    onProgress: (n) => {
      if (n % 100_000 !== 0) return;
      sampling = sampling.then(async () => {
        const m = await scope.memory();
        samples.push({ at: n, rss: m.rss, heap: m.heapUsed });
      });
    },
  });
  await sampling;
  const end = await scope.memory();
  samples.push({ at: memoryRun.requests, rss: end.rss, heap: end.heapUsed });
  for (const s of samples) console.log(`  after ${s.at.toLocaleString('en-US').padStart(9)} exchanges  RSS ${mib(s.rss).padStart(10)}  live heap ${mib(s.heap).padStart(10)} (after a full GC)`);
  const afterFill = samples.find((s) => s.at >= 200_000) ?? samples[0]!;
  const peak = Math.max(...samples.map((s) => s.rss));
  const growth = end.rss - afterFill.rss;
  console.log(`  RSS ceiling ${mib(peak)}; from ${afterFill.at.toLocaleString('en-US')} exchanges (store full) to the end: ${growth >= 0 ? '+' : ''}${mib(growth)} ${growth < 64 * 1024 * 1024 ? 'FLAT' : 'GROWING'}`);
  console.log(`  ${memoryRun.requests.toLocaleString('en-US')} exchanges in ${fmt((Date.now() - started) / 1000, 1)} s, ${memoryRun.errors} errors`);

  for (const c of [scope, pipe, server]) c.process.kill();
}

await main();
