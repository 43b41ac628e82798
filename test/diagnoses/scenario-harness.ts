// Real processes for the diagnosis tests: `statescope proxy` (with its dashboard API), `statescope
// load --scenario NAME` and `statescope server`, all on free loopback ports.
import { runCli, startCli, type CliProcess } from '../helpers/cli.ts';
import type { Diagnosis, DiagnosisId, ExchangeRecord, StatsSnapshot } from '../../server/capture/wire-types.ts';

export interface ProxyProcess {
  proc: CliProcess;
  /** host:port of the proxy (the real port). */
  address: string;
  port: number;
  api: string;
  stats(): Promise<{ stats: StatsSnapshot; diagnoses: Diagnosis[] }>;
  exchange(id: number): Promise<ExchangeRecord>;
  stop(): Promise<void>;
}

const started: { stop(): Promise<unknown> }[] = [];

/** Stops everything the test started (call from afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all(started.splice(0).map((p) => p.stop()));
}

export async function startProxyProcess(args: string[] = []): Promise<ProxyProcess> {
  const listenGiven = args.includes('--listen');
  const proc = startCli(['proxy', ...(listenGiven ? [] : ['--listen', '127.0.0.1:0']), '--dashboard', '127.0.0.1:0', ...args]);
  started.push(proc);
  const listen = await proc.waitForOutput(/statescope proxy listening on (\S+):(\d+), forwarding/, 20_000);
  const dash = await proc.waitForOutput(/statescope dashboard: (http:\/\/\S+)/, 20_000);
  const api = new URL(dash[1]!).origin;
  const port = Number(listen[2]);
  return {
    proc,
    address: `127.0.0.1:${port}`,
    port,
    api,
    stats: async () => (await fetch(`${api}/api/stats`)).json() as Promise<{ stats: StatsSnapshot; diagnoses: Diagnosis[] }>,
    exchange: async (id) => {
      const res = await fetch(`${api}/api/exchanges/${id}`);
      if (!res.ok) throw new Error(`exchange ${id}: ${res.status}`);
      return (await res.json()) as ExchangeRecord;
    },
    stop: async () => void (await proc.stop()),
  };
}

export async function startStateServerProcess(port = 0): Promise<{ port: number; stop(): Promise<void> }> {
  const proc = startCli(['server', '--listen', `127.0.0.1:${port}`]);
  started.push(proc);
  const m = await proc.waitForOutput(/listening on 127\.0\.0\.1:(\d+)/, 20_000);
  return { port: Number(m[1]), stop: async () => void (await proc.stop()) };
}

export interface LoadResult {
  scenario: string;
  pages: Record<string, number>;
  operationsTotal: number;
  errorsTotal: number;
  errors: { message: string; count: number }[];
}

/** `statescope load --target ADDRESS --json ...args`, to the end of its run. */
export async function runLoadProcess(target: string, args: string[], timeoutMs = 120_000): Promise<LoadResult> {
  const { code, stdout, stderr } = await runCli(['load', '--target', target, '--json', ...args], timeoutMs);
  if (code !== 0) throw new Error(`statescope load exited ${code}\n${stdout}\n${stderr}`);
  return JSON.parse(stdout) as LoadResult;
}

/** Waits until the proxy's capture has delivered what the run sent (the feed is batched). */
export async function settledDiagnoses(proxy: ProxyProcess, exchanges: number): Promise<Diagnosis[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { stats, diagnoses } = await proxy.stats();
    if (stats.totals.exchanges >= exchanges || Date.now() > deadline) return diagnoses;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function find(diagnoses: Diagnosis[], id: DiagnosisId): Diagnosis {
  const d = diagnoses.find((x) => x.id === id);
  if (!d) throw new Error(`no ${id} among ${diagnoses.map((x) => x.id).join(', ') || 'no diagnoses'}`);
  return d;
}

export async function evidenceOf(proxy: ProxyProcess, d: Diagnosis): Promise<ExchangeRecord[]> {
  return Promise.all(d.evidence.map((id) => proxy.exchange(id)));
}
