// A dashboard bound to every address: the banner prints a working URL (token included) for each
// of the machine's non-loopback addresses, and a wrong token is told apart from a missing one.
import { networkInterfaces } from 'node:os';
import { expect, rows, test, waitLive, VIEWPORTS } from './fixtures.ts';

const outside = Object.values(networkInterfaces())
  .flat()
  .filter((i) => i && !i.internal && i.family === 'IPv4')
  .map((i) => i!.address);

for (const viewport of [VIEWPORTS.small, VIEWPORTS.narrow]) {
  test(`${viewport.width} px: bound to 0.0.0.0, a URL per interface address works; a wrong token says so`, async ({ page, statescope, shot }) => {
    await page.setViewportSize(viewport);
    const s = await statescope(['--dashboard', '0.0.0.0:0']);
    const port = new URL(s.dashboardUrl).port;
    const printed = [...s.stdout().matchAll(/ {2}from another machine: (\S+)/g)].map((m) => m[1]!);
    expect(printed.map((u) => new URL(u).hostname).sort()).toEqual([...outside].sort());
    for (const url of printed) {
      expect(url).toBe(`http://${new URL(url).hostname}:${port}/?token=${s.token}`);
      const res = await page.request.get(new URL(`/api/snapshot?limit=1`, url).href, { headers: { Authorization: `Bearer ${s.token}` } });
      expect(res.status()).toBe(200);
    }

    // A wrong token in the URL: the token screen says it is wrong.
    await page.goto(`${s.dashboardOrigin}/?token=not-the-token`);
    await expect(page.getByRole('heading', { name: 'Token required' })).toBeVisible();
    await expect(page.getByRole('alert')).toContainText('Wrong token');
    await shot(page, `wrong-token-${viewport.width}`);
    // Typed in wrong, still wrong; typed in right, the dashboard opens.
    await page.getByLabel('Access token').fill('still-wrong');
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect(page.getByRole('alert')).toContainText('Wrong token');
    await page.getByLabel('Access token').fill(s.token!);
    await page.getByRole('button', { name: 'Connect' }).click();
    await waitLive(page);
    await expect(rows(page)).toHaveCount(0);
    await expect(page.getByRole('heading', { name: 'No exchanges yet' })).toBeVisible();

    // A fresh tab without any token: asked for one, not told it is wrong.
    const fresh = await page.context().newPage();
    await fresh.goto(`${s.dashboardOrigin}/`);
    await expect(fresh.getByRole('heading', { name: 'Token required' })).toBeVisible();
    await expect(fresh.getByRole('alert')).toHaveCount(0);
    await fresh.close();
  });
}
