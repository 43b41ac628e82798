// `npm run bench`: what statescope costs, measured side by side in one run against what an
// operator would otherwise put in the path. Every path leads to the same embedded state server
// (each component in its own process, as in production):
//   direct                  load -> state server
//   pipe                    load -> bare Node socket pipe -> state server (the floor for a Node relay)
//   haproxy                 HAProxy 2.x, mode tcp, nbthread 1 (when installed)
//   nginx stream            nginx's stream proxy, one worker (when installed)
//   statescope              capture, stats and diagnoses on, no dashboard
//   statescope +inject      --inject-version, to a state server without the header (every reply gets one)
//   statescope +log         --log FILE
//   statescope +dashboard   the dashboard listener with one live feed client reading every batch
// at each concurrency, in alternating rounds so that machine noise hits all alike. For every
// figure: requests/s, latency percentiles, the relay's CPU seconds per 100k requests (utime +
// stime from /proc/PID/stat) and the load average. Then a long run through statescope with the
// default store that prints heap per stored exchange and RSS over time.
//
// BENCH_ROUND_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS (e.g. "16,200"), BENCH_EXCHANGES (the long
// run; 0 skips it) and BENCH_PATHS (names to keep, e.g. "pipe,haproxy,statescope") shorten it.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { startHaproxy, startNginxStream, version, type ExternalRelay } from './external-relays.ts';
import { percentile, runLoad } from './load-generator.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,16,200').split(',').map(Number);
const MEMORY_EXCHANGES = Number(process.env.BENCH_EXCHANGES ?? 5_000_000);
const KEEP = process.env.BENCH_PATHS?.split(',');
/** /proc/PID/stat counts CPU in clock ticks: USER_HZ, 100 on Linux. */
const TICKS_PER_SECOND = 100;

interface Child {
  process: ChildProcess;
  port: number;
  dashboardPort?: number;
  memory(): Promise<{ memory: NodeJS.MemoryUsage; stored: number }>;
}

function spawnChild(mode: string, upstreamPort?: number, variants = ''): Promise<Child> {
  const child = fork(path.join(ROOT, 'server', 'cli', 'run-ts.mjs'), [path.join(ROOT, 'bench', 'relay-process.ts'), mode, String(upstreamPort ?? ''), variants], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: ['--expose-gc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.on('message', function onReady(msg: { type: string; port?: number; dashboardPort?: number }) {
      if (msg.type !== 'ready') return;
      child.off('message', onReady);
      resolve({
        process: child,
        port: msg.port!,
        dashboardPort: msg.dashboardPort,
        memory: () =>
          new Promise((res) => {
            const onMsg = (m: { type: string; memory?: NodeJS.MemoryUsage; stored?: number }) => {
              if (m.type !== 'memory') return;
              child.off('message', onMsg);
              res({ memory: m.memory!, stored: m.stored ?? 0 });
            };
            child.on('message', onMsg);
            child.send({ type: 'memory' });
          }),
      });
    });
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN; // not Linux, or the process is gone
  }
}

interface Path {
  name: string;
  port: number;
  /** The process whose CPU is the relay's cost (the state server's own for `direct`). */
  pid: number;
}

interface Tally {
  requests: number;
  seconds: number;
  cpu: number;
  latencies: number[];
  errors: number;
  loads: number[];
}

const fmt = (n: number, digits = 3) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const load = () => os.loadavg()[0]!;
const loadText = () => `load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;

/** A browser's stand-in: reads every feed frame, as an open dashboard page does. */
function feedClient(port: number): { frames: () => number; close: () => void } {
  let frames = 0;
  let closing = false;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/feed`);
  ws.on('message', () => frames++);
  ws.on('error', (err) => {
    if (!closing) console.error(`dashboard feed client: ${err.message}`);
  });
  return {
    frames: () => frames,
    close: () => {
      closing = true;
      ws.terminate();
    },
  };
}

