// Finding the exchanges that matter among thousands: by operation, status, version header
// state and session id.
import { caughtUp, cellOf, cellTexts as columnTexts, exchangeCount, expect, rows, test, versionWords, waitLive } from './fixtures.ts';
import { runLoad } from './support/statescope.ts';

test('filters narrow the rows: operation, status, header state and a session id search', async ({ page, statescope, shot }) => {
  const s = await statescope(['--no-embedded-version-header']);
  await page.goto(s.dashboardUrl);
  await waitLive(page);

  // Some replies missing the header, then (injection switched on) some injected.
  const missing = await runLoad(s.proxyAddress, { sessions: 8, rate: 100, duration: 2 });
  const res = await page.request.post(new URL('/api/injection', s.dashboardOrigin).href, { data: { enabled: true } });
  expect(res.status()).toBe(200);
  const injected = await runLoad(s.proxyAddress, { sessions: 8, rate: 100, duration: 2 });
  const total = missing.operationsTotal + injected.operationsTotal;
  await caughtUp(page, total);

  const operation = page.getByRole('combobox', { name: 'Operation' });
  const status = page.getByRole('combobox', { name: 'Status' });
  const header = page.getByRole('combobox', { name: 'Version header' });
  const search = page.getByRole('searchbox', { name: 'Search exchanges' });
  const clear = page.getByRole('button', { name: 'Clear filters' });
  const cellTexts = (col: string) => columnTexts(page, col);

  // Operation.
  await operation.selectOption('Set');
  await expect.poll(async () => (await exchangeCount(page)).shown).toBeLessThan(total);
  const sets = (await exchangeCount(page)).shown;
  expect(sets).toBeGreaterThan(0);
  expect(new Set(await cellTexts('operation'))).toEqual(new Set(['Set']));
  await shot(page, 'filter-operation');
  await clear.click();
  await expect.poll(async () => (await exchangeCount(page)).shown).toBe(total);

  // Status: new sessions start with a 404 (GetExclusive on an unknown id).
  await status.selectOption('404');
  await expect.poll(async () => (await exchangeCount(page)).shown).toBeLessThan(total);
  expect((await exchangeCount(page)).shown).toBeGreaterThan(0);
  expect(new Set(await cellTexts('status'))).toEqual(new Set(['404']));
  await status.selectOption('2xx');
  await expect.poll(async () => (await exchangeCount(page)).shown).toBeGreaterThan(0);
  expect((await cellTexts('status')).every((t) => /^2\d\d$/.test(t))).toBe(true);
  await clear.click();

  // Header state: the two halves add up to the whole.
  await header.selectOption('missing');
  await expect.poll(async () => (await exchangeCount(page)).shown).toBe(missing.operationsTotal);
  expect(new Set((await versionWords(page)).map((r) => r.word))).toEqual(new Set(['missing']));
  await header.selectOption('injected');
  await expect.poll(async () => (await exchangeCount(page)).shown).toBe(injected.operationsTotal);
  expect(new Set((await versionWords(page)).map((r) => r.word))).toEqual(new Set(['injected']));
  await header.selectOption('present');
  await expect.poll(async () => (await exchangeCount(page)).shown).toBe(0);
  await expect(rows(page)).toHaveCount(0);
  await clear.click();

  // Text search on a session id taken from the table.
  const sessionId = ((await cellOf(rows(page).last(), 'session').textContent()) ?? '').trim();
  expect(sessionId).toMatch(/^[a-z0-5]{24}$/);
  await search.fill(sessionId.slice(0, 12)); // a prefix is enough
  await expect.poll(async () => (await exchangeCount(page)).shown).toBeLessThan(total);
  const ofSession = (await exchangeCount(page)).shown;
  expect(ofSession).toBeGreaterThan(0);
  expect(new Set(await cellTexts('session'))).toEqual(new Set([sessionId]));
  await shot(page, 'filter-session');

  // Filters combine.
  await operation.selectOption('GetExclusive');
  await expect.poll(async () => (await exchangeCount(page)).shown).toBeLessThan(ofSession);
  expect(new Set(await cellTexts('operation'))).toEqual(new Set(['GetExclusive']));
  expect(new Set(await cellTexts('session'))).toEqual(new Set([sessionId]));
  await clear.click();
  await expect(search).toHaveValue('');
  await expect.poll(async () => (await exchangeCount(page)).shown).toBe(total);
});
