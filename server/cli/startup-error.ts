// Words for the errors a command can hit while starting, so the operator sees what to change
// rather than a stack trace.
export function describeStartupError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  const host = e.address === undefined ? '' : e.address.includes(':') ? `[${e.address}]` : e.address;
  const where = e.port === undefined ? host : `${host}:${e.port}`;
  switch (e.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the address is in use (another statescope, or aspnet_state itself?). Choose another with --listen or --dashboard.`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need administrator rights).`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: that address does not belong to this machine.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host name ${e.hostname ?? ''}: ${e.message}`;
    default:
      return e instanceof Error ? e.message : String(err);
  }
}
