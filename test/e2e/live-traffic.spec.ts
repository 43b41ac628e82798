// The first thing a user sees: the empty state telling them what to put in web.config, then
// rows arriving live as ASP.NET (here: the client emulator) talks through the proxy.
import { exchangeCount, expect, openVerdictDetails, rows, test, waitLive } from './fixtures.ts';

test('before any traffic, the page shows the web.config line with the proxy address', async ({ page, statescope, shot }) => {
  const s = await statescope();
  await page.goto(s.dashboardUrl);
  await waitLive(page);

  await expect(page.getByRole('heading', { name: 'No exchanges yet' })).toBeVisible();
  const configLine = `<sessionState mode="StateServer" stateConnectionString="tcpip=${s.proxyAddress}" />`;
  await expect(page.locator('.empty-state code', { hasText: configLine })).toHaveText(configLine);
  await expect(page.getByRole('button', { name: 'Copy web.config line' })).toBeVisible();
  await expect(page.locator('.empty-state code', { hasText: 'statescope load' })).toHaveText(`npx statescope load --target ${s.proxyAddress}`);
  // The header says the same address, so the two cannot disagree.
  await expect(page.getByRole('definition').filter({ hasText: s.proxyAddress }).first()).toBeVisible();
  await expect(rows(page)).toHaveCount(0);
  await shot(page, 'empty-state');
});

test('rows appear live while traffic flows, without reloading the page', async ({ page, statescope, load, shot }) => {
  const s = await statescope();
  await page.goto(s.dashboardUrl);
  await waitLive(page);
  await expect(page.getByRole('heading', { name: 'No exchanges yet' })).toBeVisible();
  // A marker that a reload would wipe out.
  await page.evaluate(() => ((window as unknown as { e2eMarker: number }).e2eMarker = 1));

  const run = load(s.proxyAddress, { sessions: 6, rate: 40, duration: 12 });

  await expect(rows(page).first()).toBeVisible();
  await expect(page.getByRole('heading', { name: 'No exchanges yet' })).toHaveCount(0);
  const first = (await exchangeCount(page)).total;
  const firstNewest = Number(await rows(page).last().getAttribute('data-id'));

  // Several live updates in a row: the count and the newest row id keep growing.
  let previous = first;
  for (let i = 0; i < 3; i++) {
    await expect.poll(async () => (await exchangeCount(page)).total, { timeout: 5000 }).toBeGreaterThan(previous);
    previous = (await exchangeCount(page)).total;
  }
  // The table follows the newest row.
  await expect.poll(async () => Number(await rows(page).last().getAttribute('data-id'))).toBeGreaterThan(firstNewest);
  await expect(rows(page).last()).toBeInViewport();
  expect(await page.evaluate(() => (window as unknown as { e2eMarker?: number }).e2eMarker)).toBe(1);

  // The verdict card counts the same replies (the embedded server sends the header by default).
  await expect(page.getByTestId('verdict-card')).toContainText(/ASP\.NET receives X-AspNet-Version: present in \d+ of \d+ replies/);
  await expect(await openVerdictDetails(page)).toContainText(/X-AspNet-Version: present in \d+ of \d+ replies/);
  await shot(page, 'live-rows');
  await run.stop();
});
