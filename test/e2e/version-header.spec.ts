// The product's reason to exist: a state server whose replies lack X-AspNet-Version makes
// ASP.NET throw on the first request after every app start. The page must show it, quote the
// error, and fix it with one switch.
import path from 'node:path';
import { caughtUp, cellOf, exchangeCount, expect, openDiagnoses, openVerdictDetails, rows, test, versionWords, waitLive } from './fixtures.ts';
import { needV2Errors, NEED_V2_TEXT, repoRoot, runLoad } from './support/statescope.ts';

const README_SHOT = path.join(repoRoot, 'ui', 'screenshots', 'dashboard.png');

test('without the header, every row shows "missing" and the verdict quotes ASP.NET\'s error', async ({ page, statescope, shot }) => {
  const s = await statescope(['--no-embedded-version-header']);
  await page.goto(s.dashboardUrl);
  await waitLive(page);

  const report = await runLoad(s.proxyAddress, { sessions: 6, rate: 80, duration: 3, restartEvery: 1 });
  expect(needV2Errors(report)).toBeGreaterThan(0);

  await expect(rows(page).first()).toBeVisible();
  // Every exchange the emulator made is in the list once the feed has caught up.
  await caughtUp(page, report.operationsTotal);
  const words = await versionWords(page);
  expect(words.length).toBeGreaterThan(5);
  expect(new Set(words.map((w) => w.word))).toEqual(new Set(['missing']));

  const card = await openVerdictDetails(page);
  // Once the list and the stats have caught up, the verdict counts exactly the rows captured.
  await expect
    .poll(async () => {
      const m = /present in (\d+) of (\d+) replies/.exec((await card.textContent()) ?? '');
      return m ? `${m[1]} of ${m[2]}` : null;
    })
    .toBe(`0 of ${report.operationsTotal}`);
  await expect(card).toHaveAttribute('data-tone', 'bad');
  await expect(card.getByText(/replies reach ASP\.NET without X-AspNet-Version/)).toBeVisible();
  await expect(card.locator('blockquote')).toHaveText(NEED_V2_TEXT);
  await expect(card).toContainText('missing and passed on without the header');
  await openDiagnoses(page);
  await expect(page.getByTestId('diagnosis').first()).toBeVisible();
  await shot(page, 'missing-header');
});

test('clicking "Inject X-AspNet-Version" makes the next exchanges "injected" and ASP.NET\'s version errors stop', async ({
  page,
  statescope,
  shot,
}) => {
  const s = await statescope(['--no-embedded-version-header']);
  await page.goto(s.dashboardUrl);
  await waitLive(page);

  // Before: each app restart hits the version error.
  const before = await runLoad(s.proxyAddress, { sessions: 6, rate: 80, duration: 3, restartEvery: 1 });
  expect(needV2Errors(before)).toBeGreaterThan(0);
  await caughtUp(page, before.operationsTotal);
  const lastBefore = Math.max(...(await versionWords(page)).map((r) => r.id));

  const toggle = page.getByRole('switch', { name: 'Inject X-AspNet-Version' });
  await expect(toggle).not.toBeChecked();
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/injection') && r.request().method() === 'POST');
  await toggle.click();
  expect((await answered).status()).toBe(200);
  await expect(toggle).toBeChecked();
  await expect(page.getByText('On: takes effect on the next reply')).toBeVisible();

  // After: the same run, restarts and all, without a single version error.
  const after = await runLoad(s.proxyAddress, { sessions: 6, rate: 80, duration: 3, restartEvery: 1 });
  expect(after.pages.completed).toBeGreaterThan(0);
  expect(needV2Errors(after)).toBe(0);
  expect(after.errors).toEqual([]);

  await caughtUp(page, before.operationsTotal + after.operationsTotal);
  const shown = await versionWords(page);
  const newer = shown.filter((r) => r.id > lastBefore);
  expect(newer.length).toBeGreaterThan(5);
  expect(new Set(newer.map((r) => r.word))).toEqual(new Set(['injected']));
  // The exchanges from before the switch still say what happened to them.
  await page.getByRole('combobox', { name: 'Version header' }).selectOption('missing');
  await expect.poll(async () => (await exchangeCount(page)).shown).toBe(before.operationsTotal);
  await page.getByRole('combobox', { name: 'Version header' }).selectOption('injected');
  await expect.poll(async () => (await exchangeCount(page)).shown).toBe(after.operationsTotal);
  await page.getByRole('button', { name: 'Clear filters' }).click();

  const card = await openVerdictDetails(page);
  await expect(card).toContainText('injected by statescope');
  await expect(card).toContainText('Injection is on.');
  await expect(card).toContainText('Fixed by injection');
  await shot(page, 'injection-on');

  // README picture: real traffic, the newest (injected) reply open in the detail panel.
  const lockRow = rows(page).filter({ hasText: 'GetExclusive' }).filter({ hasText: 'injected' }).last();
  await cellOf(lockRow, 'time').click();
  const detail = page.getByTestId('detail-panel');
  await expect(detail.locator('.injected-line')).toContainText('X-AspNet-Version: 4.0.30319');
  // Frame it: the live list on the left, the reply head with its injected line on the right.
  await page.getByRole('region', { name: 'Verdict' }).getByRole('button', { name: 'Hide details' }).click();
  await detail.getByRole('heading', { name: 'Reply head' }).evaluate((el) => el.scrollIntoView({ block: 'center' }));
  // The committed README picture is refreshed on request only, so a test run leaves the work
  // tree clean: UPDATE_README_SCREENSHOT=1 npm run test:e2e
  if (process.env.UPDATE_README_SCREENSHOT === '1') await page.screenshot({ path: README_SHOT });
  await shot(page, 'injected-detail');
});
