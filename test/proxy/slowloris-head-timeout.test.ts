// Slowloris: clients that begin a request head and trickle it a byte a second held their
// connections (and a descriptor each, twice over) for ever. A head begun and not finished within
// --head-timeout now closes the connection, recorded client_timeout; idle pooled connections,
// which ASP.NET keeps between requests, are never closed by it.
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../helpers/cli.ts';
import { readLogRecords } from '../helpers/log-records.ts';
import { connectRawClient, waitFor, type RawClient } from '../helpers/net-peers.ts';
import { sleep } from '../helpers/raw-server.ts';
import { openDescriptors, startWellBehavedClient } from '../helpers/well-behaved-client.ts';

const ATTACKERS = 400;
const HEAD_TIMEOUT_S = 2;

let proc: CliProcess | null = null;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await proc?.stop('SIGKILL');
  proc = null;
});

const get = (session: string) => Buffer.from(`GET %2fLM%2fW3SVC%2f1%2fROOT%2fa(h)%2f${session} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1');

it(`${ATTACKERS} connections trickling a head at 1 byte/s are closed after --head-timeout; idle pooled ones are not`, async () => {
  const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'statescope-slowloris-')), 'capture.jsonl');
  proc = startCli(['--listen', '127.0.0.1:0', '--no-dashboard', '--head-timeout', String(HEAD_TIMEOUT_S), '--log', log]);
  await proc.waitForOutput(/statescope log: .*\n/);
  const port = Number((await proc.waitForOutput(/proxy listening on 127\.0\.0\.1:(\d+)/))[1]);
  const pid = proc.child.pid!;

  // A pooled connection that has done one exchange, and one that has done none: both idle.
  const pooled: RawClient = await connectRawClient(port);
  await pooled.exchange(get('pooled'));
  const fresh: RawClient = await connectRawClient(port);
  const good = startWellBehavedClient(port, 20);
  await sleep(300);
  const fdsBefore = openDescriptors(pid);

  const head = get('slowloris');
  let closedAttackers = 0;
  for (let i = 0; i < ATTACKERS; i++) {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    s.once('close', () => closedAttackers++);
    s.once('connect', () => s.write(head.subarray(0, 1)));
    sockets.push(s);
  }
  let sentBytes = 1;
  const trickle = setInterval(() => {
    for (const s of sockets) if (!s.destroyed && sentBytes < head.length - 1) s.write(head.subarray(sentBytes, sentBytes + 1));
    sentBytes++;
  }, 1000);
  const startedAt = Date.now();
  try {
    await waitFor(() => closedAttackers === ATTACKERS, 20_000, 'every trickling connection closed');
  } finally {
    clearInterval(trickle);
  }
  const closedAfterS = (Date.now() - startedAt) / 1000;
  // Every attacker sent only a few bytes of its head: none finished it.
  expect(sentBytes).toBeLessThan(head.length - 1);
  await waitFor(() => openDescriptors(pid) <= fdsBefore, 10_000, `descriptors back to ${fdsBefore}`);
  const fdsAfter = openDescriptors(pid);
  const report = await good.stop();
  console.log(
    `slowloris: ${ATTACKERS} connections closed ${closedAfterS.toFixed(1)} s after they began (limit ${HEAD_TIMEOUT_S} s); proxy descriptors ${fdsBefore} -> ${fdsAfter}; ` +
      `well-behaved client: ${report.replies} replies, ${report.errors} errors, p50 ${report.p50Ms.toFixed(2)} ms, p99 ${report.p99Ms.toFixed(2)} ms; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  expect(fdsAfter).toBeLessThanOrEqual(fdsBefore);
  expect(report.errors).toBe(0);
  expect(report.replies).toBeGreaterThan(20);
  expect(report.p99Ms).toBeLessThan(2000); // generous: the machine is shared

  // The idle connections outlived the head limit (several times over) and still work.
  await expect(pooled.exchange(get('pooled'))).resolves.toMatchObject({ head: { status: expect.any(Number) } });
  await expect(fresh.exchange(get('fresh'))).resolves.toMatchObject({ head: { status: expect.any(Number) } });
  pooled.close();
  fresh.close();

  expect(await proc.stop('SIGTERM')).toBe(0);
  const records = readLogRecords(log);
  const timedOut = records.filter((r) => r.outcome === 'client_timeout');
  expect(timedOut).toHaveLength(ATTACKERS);
  expect(timedOut[0]!.error).toMatch(new RegExp(`did not finish it within ${HEAD_TIMEOUT_S * 1000} ms`));
  expect(records.filter((r) => r.outcome !== 'client_timeout').every((r) => r.outcome === 'ok')).toBe(true);
}, 60_000);
