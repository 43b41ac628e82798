// The `statescope` command: one commander program, one module per subcommand.
import { Command } from 'commander';
import { VERSION } from './version.ts';

const program = new Command('statescope')
  .description(
    'Intercepting proxy and live dashboard for the ASP.NET State Server protocol (aspnet_state, TCP 42424).',
  )
  .version(VERSION)
  .showHelpAfterError();

// Subcommands register themselves here, one line each.

await program.parseAsync(process.argv);
