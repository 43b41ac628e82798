// The mission end to end over real sockets: the ASP.NET client emulator, through statescope,
// to a state server without X-AspNet-Version. Without injection the first request after each
// app start throws the version error; with injection (at start or switched at run time) it
// does not, and the records say "injected".
import { afterEach, describe, expect, it } from 'vitest';
import { createStateClient, newSessionId, StateClientError } from '../../server/client/index.ts';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { waitFor } from '../helpers/net-peers.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';

const NEED_V2 = 'Unable to use session state server because this version of ASP.NET requires session state server version 2.0 or above.';

let server: RunningStateServer;
let app: TestApp;
afterEach(async () => {
  await app?.close(0);
  await server?.close();
});

async function firstRequestError(port: number): Promise<unknown> {
  const client = createStateClient({ host: '127.0.0.1', port });
  try {
    await client.createUninitialized(newSessionId());
    return null;
  } catch (err) {
    return err;
  } finally {
    await client.close();
  }
}

describe('the missing version header, through the proxy', () => {
  it('without injection: the emulator throws the version error on the first request, then works', async () => {
    server = await startStateServer({ port: 0, versionHeader: null });
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: server.port } });
    const client = createStateClient({ host: '127.0.0.1', port: app.proxy.port });
    const id = newSessionId();
    const err = await client.createUninitialized(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateClientError);
    expect((err as Error).message).toBe(NEED_V2);
    await expect(client.getExclusive(id)).resolves.toMatchObject({ status: 200 });
    client.restartApp();
    await expect(client.get(id)).rejects.toThrow(NEED_V2);
    await client.close();
    await waitFor(() => app.records.length === 3, 3000, 'records');
    expect(app.records.map((r) => r.reply?.versionHeader.present)).toEqual([false, false, false]);
    expect(app.records.every((r) => !r.reply?.injected)).toBe(true);
    const diagnosis = app.capture.diagnoses().find((d) => d.id === 'missing-version-header');
    expect(diagnosis?.severity).toBe('error');
    expect(diagnosis?.evidence).toHaveLength(3);
    expect(app.capture.stats().window).toMatchObject({ replies: 3, versionPresent: 0, versionMissing: 3, injected: 0 });
  });

  it('with --inject-version: no version error, and the records say injected', async () => {
    server = await startStateServer({ port: 0, versionHeader: null });
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: server.port }, injection: { enabled: true, value: '4.0.30319' } });
    for (let restart = 0; restart < 3; restart++) expect(await firstRequestError(app.proxy.port)).toBeNull();
    await waitFor(() => app.records.length === 3, 3000, 'records');
    for (const r of app.records) {
      expect(r.reply).toMatchObject({ injected: true, injectedLine: 'X-AspNet-Version: 4.0.30319', versionHeader: { present: false } });
    }
    const diagnosis = app.capture.diagnoses().find((d) => d.id === 'missing-version-header');
    expect(diagnosis?.severity).toBe('warning');
    expect(diagnosis?.title).toMatch(/injecting/);
  });

  it('switched on at run time: the next reply is injected and the errors stop', async () => {
    server = await startStateServer({ port: 0, versionHeader: null });
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: server.port } });
    expect(await firstRequestError(app.proxy.port)).toBeInstanceOf(StateClientError);
    app.capture.setInjection({ enabled: true, value: '2.0.50727' });
    expect(await firstRequestError(app.proxy.port)).toBeNull();
    app.capture.setInjection({ enabled: false });
    expect(await firstRequestError(app.proxy.port)).toBeInstanceOf(StateClientError);
    await waitFor(() => app.records.length === 3, 3000, 'records');
    expect(app.records.map((r) => r.reply?.injectedLine ?? null)).toEqual([null, 'X-AspNet-Version: 2.0.50727', null]);
  });

  it('against a server with the header: never an error, nothing injected even with injection on', async () => {
    server = await startStateServer({ port: 0 });
    app = await startTestApp({ upstream: { host: '127.0.0.1', port: server.port }, injection: { enabled: true, value: '4.0.30319' } });
    for (let restart = 0; restart < 3; restart++) expect(await firstRequestError(app.proxy.port)).toBeNull();
    await waitFor(() => app.records.length === 3, 3000, 'records');
    expect(app.records.every((r) => r.reply?.injected === false && r.reply.versionHeader.value === '4.0.30319')).toBe(true);
  });

  it('rejects injection values ASP.NET would still refuse', () => {
    return (async () => {
      server = await startStateServer({ port: 0 });
      app = await startTestApp({ upstream: { host: '127.0.0.1', port: server.port } });
      expect(() => app.capture.setInjection({ value: '1.1.4322' })).toThrow(/below 2/);
      expect(() => app.capture.setInjection({ value: 'four' })).toThrow(/not a version/);
      expect(app.capture.state().injection.value).toBe('4.0.30319');
    })();
  });
});
