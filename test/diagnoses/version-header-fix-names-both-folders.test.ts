// The fix for the missing header must send the operator to the config of the bitness that runs
// aspnet_state: both Framework and Framework64 folders are named.
import { afterEach, expect, it } from 'vitest';
import { createStateClient, type StateClient } from '../../server/client/index.ts';
import { startTestApp, type TestApp } from '../helpers/proxy-app.ts';

let app: TestApp | undefined;
let client: StateClient | undefined;
afterEach(async () => {
  await client?.close();
  await app?.close(0);
  app = client = undefined;
});

it('missing-version-header names the Framework and Framework64 config folders', async () => {
  app = await startTestApp({ embeddedVersionHeader: null });
  client = createStateClient({ host: '127.0.0.1', port: app.proxy.port });
  await client.resetTimeout('versionfixfolders0000001').catch(() => {}); // the version check throws, as ASP.NET does
  await new Promise((r) => setTimeout(r, 80));
  const d = app.capture.diagnoses().find((x) => x.id === 'missing-version-header');
  expect(d?.detail).toContain('%WINDIR%\\Microsoft.NET\\Framework\\v4.0.30319\\Config');
  expect(d?.detail).toContain('%WINDIR%\\Microsoft.NET\\Framework64\\v4.0.30319\\Config');
  expect(d?.evidence).toHaveLength(1);
});
