// `statescope check HOST:PORT`: the first thing to run when session state misbehaves.
import type { Command } from 'commander';
import { checkStateServer, type CheckResult } from '../client/health-check.ts';
import { NEED_V2_MESSAGE } from '../capture/diagnosis.ts';
import { hostPortOption, STATE_SERVER_PORT, type HostPort } from './address.ts';

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('probe a state server once and say whether ASP.NET will accept its replies')
    .argument('<host[:port]>', `the state server (or a statescope proxy) to probe, e.g. 10.0.0.5 (port ${STATE_SERVER_PORT} if left out)`, hostPortOption('127.0.0.1', STATE_SERVER_PORT))
    .option('--timeout <seconds>', 'how long to wait for the connection and the reply', '5')
    .option('--json', 'print the result as JSON (for scripts)')
    .addHelpText(
      'after',
      `
Sends one harmless request (ResetTimeout of a random session id; the server answers 404 and
stores nothing) and reports reachability, the X-AspNet-Version header, and what it means.

Exit codes: 0 healthy, 1 reachable but ASP.NET will fail (header missing, version below 2,
unexpected reply), 2 unreachable or a bad command line.

Examples:
  statescope check localhost
  statescope check 127.0.0.1:42424
  statescope check stateserver.example.local:42424 --json`,
    )
    .action(async ({ host, port }: HostPort, opts: { timeout: string; json?: boolean }) => {
      const seconds = Number(opts.timeout);
      const result = await checkStateServer({ host, port, timeoutMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 5000 });
      process.stdout.write(opts.json ? JSON.stringify(result, null, 2) + '\n' : explain(result));
      process.exitCode = result.exitCode;
    });
}

export function explain(r: CheckResult): string {
  const lines = [`statescope check ${r.target}`];
  if (!r.reachable) {
    lines.push(`  ✗ unreachable: ${r.summary}`);
    lines.push('');
    lines.push('What this means: every session request fails with "Unable to make the session state request to the');
    lines.push('session state server. Please ensure that the ASP.NET State service is started and that the client and');
    lines.push('server ports are the same. ..."');
    lines.push('Check: is the ASP.NET State Service started (services.msc, "ASP.NET State Service")? Is the port right?');
    lines.push('For a remote server: HKLM\\SYSTEM\\CurrentControlSet\\Services\\aspnet_state\\Parameters\\AllowRemoteConnection = 1,');
    lines.push('then restart the service; and the firewall must allow the port.');
    return lines.join('\n') + '\n';
  }
  lines.push(`  ✓ reachable: connected in ${r.connectMs} ms, first reply byte ${r.replyMs} ms later ("${r.statusLine ?? '?'}")`);
  if (r.verdict === 'healthy') {
    lines.push(`  ✓ X-AspNet-Version: ${r.versionHeader!.value} (major ${r.versionHeader!.major}): ASP.NET's version check passes`);
    lines.push('');
    lines.push('Healthy: ASP.NET 2.0 and later will use this state server.');
  } else if (r.verdict === 'missing-version' || r.verdict === 'old-version') {
    lines.push(
      r.verdict === 'missing-version'
        ? '  ✗ X-AspNet-Version: MISSING'
        : `  ✗ X-AspNet-Version: ${r.versionHeader!.value} (major ${r.versionHeader!.major}, below 2)`,
    );
    lines.push('');
    lines.push('What this means: the first session request after every application start (app pool recycle,');
    lines.push('deployment, config change) throws');
    lines.push(`  "${NEED_V2_MESSAGE}"`);
    lines.push('and later requests work until the next restart.');
    lines.push('');
    lines.push('Fixes:');
    if (r.verdict === 'missing-version') {
      lines.push('  1. On the state server machine, keep <httpRuntime enableVersionHeader="true"/> in the framework\'s root');
      lines.push('     web.config / machine.config (the framework version and bitness that runs aspnet_state); set it to');
      lines.push('     "false" only in your application\'s own web.config. Then restart the ASP.NET State Service.');
    } else {
      lines.push('  1. Run the ASP.NET 2.0 or 4.x State Service instead of the 1.x one.');
    }
    lines.push(`  2. Workaround: run statescope in between with header injection:`);
    lines.push(`       statescope --upstream ${r.target} --inject-version`);
    lines.push('     and point stateConnectionString at statescope\'s --listen address.');
  } else {
    lines.push(`  ✗ unexpected reply: ${r.summary}`);
  }
  return lines.join('\n') + '\n';
}
