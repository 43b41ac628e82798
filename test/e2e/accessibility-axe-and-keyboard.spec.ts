// The dashboard without a mouse and without sight: axe-core finds no violations in light and
// dark mode (live list, detail open, diagnoses open), the list is an ARIA grid the arrow keys
// move through, and focus stays where the user put it while traffic keeps arriving.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { caughtUp, cellOf, expect, openDiagnoses, rows, test, waitLive } from './fixtures.ts';
import { runLoad } from './support/statescope.ts';

async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

for (const colorScheme of ['light', 'dark'] as const) {
  test(`axe reports no violations in ${colorScheme} mode: live list, detail open, session view, diagnoses`, async ({ page, statescope, shot }) => {
    test.setTimeout(180_000); // axe is slow on a loaded machine
    await page.emulateMedia({ colorScheme });
    const s = await statescope(['--no-embedded-version-header']);
    await page.goto(s.dashboardUrl);
    await waitLive(page);
    const report = await runLoad(s.proxyAddress, { sessions: 6, rate: 40, duration: 3, restartEvery: 1 });
    await caughtUp(page, report.operationsTotal);

    expect(await violations(page), 'live list').toEqual([]);

    // A selected row (its contrast was the old failure) with its detail open.
    const row = rows(page).nth(5);
    await cellOf(row, 'time').click();
    await expect(page.getByTestId('detail-panel').getByRole('heading', { name: 'Reply head' })).toBeVisible();
    expect(await violations(page), 'detail open').toEqual([]);
    await shot(page, `axe-detail-${colorScheme}`);

    // The session view on its time axis, and the verdict's details.
    await cellOf(row, 'session').getByRole('button').click();
    await expect(page.getByTestId('session-timeline')).toBeVisible();
    await page.getByRole('region', { name: 'Verdict' }).getByRole('button', { name: 'Details' }).click();
    expect(await violations(page), 'session view and verdict details').toEqual([]);

    await openDiagnoses(page);
    await expect(page.getByTestId('diagnosis').first()).toBeVisible();
    expect(await violations(page), 'diagnoses and charts').toEqual([]);
    await shot(page, `axe-diagnoses-${colorScheme}`);
  });
}

test('the list is an ARIA grid: rows take focus, arrow keys and Enter work, the verdict is a region', async ({ page, statescope }) => {
  const s = await statescope();
  await page.goto(s.dashboardUrl);
  await waitLive(page);
  const report = await runLoad(s.proxyAddress, { sessions: 4, rate: 40, duration: 1.5 });
  await caughtUp(page, report.operationsTotal);

  await expect(page.getByRole('region', { name: 'Verdict' })).toBeVisible();
  const grid = page.getByRole('grid', { name: 'Exchanges' });
  await expect(grid).toBeVisible();
  await expect(grid.getByRole('columnheader', { name: 'Status' })).toBeVisible();
  const gridRows = grid.getByRole('row');
  expect(await gridRows.count()).toBeGreaterThan(5);
  await expect(gridRows.nth(1).getByRole('gridcell').first()).toBeAttached();

  // Tab reaches the grid's one tabbable row (roving tabindex), the newest.
  const tabbable = grid.locator('[role="row"][tabindex="0"]');
  await expect(tabbable).toHaveCount(1);
  await tabbable.focus();
  await page.keyboard.press('ArrowUp');
  const selected = grid.locator('[role="row"][aria-selected="true"]');
  await expect(selected).toBeFocused();
  const first = Number(await selected.getAttribute('data-id'));
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await expect.poll(async () => Number(await selected.getAttribute('data-id'))).toBeLessThan(first);
  await expect(selected).toBeFocused();
  await page.keyboard.press('Home');
  const oldest = Number(await selected.getAttribute('data-id'));
  await expect(selected).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect.poll(async () => Number(await selected.getAttribute('data-id'))).toBeGreaterThan(oldest);
  const id = Number(await selected.getAttribute('data-id'));
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('detail-panel').getByRole('heading', { name: `Exchange #${id}` })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('detail-panel')).toHaveCount(0);
});

test('focus is not lost while traffic flows: on a row, and on a diagnosis evidence link', async ({ page, statescope, load }) => {
  const s = await statescope(['--no-embedded-version-header']);
  await page.goto(s.dashboardUrl);
  await waitLive(page);
  const run = load(s.proxyAddress, { sessions: 8, rate: 60, duration: 30, restartEvery: 1 });
  await expect(rows(page).nth(10)).toBeVisible();

  // j with nothing selected goes to the newest row; focus it and let traffic flow.
  await page.keyboard.press('j');
  const selected = page.locator('[data-testid="exchange-row"][aria-selected="true"]');
  await selected.focus();
  const id = await selected.getAttribute('data-id');
  const captured = async (): Promise<number> =>
    ((await (await page.request.get(new URL('/api/stats', s.dashboardOrigin).href)).json()) as { stats: { totals: { exchanges: number } } }).stats.totals.exchanges;
  const before = await captured();
  // Traffic keeps arriving (the list grows underneath the focused row).
  await expect.poll(captured).toBeGreaterThan(before + 100);
  await page.waitForTimeout(3000);
  await expect(page.locator(`[data-testid="exchange-row"][data-id="${id}"]`)).toBeFocused();

  // The evidence links of the diagnoses hold still while focused.
  await openDiagnoses(page);
  const link = page.getByTestId('diagnosis').first().getByRole('button', { name: /^Open exchange \d+$/ }).first();
  await link.focus();
  const name = await link.getAttribute('aria-label');
  await page.waitForTimeout(3500);
  await expect(page.getByTestId('diagnosis').first().getByRole('button', { name: name! })).toBeFocused();
  await run.stop();
});
