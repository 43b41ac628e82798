// In-page probes for bench/dashboard.ts: frames counted per wall-clock second from
// requestAnimationFrame, and long tasks from PerformanceObserver('longtask').
import type { Page } from '@playwright/test';

export interface PageProbes {
  /** Frames per epoch second: [epochSecond, frames][]. */
  frames: [number, number][];
  /** Long tasks: [epoch ms start, duration ms][]. */
  longTasks: [number, number][];
  /** Times the page refetched /api/snapshot after its first load (it fell behind the feed). */
  snapshotRefetches: number;
  /** The table's own count of exchanges in the page's list. */
  listSize: number | null;
}

const snapshotFetches = new WeakMap<Page, number>();

export async function installPageProbes(page: Page): Promise<void> {
  snapshotFetches.set(page, 0);
  page.on('request', (r) => {
    if (r.url().includes('/api/snapshot')) snapshotFetches.set(page, (snapshotFetches.get(page) ?? 0) + 1);
  });
  // A string, not a function: tsx would wrap named functions in a helper the page lacks.
  await page.addInitScript(PROBE_SCRIPT);
}

const PROBE_SCRIPT = `(() => {
  const probe = { frames: {}, longTasks: [] };
  window.__bench = probe;
  function frame() {
    const second = Math.floor((performance.timeOrigin + performance.now()) / 1000);
    probe.frames[second] = (probe.frames[second] || 0) + 1;
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.longTasks.push([performance.timeOrigin + e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no longtask support: reported as zero
  }
})();`;

export async function readPageProbes(page: Page): Promise<PageProbes> {
  const raw = (await page.evaluate(`(() => {
    const b = window.__bench;
    const status = document.querySelector('[role="search"] [role="status"]')?.textContent ?? '';
    return { frames: Object.entries(b.frames).map(([s, n]) => [Number(s), n]), longTasks: b.longTasks, status };
  })()`)) as { frames: [number, number][]; longTasks: [number, number][]; status: string };
  const m = /(\d+) exchanges/.exec(raw.status);
  return {
    frames: raw.frames,
    longTasks: raw.longTasks,
    snapshotRefetches: Math.max(0, (snapshotFetches.get(page) ?? 0) - 1),
    listSize: m ? Number(m[1]) : null,
  };
}

export interface PageSummary {
  seconds: number;
  fpsMin: number;
  fpsMedian: number;
  secondsBelow(fps: number): number;
  longTasks: number;
  longTaskMs: number;
  longestTaskMs: number;
}

/** Frame rate and long tasks between two epoch-ms instants (whole seconds inside it only). */
export function summarisePage(p: PageProbes, fromMs: number, toMs: number): PageSummary {
  const first = Math.ceil(fromMs / 1000);
  const last = Math.floor(toMs / 1000) - 1;
  const bySecond = new Map(p.frames);
  const fps: number[] = [];
  // A second without a single frame is a second at 0 fps, not a missing sample.
  for (let s = first; s <= last; s++) fps.push(bySecond.get(s) ?? 0);
  const sorted = [...fps].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const tasks = p.longTasks.filter(([t]) => t >= fromMs && t < toMs);
  return {
    seconds: fps.length,
    fpsMin: sorted[0] ?? NaN,
    fpsMedian: sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
    secondsBelow: (target) => fps.filter((f) => f < target).length,
    longTasks: tasks.length,
    longTaskMs: tasks.reduce((n, [, d]) => n + d, 0),
    longestTaskMs: tasks.reduce((n, [, d]) => Math.max(n, d), 0),
  };
}
