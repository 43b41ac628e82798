// exposed-listener: statescope's listener, or the state server behind it, reachable from beyond
// this machine. Decided from addresses only (statescope never probes other hosts): the listen
// address, the upstream address, and clients that connected from elsewhere.
import { isIP } from 'node:net';
import type { Diagnosis, ExchangeRecord } from '../wire-types.ts';
import { clientHost, Finding, recordTime, type DiagnosisRule } from './rule.ts';

export interface Endpoints {
  /** host:port the proxy listens on. */
  listen: string | null;
  /** host:port of the upstream state server. */
  upstream: string | null;
}

/** The host part of host:port (brackets of IPv6 literals removed). */
export function hostOf(address: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (m) return m[1]!;
  const colon = address.lastIndexOf(':');
  return colon > 0 && address.indexOf(':') === colon ? address.slice(0, colon) : address;
}

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:/, '');
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** 0.0.0.0 / :: listen on every interface. */
function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

export class ExposedListenerRule implements DiagnosisRule {
  private endpoints: Endpoints = { listen: null, upstream: null };
  private listenExposed = false;
  private upstreamExposed = false;
  private remoteClients = new Set<string>();
  private finding = new Finding();
  private upstreamSeen: string | null = null;
  /** Highest connection id whose client was classified. */
  private lastConnection = 0;

  setEndpoints(endpoints: Partial<Endpoints>): void {
    this.endpoints = { ...this.endpoints, ...endpoints };
    this.listenExposed = this.endpoints.listen !== null && !isLoopback(hostOf(this.endpoints.listen));
    this.upstreamExposed = this.endpoints.upstream !== null && !isLoopback(hostOf(this.endpoints.upstream));
  }

  observe(record: ExchangeRecord): void {
    // A saved capture has no listen address; its records still say where they came from and went.
    if (record.upstream !== this.upstreamSeen) {
      this.upstreamSeen = record.upstream;
      if (record.upstream && !isLoopback(hostOf(record.upstream))) this.upstreamExposed = true;
      if (this.endpoints.upstream === null && record.upstream) this.endpoints.upstream = record.upstream;
    }
    // A connection's records share its client: classify each connection once (ids only grow).
    if (record.connectionId > this.lastConnection && this.remoteClients.size < 16) {
      this.lastConnection = record.connectionId;
      const host = clientHost(record.client);
      if (host !== '?' && host !== '' && !isLoopback(host)) this.remoteClients.add(host);
    }
    if (!this.listenExposed && !this.upstreamExposed && this.remoteClients.size === 0) return;
    // Every record counts; evidence is refreshed now and then, so this stays a few additions.
    const f = this.finding;
    if (f.count % 256 === 0) f.hit(recordTime(record), record.id);
    else {
      f.count++;
      f.lastAt = recordTime(record);
    }
  }

  list(activeSince: number): Diagnosis[] {
    const listenExposed = this.listenExposed || this.remoteClients.size > 0;
    if (!listenExposed && !this.upstreamExposed) return [];
    if (this.finding.count > 0 && !this.finding.active(activeSince) && !this.listenExposed && !this.upstreamExposed) return [];
    const parts: string[] = [];
    if (this.listenExposed) {
      const host = hostOf(this.endpoints.listen!);
      parts.push(`statescope listens on ${this.endpoints.listen}${isWildcard(host) ? ' (every network interface)' : ''}`);
    }
    if (this.remoteClients.size > 0) parts.push(`clients connected from other machines (${[...this.remoteClients].join(', ')})`);
    if (this.upstreamExposed) parts.push(`the state server is reached over the network at ${this.endpoints.upstream}`);
    return [
      this.finding.toDiagnosis('exposed-listener', {
        severity: 'warning',
        title: 'Session state reachable beyond this machine: the protocol has no authentication',
        detail:
          `${capitalise(parts.join('; '))}. The state-server protocol has no authentication and no encryption: anyone who can open a TCP connection to these ports can read every user's session and overwrite or delete it (take over a session, change what the application trusts in it), and anyone on the path can read the traffic. ` +
          'Restrict it: listen only on the interface the web servers use (--listen ADDRESS:PORT, not 0.0.0.0), allow the port in the firewall only from the web servers (Windows Defender Firewall rule with remote addresses, or nftables/iptables), and the same for aspnet_state (AllowRemoteConnection=1 opens port 42424 to everyone who can reach it); keep the state server on a private network or VLAN, or tunnel it (IPsec).',
      }),
    ];
  }

  clear(): void {
    this.remoteClients = new Set();
    this.finding = new Finding();
    this.upstreamSeen = null;
    this.lastConnection = 0;
    this.setEndpoints({});
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
