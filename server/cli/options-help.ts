// A command's option list formatted by commander's own Help, for showing one command's options
// on another's help page (the main job's on `statescope --help`).
import type { Command } from 'commander';

export function optionsHelp(command: Command): string {
  const helper = command.createHelp();
  helper.prepareContext({ helpWidth: process.stdout.columns || 100 });
  const options = helper.visibleOptions(command).filter((o) => o.long !== '--help');
  const width = helper.longestOptionTermLength(command, helper);
  return options.map((o) => helper.formatItem(helper.optionTerm(o), width, helper.optionDescription(o), helper)).join('\n') + '\n';
}
