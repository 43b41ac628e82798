// Running out of descriptors at accept was silent: libuv closes the pending connection itself
// and Node emits nothing (2,503 of 3,000 clients dropped with no record, metric or log line).
// The proxy now holds at most what its descriptor limit allows (server.maxConnections), so Node
// accepts, closes and emits 'drop' for the rest: logged (rate-limited), counted in /metrics, and
// the listener takes connections again as soon as descriptors free up.
// Runs the real CLI under `prlimit --nofile=256:256` (util-linux).
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { expect, it, onTestFinished } from 'vitest';
import { startCli } from '../helpers/cli.ts';
import { connectRawClient, waitFor } from '../helpers/net-peers.ts';
import { OK_V4, sleep, startRawServer } from '../helpers/raw-server.ts';

const LIMIT = 256;
const ATTEMPTS = 300;

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  const escaped = name.replace(/[{}"]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\d+)`, 'm').exec(text);
  if (!m) throw new Error(`${name} not in /metrics:\n${text.slice(0, 2000)}`);
  return Number(m[1]);
}

it(`at ulimit -n ${LIMIT}, ${ATTEMPTS} connections: the excess is refused, logged and counted, and later ones work`, async () => {
  expect(hasPrlimit(), 'prlimit (util-linux) is needed for this test').toBe(true);
  const upstream = await startRawServer(() => OK_V4());
  onTestFinished(() => upstream.close());
  const proc = startCli(
    ['--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstream.port}`, '--dashboard', '127.0.0.1:0'],
    ['prlimit', `--nofile=${LIMIT}:${LIMIT}`],
  );
  onTestFinished(async () => void (await proc.stop('SIGKILL')));
  const metricsUrl = (await proc.waitForOutput(/Prometheus metrics: (http:\S+\/metrics)/))[1]!;
  const port = Number((await proc.waitForOutput(/proxy listening on 127\.0\.0\.1:(\d+)/))[1]);
  expect(await metric(metricsUrl, 'statescope_accept_drops_total')).toBe(0);

  const sockets: net.Socket[] = [];
  onTestFinished(() => sockets.forEach((s) => s.destroy()));
  let closedByProxy = 0;
  for (let i = 0; i < ATTEMPTS; i++) {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    s.once('close', () => closedByProxy++);
    sockets.push(s);
  }
  await waitFor(() => sockets.every((s) => s.destroyed || !s.connecting), 10_000, 'every connection attempt settled');
  // Until the proxy has taken every connection from the kernel's queue (each one connected as
  // far as the client can tell) and each refused one's close has reached us.
  let counted = -1;
  for (const until = Date.now() + 10_000; Date.now() < until; await sleep(100)) {
    counted = await metric(metricsUrl, 'statescope_accept_drops_total');
    const open = await metric(metricsUrl, 'statescope_connections{side="client"}');
    if (counted + open === ATTEMPTS && counted === closedByProxy) break;
  }
  const refused = closedByProxy;
  const held = ATTEMPTS - refused;
  console.log(`ulimit -n ${LIMIT}: ${held} connections held, ${refused} refused`);
  expect(held).toBeGreaterThan(20);
  expect(refused).toBeGreaterThan(0);

  // Counted, and said once (rate-limited), with what to do about it.
  await waitFor(() => /refused \d+ new client connections?/.test(proc.stderr()), 5000, 'a log line');
  expect(proc.stderr()).toMatch(/descriptor limit allows \(\d+\); raise the limit \(ulimit -n\)/);
  expect(proc.stderr().match(/refused \d+ new client connection/g)!.length).toBeLessThanOrEqual(2);
  expect(counted).toBe(refused);

  // A connection that was let in still works while the listener is full.
  const survivor = sockets.find((s) => !s.destroyed)!;
  const reply = await new Promise<Buffer>((resolve) => {
    survivor.once('data', resolve);
    survivor.write('GET %2fLM%2fW3SVC%2f1%2fROOT%2fa(h)%2fs HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  expect(reply.toString('latin1')).toMatch(/^200 OK\r\n/);

  // Descriptors free up: the listener accepts again, and every new client is served.
  for (const s of sockets) s.destroy();
  await sleep(500);
  for (let i = 0; i < 40; i++) {
    const client = await connectRawClient(port);
    const got = await client.exchange(Buffer.from(`GET %2fLM%2fW3SVC%2f1%2fROOT%2fa(h)%2fafter${i} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1'));
    expect(got.head.status).toBe(200);
    client.close();
  }
  expect(await metric(metricsUrl, 'statescope_accept_drops_total')).toBe(refused);
}, 60_000);
