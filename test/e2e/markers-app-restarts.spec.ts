// The moments that matter stand out: the first exchange of each client connection, each likely
// application start (the emulator's --restart-every opens a new AppDomain with a new pool of
// connections) and, without X-AspNet-Version, the exchange where ASP.NET's version check fails.
import type { Page } from '@playwright/test';
import { caughtUp, cellOf, exchangeCount, expect, openDashboard, rows, test, VIEWPORTS } from './fixtures.ts';
import { needV2Errors, runLoad, type LoadReport } from './support/statescope.ts';

async function countWithMarker(page: Page, marker: string): Promise<number> {
  await page.getByRole('combobox', { name: 'Markers' }).selectOption(marker);
  return (await exchangeCount(page)).shown;
}

/** App starts the run made that were followed by traffic: the first, and each restart before the end. */
function expectedStarts(report: LoadReport): number {
  return 1 + report.restarts.filter((ms) => ms <= report.elapsedSeconds * 1000 - 300).length;
}

for (const viewport of [VIEWPORTS.small, VIEWPORTS.large]) {
  test(`${viewport.width} px: a "likely app start" at each emulated restart, each where ASP.NET's version check fails`, async ({
    page,
    statescope,
    shot,
  }) => {
    const s = await openDashboard(page, statescope, ['--no-embedded-version-header'], viewport);
    const report = await runLoad(s.proxyAddress, { sessions: 6, rate: 50, duration: 4, restartEvery: 1 });
    expect(report.restarts.length).toBeGreaterThanOrEqual(3);
    const failures = needV2Errors(report);
    expect(failures).toBeGreaterThan(0);
    await caughtUp(page, report.operationsTotal);

    // Markers settle a few seconds later (no older connection of the client used again). Each
    // emulated start (the first, then every restart) has its marker within a few hundred ms.
    const snap = (await (await page.request.get(new URL('/api/snapshot?limit=100000', s.dashboardOrigin).href)).json()) as {
      items: { id: number; connectionId: number; startedAt: number }[];
    };
    const startedAt = new Map(snap.items.map((i) => [i.id, i.startedAt]));
    const t0 = Math.min(...snap.items.map((i) => i.startedAt));
    const starts = expectedStarts(report);
    const markedAt = async (): Promise<number[]> => {
      await countWithMarker(page, 'app-start');
      const ids = await rows(page).evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-id'))));
      return ids.map((id) => startedAt.get(id)! - t0);
    };
    const startTimes = [0, ...report.restarts.slice(0, starts - 1)];
    const nearEach = async (): Promise<number> => {
      const marks = await markedAt();
      return startTimes.filter((t) => marks.some((m) => Math.abs(m - t) <= 400)).length;
    };
    await expect.poll(nearEach, { timeout: 20_000 }).toBe(starts);
    // An idle pool closed and reopened looks like a start too ("likely"), but not often.
    expect((await markedAt()).length).toBeLessThanOrEqual(starts + 3);
    const startRows = await rows(page).evaluateAll((els) =>
      els.map((el) => [...el.querySelectorAll('[data-mark]')].map((m) => m.getAttribute('data-mark')).sort().join(' ')),
    );
    // Each start is on a new connection, and its reply lacked the header: the check fails there.
    expect(new Set(startRows)).toEqual(new Set(['app-start connection version-check']));
    await shot(page, `markers-app-start-${viewport.width}`);

    // Every app start's version check failed; more requests may have checked at the same time.
    const failed = await countWithMarker(page, 'version-check');
    expect(failed).toBeGreaterThanOrEqual(startRows.length);
    expect(failed).toBeLessThanOrEqual(failures + starts);

    // One "new connection" per client connection seen.
    const connections = new Set(snap.items.map((i) => i.connectionId)).size;
    expect(await countWithMarker(page, 'connection')).toBe(connections);

    // The detail says it in words.
    await countWithMarker(page, 'app-start');
    await cellOf(rows(page).last(), 'time').click();
    const marks = page.getByTestId('detail-panel').getByRole('list', { name: 'Markers' });
    await expect(marks).toContainText('Likely application start');
    await expect(marks).toContainText("ASP.NET's version check fails here");
  });
}

test('with the header present, app starts are marked and no version check fails', async ({ page, statescope }) => {
  const s = await openDashboard(page, statescope, []);
  const report = await runLoad(s.proxyAddress, { sessions: 6, rate: 50, duration: 3, restartEvery: 1 });
  expect(needV2Errors(report)).toBe(0);
  await caughtUp(page, report.operationsTotal);
  await expect.poll(() => countWithMarker(page, 'app-start'), { timeout: 20_000 }).toBeGreaterThanOrEqual(expectedStarts(report));
  expect(await countWithMarker(page, 'version-check')).toBe(0);
});
