// Risk: one dependency quietly slows every string operation of the relay. ioredis subclasses
// String, and loading it turns String.prototype into a dictionary; V8's optimized code then looks
// up each indexOf, charCodeAt and slice of the header scan through a generic inline cache (7.8%
// of the relay's CPU in perf). Only the Redis store needs ioredis, so the relay must never load
// it. Checked in the running program, development entry and built bundle, with V8's own
// %HasFastProperties (a preloaded module prints it every 100 ms); the Redis store's process is
// the control that shows the check sees the slow case.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLI, startProgram, type CliProcess } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/transcripts.ts';

const BUNDLE = path.join(repoRoot, 'dist', 'statescope.mjs');

/** A module for --import that reports, every 100 ms, whether String.prototype has fast properties. */
const reporterDir = mkdtempSync(path.join(tmpdir(), 'statescope-fast-'));
const REPORTER = path.join(reporterDir, 'report.mjs');
writeFileSync(REPORTER, "setInterval(() => process.stderr.write(`string-prototype-fast=${%HasFastProperties(String.prototype)}\\n`), 100).unref();\n");
afterAll(() => rmSync(reporterDir, { recursive: true, force: true }));

let proc: CliProcess | null = null;
afterEach(async () => {
  await proc?.stop();
  proc = null;
});

function start(entry: string, args: string[]): CliProcess {
  return startProgram(process.execPath, ['--allow-natives-syntax', '--import', pathToFileURL(REPORTER).href, entry, ...args]);
}

/** The report printed after everything so far (waits for the next one). */
async function nextReport(p: CliProcess): Promise<boolean> {
  const seen = p.stderr().length;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const m = /string-prototype-fast=(true|false)\n/.exec(p.stderr().slice(seen));
    if (m) return m[1] === 'true';
    if (Date.now() > deadline) throw new Error(`no report; stderr: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One Get through the proxy, answered (a 404 from the embedded server: no such session). */
function oneExchange(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.on('connect', () => socket.write('GET /LM/W3SVC/1/ROOT/App(Rwn2B76J1oVKzRkl+KpWkuKfxf+l/tgZNAeuLju3xIo=)/abcdefghijklmnopqrstuvwx HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    socket.on('data', (c: Buffer) => {
      reply += c.toString('latin1');
      if (reply.includes('\r\n\r\n')) {
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', reject);
  });
}

describe("the relay's string methods stay on V8's fast path", () => {
  for (const [name, entry] of [
    ['the development entry', CLI],
    ['the built bundle', BUNDLE],
  ] as const) {
    it(`the proxy with its embedded state server, through ${name}: String.prototype stays fast while it relays`, async () => {
      if (entry === BUNDLE) expect(existsSync(BUNDLE), 'dist/statescope.mjs (npm run build)').toBe(true);
      proc = start(entry, ['--no-dashboard', '--listen', '127.0.0.1:0']);
      const [, port] = await proc.waitForOutput(/statescope proxy listening on 127\.0\.0\.1:(\d+)/);
      expect(await oneExchange(Number(port))).toMatch(/^(HTTP\/1\.1 )?404 /);
      expect(await nextReport(proc)).toBe(true);
    });
  }

  it('the control: a state server on a Redis store loads ioredis, and the check sees String.prototype slow', async () => {
    // Nothing listens on port 1: the server says so and listens anyway, with ioredis loaded.
    proc = start(CLI, ['server', '--listen', '127.0.0.1:0', '--store', 'redis://127.0.0.1:1']);
    await proc.waitForOutput(/statescope state server listening on/);
    expect(await nextReport(proc)).toBe(false);
  });
});
