// HOST:PORT parsing for every listen/target option. Accepts [v6]:port as ASP.NET's connection
// string does (tcpip=[::1]:42424). Where a port is obvious (a state server's is 42424) it may
// be left out.
import { isIPv6 } from 'node:net';
import { InvalidArgumentError } from 'commander';

export interface HostPort {
  host: string;
  port: number;
}

/** aspnet_state's port, taken when a state server is named without one. */
export const STATE_SERVER_PORT = 42424;

/**
 * "HOST:PORT", "[v6]:PORT", a bare "PORT" (on defaultHost) or, when defaultPort is given, a bare
 * "HOST", "[v6]" or "v6" (on defaultPort).
 */
export function parseHostPort(text: string, defaultHost = '127.0.0.1', defaultPort?: number): HostPort {
  const trimmed = text.trim().replace(/^tcpip=/i, '');
  const expected = defaultPort === undefined ? 'HOST:PORT (or [IPv6]:PORT)' : `HOST or HOST:PORT (port ${defaultPort} if left out)`;
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\](?::(\d*))?$/.exec(trimmed);
  if (v6) {
    host = v6[1]!;
    portText = v6[2] ?? '';
  } else if (/^\d+$/.test(trimmed)) {
    host = defaultHost;
    portText = trimmed;
  } else {
    const colons = trimmed.split(':').length - 1;
    if (colons === 1) {
      const colon = trimmed.indexOf(':');
      host = trimmed.slice(0, colon);
      portText = trimmed.slice(colon + 1);
    } else {
      // No colon: a host name or IPv4 address; several: an IPv6 address without brackets.
      host = trimmed;
      portText = '';
    }
  }
  if (host === '' || (host.includes(':') && !isIPv6(host))) throw new InvalidArgumentError(`expected ${expected}, got "${text}"`);
  if (portText === '') {
    if (defaultPort === undefined) throw new InvalidArgumentError(`expected ${expected}, got "${text}"`);
    return { host, port: defaultPort };
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new InvalidArgumentError(`port must be 0-65535, got "${portText}"`);
  }
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Commander option parser for HOST:PORT values. */
export function hostPortOption(defaultHost = '127.0.0.1', defaultPort?: number) {
  return (value: string): HostPort => parseHostPort(value, defaultHost, defaultPort);
}
