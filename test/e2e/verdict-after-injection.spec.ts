// With injection on, replies the upstream sent without X-AspNet-Version reach ASP.NET with it:
// the verdict must say they are fixed (not an error), count what still reaches ASP.NET without
// the header, and follow the switch at once, not five minutes later.
import { expect, openDashboard, openDiagnoses, rows, test } from './fixtures.ts';

for (const viewport of [
  { width: 1280, height: 720 },
  { width: 900, height: 720 },
]) {
  test(`${viewport.width} px: the verdict follows the injection switch within a second and counts what ASP.NET received`, async ({
    page,
    statescope,
    load,
    shot,
  }) => {
    const s = await openDashboard(page, statescope, ['--no-embedded-version-header'], viewport);
    const run = load(s.proxyAddress, { sessions: 6, rate: 40, duration: 40 });
    await expect(rows(page).nth(5)).toBeVisible();

    const verdict = page.getByRole('region', { name: 'Verdict' });
    await expect(verdict).toHaveAttribute('data-tone', 'bad');
    await expect(verdict).toContainText(/\d+ of \d+ replies reach ASP\.NET without X-AspNet-Version/);

    // Switch on: the verdict changes as soon as the server confirms the switch.
    const toggle = page.getByRole('switch', { name: 'Inject X-AspNet-Version' });
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/injection') && r.request().method() === 'POST');
    await toggle.click();
    expect((await answered).status()).toBe(200);
    await expect(verdict).toHaveAttribute('data-tone', 'fixed', { timeout: 1000 });
    await expect(verdict).toContainText('Fixed by injection');
    // Replies keep flowing, each one fixed: the server counts them from the switch, on its clock.
    await expect(verdict).toContainText(/· ([1-9]\d*) replies fixed since injection went on/);
    await expect(verdict).not.toContainText('version check fails');
    // Whatever was on the wire at the switch is told apart, and matches the server's count.
    const counts = (await (await page.request.get(new URL('/api/stats', s.dashboardOrigin).href)).json()) as {
      stats: { injection: { injected: number; onTheWire: number } };
    };
    expect(counts.stats.injection.injected).toBeGreaterThan(0);
    if (counts.stats.injection.onTheWire > 0) await expect(verdict).toContainText(/already on the wire at the switch reached ASP\.NET without it/);

    // The details tell the upstream's side from ASP.NET's.
    await verdict.getByRole('button', { name: 'Details' }).click();
    await expect(verdict).toContainText(/⊕ \d+ missing upstream, injected by statescope/);
    await expect(verdict).toContainText(/; \d+ since injection went on \(already on the wire at the switch\)/);
    // The chart shows both: the upstream still omits it, ASP.NET gets it.
    await openDiagnoses(page);
    const chart = page.getByRole('img', { name: /Replies without the header/ });
    await expect.poll(async () => (await chart.getAttribute('aria-description')) ?? '').toMatch(/sent by upstream 100%, reached ASP\.NET 0%/);
    await shot(page, `verdict-fixed-${viewport.width}`);

    // Switch off: back to the error at once.
    const off = page.waitForResponse((r) => r.url().endsWith('/api/injection') && r.request().method() === 'POST');
    await toggle.click();
    expect((await off).status()).toBe(200);
    await expect(verdict).toHaveAttribute('data-tone', 'bad', { timeout: 1000 });
    await expect(verdict).toContainText(/replies reach ASP\.NET without X-AspNet-Version/);
    await run.stop();
  });
}
