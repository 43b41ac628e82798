// Bound to a wildcard address (0.0.0.0 or ::), the dashboard's printed loopback URL is no use
// to an operator on another machine: list the same URL (token included) on each of this
// machine's non-loopback interface addresses.
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** `url` is the dashboard URL as printed (loopback host, real port, ?token=…). */
export function remoteDashboardUrls(url: string, boundHost: string, interfaces = networkInterfaces()): string[] {
  const host = boundHost.replace(/^\[|\]$/g, '');
  const wildcard4 = host === '0.0.0.0';
  const wildcard6 = host === '::';
  if (!wildcard4 && !wildcard6) return [];
  const out: string[] = [];
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal || !usable(info, wildcard6)) continue;
      const remote = new URL(url);
      remote.hostname = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      out.push(remote.href);
    }
  }
  return out;
}

// :: listens on both families (dual stack); 0.0.0.0 only on IPv4. Link-local IPv6 addresses
// need a zone id that a URL cannot carry portably, so they are left out.
function usable(info: NetworkInterfaceInfo, ipv6Too: boolean): boolean {
  if (info.family === 'IPv4') return true;
  return ipv6Too && !info.address.toLowerCase().startsWith('fe80:');
}
