// Maps socket errors of the upstream connection onto the outcome catalogue, with words an
// operator can act on.
import type { OutcomeCode } from '../capture/wire-types.ts';

/** This process is out of descriptors: nothing to do with the upstream, everything with us. */
const OUT_OF_DESCRIPTORS = new Set(['EMFILE', 'ENFILE']);
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EADDRNOTAVAIL', 'ENETDOWN']);

export function upstreamFailureOf(
  err: NodeJS.ErrnoException,
  connected: boolean,
  label: string,
): { code: OutcomeCode; message: string } {
  const code = err.code ?? 'UNKNOWN';
  if (code === 'ECONNREFUSED') {
    return { code: 'upstream_refused', message: `${label} refused the connection (${code}): is the ASP.NET State Service running and listening on that port?` };
  }
  if (OUT_OF_DESCRIPTORS.has(code)) {
    return {
      code: 'proxy_out_of_descriptors',
      message: `statescope could not open a connection to ${label}: out of file descriptors (${code}); raise the limit (ulimit -n) or lower the number of client connections`,
    };
  }
  if (code === 'ETIMEDOUT') return { code: 'upstream_timeout', message: `connection to ${label} timed out (${code})` };
  if (!connected || UNREACHABLE.has(code)) {
    return { code: 'upstream_unreachable', message: `cannot reach ${label} (${code}: ${err.message})` };
  }
  return { code: 'upstream_reset', message: `the connection to ${label} failed mid-exchange (${code}: ${err.message})` };
}
