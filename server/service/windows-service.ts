// `statescope service install|uninstall|start|stop`: puts the WinSW wrapper, renamed
// statescope-service.exe, and its configuration into the service folder
// (%ProgramData%\statescope by default, where the logs go too) and asks it to act. Only the
// wrapper talks to the Service Control Manager; statescope has no service code of its own.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { winswBinary } from './winsw-binary.ts';
import { winswXml, type ServiceDefinition } from './winsw-config.ts';

export const SERVICE_ID = 'statescope';
const WRAPPER = 'statescope-service';
/** Lets the .NET 2.0 build of WinSW run on machines that only have .NET 4. */
const WRAPPER_RUNTIME_CONFIG = `<configuration>
  <startup>
    <supportedRuntime version="v2.0.50727" />
    <supportedRuntime version="v4.0" />
  </startup>
</configuration>
`;

export function defaultServiceDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return path.win32.join(env.ProgramData ?? 'C:\\ProgramData', 'statescope');
}

/** The program and leading arguments that start this very statescope installation. */
export function thisStatescope(): { executable: string; leadingArgs: string[] } {
  const sea = process.getBuiltinModule('node:sea');
  if (sea.isSea()) return { executable: process.execPath, leadingArgs: [] };
  // node.exe plus the entry script (dist/statescope.mjs of the npm package), not the bin link
  // or shim that started it.
  return { executable: process.execPath, leadingArgs: [realpathSync(path.resolve(process.argv[1] ?? ''))] };
}

export interface InstallPlan {
  directory: string;
  files: { name: string; content: Buffer | string }[];
  definition: ServiceDefinition;
}

/** What `service install` writes, from the proxy arguments the user gave. */
export function planInstall(proxyArgs: string[], directory: string, shutdownGraceSeconds: number): InstallPlan {
  const { executable, leadingArgs } = thisStatescope();
  const hasLog = proxyArgs.some((a) => a === '--log' || a.startsWith('--log='));
  const args = [...leadingArgs, 'proxy', ...proxyArgs];
  // As a service there is no console to watch: every exchange goes to a log file by default.
  if (!hasLog) args.push(`--log=${path.win32.join(directory, 'exchanges.jsonl')}`);
  const definition: ServiceDefinition = {
    id: SERVICE_ID,
    displayName: 'statescope (ASP.NET State Server proxy)',
    description: 'Relays ASP.NET session-state traffic to the state server and records every exchange; dashboard on the --dashboard address.',
    executable,
    args,
    directory,
    stopTimeoutSeconds: Math.ceil(shutdownGraceSeconds) + 10,
  };
  return {
    directory,
    definition,
    files: [
      { name: `${WRAPPER}.xml`, content: winswXml(definition) },
      { name: `${WRAPPER}.exe.config`, content: WRAPPER_RUNTIME_CONFIG },
    ],
  };
}

export function installService(plan: InstallPlan): void {
  requireWindows();
  const wrapper = winswBinary();
  if (!wrapper) throw new Error('this installation has no service wrapper (winsw.exe): use the Windows executable or the npm package');
  mkdirSync(plan.directory, { recursive: true });
  writeFileSync(wrapperPath(plan.directory), wrapper);
  for (const file of plan.files) writeFileSync(path.join(plan.directory, file.name), file.content);
  runWrapper(plan.directory, 'install');
}

export function controlService(directory: string, action: 'start' | 'stop' | 'uninstall'): void {
  requireWindows();
  if (!existsSync(wrapperPath(directory))) throw new Error(`no statescope service in ${directory} (statescope service install puts it there)`);
  if (action === 'uninstall') {
    try {
      runWrapper(directory, 'stop');
    } catch {
      // not running: nothing to stop
    }
  }
  runWrapper(directory, action);
}

function wrapperPath(directory: string): string {
  return path.join(directory, `${WRAPPER}.exe`);
}

function runWrapper(directory: string, action: string): void {
  execFileSync(wrapperPath(directory), [action], { cwd: directory, stdio: 'inherit', windowsHide: true });
}

function requireWindows(): void {
  if (process.platform !== 'win32') throw new Error('Windows services exist on Windows only (--dry-run shows what install would write)');
}