async function main(): Promise<void> {
  console.log(
    `statescope bench: ${ROUNDS} rounds x ${ROUND_SECONDS} s per path and concurrency (node ${process.version}, ${process.platform}, ${os.cpus().length} CPUs; ${loadText()})`,
  );
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'statescope-bench-log-'));
  const server = await spawnChild('server');
  const children: Child[] = [server];
  const externals: ExternalRelay[] = [];
  const paths: Path[] = [{ name: 'direct', port: server.port, pid: server.process.pid! }];
  // The +inject path's upstream sends no X-AspNet-Version, so every reply gets one injected.
  const headerless = await spawnChild('server', undefined, 'noheader');
  children.push(headerless);
  const addChild = async (name: string, mode: string, variants = '', upstream = server): Promise<Child> => {
    const child = await spawnChild(mode, upstream.port, variants);
    children.push(child);
    paths.push({ name, port: child.port, pid: child.process.pid! });
    return child;
  };
  await addChild('pipe', 'pipe');
  for (const [start, label] of [
    [startHaproxy, 'haproxy'],
    [startNginxStream, 'nginx stream'],
  ] as const) {
    try {
      const relay = await start(server.port);
      if (!relay) {
        console.log(`${label}: not installed, skipped (Debian: apt-get install -y haproxy nginx libnginx-mod-stream)`);
        continue;
      }
      externals.push(relay);
      paths.push({ name: label, port: relay.port, pid: relay.pid });
    } catch (err) {
      console.log(`${label}: could not start (${(err as Error).message}), skipped`);
    }
  }
  console.log(`  ${[version('haproxy'), version('nginx')].filter(Boolean).join('; ')}`);
  await addChild('statescope', 'statescope');
  await addChild('statescope +inject', 'statescope', 'inject', headerless);
  await addChild('statescope +log', 'statescope', `log=${path.join(logDir, 'bench.jsonl')}`);
  const withDashboard = await addChild('statescope +dashboard', 'statescope', 'dashboard');
  const feed = feedClient(withDashboard.dashboardPort!);
  const measured = KEEP ? paths.filter((p) => KEEP.includes(p.name)) : paths;

  const results = new Map<string, Tally>();
  for (const connections of CONNECTIONS) {
    for (const p of measured) await runLoad({ port: p.port, connections, seconds: 0.5 }); // warm-up (JIT, pools)
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? measured : [...measured].reverse();
      for (const p of order) {
        const cpu0 = cpuSeconds(p.pid);
        const r = await runLoad({ port: p.port, connections, seconds: ROUND_SECONDS });
        const cpu = cpuSeconds(p.pid) - cpu0;
        const key = `${p.name}@${connections}`;
        const t = results.get(key) ?? { requests: 0, seconds: 0, cpu: 0, latencies: [], errors: 0, loads: [] };
        t.requests += r.requests;
        t.seconds += r.seconds;
        t.cpu += cpu;
        t.errors += r.errors;
        t.loads.push(load());
        for (const l of r.latencies) t.latencies.push(l);
        results.set(key, t);
      }
    }
  }

  const summary = (name: string, connections: number) => {
    const t = results.get(`${name}@${connections}`);
    if (!t) return null;
    const sorted = Float64Array.from(t.latencies).sort();
    return {
      rps: t.requests / t.seconds,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      cpuPer100k: (t.cpu / t.requests) * 100_000,
      errors: t.errors,
      load: t.loads.reduce((a, b) => a + b, 0) / t.loads.length,
    };
  };
  console.log('\npath                    conns    req/s   p50 ms   p99 ms   CPU s/100k   errors   load (1 min, mean of rounds)');
  for (const connections of CONNECTIONS) {
    for (const p of measured) {
      const s = summary(p.name, connections)!;
      console.log(
        `${p.name.padEnd(22)}  ${String(connections).padStart(5)}  ${fmt(s.rps, 0).padStart(7)}  ${fmt(s.p50).padStart(7)}  ${fmt(s.p99).padStart(7)}   ${fmt(s.cpuPer100k, 2).padStart(10)}   ${String(s.errors).padStart(6)}   ${fmt(s.load, 2)}`,
      );
    }
  }
  console.log(`  (CPU of "direct" is the state server's own; the feed client received ${feed.frames()} frames)`);

  console.log(`\nratios (same run; ${loadText()})`);
  const ratio = (label: string, value: number, target: string, pass: boolean) =>
    console.log(`  ${label.padEnd(58)} ${fmt(value, 2).padStart(6)}   (target ${target}) ${Number.isFinite(value) ? (pass ? 'PASS' : 'MISS') : '-'}`);
  for (const connections of CONNECTIONS) {
    const scope = summary('statescope', connections);
    if (!scope) continue;
    const haproxy = summary('haproxy', connections);
    const pipe = summary('pipe', connections);
    if (haproxy && connections >= 16) {
      const want = connections >= 200 ? 0.95 : 1;
      const r = scope.rps / haproxy.rps;
      ratio(`throughput @${connections}  statescope / haproxy`, r, `>= ${want.toFixed(2)}`, r >= want);
      // What any Node.js relay can reach at best: the bare pipe does no work of its own.
      if (pipe) console.log(`  ${`throughput @${connections}  pipe / haproxy (the ceiling of a Node relay)`.padEnd(58)} ${fmt(pipe.rps / haproxy.rps, 2).padStart(6)}`);
    }
    if (pipe) {
      const r = scope.cpuPer100k / pipe.cpuPer100k;
      ratio(`CPU per request @${connections}  statescope / pipe`, r, '<= 1.30', r <= 1.3);
    }
    for (const variant of ['+inject', '+log', '+dashboard']) {
      const v = summary(`statescope ${variant}`, connections);
      if (!v) continue;
      const r = v.cpuPer100k / scope.cpuPer100k;
      ratio(`CPU per request @${connections}  statescope ${variant} / statescope`, r, '<= 1.10', r <= 1.1);
    }
    const direct = summary('direct', connections);
    if (connections === 1 && direct) {
      const added = scope.p50 - direct.p50;
      ratio('p50 added @1  statescope - direct (ms)', added, '< 0.15', added < 0.15);
    }
  }
  feed.close();
  for (const c of children.slice(1)) c.process.kill();
  await Promise.all(externals.map((e) => e.stop()));
  rmSync(logDir, { recursive: true, force: true });

  if (MEMORY_EXCHANGES > 0) await memoryRun(server.port);
  server.process.kill();
}

