// What a user checks after installing statescope in some form (the npm package, a single
// executable): the main job starts, its dashboard page and every asset the page names load,
// and ASP.NET traffic from the emulator goes through the proxy without an error.
import { expect } from 'vitest';
import { runScenario, type ScenarioReport } from '../../server/client/scenario.ts';
import { startProgram, type CliProcess } from './cli.ts';

export interface Installed {
  /** The program to run and the arguments that come before statescope's own. */
  file: string;
  prefixArgs?: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

export interface RunningMainJob {
  proc: CliProcess;
  proxyPort: number;
  dashboardUrl: string;
}

/** Starts `statescope [args]` (the main job) on free ports and reads where it listens. */
export async function startMainJob(installed: Installed, args: string[] = [], ms = 20_000): Promise<RunningMainJob> {
  const proc = startProgram(
    installed.file,
    [...(installed.prefixArgs ?? []), '--listen', '127.0.0.1:0', '--dashboard', '127.0.0.1:0', ...args],
    { cwd: installed.cwd, env: installed.env },
  );
  const proxy = await proc.waitForOutput(/proxy listening on 127\.0\.0\.1:(\d+)/, ms);
  const dashboard = await proc.waitForOutput(/statescope dashboard: (http:\S+)/, ms);
  return { proc, proxyPort: Number(proxy[1]), dashboardUrl: dashboard[1]! };
}

/** The page, and every script and stylesheet it references, answer 200 with the right type. */
export async function expectDashboardLoads(dashboardUrl: string): Promise<void> {
  const page = await fetch(dashboardUrl);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  const html = await page.text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
  expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
  for (const asset of assets) {
    const res = await fetch(new URL(asset, dashboardUrl));
    expect(res.status, asset).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length, asset).toBeGreaterThan(100);
    expect(Number(res.headers.get('content-length')), asset).toBe(body.length);
    expect(res.headers.get('content-type'), asset).toMatch(asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
  }
}

/** A second of emulated ASP.NET users through the proxy: pages complete, no errors. */
export async function expectRelayWorks(proxyPort: number, seconds = 1): Promise<ScenarioReport> {
  const report = await runScenario({ host: '127.0.0.1', port: proxyPort, sessions: 4, durationSeconds: seconds, rate: 50 });
  expect(report.errors).toEqual([]);
  expect(report.pages.completed).toBeGreaterThan(5);
  return report;
}
