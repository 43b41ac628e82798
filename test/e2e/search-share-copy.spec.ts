// Finding and sharing: search across session id, app, client address, lock cookie, status and
// header text; a click on a value filters by it; filters and selection travel in the URL; copy
// buttons give the raw heads byte for byte and the exchange as JSON.
import { caughtUp, cellOf, cellTexts, exchangeCount, expect, openDashboard, rows, test, VIEWPORTS, waitLive } from './fixtures.ts';
import { createItem, getExclusive, RawClient } from './support/raw-client.ts';
import { runLoad } from './support/statescope.ts';

for (const viewport of [VIEWPORTS.small, VIEWPORTS.narrow]) {
  test(`${viewport.width} px: search by client, cookie, status and header; click to filter; the URL reopens the same view; copy is exact`, async ({
    page,
    statescope,
    context,
    shot,
  }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const s = await openDashboard(page, statescope, [], viewport);
    const report = await runLoad(s.proxyAddress, { sessions: 3, rate: 60, duration: 2 });
    // A client of our own, with a lock and a 423 on a session of its own.
    const raw = await RawClient.connect(s.proxyPort);
    const id = `search${viewport.width}`.padEnd(24, 'q');
    await raw.request(...createItem(id));
    const lock = await raw.request(getExclusive(id));
    const cookie = lock.header('LockCookie')!;
    expect((await raw.request(getExclusive(id))).status).toBe(423);
    const address = raw.address;
    raw.close();
    const total = report.operationsTotal + 3;
    await caughtUp(page, total);
    const search = page.getByRole('searchbox', { name: 'Search exchanges' });
    const shown = async () => (await exchangeCount(page)).shown;

    // At 900 px the client column gives way (low priority): there the detail shows it.
    const clientColumn = viewport.width >= 1280;
    await search.fill(`client:${address}`);
    await expect.poll(shown).toBe(3);
    if (clientColumn) expect(new Set(await cellTexts(page, 'client'))).toEqual(new Set([address]));
    await search.fill(`status:423 client:${address}`);
    await expect.poll(shown).toBe(1);
    await search.fill(`cookie:${cookie} session:${id}`);
    await expect.poll(shown).toBe(2); // the lock, and the 423 naming it
    await search.fill('header:lockage');
    await expect.poll(shown).toBeGreaterThan(0);
    expect((await cellTexts(page, 'lock')).every((t) => /\(\d+s\)$/.test(t))).toBe(true);
    await search.fill('status:423');
    await expect.poll(shown).toBeGreaterThan(0);
    expect(new Set(await cellTexts(page, 'status'))).toEqual(new Set(['423']));

    // Click a client address in a row (or, at 900 px, in the detail): the list narrows to it.
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(shown).toBe(total);
    let clicked: string;
    if (clientColumn) {
      const client = cellOf(rows(page).last(), 'client');
      clicked = ((await client.textContent()) ?? '').trim();
      await client.getByRole('button').click();
    } else {
      await cellOf(rows(page).last(), 'operation').click();
      const button = page.getByTestId('detail-panel').getByRole('button', { name: /^127\.0\.0\.1:\d+$/ });
      clicked = ((await button.textContent()) ?? '').trim();
      await button.click();
    }
    await expect(search).toHaveValue(`client:${clicked}`);
    await expect.poll(shown).toBeLessThan(total);
    if (clientColumn) expect(new Set(await cellTexts(page, 'client'))).toEqual(new Set([clicked]));

    // Select one and open it: the URL now says all of it.
    const row = rows(page).last();
    const rowId = Number(await row.getAttribute('data-id'));
    await cellOf(row, 'operation').click();
    const detail = page.getByTestId('detail-panel');
    await expect(detail.getByRole('heading', { name: `Exchange #${rowId}` })).toBeVisible();
    await page.getByRole('combobox', { name: 'Operation' }).selectOption('GetExclusive');
    await expect(page).toHaveURL(new RegExp(`[?&]sel=${rowId}(&|$)`));
    const url = page.url();
    expect(new URL(url).searchParams.get('q')).toBe(`client:${clicked}`);
    expect(new URL(url).searchParams.get('kind')).toBe('GetExclusive');

    // Copy the request head: the exact bytes, CR LF and all.
    const record = (await (await page.request.get(new URL(`/api/exchanges/${rowId}`, s.dashboardOrigin).href)).json()) as {
      request: { head: string };
      reply: { head: string };
    };
    await detail.getByRole('button', { name: 'Copy request head' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(record.request.head);
    expect(record.request.head).toContain('\r\n\r\n');
    await detail.getByRole('button', { name: 'Copy reply head' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(record.reply.head);
    await detail.getByRole('button', { name: 'Copy exchange as JSON' }).click();
    await expect.poll(async () => JSON.parse(await page.evaluate(() => navigator.clipboard.readText()))).toEqual(record);
    await shot(page, `search-${viewport.width}`);

    // The link opens the same view in a fresh tab.
    const other = await context.newPage();
    await other.setViewportSize(viewport);
    await other.goto(url);
    await waitLive(other);
    await expect(other.getByRole('searchbox', { name: 'Search exchanges' })).toHaveValue(`client:${clicked}`);
    await expect(other.getByRole('combobox', { name: 'Operation' })).toHaveValue('GetExclusive');
    await expect(other.getByTestId('detail-panel').getByRole('heading', { name: `Exchange #${rowId}` })).toBeVisible();
    await expect(other.locator(`[data-testid="exchange-row"][data-id="${rowId}"]`)).toHaveAttribute('aria-selected', 'true');
    await expect(other.locator(`[data-testid="exchange-row"][data-id="${rowId}"]`)).toBeInViewport();
    await other.close();
  });
}
