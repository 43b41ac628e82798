// Each diagnosis of issue 11 in the page, reproduced by `statescope demo --scenario NAME` (a real
// process: proxy, state server, emulated ASP.NET traffic), with links that open the evidence
// exchanges. Selected by text and accessible roles only, so the page layout may change.
import { spawn, type ChildProcess } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { openDiagnoses } from './fixtures.ts';
import { assertUiBuilt, CLI, repoRoot } from './support/statescope.ts';

interface Case {
  scenario: string;
  args?: string[];
  /** Stable start of the diagnosis title. */
  titles: RegExp[];
}

const CASES: Case[] = [
  { scenario: 'orphaned-locks', args: ['--execution-timeout', '3'], titles: [/^Orphaned session locks/, /^Lock contention/] },
  { scenario: 'server-restart', titles: [/^Sessions vanished/] },
  { scenario: 'farm-site-id', titles: [/^Web farm: the same session under different IIS site ids/] },
  { scenario: 'farm-path-case', titles: [/^Web farm: app ids that differ only in case/] },
  { scenario: 'farm-hash', titles: [/^Web farm: one app id under different hashes/] },
  { scenario: 'large-sessions', args: ['--large-session-kb', '16', '--rate', '30'], titles: [/^Large sessions/, /^State server memory/] },
  { scenario: 'read-only-writes', titles: [/^Redundant writes/] },
  { scenario: 'short-network-timeout', titles: [/^Clients give up after about 1\.\d s/] },
  { scenario: 'healthy', args: ['--listen', '0.0.0.0:0'], titles: [/^Session state reachable beyond this machine/] },
];

let demo: ChildProcess | null = null;
test.afterEach(async () => {
  if (demo && demo.exitCode === null) {
    const exited = new Promise((r) => demo!.once('exit', r));
    demo.kill('SIGTERM');
    await exited;
  }
  demo = null;
});

async function startDemo(args: string[]): Promise<string> {
  assertUiBuilt();
  const full = [CLI, 'demo', ...(args.includes('--listen') ? [] : ['--listen', '127.0.0.1:0']), '--dashboard', '127.0.0.1:0', ...args];
  const child = spawn(process.execPath, full, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  demo = child;
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = /statescope dashboard: (http:\/\/\S+)/.exec(out);
    if (m) return m[1]!;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`demo did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const c of CASES) {
  test(`${c.scenario}: the diagnosis shows in the page and its evidence links open the exchanges`, async ({ page }) => {
    test.setTimeout(90_000);
    const url = await startDemo(['--scenario', c.scenario, ...(c.args ?? [])]);
    await page.goto(url);
    for (const title of c.titles) {
      // The diagnoses live in the side pane's "Diagnoses & charts" tab (an evidence link opens the exchange there instead).
      await openDiagnoses(page);
      const heading = page.getByText(title).first();
      await expect(heading).toBeVisible({ timeout: 45_000 });
      // The diagnosis is the list item holding that title; its evidence links name exchanges.
      const item = page.getByRole('listitem').filter({ has: page.getByText(title) }).first();
      const links = item.getByRole('button', { name: /exchange \d+/i }).or(item.getByRole('link', { name: /exchange \d+/i }));
      await expect(links.first()).toBeVisible();
      // As a user about to click: the pointer over the list holds it still. Named first and
      // clicked later without that, a live update in between could put another exchange first.
      await item.hover();
      await expect(page.getByText('(held while you look)')).toBeVisible();
      const name = (await links.first().getAttribute('aria-label')) ?? (await links.first().textContent()) ?? '';
      const id = /(\d+)/.exec(name)![1]!;
      await links.first().click();
      await expect(page.getByRole('heading', { name: new RegExp(`#${id}\\b`) })).toBeVisible();
      await page.keyboard.press('Escape');
    }
  });
}
