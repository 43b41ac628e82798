// How every statescope command reports a bad command line: one line on stderr that says what
// is wrong and where the help is, exit code 2 (so that 1 keeps its meaning: `check` uses it for
// "reachable but ASP.NET will fail"). Built on commander's own hooks (outputError, exitOverride)
// so that its parsing and messages stay the source of truth.
import { CommanderError, type Command } from 'commander';

export const EXIT_USAGE = 2;

/** Thrown out of parseAsync instead of calling process.exit, so buffered output is never cut. */
export class ExitRequest extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** Outcomes commander reports through the same path as errors. */
const NOT_ERRORS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/** Applies to the command and every subcommand below it (call after registering them). */
export function reportUsageErrorsInOneLine(command: Command, stderr: (text: string) => void, parentName = ''): void {
  const name = parentName === '' ? command.name() : `${parentName} ${command.name()}`;
  for (const sub of command.commands) reportUsageErrorsInOneLine(sub, stderr, name);
  // Printed by the exitOverride below, which knows whether it is a usage error.
  command.configureOutput({ outputError: () => {} });
  command.exitOverride((err: CommanderError) => {
    if (NOT_ERRORS.has(err.code)) throw new ExitRequest(err.exitCode);
    if (err.code === 'commander.error') {
      // command.error() from an action: a run-time failure that already says what happened.
      stderr(`${err.message}\n`);
      throw new ExitRequest(err.exitCode);
    }
    const what = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
    stderr(`${name}: ${what} (see ${name} --help)\n`);
    throw new ExitRequest(EXIT_USAGE);
  });
}
