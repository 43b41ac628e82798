// One user's session over time: which request held the lock, who waited, when it was released.
import { caughtUp, exchangeCount, expect, rows, test, waitLive } from './fixtures.ts';
import { runLoad } from './support/statescope.ts';

test('clicking a session id opens that session\'s timeline with its lock history', async ({ page, statescope, shot }) => {
  const s = await statescope();
  await page.goto(s.dashboardUrl);
  await waitLive(page);
  const report = await runLoad(s.proxyAddress, { sessions: 3, rate: 30, duration: 2 });
  expect(report.operationsTotal).toBeGreaterThan(20);
  await caughtUp(page, report.operationsTotal);

  const row = rows(page).last();
  const sessionButton = row.getByRole('button', { name: /^[a-z0-5]{24}$/ });
  const sessionId = ((await sessionButton.textContent()) ?? '').trim();
  await sessionButton.click();

  const timeline = page.getByTestId('session-timeline');
  await expect(timeline).toBeVisible();
  await expect(timeline.getByRole('heading')).toHaveText(`Session ${sessionId}`);
  // Clicking the session id does not open the row's detail.
  await expect(page.getByTestId('detail-panel')).toHaveCount(0);

  const entries = timeline.getByRole('list', { name: 'Exchanges of this session' }).getByRole('listitem');
  const count = await entries.count();
  expect(count).toBeGreaterThan(2);
  await expect(timeline.getByText(/lock acquired \(cookie \d+\)/).first()).toBeVisible();
  await expect(timeline.getByText('lock released').first()).toBeVisible();

  // It holds exactly the exchanges a search for that session id finds.
  await page.getByRole('searchbox', { name: 'Search exchanges' }).fill(sessionId);
  await expect.poll(async () => (await exchangeCount(page)).shown).toBe(count);

  // Entries open the exchange's detail alongside.
  await entries.first().getByRole('button').click();
  const detail = page.getByTestId('detail-panel');
  await expect(detail).toBeVisible();
  await expect(detail.locator('.fields').getByRole('button', { name: sessionId })).toBeVisible();
  await shot(page, 'session-timeline');

  await page.keyboard.press('Escape');
  await expect(timeline).toHaveCount(0);
  await expect(detail).toHaveCount(0);
});
