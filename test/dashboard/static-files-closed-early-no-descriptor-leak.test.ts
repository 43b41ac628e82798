// Risk (issue 9, point 2): the dashboard's static routes need no token, and each request closed
// before its file was sent used to keep a file descriptor open for good (a read stream piped into
// a response nobody read). Anyone reaching the dashboard could exhaust the process's
// descriptors, and then new ASP.NET connections through the proxy got no reply. Drives the real
// CLI with the real built UI: many requests for the largest asset, closed at the first byte or
// before any, while an ASP.NET client keeps using the proxy; the process's descriptor count
// (/proc/PID/fd) stays flat and the client sees every reply.
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createStateClient, newSessionId } from '../../server/client/index.ts';

import { startCli, type CliProcess } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/transcripts.ts';

let proc: CliProcess | null = null;
afterEach(async () => {
  await proc?.stop();
  proc = null;
});

const openDescriptors = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** One request for `target`, abandoned at the first byte of the answer (or before it). */
function abandonedRequest(port: number, target: string, atFirstByte: boolean): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.once('close', () => resolve());
    socket.once('connect', () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      if (!atFirstByte) socket.destroy();
    });
    socket.once('data', () => socket.destroy());
  });
}

it('requests closed early leave the descriptor count flat and the relay answering', async () => {
  const assets = path.join(repoRoot, 'ui', 'dist', 'assets');
  if (!existsSync(assets)) throw new Error('ui/dist missing: run npm run build first (npm test does)');
  const script = readdirSync(assets).find((f) => f.endsWith('.js'))!;

  proc = startCli(['--listen', '127.0.0.1:0', '--dashboard', '127.0.0.1:0']);
  const [, proxyPort] = await proc.waitForOutput(/proxy listening on 127\.0\.0\.1:(\d+)/);
  const [, dashboardPort] = await proc.waitForOutput(/statescope dashboard: http:\/\/127\.0\.0\.1:(\d+)\//);
  const pid = proc.child.pid!;
  // Warm up: one complete page load, so lazily opened handles are already counted.
  expect((await fetch(`http://127.0.0.1:${dashboardPort}/assets/${script}`)).status).toBe(200);
  const before = openDescriptors(pid);

  const client = createStateClient({ host: '127.0.0.1', port: Number(proxyPort) });
  let replies = 0;
  let clientErrors = 0;
  let abandoning = true;
  const steadyClient = (async () => {
    while (abandoning) {
      try {
        await client.createUninitialized(newSessionId());
        replies++;
      } catch {
        clientErrors++;
      }
    }
  })();

  const total = 1500;
  for (let i = 0; i < total; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) => abandonedRequest(Number(dashboardPort), j % 5 === 0 ? '/' : `/assets/${script}`, j % 2 === 0)),
    );
  }
  abandoning = false;
  await steadyClient;
  await client.close();

  // The server notices the closes asynchronously; give it a moment to settle.
  let after = openDescriptors(pid);
  for (let i = 0; i < 50 && after > before + 5; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = openDescriptors(pid);
  }
  expect(after - before, `descriptors before ${before}, after ${total} abandoned requests ${after}`).toBeLessThanOrEqual(5);
  expect(clientErrors).toBe(0);
  expect(replies).toBeGreaterThan(20);
  // And the dashboard still serves a complete page.
  const page = await fetch(`http://127.0.0.1:${dashboardPort}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<div id="root">');
});
