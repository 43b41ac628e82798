// Playwright fixtures: `statescope(args)` starts the real CLI on free ports and `load(...)`
// runs the client emulator against it; everything a test started is stopped after it.
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import {
  startLoad,
  startStatescope,
  type LoadOptions,
  type LoadReport,
  type RunningLoad,
  type Statescope,
} from './support/statescope.ts';

interface Fixtures {
  /** Starts `statescope proxy --listen 127.0.0.1:0 --dashboard 127.0.0.1:0 ...args`. */
  statescope: (args?: string[]) => Promise<Statescope>;
  /** Starts `statescope load --json` against a proxy address, in the background. */
  load: (target: string, options?: LoadOptions) => RunningLoad;
  /** Saves a full-page screenshot into this test's output directory. */
  shot: (page: Page, name: string) => Promise<void>;
}

export const test = base.extend<Fixtures>({
  statescope: async ({}, use) => {
    const started: Statescope[] = [];
    await use(async (args = []) => {
      const s = await startStatescope(args);
      started.push(s);
      return s;
    });
    await Promise.all(started.map((s) => s.stop()));
  },
  load: async ({}, use) => {
    const running: RunningLoad[] = [];
    await use((target, options) => {
      const run = startLoad(target, options);
      run.done.catch(() => undefined); // a test that never awaits it must not leave a rejection
      running.push(run);
      return run;
    });
    await Promise.all(running.map((r) => r.stop()));
  },
  shot: async ({}, use, testInfo) => {
    await use(async (page, name) => {
      await page.screenshot({ path: testInfo.outputPath(`${name}.png`) });
    });
  },
});

export { expect };
export type { LoadReport };

/** The live table's rows (only the visible ones exist in the DOM: it is virtualised). */
export function rows(page: Page): Locator {
  return page.getByTestId('exchange-row');
}

/** "N exchanges" or "N of M exchanges" from the filter bar, as numbers. */
export async function exchangeCount(page: Page): Promise<{ shown: number; total: number }> {
  const text = (await page.getByRole('search', { name: 'Filter exchanges' }).getByRole('status').textContent()) ?? '';
  const m = /^(\d+)(?: of (\d+))? exchanges$/.exec(text.trim());
  if (!m) throw new Error(`unexpected exchange count text: "${text}"`);
  const shown = Number(m[1]);
  return { shown, total: m[2] === undefined ? shown : Number(m[2]) };
}

/** The version header word of each row in the DOM ("present", "missing", "injected"; the icon is aria-hidden), oldest first. */
export async function versionWords(page: Page): Promise<{ id: number; word: string }[]> {
  return rows(page).evaluateAll((els) =>
    els
      .map((el) => ({
        id: Number(el.getAttribute('data-id')),
        word: [...(el.querySelector('.version')?.childNodes ?? [])]
          .filter((n) => n.nodeType === Node.TEXT_NODE)
          .map((n) => n.textContent ?? '')
          .join('')
          .trim(),
      }))
      .sort((a, b) => a.id - b.id),
  );
}

/** Waits until the table holds `total` exchanges (e.g. a finished load run's operationsTotal). */
export async function caughtUp(page: Page, total: number): Promise<void> {
  await expect.poll(async () => (await exchangeCount(page)).total).toBe(total);
}

/** The text of one column in each row in the DOM, without the icons (aria-hidden), oldest first. */
export async function cellTexts(page: Page, column: string): Promise<string[]> {
  return rows(page).evaluateAll(
    (els, col) =>
      els
        .sort((a, b) => Number(a.getAttribute('data-id')) - Number(b.getAttribute('data-id')))
        .map((el) => {
          const cell = el.querySelector(`[data-col="${col}"]`);
          if (!cell) return '';
          const copy = cell.cloneNode(true) as HTMLElement;
          copy.querySelectorAll('[aria-hidden="true"], .visually-hidden').forEach((n) => n.remove());
          return (copy.textContent ?? '').trim();
        }),
    column,
  );
}

/** One row's cell of a column (data-col: time, client, operation, session, status, version, lock...). */
export function cellOf(row: Locator, column: string): Locator {
  return row.locator(`[data-col="${column}"]`);
}

/** Opens the verdict's details (counts, ASP.NET's error, the fixes) if they are closed. */
export async function openVerdictDetails(page: Page): Promise<Locator> {
  const verdict = page.getByRole('region', { name: 'Verdict' });
  const toggle = verdict.getByRole('button', { name: 'Details' });
  if (await toggle.isVisible()) await toggle.click();
  return verdict;
}

/** Opens the side pane on diagnoses and charts. */
export async function openDiagnoses(page: Page): Promise<Locator> {
  const button = page.getByRole('button', { name: /^Diagnoses & charts/ }).first();
  if ((await button.getAttribute('aria-pressed')) !== 'true') await button.click();
  return page.getByRole('region', { name: /^Diagnoses/ });
}

/** Waits until the dashboard says its feed is live. */
export async function waitLive(page: Page): Promise<void> {
  await expect(page.getByRole('status', { name: 'Dashboard connection: live' })).toBeVisible();
}

export const VIEWPORTS = {
  small: { width: 1280, height: 720 },
  medium: { width: 1440, height: 900 },
  large: { width: 1920, height: 1080 },
  narrow: { width: 900, height: 720 },
} as const;

/** Sets the window size, starts statescope with `args` and opens its live dashboard. */
export async function openDashboard(
  page: Page,
  statescope: (args?: string[]) => Promise<import('./support/statescope.ts').Statescope>,
  args: string[],
  viewport: { width: number; height: number } = VIEWPORTS.small,
): Promise<import('./support/statescope.ts').Statescope> {
  await page.setViewportSize(viewport);
  const s = await statescope(args);
  await page.goto(s.dashboardUrl);
  await waitLive(page);
  return s;
}
