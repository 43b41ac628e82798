// The rules that need nothing but the record in front of them: a test and the words. Kept as
// data (id, test, words), as the design asks for rules.
import type { Diagnosis, DiagnosisId, ExchangeRecord } from '../wire-types.ts';
import { Finding, recordTime, seconds, type DiagnosisRule } from './rule.ts';
import type { DiagnosisThresholds } from './thresholds.ts';

export const NEED_V2_MESSAGE =
  'Unable to use session state server because this version of ASP.NET requires session state server version 2.0 or above.';

/** Replies this slow are worth a look even far below stateNetworkTimeout. */
const SLOW_MS = 2000;

/** Where the state server machine's framework-wide settings live: both bitnesses. */
export const ROOT_CONFIG_FOLDERS =
  '%WINDIR%\\Microsoft.NET\\Framework\\v4.0.30319\\Config and %WINDIR%\\Microsoft.NET\\Framework64\\v4.0.30319\\Config (v2.0.50727 for .NET 2.0-3.5)';

const VERSION_FIX =
  `Cause: enableVersionHeader="false" reached the state service through the machine-wide configuration. Fix: on the state server machine keep <httpRuntime enableVersionHeader="true"/> in the root web.config and machine.config of BOTH config folders, ${ROOT_CONFIG_FOLDERS} (aspnet_state runs as 32- or 64-bit and reads its own), set it to false only in the application's own web.config, then restart the ASP.NET State Service. Workaround: switch on statescope's header injection.`;

interface PredicateRuleSpec {
  id: DiagnosisId;
  matches(record: ExchangeRecord, t: DiagnosisThresholds): boolean;
  describe(state: PredicateState, t: DiagnosisThresholds): Pick<Diagnosis, 'severity' | 'title' | 'detail'>;
  /** Rule-specific extreme remembered from matching records (largest latency...). */
  peakOf?(record: ExchangeRecord): number;
}

interface PredicateState {
  finding: Finding;
  peak: number;
  /** Every matching reply had the header injected by statescope. */
  allInjected: boolean;
}

const slowMs = (t: DiagnosisThresholds) => Math.min(SLOW_MS, t.stateNetworkTimeoutSeconds * 500);

export const PREDICATE_RULES: readonly PredicateRuleSpec[] = [
  {
    id: 'missing-version-header',
    matches: (r) => r.reply !== null && !r.reply.versionHeader.present,
    describe: (s) => ({
      severity: s.allInjected ? 'warning' : 'error',
      title: s.allInjected ? 'Upstream replies lack X-AspNet-Version (statescope is injecting it)' : 'Replies lack the X-AspNet-Version header',
      detail: `ASP.NET reads the state server's version from this header. Without it, the first session request after every application start throws "${NEED_V2_MESSAGE}" and later requests work until the next restart. ${VERSION_FIX}`,
    }),
  },
  {
    id: 'old-version',
    matches: (r) => r.reply !== null && r.reply.versionHeader.present && r.reply.versionHeader.major < 2,
    describe: () => ({
      severity: 'error',
      title: 'State server reports a version below 2.0',
      detail: `X-AspNet-Version has a major version below 2, so ASP.NET 2.0+ clients throw "${NEED_V2_MESSAGE}" on the first request after each application start. Cause: the 1.x state service answers. Fix: run the ASP.NET 2.0 or 4.x state service instead.`,
    }),
  },
  {
    id: 'upstream-refused',
    matches: (r) => r.outcome === 'upstream_refused',
    describe: () => ({
      severity: 'error',
      title: 'The state server refused connections',
      detail:
        'Nothing accepted the connection at the upstream address, so ASP.NET gets "Unable to make the session state request to the session state server." Is the ASP.NET State Service started? Is the port right (registry value Port, default 42424)? If the server is remote, is AllowRemoteConnection set to 1 under HKLM\\SYSTEM\\CurrentControlSet\\Services\\aspnet_state\\Parameters?',
    }),
  },
  {
    id: 'upstream-errors',
    matches: (r) => r.outcome === 'upstream_unreachable' || r.outcome === 'upstream_timeout' || r.outcome === 'upstream_reset',
    describe: () => ({
      severity: 'error',
      title: 'Upstream unreachable, timed out or closed mid-reply',
      detail:
        'statescope closed the client connection, as a dead state server would (it never invents a reply), so ASP.NET raised "Unable to make the session state request". Check the network path, firewalls and the state service\'s health (event log IDs 1072/1076).',
    }),
  },
  {
    id: 'slow-replies',
    matches: (r, t) => r.reply !== null && r.latencyMs !== null && r.latencyMs >= slowMs(t),
    peakOf: (r) => r.latencyMs ?? 0,
    describe: (s, t) => ({
      severity: s.peak >= t.stateNetworkTimeoutSeconds * 500 ? 'error' : 'warning',
      title: `Slow replies (up to ${seconds(s.peak)})`,
      detail: `ASP.NET gives up after stateNetworkTimeout (${t.stateNetworkTimeoutSeconds} s here) and fails the page. Replies of ${seconds(slowMs(t))} or more suggest an overloaded state server, large sessions or network trouble.`,
    }),
  },
  {
    id: 'bad-requests',
    matches: (r) => r.reply?.status === 400,
    describe: () => ({
      severity: 'error',
      title: '400 Bad Request replies',
      detail:
        'ASP.NET throws "Unable to make the session state request to the session state server. The session state server is running, but the request is not formatted correctly." Usually a session timeout above 525600 minutes or an invalid lock cookie.',
    }),
  },
];

/** Applies the predicate rules; each keeps a Finding, a peak and whether all were injected. */
export class PredicateRules implements DiagnosisRule {
  private readonly states: PredicateState[];

  private readonly slowMs: number;

  constructor(private readonly thresholds: DiagnosisThresholds) {
    this.states = PREDICATE_RULES.map(fresh);
    this.slowMs = slowMs(thresholds);
  }

  observe(record: ExchangeRecord): void {
    // The common case, a healthy exchange, matches none: say so with a few field reads.
    const reply = record.reply;
    if (
      record.outcome === 'ok' &&
      reply !== null &&
      reply.versionHeader.major >= 2 &&
      reply.status !== 400 &&
      (record.latencyMs ?? 0) < this.slowMs
    ) {
      return;
    }
    for (let i = 0; i < PREDICATE_RULES.length; i++) {
      const rule = PREDICATE_RULES[i]!;
      if (!rule.matches(record, this.thresholds)) continue;
      const s = this.states[i]!;
      s.finding.hit(recordTime(record), record.id);
      if (record.reply && !record.reply.injected) s.allInjected = false;
      if (rule.peakOf) s.peak = Math.max(s.peak, rule.peakOf(record));
    }
  }

  list(activeSince: number): Diagnosis[] {
    const out: Diagnosis[] = [];
    PREDICATE_RULES.forEach((rule, i) => {
      const s = this.states[i]!;
      if (s.finding.active(activeSince)) out.push(s.finding.toDiagnosis(rule.id, rule.describe(s, this.thresholds)));
    });
    return out;
  }

  clear(): void {
    for (let i = 0; i < this.states.length; i++) this.states[i] = fresh();
  }
}

function fresh(): PredicateState {
  return { finding: new Finding(), peak: 0, allInjected: true };
}
