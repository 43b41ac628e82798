// A dashboard reachable from the network can switch injection on the wire, so it needs the
// token statescope prints; on loopback it does not.
import { cellOf, exchangeCount, expect, rows, test, waitLive } from './fixtures.ts';

test('bound beyond loopback, the page asks for the token, the API answers 401 without it, and the printed URL works', async ({
  page,
  statescope,
  load,
  shot,
}) => {
  const s = await statescope(['--dashboard', '0.0.0.0:0']);
  expect(s.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{16,}$/);
  expect(s.token).not.toBeNull();
  const run = load(s.proxyAddress, { sessions: 4, rate: 30, duration: 15 });

  // Without the token: the token screen, and no data.
  await page.goto(`${s.dashboardOrigin}/`);
  await expect(page.getByRole('heading', { name: 'Token required' })).toBeVisible();
  await expect(page.getByLabel('Access token')).toBeVisible();
  await expect(rows(page)).toHaveCount(0);
  await expect(page.getByRole('switch', { name: 'Inject X-AspNet-Version' })).toHaveCount(0);
  await shot(page, 'token-screen');

  const api = (path: string, headers: Record<string, string> = {}) => page.request.get(`${s.dashboardOrigin}${path}`, { headers });
  expect((await api('/api/snapshot')).status()).toBe(401);
  expect((await api('/api/snapshot', { Authorization: 'Bearer wrong-token' })).status()).toBe(401);
  expect((await api('/api/snapshot', { Authorization: `Bearer ${s.token}` })).status()).toBe(200);

  // The printed URL: the token is taken from it (and removed from the address bar), the table works.
  await page.goto(s.dashboardUrl);
  await waitLive(page);
  await expect(page).toHaveURL(`${s.dashboardOrigin}/`);
  await expect(rows(page).first()).toBeVisible();
  const seen = (await exchangeCount(page)).total;
  await expect.poll(async () => (await exchangeCount(page)).total).toBeGreaterThan(seen);
  await cellOf(rows(page).last(), 'time').click();
  await expect(page.getByTestId('detail-panel').getByRole('heading', { name: 'Reply head' })).toBeVisible();
  await shot(page, 'token-accepted');

  // Pasting the token into the form works too (a fresh tab has no stored token).
  const fresh = await page.context().newPage();
  await fresh.goto(`${s.dashboardOrigin}/`);
  await fresh.getByLabel('Access token').fill(s.token!);
  await fresh.getByRole('button', { name: 'Connect' }).click();
  await waitLive(fresh);
  await expect(rows(fresh).first()).toBeVisible();
  await fresh.close();
  await run.stop();
});

test('on loopback no token is needed', async ({ page, statescope }) => {
  const s = await statescope();
  expect(s.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  expect((await page.request.get(`${s.dashboardOrigin}/api/snapshot`)).status()).toBe(200);
});
