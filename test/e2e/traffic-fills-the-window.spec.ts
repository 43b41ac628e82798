// The list is the main thing: at every common window size it takes the height left by a
// compact strip, shows at least 15 rows, cuts none of the columns that matter, and keeps the
// clicked row where it was when its detail opens. Column and pane sizes are remembered.
import type { Page } from '@playwright/test';
import { caughtUp, cellOf, expect, openDashboard, rows, test, waitLive } from './fixtures.ts';
import { runLoad } from './support/statescope.ts';

const VIEWPORTS = [
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
  { width: 900, height: 720 },
];
const MUST_NOT_BE_CUT = ['time', 'operation', 'session', 'status', 'version'];

/** Rows entirely inside the list's scroll area. */
async function fullyVisibleRows(page: Page): Promise<number> {
  return page.locator('.grid-body').evaluate((body) => {
    const box = body.getBoundingClientRect();
    return [...body.querySelectorAll('[role="row"]')].filter((r) => {
      const b = r.getBoundingClientRect();
      return b.top >= box.top - 0.5 && b.bottom <= box.bottom + 0.5 && b.bottom <= window.innerHeight;
    }).length;
  });
}

/** Cells of the given columns whose text does not fit (ellipsis), as "column: text". */
async function cutCells(page: Page, columns: string[]): Promise<string[]> {
  return page.locator('.grid-body').evaluate(
    (body, cols) =>
      [...body.querySelectorAll<HTMLElement>('[role="gridcell"]')]
        .filter((c) => cols.includes(c.dataset.col ?? '') && c.scrollWidth > c.clientWidth + 1)
        .map((c) => `${c.dataset.col}: ${c.textContent}`),
    columns,
  );
}

for (const viewport of VIEWPORTS) {
  test(`${viewport.width}×${viewport.height}: at least 15 rows, nothing important cut, the clicked row stays put when its detail opens`, async ({
    page,
    statescope,
    shot,
  }) => {
    const s = await openDashboard(page, statescope, ['--no-embedded-version-header'], viewport);
    const report = await runLoad(s.proxyAddress, { sessions: 6, rate: 60, duration: 2, restartEvery: 1 });
    await caughtUp(page, report.operationsTotal);

    expect(await fullyVisibleRows(page)).toBeGreaterThanOrEqual(15);
    const header = page.getByRole('grid', { name: 'Exchanges' }).getByRole('columnheader');
    for (const col of MUST_NOT_BE_CUT) await expect(page.locator(`[role="columnheader"][data-col="${col}"]`)).toBeVisible();
    expect(await header.count()).toBeGreaterThanOrEqual(MUST_NOT_BE_CUT.length);
    expect(await cutCells(page, MUST_NOT_BE_CUT)).toEqual([]);
    await shot(page, `list-${viewport.width}`);

    // Click a row in the middle of what is shown: it must not move when the side pane opens.
    const visibleIds = await page.locator('.grid-body').evaluate((body) => {
      const box = body.getBoundingClientRect();
      return [...body.querySelectorAll<HTMLElement>('[role="row"]')]
        .filter((r) => r.getBoundingClientRect().top >= box.top && r.getBoundingClientRect().bottom <= box.bottom)
        .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
        .map((r) => r.dataset.id!);
    });
    const id = visibleIds[Math.floor(visibleIds.length / 2)]!;
    const row = page.locator(`[data-testid="exchange-row"][data-id="${id}"]`);
    const before = (await row.boundingBox())!;
    await cellOf(row, 'time').click();
    await expect(page.getByTestId('detail-panel').getByRole('heading', { name: `Exchange #${id}` })).toBeVisible();
    const same = page.locator(`[data-testid="exchange-row"][data-id="${id}"]`);
    await expect(same).toHaveAttribute('aria-selected', 'true');
    await expect(same).toBeInViewport({ ratio: 1 });
    expect(Math.abs((await same.boundingBox())!.y - before.y)).toBeLessThanOrEqual(2);
    // With the pane open the important columns still fit (at 900 px the time gives way, whole,
    // and the Columns menu says so), and the list keeps its rows.
    const keep = viewport.width < 1000 ? MUST_NOT_BE_CUT.filter((c) => c !== 'time') : MUST_NOT_BE_CUT;
    for (const col of keep) await expect(page.locator(`[role="columnheader"][data-col="${col}"]`)).toBeVisible();
    expect(await cutCells(page, keep)).toEqual([]);
    if (keep.length < MUST_NOT_BE_CUT.length) await expect(page.getByRole('button', { name: /^Columns \(\d+ left out\)$/ })).toBeVisible();
    expect(await fullyVisibleRows(page)).toBeGreaterThanOrEqual(15);
    await shot(page, `detail-${viewport.width}`);
  });
}

test('columns resize and hide, the side pane resizes, and all of it survives a reload', async ({ page, statescope }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  const s = await statescope();
  await page.goto(s.dashboardUrl);
  await waitLive(page);
  const report = await runLoad(s.proxyAddress, { sessions: 4, rate: 40, duration: 1 });
  await caughtUp(page, report.operationsTotal);

  const timeHeader = page.locator('[role="columnheader"][data-col="time"]');
  const width = async () => (await timeHeader.boundingBox())!.width;
  const w0 = await width();
  const handle = page.getByRole('separator', { name: 'Resize Time' });
  await handle.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect.poll(width).toBeCloseTo(w0 + 32, 0);
  // ...and by dragging.
  const box = (await handle.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  await expect.poll(width).toBeCloseTo(w0 + 72, 0);

  await page.getByRole('button', { name: /^Columns/ }).click();
  await page.getByRole('group', { name: 'Columns' }).getByLabel('Client').uncheck();
  await expect(page.locator('[role="columnheader"][data-col="client"]')).toHaveCount(0);

  await cellOf(rows(page).nth(3), 'time').click();
  const side = page.locator('#side-pane');
  const sideWidth = async () => (await side.boundingBox())!.width;
  const s0 = await sideWidth();
  await page.getByRole('separator', { name: 'Resize side pane' }).focus();
  await page.keyboard.press('ArrowLeft');
  await expect.poll(sideWidth).toBeCloseTo(s0 + 24, 0);

  await page.reload();
  await waitLive(page);
  await expect(rows(page).first()).toBeVisible();
  await expect.poll(width).toBeCloseTo(w0 + 72, 0);
  await expect(page.locator('[role="columnheader"][data-col="client"]')).toHaveCount(0);
  await cellOf(rows(page).nth(3), 'time').click();
  await expect.poll(sideWidth).toBeCloseTo(s0 + 24, 0);

  await page.keyboard.press('Escape'); // close the pane: at 1280 px every column fits without it
  await page.getByRole('button', { name: /^Columns/ }).click();
  await page.getByRole('button', { name: 'Reset widths and columns' }).click();
  await expect(page.locator('[role="columnheader"][data-col="client"]')).toHaveCount(1);
});
