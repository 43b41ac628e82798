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
import { registerServiceCommand } from './service-command.ts';
import { ExitRequest, reportUsageErrorsInOneLine } from './usage-errors.ts';
import { optionsHelp } from './options-help.ts';

const program = new Command('statescope')
  .description(
    'Intercepting proxy and live dashboard for the ASP.NET State Server protocol (aspnet_state, TCP 42424).',
  )
  .version(VERSION);

// Subcommands register themselves here, one line each.
registerLoadCommand(program);
const proxy = registerProxyCommand(program);
registerCheckCommand(program);
registerDemoCommand(program);
registerServerCommand(program);
registerOpenCommand(program);
registerServiceCommand(program);

// `statescope` alone runs the main job, so its options belong on the first help page a user sees.
program.addHelpText(
  'after',
  () => `\nThe main job: "statescope [options]" is "statescope proxy [options]":\n${optionsHelp(proxy)}\nstatescope <command> --help shows each command's options.`,
);
reportUsageErrorsInOneLine(program, (text) => process.stderr.write(text));

// No top-level await: the single executable runs this bundled as one CommonJS script.
program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ExitRequest) {
    process.exitCode = err.exitCode;
    return;
  }
  // Start-up failures (a port in use, an address not on this machine) get one clear line.
  process.stderr.write(`statescope: ${describeStartupError(err)}\n`);
  process.exitCode = 1;
});
