import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { runLoad } from './load-generator.ts';

function start(tree: string, mode: string, upstream?: number): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(`${tree}/server/cli/run-ts.mjs`, [`${tree}/bench/relay-process.ts`, mode, ...(upstream ? [String(upstream)] : [])], { cwd: tree, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve) => child.on('message', (m: { type: string; port: number }) => m.type === 'ready' && resolve({ child, port: m.port })));
}
const ticks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, clock ticks (1/100 s)
};
const server = await start('/work/wt-11', 'server');
const base = await start('/tmp/h11-base', 'statescope', server.port);
const mine = await start('/work/wt-11', 'statescope', server.port);
const totals = { base: { cpu: 0, req: 0, rps: [] as number[] }, mine: { cpu: 0, req: 0, rps: [] as number[] } };
for (let round = 0; round < 8; round++) {
  for (const [name, p] of (round % 2 ? [['mine', mine], ['base', base]] : [['base', base], ['mine', mine]]) as [keyof typeof totals, typeof base][]) {
    const c0 = ticks(p.child.pid!);
    const r = await runLoad({ port: p.port, connections: 16, seconds: 3 });
    const c1 = ticks(p.child.pid!);
    totals[name].cpu += c1 - c0;
    totals[name].req += r.requests;
    totals[name].rps.push(r.requests / r.seconds);
    console.log(`round ${round + 1} ${name}: ${Math.round(r.requests / r.seconds)} req/s, relay CPU ${(((c1 - c0) * 10_000) / r.requests).toFixed(1)} us/exchange (load ${os.loadavg().map((n) => n.toFixed(2)).join(' ')})`);
  }
}
for (const [name, t] of Object.entries(totals)) {
  const med = [...t.rps].sort((a, b) => a - b)[Math.floor(t.rps.length / 2)]!;
  console.log(`${name}: relay CPU ${((t.cpu * 10_000) / t.req).toFixed(2)} us/exchange over ${t.req} exchanges, median ${Math.round(med)} req/s`);
}
console.log(`load ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
for (const p of [server, base, mine]) p.child.kill();
