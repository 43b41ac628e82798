// A saved capture opened with `statescope open` is a record, not a live proxy: no live badge,
// no pause, clear or injection controls, and time ranges relative to the capture's own clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, openDiagnoses, rows, test, VIEWPORTS, exchangeCount } from './fixtures.ts';
import { runLoad, startOpen, startStatescope } from './support/statescope.ts';

for (const viewport of [VIEWPORTS.small, VIEWPORTS.narrow]) {
  test(`${viewport.width} px: a saved capture shows no live controls and speaks of the capture's own time`, async ({ page, shot }) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'statescope-readonly-'));
    const log = path.join(dir, 'capture.jsonl');
    const live = await startStatescope(['--no-embedded-version-header', '--log', log]);
    const report = await runLoad(live.proxyAddress, { sessions: 4, rate: 40, duration: 2, restartEvery: 1 });
    await live.stop();
    const saved = await startOpen(log);
    try {
      await page.setViewportSize(viewport);
      await page.goto(saved.dashboardUrl);
      await expect(page.getByText('Saved capture (read-only)')).toBeVisible();
      await expect(rows(page).first()).toBeVisible();
      await expect.poll(async () => (await exchangeCount(page)).total).toBe(report.operationsTotal);

      await expect(page.getByRole('status', { name: /^Dashboard connection/ })).toHaveCount(0);
      await expect(page.getByText('● live')).toHaveCount(0);
      await expect(page.getByRole('switch', { name: 'Inject X-AspNet-Version' })).toHaveCount(0);
      await expect(page.getByRole('button', { name: /Pause capture|Resume capture/ })).toHaveCount(0);
      await expect(page.getByRole('button', { name: 'Clear', exact: true })).toHaveCount(0);
      await expect(page.getByRole('definition').filter({ hasText: 'capture.jsonl' })).toBeVisible();

      const verdict = page.getByRole('region', { name: 'Verdict' });
      await expect(verdict).toContainText("in the capture's last 5 min");
      await expect(verdict).not.toContainText('in the last 5 min');
      await verdict.getByRole('button', { name: 'Details' }).click();
      await expect(verdict).toContainText("in the capture's last 5 minutes");
      await expect(verdict.getByRole('button', { name: 'Turn on header injection' })).toHaveCount(0);
      await openDiagnoses(page);
      await expect(page.getByRole('region', { name: /^Charts/ })).toContainText("the capture's last 5 minutes");
      // Nothing more will arrive: the markers are settled at once.
      await page.getByRole('combobox', { name: 'Markers' }).selectOption('app-start');
      await expect.poll(async () => (await exchangeCount(page)).shown).toBeGreaterThanOrEqual(2);
      await shot(page, `read-only-${viewport.width}`);
    } finally {
      await saved.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
