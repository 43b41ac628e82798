// What is in a session, in the page: with --session-items, the emulator's real-format sessions
// show up as a "largest items" table across sessions, each session's item sizes over time, and
// the item table of one exchange; values never reach the page. Selected by roles and text only.
import { caughtUp, expect, openDiagnoses, test, waitLive } from './fixtures.ts';
import { runLoad } from './support/statescope.ts';

test('the page shows session items (names, types, sizes) and never their values', async ({ page, statescope, shot }) => {
  const s = await statescope(['--session-items']);
  await page.goto(s.dashboardUrl);
  await waitLive(page);
  const report = await runLoad(s.proxyAddress, { sessions: 3, rate: 40, duration: 2 });
  await caughtUp(page, report.operationsTotal);

  // Across sessions: which key makes sessions big (in the "Diagnoses & charts" pane).
  await openDiagnoses(page);
  const largest = page.getByRole('region', { name: 'Largest session items' });
  await expect(largest).toBeVisible({ timeout: 10_000 });
  const largestTable = largest.getByRole('table');
  await expect(largestTable.getByRole('columnheader')).toHaveText(['Key', 'Type', 'Largest', 'Share of its session', 'Sessions', 'Largest in session']);
  const cartRow = largestTable.getByRole('row').filter({ has: page.getByRole('cell', { name: 'Cart', exact: true }) });
  await expect(cartRow.getByRole('cell', { name: 'Object: Shop.ShoppingCart' })).toBeVisible();
  // The largest item is listed first, and by its real size: an Object blob, not a small value.
  const firstType = await largestTable.getByRole('row').nth(1).getByRole('cell').nth(1).textContent();
  expect(firstType).toMatch(/^Object: Shop\./);

  // Its session opens with each item's size over time.
  await cartRow.getByRole('button').click();
  const timeline = page.getByTestId('session-timeline');
  await expect(timeline).toBeVisible();
  const overTime = timeline.getByRole('region', { name: 'Session items over time' });
  await expect(overTime.getByRole('cell', { name: 'Cart', exact: true })).toBeVisible();
  await expect(overTime.getByRole('cell', { name: 'UserName', exact: true })).toBeVisible();
  await expect(overTime.getByRole('figure').first()).toBeVisible();

  // One Set of that session: its item table in the exchange detail.
  // (A string would match case-insensitively, and "ResetTimeout" contains "set".)
  await timeline.getByRole('button', { name: /^Open exchange \d+$/ }).filter({ hasText: /(?<![A-Za-z])Set(?![A-Za-z])/ }).first().click();
  const detail = page.getByTestId('detail-panel');
  const items = detail.getByRole('region', { name: 'Session items (Set body)' });
  await expect(items).toBeVisible();
  await expect(items.getByRole('columnheader')).toHaveText(['Key', 'Type', 'Size']);
  for (const [key, type, size] of [
    ['UserName', 'String', null],
    ['UserId', 'Int32', '5 B'],
    ['IsAuthenticated', 'Boolean', '2 B'],
    ['LastVisit', 'DateTime', '9 B'],
    ['CartTotal', 'Double', '9 B'],
    ['Cart', 'Object: Shop.ShoppingCart', null],
  ] as const) {
    const row = items.getByRole('row').filter({ has: page.getByRole('cell', { name: key, exact: true }) });
    await expect(row.getByRole('cell').nth(1)).toHaveText(type);
    if (size) await expect(row.getByRole('cell').nth(2)).toHaveText(size);
  }
  await expect(items.getByText('Values are never shown.')).toBeVisible();
  await shot(page, 'session-items');

  // The emulator's UserName values ("user1234@example.com") are nowhere in the page.
  expect(await page.locator('body').innerText()).not.toContain('@example.com');
});

test('without --session-items there is no item view and the session view says how to get one', async ({ page, statescope }) => {
  const s = await statescope();
  await page.goto(s.dashboardUrl);
  await waitLive(page);
  const report = await runLoad(s.proxyAddress, { sessions: 2, rate: 20, duration: 1 });
  await caughtUp(page, report.operationsTotal);
  await expect(page.getByRole('region', { name: 'Largest session items' })).toHaveCount(0);
  await page.getByRole('row').nth(1).getByRole('button', { name: /^[a-z0-5]{24}$/ }).click();
  const timeline = page.getByTestId('session-timeline');
  await expect(timeline.getByText(/start statescope with --session-items/)).toBeVisible();
});
