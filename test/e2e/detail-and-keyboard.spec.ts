// Looking at one exchange: the raw heads as on the wire (the injected line marked where it
// went), the decoded protocol fields, and getting around with the keyboard alone.
import { caughtUp, cellOf, expect, rows, test, waitLive } from './fixtures.ts';
import { runLoad } from './support/statescope.ts';

test('the detail view shows the raw reply head with the injected line marked and the decoded fields; Esc closes it', async ({
  page,
  statescope,
  shot,
}) => {
  const s = await statescope(['--no-embedded-version-header', '--inject-version']);
  await page.goto(s.dashboardUrl);
  await waitLive(page);
  const report = await runLoad(s.proxyAddress, { sessions: 4, rate: 60, duration: 1.5 });
  await caughtUp(page, report.operationsTotal);

  // A GetExclusive that got its lock: the richest reply (LockCookie, Timeout, ActionFlags).
  await page.getByRole('combobox', { name: 'Operation' }).selectOption('GetExclusive');
  await page.getByRole('combobox', { name: 'Status' }).selectOption('2xx');
  await expect(rows(page).last()).toBeVisible();
  const id = Number(await rows(page).last().getAttribute('data-id'));
  const row = page.locator(`[data-testid="exchange-row"][data-id="${id}"]`);
  const sessionId = ((await cellOf(row, 'session').textContent()) ?? '').trim();
  await cellOf(row, 'time').click();

  const detail = page.getByTestId('detail-panel');
  await expect(detail).toBeVisible();
  await expect(detail.getByRole('heading', { name: `Exchange #${id}` })).toBeVisible();

  // Raw reply head: status line, then the injected line, marked, then the upstream's own lines.
  const replyHead = detail.getByLabel('Reply head as on the wire');
  const injected = replyHead.locator('.injected-line');
  await expect(injected).toHaveCount(1);
  await expect(injected).toContainText('X-AspNet-Version: 4.0.30319');
  await expect(injected).toContainText('← injected by statescope');
  const lines = ((await replyHead.innerText()) ?? '').split('\n');
  expect(lines[0]).toBe('200 OK\\r\\n');
  expect(lines[1]).toMatch(/^X-AspNet-Version: 4\.0\.30319\\r\\n\s*← injected by statescope$/);
  expect(lines[2]).toMatch(/^LockCookie: \d+\\r\\n$/);
  // ...and on screen the upstream's next line starts on a line of its own, at the left edge.
  const layout = await replyHead.evaluate((pre) => {
    const marked = pre.querySelector('.injected-line')!;
    let next = marked.nextSibling!;
    while ((next.textContent ?? '').trim() === '') next = next.nextSibling!;
    const range = document.createRange();
    range.selectNodeContents(next);
    const r = range.getClientRects()[0]!;
    const p = pre.getBoundingClientRect();
    return { indent: r.left - p.left, below: r.top - marked.getBoundingClientRect().bottom };
  });
  expect(layout.indent).toBeLessThan(20);
  expect(layout.below).toBeGreaterThanOrEqual(-1);
  expect(lines).toContain('Cache-Control: private\\r\\n');
  expect((await replyHead.innerText()).match(/X-AspNet-Version/g)).toHaveLength(1);
  // The request head too, exactly as sent.
  await expect(detail.getByLabel('Request head as on the wire')).toContainText('Exclusive: acquire\\r\\n');

  // Decoded fields.
  const field = (name: string) => detail.locator('.fields > div').filter({ has: page.getByRole('term').filter({ hasText: new RegExp(`^${name}$`) }) }).getByRole('definition');
  await expect(field('Operation')).toHaveText('GetExclusive (GET)');
  await expect(field('Session id')).toHaveText(sessionId);
  await expect(field('App id')).toHaveText('/LM/W3SVC/1/ROOT/WebApp');
  await expect(field('Lock cookie \\(reply\\)')).toHaveText(/^\d+$/);
  await expect(field('Timeout \\(reply\\)')).toHaveText('20 min');
  await expect(field('Status')).toHaveText('200 OK');
  await expect(field('X-AspNet-Version')).toContainText('injected');
  await expect(field('Version major read by ASP.NET')).toHaveText('4 (injected)');
  await shot(page, 'detail-injected');

  await page.keyboard.press('Escape');
  await expect(detail).toHaveCount(0);
});

test('keyboard: / focuses the search, j starts at the newest row, j and k move the selection, Enter opens the detail, Esc closes it', async ({
  page,
  statescope,
  shot,
}) => {
  const s = await statescope();
  await page.goto(s.dashboardUrl);
  await waitLive(page);
  const report = await runLoad(s.proxyAddress, { sessions: 4, rate: 40, duration: 1.5 });
  expect(report.operationsTotal).toBeGreaterThan(10);
  await caughtUp(page, report.operationsTotal);

  const filter = page.getByRole('searchbox', { name: 'Search exchanges' });
  await page.keyboard.press('/');
  await expect(filter).toBeFocused();
  await expect(filter).toHaveValue(''); // the "/" is not typed into the box
  await page.keyboard.press('Escape');
  await expect(filter).not.toBeFocused();

  const selected = page.locator('[data-testid="exchange-row"][aria-selected="true"]');
  const newest = Math.max(...(await rows(page).evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-id'))))));
  // With nothing selected, j starts at the newest row (the one just seen arriving).
  await page.keyboard.press('j');
  await expect(selected).toHaveCount(1);
  expect(Number(await selected.getAttribute('data-id'))).toBe(newest);
  await page.keyboard.press('k');
  await page.keyboard.press('k');
  await page.keyboard.press('k');
  await expect.poll(async () => Number(await selected.getAttribute('data-id'))).toBeLessThan(newest);
  const thirdId = Number(await selected.getAttribute('data-id'));
  await page.keyboard.press('j');
  await expect.poll(async () => Number(await selected.getAttribute('data-id'))).toBeGreaterThan(thirdId);
  const secondId = Number(await selected.getAttribute('data-id'));
  expect(secondId).toBeLessThan(newest);
  await expect(selected).toBeInViewport();

  await page.keyboard.press('Enter');
  const detail = page.getByTestId('detail-panel');
  await expect(detail.getByRole('heading', { name: `Exchange #${secondId}` })).toBeVisible();
  await shot(page, 'keyboard-detail');
  await page.keyboard.press('Escape');
  await expect(detail).toHaveCount(0);
  // The selection survives closing the panel.
  await expect(selected).toHaveAttribute('data-id', String(secondId));
});
