// The dashboard controls live traffic: off loopback it must demand a token, and no other web
// page may drive it through the operator's browser.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, connectFeed, postJson, start } from './harness.ts';

afterEach(closeAll);

describe('dashboard auth', () => {
  it('generates a token when bound beyond loopback and demands it', async () => {
    const { dashboard } = await start({ host: '0.0.0.0' });
    expect(dashboard.token).toMatch(/^[\w-]{24}$/);
    expect(dashboard.url).toBe(`http://127.0.0.1:${dashboard.port}/?token=${dashboard.token}`);
    const base = `http://127.0.0.1:${dashboard.port}`;

    const anonymous = await fetch(`${base}/api/snapshot`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${base}/api/state`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    // REST takes the header only (query tokens end up in logs), except for the download.
    expect((await fetch(`${base}/api/state?token=${dashboard.token}`)).status).toBe(401);
    expect((await fetch(`${base}/api/export.jsonl?token=${dashboard.token}`)).status).toBe(200);
    const auth = { Authorization: `Bearer ${dashboard.token}` };
    expect((await fetch(`${base}/api/state`, { headers: auth })).status).toBe(200);
    expect((await postJson(`${base}/api/capture`, { paused: true }, auth)).status).toBe(200);

    await expect(connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed`)).rejects.toThrow(/401/);
    const feed = await connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed?token=${dashboard.token}`);
    expect((await feed.waitFor((m) => m.type === 'hello')).type).toBe('hello');
    feed.ws.close();
  });

  it('uses an explicit token, even on loopback', async () => {
    const { base, dashboard } = await start({ token: 's3cret' });
    expect(dashboard.url).toBe(`${base}/?token=s3cret`);
    expect((await fetch(`${base}/api/state`)).status).toBe(401);
    expect((await fetch(`${base}/api/state`, { headers: { Authorization: 'Bearer s3cret' } })).status).toBe(200);
  });

  it('needs no token on loopback', async () => {
    const { base, dashboard } = await start();
    expect(dashboard.token).toBeNull();
    expect(dashboard.url).toBe(`${base}/`);
    expect((await fetch(`${base}/api/state`)).status).toBe(200);
    const feed = await connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed`);
    await feed.waitFor((m) => m.type === 'hello');
    feed.ws.close();
  });

  it('refuses cross-origin POSTs and ws upgrades', async () => {
    const { base, dashboard } = await start();
    const evil = { Origin: 'http://evil.example' };
    const post = await postJson(`${base}/api/injection`, { enabled: true }, evil);
    expect(post.status).toBe(403);
    const same = await postJson(`${base}/api/injection`, { enabled: true }, { Origin: base });
    expect(same.status).toBe(200);
    await expect(connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed`, evil)).rejects.toThrow(/403/);
    const ok = await connectFeed(`ws://127.0.0.1:${dashboard.port}/api/feed`, { Origin: base });
    ok.ws.close();
  });

  it('refuses a rebinding Host name when no token is in force', async () => {
    const { dashboard } = await start();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: dashboard.port, path: '/api/state', headers: { Host: `evil.example:${dashboard.port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});
