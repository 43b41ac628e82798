// The banner's URLs for a dashboard bound to a wildcard address: one per non-loopback address
// of the right family, token kept, IPv6 in brackets, link-local left out.
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { remoteDashboardUrls } from '../../server/cli/remote-dashboard-urls.ts';

const info = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
  ({ address, family, internal, netmask: '', mac: '00:00:00:00:00:00', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as NetworkInterfaceInfo;

const interfaces = {
  lo: [info('127.0.0.1', 'IPv4', true), info('::1', 'IPv6', true)],
  eth0: [info('192.0.2.2', 'IPv4'), info('fd00::2', 'IPv6'), info('fe80::1', 'IPv6')],
  wlan0: [info('10.1.2.3', 'IPv4')],
};
const URL_ = 'http://127.0.0.1:4242/?token=abc_DEF-123';

describe('remoteDashboardUrls', () => {
  it('lists each non-loopback IPv4 address for 0.0.0.0, with the token', () => {
    expect(remoteDashboardUrls(URL_, '0.0.0.0', interfaces)).toEqual(['http://192.0.2.2:4242/?token=abc_DEF-123', 'http://10.1.2.3:4242/?token=abc_DEF-123']);
  });
  it('adds global IPv6 addresses in brackets for :: (dual stack), never link-local ones', () => {
    expect(remoteDashboardUrls(URL_, '::', interfaces)).toEqual([
      'http://192.0.2.2:4242/?token=abc_DEF-123',
      'http://[fd00::2]:4242/?token=abc_DEF-123',
      'http://10.1.2.3:4242/?token=abc_DEF-123',
    ]);
    expect(remoteDashboardUrls(URL_, '[::]', interfaces)).toHaveLength(3);
  });
  it('prints nothing more for a specific address (its URL is already the printed one)', () => {
    expect(remoteDashboardUrls(URL_, '127.0.0.1', interfaces)).toEqual([]);
    expect(remoteDashboardUrls(URL_, '192.0.2.2', interfaces)).toEqual([]);
  });
  it('copes with a machine that has no outside address', () => {
    expect(remoteDashboardUrls(URL_, '0.0.0.0', { lo: interfaces.lo })).toEqual([]);
  });
});
