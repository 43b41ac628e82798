// Colours that mean what they say, in the rows and in the detail: 2xx green, 404 neutral (a
// new session), 423 amber (waiting on a lock), 400, 5xx and connection errors red. A 423 or a
// 404 is never headed by a green "OK".
import net from 'node:net';
import type { Page } from '@playwright/test';
import { caughtUp, cellOf, expect, openDashboard, rows, test, VIEWPORTS, waitLive } from './fixtures.ts';
import { runLoad } from './support/statescope.ts';

const TARGET = '%2fLM%2fW3SVC%2f1%2fROOT%2fWebApp(Rwn2B76J1oVKzRkl%2bKpWkuKfxf%2bl%2ftgZNAeuLju3xIo%3d)%2f';

/** One request on its own connection; resolves on the first reply bytes. */
function send(port: number, request: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    socket.once('data', () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}

/** A certain 423 (a second GetExclusive on a locked item) and a certain 400 (Timeout above 525600). */
async function sendLockedAndBad(port: number): Promise<void> {
  const id = 'statuscoloursession000000';
  const create = Buffer.concat([
    Buffer.from(`PUT ${TARGET}${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 7\r\nTimeout: 20\r\nLockCookie: 0\r\nExtraFlags: 1\r\n\r\n`, 'latin1'),
    Buffer.from('140000000000ff', 'hex'),
  ]);
  const lock = Buffer.from(`GET ${TARGET}${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nExclusive: acquire\r\n\r\n`, 'latin1');
  await send(port, create);
  await send(port, lock);
  await send(port, lock);
  await send(port, Buffer.from(`PUT ${TARGET}${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nTimeout: 9999999\r\nLockCookie: 0\r\n\r\n`, 'latin1'));
}

async function toneColours(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const out: Record<string, string> = {};
    for (const tone of ['good', 'neutral', 'warn', 'bad']) {
      const el = document.createElement('span');
      el.className = `tone-${tone}`;
      document.body.appendChild(el);
      out[tone] = getComputedStyle(el).color;
      el.remove();
    }
    return out;
  });
}

async function statusCell(page: Page, status: string) {
  await page.getByRole('combobox', { name: 'Status' }).selectOption(status);
  const row = rows(page).last();
  await expect(row).toBeVisible();
  return row;
}

for (const viewport of [VIEWPORTS.small, VIEWPORTS.narrow]) {
  test(`${viewport.width} px: 2xx green, 404 neutral, 423 amber, 400 red, in rows and in the detail`, async ({ page, statescope, shot }) => {
    const s = await openDashboard(page, statescope, [], viewport);
    // Two users, many pages each: new sessions (404), contention (423), successes.
    const report = await runLoad(s.proxyAddress, { sessions: 2, rate: 60, duration: 2 });
    await sendLockedAndBad(s.proxyPort);
    await caughtUp(page, report.operationsTotal + 4);
    const colours = await toneColours(page);
    expect(new Set(Object.values(colours)).size).toBe(4);

    const cases = [
      { filter: '2xx', tone: 'good', heading: /^✓ 2\d\d /, not: null },
      { filter: '404', tone: 'neutral', heading: /^○ 404 Not Found — no such session/, not: /OK/ },
      { filter: '423', tone: 'warn', heading: /^⚠ 423 Locked — another request holds this session's lock/, not: /OK|✓/ },
      { filter: '400', tone: 'bad', heading: /^✕ 400 Bad Request — ASP\.NET throws/, not: /OK|✓/ },
    ];
    for (const c of cases) {
      const row = await statusCell(page, c.filter);
      const status = cellOf(row, 'status').locator('.status');
      await expect(status).toHaveClass(new RegExp(`tone-${c.tone}`));
      expect(await status.evaluate((el) => getComputedStyle(el).color)).toBe(colours[c.tone]);
      await cellOf(row, 'time').click();
      const heading = page.getByTestId('detail-status');
      await expect(heading).toHaveAttribute('data-tone', c.tone);
      await expect(heading).toHaveText(c.heading);
      if (c.not) await expect(heading).not.toHaveText(c.not);
      expect(await heading.evaluate((el) => getComputedStyle(el).color)).toBe(colours[c.tone]);
      await shot(page, `status-${c.filter}-${viewport.width}`);
      await page.keyboard.press('Escape');
    }
  });
}

test('a connection error (no reply at all) is red, in the row and in the detail', async ({ page, statescope }) => {
  // An upstream port where nothing listens: every exchange ends without a reply.
  const closed = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
  const s = await openDashboard(page, statescope, ['--upstream', `127.0.0.1:${closed}`]);
  await runLoad(s.proxyAddress, { sessions: 1, rate: 5, duration: 1 }).catch(() => undefined);
  await expect(rows(page).first()).toBeVisible();
  const colours = await toneColours(page);
  const row = rows(page).first();
  const status = cellOf(row, 'status').locator('.status');
  await expect(status).toHaveClass(/tone-bad/);
  await expect(status).toContainText('Upstream refused the connection');
  expect(await status.evaluate((el) => getComputedStyle(el).color)).toBe(colours.bad);
  await cellOf(row, 'time').click();
  const heading = page.getByTestId('detail-status');
  await expect(heading).toHaveAttribute('data-tone', 'bad');
  await expect(heading).toHaveText(/^✕ No reply — Upstream refused the connection/);
  await waitLive(page);
});
