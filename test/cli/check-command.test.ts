// `statescope check` gives the three verdicts, with the right exit codes, as a real process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStateServer, type RunningStateServer } from '../../server/stateserver/index.ts';
import { runCli } from '../helpers/cli.ts';
import { closedPort } from '../helpers/net-peers.ts';

let withHeader: RunningStateServer;
let withoutHeader: RunningStateServer;
let oldVersion: RunningStateServer;

beforeAll(async () => {
  withHeader = await startStateServer({ port: 0 });
  withoutHeader = await startStateServer({ port: 0, versionHeader: null });
  oldVersion = await startStateServer({ port: 0, versionHeader: '1.1.4322' });
});
afterAll(async () => {
  await Promise.all([withHeader.close(), withoutHeader.close(), oldVersion.close()]);
});

describe('statescope check', () => {
  it('healthy server: exit 0, version named', async () => {
    const r = await runCli(['check', withHeader.address]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ reachable');
    expect(r.stdout).toContain('X-AspNet-Version: 4.0.30319');
    expect(r.stdout).toContain('Healthy');
    expect(withHeader.stats().items).toBe(0); // the probe stored nothing
  });

  it('missing header: exit 1, the exact ASP.NET error and both fixes', async () => {
    const r = await runCli(['check', withoutHeader.address]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('X-AspNet-Version: MISSING');
    expect(r.stdout).toContain(
      'Unable to use session state server because this version of ASP.NET requires session state server version 2.0 or above.',
    );
    expect(r.stdout).toContain('enableVersionHeader="true"');
    expect(r.stdout).toContain(`statescope --upstream ${withoutHeader.address} --inject-version`);
  });

  it('version below 2: exit 1', async () => {
    const r = await runCli(['check', oldVersion.address, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'old-version', versionHeader: { present: true, value: '1.1.4322', major: 1 } });
  });

  it('closed port: exit 2 with what to check', async () => {
    const r = await runCli(['check', `127.0.0.1:${await closedPort()}`]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('refused the connection');
    expect(r.stdout).toContain('AllowRemoteConnection');
  });

  it('--json for scripts', async () => {
    const r = await runCli(['check', withHeader.address, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      verdict: 'healthy',
      exitCode: 0,
      reachable: true,
      statusLine: '404 Not Found',
      versionHeader: { present: true, value: '4.0.30319', major: 4 },
    });
  });
});
