// `statescope service install [proxy options] | uninstall | start | stop`: statescope as a
// Windows service, through the WinSW wrapper (see server/service/).
import { Option, type Command } from 'commander';
import { controlService, defaultServiceDirectory, installService, planInstall } from '../service/windows-service.ts';
import { winswBinary } from '../service/winsw-binary.ts';
import { addProxyOptions } from './proxy-command.ts';

interface InstallOptions {
  serviceDir: string;
  dryRun?: boolean;
  shutdownGrace: number;
}

export function registerServiceCommand(program: Command): void {
  const service = program
    .command('service')
    .description('run statescope as a Windows service (install, uninstall, start, stop)')
    .addHelpText(
      'after',
      `
Run from an administrator prompt. The service runs "statescope proxy" with the options given to
install, logs to the service folder (default ${defaultServiceDirectory()}: every exchange in
exchanges.jsonl unless --log says otherwise, its output in statescope-service.*.log), starts
with Windows, is restarted if it fails, and stops gracefully (exchanges in flight finish).

Examples:
  statescope service install --upstream 10.0.0.5 --listen 0.0.0.0:42425
  statescope service start
  statescope service install --upstream 10.0.0.5 --inject-version --dry-run`,
    );

  const install = service.command('install').description('install the service; takes the main job\'s options (statescope proxy --help)');
  addProxyOptions(install);
  // The service gets exactly the proxy options the user typed, as typed (validated above by
  // the same parsers the proxy uses), not defaults spelled out.
  const typed: string[] = [];
  for (const option of [...install.options]) {
    install.on(`option:${option.name()}`, (raw: string | null | undefined) => typed.push(raw == null ? option.long! : `${option.long}=${raw}`));
  }
  install
    .addOption(serviceDirOption())
    .option('--dry-run', 'print the wrapper configuration instead of installing (works on any system)')
    .action((opts: InstallOptions) => {
      const plan = planInstall(typed, opts.serviceDir, opts.shutdownGrace);
      if (opts.dryRun) {
        for (const file of plan.files) process.stdout.write(`--- ${file.name} (in ${plan.directory})\n${String(file.content)}`);
        const wrapper = winswBinary();
        process.stdout.write(`--- statescope-service.exe: the WinSW wrapper, ${wrapper ? `${wrapper.length} bytes` : 'NOT FOUND in this installation'}\n`);
        return;
      }
      installService(plan);
      process.stdout.write(`statescope service installed in ${plan.directory}; start it with: statescope service start\n`);
    });

  for (const [action, description] of [
    ['start', 'start the installed service'],
    ['stop', 'stop the service gracefully (exchanges in flight finish, the log is flushed)'],
    ['uninstall', 'stop and remove the service (its folder and logs stay)'],
  ] as const) {
    service
      .command(action)
      .description(description)
      .addOption(serviceDirOption())
      .action((opts: { serviceDir: string }) => controlService(opts.serviceDir, action));
  }
}

function serviceDirOption(): Option {
  const dir = defaultServiceDirectory();
  return new Option('--service-dir <dir>', 'folder of the service wrapper, its configuration and logs').default(dir, dir);
}