/** The long run: a fresh statescope with the default store, its memory sampled as it fills and wraps. */
async function memoryRun(upstreamPort: number): Promise<void> {
  const scope = await spawnChild('statescope', upstreamPort);
  const baseline = await scope.memory();
  console.log(
    `\nmemory: ${MEMORY_EXCHANGES.toLocaleString('en-US')} exchanges through statescope at 16 connections (default store; at start: RSS ${mib(baseline.memory.rss)}, heap ${mib(baseline.memory.heapUsed)}; ${loadText()})`,
  );
  const every = Math.max(10_000, Math.round(MEMORY_EXCHANGES / 10 / 10_000) * 10_000);
  const samples: { at: number; rss: number; heap: number; buffers: number; stored: number; load: number }[] = [];
  let sampling = Promise.resolve();
  const sample = (at: number) =>
    (sampling = sampling.then(async () => {
      const m = await scope.memory();
      samples.push({ at, rss: m.memory.rss, heap: m.memory.heapUsed, buffers: m.memory.arrayBuffers, stored: m.stored, load: load() });
    }));
  const started = Date.now();
  const run = await runLoad({
    port: scope.port,
    connections: 16,
    seconds: 3600,
    maxRequests: MEMORY_EXCHANGES,
    maxSamples: 10_000,
    onProgress: (n) => {
      if (n % every === 0) sample(n);
    },
  });
  await sample(run.requests);
  const perRecord = (bytes: number, stored: number) => (stored > 0 ? (bytes / stored).toFixed(0) : '-');
  for (const s of samples) {
    const heapPer = perRecord(s.heap - baseline.memory.heapUsed, s.stored);
    const allPer = perRecord(s.heap - baseline.memory.heapUsed + s.buffers - baseline.memory.arrayBuffers, s.stored);
    console.log(
      `  after ${s.at.toLocaleString('en-US').padStart(9)}  stored ${s.stored.toLocaleString('en-US').padStart(9)}  RSS ${mib(s.rss).padStart(10)}  heap ${mib(s.heap).padStart(9)}  buffers ${mib(s.buffers).padStart(9)}  per stored exchange: heap ${heapPer.padStart(4)} B, heap+buffers ${allPer.padStart(4)} B  load ${s.load.toFixed(2)}`,
    );
  }
  const peak = Math.max(...samples.map((s) => s.rss));
  const last = samples[samples.length - 1]!;
  const heapPer = (last.heap - baseline.memory.heapUsed) / Math.max(1, last.stored);
  console.log(`  RSS ceiling ${mib(peak)} (target < 512 MiB) ${peak < 512 * 1024 * 1024 ? 'PASS' : 'MISS'}; live heap per stored exchange ${heapPer.toFixed(0)} B (target <= 400) ${heapPer <= 400 ? 'PASS' : 'MISS'}`);
  console.log(`  ${run.requests.toLocaleString('en-US')} exchanges in ${fmt((Date.now() - started) / 1000, 1)} s, ${run.errors} errors; ${loadText()}`);
  scope.process.kill();
}

await main();
