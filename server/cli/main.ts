// The `statescope` command: one commander program, one module per subcommand.
import { Command } from 'commander';
import { VERSION } from './version.ts';
import { describeStartupError } from './startup-error.ts';
import { registerLoadCommand } from './load-command.ts';
import { registerProxyCommand } from './proxy-command.ts';
import { registerCheckCommand } from './check-command.ts';
import { registerDemoCommand } from './demo-command.ts';
import { registerServerCommand } from './server-command.ts';
import { registerOpenCommand } from './open-command.ts';

const program = new Command('statescope')
  .description(
    'Intercepting proxy and live dashboard for the ASP.NET State Server protocol (aspnet_state, TCP 42424).',
  )
  .version(VERSION)
  .showHelpAfterError();

// Subcommands register themselves here, one line each.
registerLoadCommand(program);
registerProxyCommand(program);
registerCheckCommand(program);
registerDemoCommand(program);
registerServerCommand(program);
registerOpenCommand(program);

// No top-level await: the single executable runs this bundled as one CommonJS script.
program.parseAsync(process.argv).catch((err: unknown) => {
  // Start-up failures (a port in use, an address not on this machine) get one clear line.
  process.stderr.write(`statescope: ${describeStartupError(err)}\n`);
  process.exitCode = 1;
});
