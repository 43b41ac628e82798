import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, start } from './harness.ts';

afterEach(closeAll);

function builtUi(): string {
  const dir = mkdtempSync(join(tmpdir(), 'statescope-ui-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>statescope</title>');
  writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'index-abc.css'), 'body{}');
  return dir;
}

describe('static UI', () => {
  it('serves files with content types and security headers, SPA fallback to index.html', async () => {
    const { base } = await start({ uiDir: builtUi(), token: 'tok' });
    const page = await fetch(`${base}/`); // the page loads without a token
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self' ws: wss:");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toContain('<title>statescope');

    const js = await fetch(`${base}/assets/index-abc.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${base}/assets/index-abc.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');

    const deep = await fetch(`${base}/exchanges/42?token=tok`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<title>statescope');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd.txt`)).status).toBe(404);
  });

  it('says clearly when the UI has not been built', async () => {
    const { base } = await start({ uiDir: join(tmpdir(), 'statescope-no-such-ui') });
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toContain('dashboard UI not built: run npm run build:ui');
  });
});
