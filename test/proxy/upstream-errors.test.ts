// Socket errors of the upstream map onto the one outcome catalogue, in words an operator can
// act on. (Unreachable hosts cannot be produced on this machine's loopback-only network, so the
// mapping itself is checked here; refused, reset and timeout are exercised over real sockets in
// upstream-failures.test.ts.)
import { describe, expect, it } from 'vitest';
import { upstreamFailureOf } from '../../server/proxy/upstream-errors.ts';

const err = (code: string) => Object.assign(new Error(`${code} happened`), { code });

describe('upstream error mapping', () => {
  it.each([
    ['ECONNREFUSED', false, 'upstream_refused', /refused the connection.*ASP\.NET State Service running/],
    ['ENOTFOUND', false, 'upstream_unreachable', /cannot reach 10\.0\.0\.5:42424 \(ENOTFOUND/],
    ['EHOSTUNREACH', false, 'upstream_unreachable', /cannot reach/],
    ['ENETUNREACH', true, 'upstream_unreachable', /cannot reach/],
    ['ETIMEDOUT', false, 'upstream_timeout', /timed out/],
    ['ECONNRESET', true, 'upstream_reset', /failed mid-exchange \(ECONNRESET/],
    ['EPIPE', true, 'upstream_reset', /failed mid-exchange/],
    ['ECONNRESET', false, 'upstream_unreachable', /cannot reach/],
  ] as const)('%s (connected: %s) -> %s', (code, connected, outcome, message) => {
    const failure = upstreamFailureOf(err(code), connected, '10.0.0.5:42424');
    expect(failure.code).toBe(outcome);
    expect(failure.message).toMatch(message);
  });
});
