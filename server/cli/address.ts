// HOST:PORT parsing for every listen/target option. Accepts [v6]:port as ASP.NET's connection
// string does (tcpip=[::1]:42424).
import { InvalidArgumentError } from 'commander';

export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(text: string, defaultHost = '127.0.0.1'): HostPort {
  const trimmed = text.trim().replace(/^tcpip=/i, '');
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(trimmed);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (/^\d+$/.test(trimmed)) {
    host = defaultHost;
    portText = trimmed;
  } else {
    const colon = trimmed.lastIndexOf(':');
    if (colon <= 0 || trimmed.indexOf(':') !== colon) {
      throw new InvalidArgumentError(`expected HOST:PORT (or [IPv6]:PORT), got "${text}"`);
    }
    host = trimmed.slice(0, colon);
    portText = trimmed.slice(colon + 1);
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
export function hostPortOption(defaultHost = '127.0.0.1') {
  return (value: string): HostPort => parseHostPort(value, defaultHost);
}
