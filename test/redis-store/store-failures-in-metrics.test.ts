// A Redis outage must show where operators look, not only in the log: `statescope server
// --metrics` counts every request closed unanswered, and so does the proxy's /metrics for its
// embedded upstream on Redis. Real processes, a Redis port with nothing listening.
import { afterEach, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../helpers/cli.ts';
import { RawClient, request, targetFor } from '../stateserver/helpers.ts';
import { freePort } from './redis-process.ts';

const running: CliProcess[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop('SIGTERM');
});

async function closedUnanswered(port: number): Promise<string> {
  const client = await RawClient.connect(port);
  client.send(request('GET', targetFor('metricsmetricsmetrics001'), [['Exclusive', 'acquire']]), 'GET');
  await Promise.race([client.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('neither answered nor closed')), 15_000))]);
  client.destroy();
  return client.received().toString('latin1');
}

async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`${name} not in ${url}`);
  return Number(line.split(' ')[1]);
}

it('statescope server --metrics counts the requests a dead Redis made it close unanswered', { timeout: 60_000 }, async () => {
  const deadRedis = await freePort();
  const cli = startCli(['server', '--listen', '127.0.0.1:0', '--store', `redis://127.0.0.1:${deadRedis}`, '--metrics', '127.0.0.1:0']);
  running.push(cli);
  const port = Number((await cli.waitForOutput(/listening on 127\.0\.0\.1:(\d+) /, 30_000))[1]);
  const url = (await cli.waitForOutput(/metrics: (http:\S+)/, 5_000))[1]!;
  expect(await counter(url, 'statescope_server_store_failures_total')).toBe(0);
  expect(await closedUnanswered(port)).toBe('');
  expect(await closedUnanswered(port)).toBe('');
  expect(await counter(url, 'statescope_server_store_failures_total')).toBe(2);
  expect(await counter(url, 'statescope_server_requests_total')).toBeGreaterThanOrEqual(2);
});

it("the proxy's /metrics counts its embedded upstream's store failures", { timeout: 60_000 }, async () => {
  const deadRedis = await freePort();
  const cli = startCli(['--listen', '127.0.0.1:0', '--dashboard', '127.0.0.1:0', '--store', `redis://127.0.0.1:${deadRedis}`]);
  running.push(cli);
  const port = Number((await cli.waitForOutput(/proxy listening on 127\.0\.0\.1:(\d+)/, 30_000))[1]);
  const dashboard = (await cli.waitForOutput(/dashboard: (http:\/\/\S+?)\/?\s/, 5_000))[1]!;
  expect(await closedUnanswered(port)).toBe('');
  await expect.poll(() => counter(`${dashboard}/metrics`, 'statescope_embedded_store_failures_total'), { timeout: 10_000 }).toBe(1);
});
