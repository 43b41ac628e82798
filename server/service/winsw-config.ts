// The WinSW configuration (statescope-service.xml) that makes statescope a Windows service.
// WinSW (the wrapper node-windows ships) does the service work: it registers with the Service
// Control Manager, starts statescope, captures its output into rotated log files, restarts it
// if it dies, and on stop sends it Ctrl+C (which statescope handles like SIGTERM: exchanges in
// flight finish, the log is flushed) before killing it after <stoptimeout>.

export interface ServiceDefinition {
  id: string;
  displayName: string;
  description: string;
  /** The program the service runs: statescope.exe, or node.exe for an npm installation. */
  executable: string;
  /** Its arguments, unquoted (quoted here for the Windows command line). */
  args: string[];
  /** Working directory, and where WinSW writes statescope-service.out.log / .err.log. */
  directory: string;
  /** Seconds WinSW waits after Ctrl+C before it kills the process. */
  stopTimeoutSeconds: number;
}

export function winswXml(def: ServiceDefinition): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!-- Written by statescope service install; statescope service uninstall removes the service. -->',
    '<service>',
    element('id', def.id),
    element('name', def.displayName),
    element('description', def.description),
    element('executable', def.executable),
    element('arguments', def.args.map(quoteWindowsArgument).join(' ')),
    element('workingdirectory', def.directory),
    element('logpath', def.directory),
    // stdout/stderr in files of 10 MiB, the newest 8 kept.
    '  <log mode="roll-by-size">',
    `  ${element('sizeThreshold', '10240')}`,
    `  ${element('keepFiles', '8')}`,
    '  </log>',
    element('startmode', 'Automatic'),
    // Ctrl+C to statescope itself first, so it can finish what is in flight.
    element('stopparentprocessfirst', 'true'),
    element('stoptimeout', `${def.stopTimeoutSeconds}sec`),
    '  <onfailure action="restart" delay="10 sec"/>',
    '  <onfailure action="restart" delay="60 sec"/>',
    '</service>',
  ];
  return lines.join('\r\n') + '\r\n';
}

function element(name: string, text: string): string {
  return `  <${name}>${escapeXml(text)}</${name}>`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

/**
 * Quotes one argument so that the Microsoft C runtime (and so Node on Windows) reads it back
 * unchanged: backslashes are literal except before a quote, where they are doubled.
 */
export function quoteWindowsArgument(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
      continue;
    }
    out += ch === '"' ? '\\'.repeat(backslashes * 2 + 1) + '"' : '\\'.repeat(backslashes) + ch;
    backslashes = 0;
  }
  return out + '\\'.repeat(backslashes * 2) + '"';
}
