// Words for the outcome codes of server/capture/wire-types.ts. Typing it as
// Record<OutcomeCode, …> makes the compiler flag a code added there without words here.
import type { OutcomeCode } from '../../server/capture/wire-types.ts';

export const OUTCOME_TEXT: Record<OutcomeCode, string> = {
  ok: 'OK',
  upstream_refused: 'Upstream refused the connection',
  upstream_unreachable: 'Upstream unreachable',
  upstream_timeout: 'Upstream timed out',
  upstream_reset: 'Upstream closed mid-exchange',
  client_reset: 'Client closed mid-exchange',
  client_timeout: 'Client did not finish its request head in time',
  unparseable: 'Unparseable bytes (relayed raw)',
  proxy_shutdown: 'statescope shut down',
  proxy_out_of_descriptors: 'statescope ran out of file descriptors',
};
