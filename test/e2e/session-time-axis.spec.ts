// One session on a time axis: who held the lock and for how long, who waited (423), and which
// release was forced by a waiter breaking the lock. The story is played exactly on the wire by
// two clients: A locks, B gets 423, B breaks the lock and takes it, B writes back (Set).
import { cellOf, expect, openDashboard, rows, test, VIEWPORTS } from './fixtures.ts';
import { createItem, getExclusive, RawClient, releaseExclusive, setItem } from './support/raw-client.ts';

for (const viewport of [VIEWPORTS.small, VIEWPORTS.medium, VIEWPORTS.narrow]) {
  test(`${viewport.width} px: lock hold bars with their holder, the 423 waiter and the forced release`, async ({ page, statescope, shot }) => {
    const s = await openDashboard(page, statescope, [], viewport);
    const id = `axis${viewport.width}`.padEnd(24, 'a');
    const a = await RawClient.connect(s.proxyPort);
    const b = await RawClient.connect(s.proxyPort);
    expect((await a.request(...createItem(id))).status).toBe(200);
    const locked = await a.request(getExclusive(id));
    expect(locked.status).toBe(200);
    const cookieA = locked.header('LockCookie')!;
    await new Promise((r) => setTimeout(r, 300)); // A holds the lock a while
    const wait = await b.request(getExclusive(id));
    expect(wait.status).toBe(423);
    // ASP.NET's way to break a stale lock: release it with the cookie from the 423, ask again.
    expect((await b.request(releaseExclusive(id, wait.header('LockCookie')!))).status).toBe(200);
    const mine = await b.request(getExclusive(id));
    expect(mine.status).toBe(200);
    const cookieB = mine.header('LockCookie')!;
    await new Promise((r) => setTimeout(r, 200));
    expect((await b.request(...setItem(id, cookieB))).status).toBe(200);
    const [addrA, addrB] = [a.address, b.address];
    a.close();
    b.close();

    await page.getByRole('searchbox', { name: 'Search exchanges' }).fill(`session:${id}`);
    await expect(rows(page)).toHaveCount(6);
    await cellOf(rows(page).first(), 'session').getByRole('button').click();
    const timeline = page.getByTestId('session-timeline');
    await expect(timeline).toBeVisible();

    await expect(timeline.getByRole('figure', { name: 'Session time axis' })).toContainText('6 exchanges over');
    await expect(timeline.getByRole('img')).toHaveAccessibleName(/2 lock holds; 1 replies 423 Locked; 1 forced releases/);
    const holds = timeline.getByTestId('lock-hold');
    await expect(holds).toHaveCount(2);
    await expect(holds.nth(0)).toHaveAttribute('title', new RegExp(`^Lock ${cookieA} held by ${addrA.replace(/\./g, '\\.')} .*forced by a waiter.*1 waiters got 423`));
    await expect(holds.nth(1)).toHaveAttribute('title', new RegExp(`^Lock ${cookieB} held by ${addrB.replace(/\./g, '\\.')} .*released by Set`));
    await expect(timeline.getByTestId('lock-wait')).toHaveCount(1);
    // On the axis: A's hold first and longer than B's, the waiter inside A's hold.
    const box = async (i: number) => (await holds.nth(i).boundingBox())!;
    const [h0, h1] = [await box(0), await box(1)];
    expect(h0.x).toBeLessThan(h1.x);
    expect(h0.width).toBeGreaterThan(h1.width);
    const w = (await timeline.getByTestId('lock-wait').boundingBox())!;
    expect(w.x).toBeGreaterThan(h0.x);
    expect(w.x).toBeLessThanOrEqual(h0.x + h0.width + 2);

    const table = timeline.getByRole('table');
    await expect(table.getByRole('row').nth(1)).toContainText(cookieA);
    await expect(table.getByRole('row').nth(1)).toContainText(addrA);
    await expect(table.getByRole('row').nth(1)).toContainText('forced ReleaseExclusive');
    await expect(table.getByRole('row').nth(2)).toContainText(addrB);
    await expect(table.getByRole('row').nth(2)).toContainText('Set');
    await expect(timeline.getByText(/forced release: a waiter broke lock/)).toBeVisible();
    await shot(page, `session-axis-${viewport.width}`);
  });
}
