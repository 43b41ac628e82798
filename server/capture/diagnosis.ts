// Diagnosis rules: each looks at one record at a time and keeps a count, the time last seen and
// a few evidence ids. Rules are data (id, test, words); the tracker applies them. A diagnosis
// shows while its rule has matched within the last five minutes.
import type { Diagnosis, DiagnosisId, ExchangeRecord } from './wire-types.ts';

export const NEED_V2_MESSAGE =
  'Unable to use session state server because this version of ASP.NET requires session state server version 2.0 or above.';

const ACTIVE_MS = 5 * 60 * 1000;
const EVIDENCE = 5;
/** ASP.NET's stateNetworkTimeout default (seconds); a reply near it fails the page. */
export const STATE_NETWORK_TIMEOUT_S = 10;
const SLOW_MS = 2000;
/** httpRuntime executionTimeout default: a lock older than this is broken by the next request. */
const EXECUTION_TIMEOUT_S = 110;
const MAX_SESSIONS_TRACKED = 10_000;

interface Rule {
  id: DiagnosisId;
  matches(record: ExchangeRecord): boolean;
  describe(state: RuleState): Pick<Diagnosis, 'severity' | 'title' | 'detail'>;
}

interface RuleState {
  count: number;
  lastAt: number;
  evidence: number[];
  /** Rule-specific extreme (largest latency or lock age seen). */
  peak: number;
  allInjected: boolean;
}

const FIXES =
  'Fix: keep <httpRuntime enableVersionHeader="true"/> at machine level (the framework root web.config or machine.config used by aspnet_state) and set it to false only in the application\'s own web.config, then restart the ASP.NET State Service. Workaround: switch on statescope\'s header injection.';

const RULES: Rule[] = [
  {
    id: 'missing-version-header',
    matches: (r) => r.reply !== null && !r.reply.versionHeader.present,
    describe: (s) => ({
      severity: s.allInjected ? 'warning' : 'error',
      title: s.allInjected
        ? 'Upstream replies lack X-AspNet-Version (statescope is injecting it)'
        : 'Replies lack the X-AspNet-Version header',
      detail: `ASP.NET reads the state server's version from this header. Without it, the first session request after every application start throws "${NEED_V2_MESSAGE}" and later requests work until the next restart. ${FIXES}`,
    }),
  },
  {
    id: 'old-version',
    matches: (r) => r.reply !== null && r.reply.versionHeader.present && r.reply.versionHeader.major < 2,
    describe: () => ({
      severity: 'error',
      title: 'State server reports a version below 2.0',
      detail: `X-AspNet-Version has a major version below 2, so ASP.NET 2.0+ clients throw "${NEED_V2_MESSAGE}" on the first request after each application start. Run the ASP.NET 2.0 or 4.x state service instead of the 1.x one.`,
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
    matches: (r) => r.latencyMs !== null && r.latencyMs >= SLOW_MS,
    describe: (s) => ({
      severity: s.peak >= STATE_NETWORK_TIMEOUT_S * 1000 * 0.5 ? 'error' : 'warning',
      title: `Slow replies (up to ${(s.peak / 1000).toFixed(1)} s)`,
      detail: `ASP.NET gives up after stateNetworkTimeout (${STATE_NETWORK_TIMEOUT_S} s by default) and fails the page. Replies of ${SLOW_MS / 1000} s or more suggest an overloaded state server, large sessions or network trouble.`,
    }),
  },
  {
    id: 'lock-contention',
    matches: (r) => r.reply?.status === 423,
    describe: (s) => ({
      severity: s.peak >= EXECUTION_TIMEOUT_S * 0.8 ? 'error' : 'warning',
      title: `Lock contention: 423 Locked replies (lock age up to ${s.peak} s)`,
      detail: `Requests of the same session wait for each other (ASP.NET polls every 500 ms). A lock older than executionTimeout (${EXECUTION_TIMEOUT_S} s by default) is broken by force; long ones usually mean slow pages holding the session, or a request that failed after taking the lock (for example on the version error).`,
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
  {
    id: 'mixed-app-hashes',
    matches: () => false, // decided by the tracker, which remembers sessions
    describe: () => ({
      severity: 'warning',
      title: 'One session id seen under two different app ids or hashes',
      detail:
        'Servers of a web farm address the same session under different keys, so users lose their session when the load balancer switches servers. Typical causes: mixed .NET Framework versions (4.5+ hashes the app id with SHA-256, older versions do not) or different IIS site ids (/LM/W3SVC/1 vs /LM/W3SVC/2).',
    }),
  },
];

function freshState(): RuleState {
  return { count: 0, lastAt: 0, evidence: [], peak: 0, allInjected: true };
}

export class DiagnosisTracker {
  private states = new Map<DiagnosisId, RuleState>();
  /** session id -> "appId(appHash)" first seen, bounded (oldest forgotten first). */
  private sessionKeys = new Map<string, string>();

  constructor(private readonly now: () => number = Date.now) {}

  observe(record: ExchangeRecord): void {
    for (const rule of RULES) {
      if (rule.matches(record)) this.hit(rule.id, record);
    }
    this.checkSessionKey(record);
  }

  clear(): void {
    this.states.clear();
    this.sessionKeys.clear();
  }

  list(): Diagnosis[] {
    const cutoff = this.now() - ACTIVE_MS;
    const out: Diagnosis[] = [];
    for (const rule of RULES) {
      const s = this.states.get(rule.id);
      if (!s || s.lastAt < cutoff) continue;
      out.push({ id: rule.id, ...rule.describe(s), evidence: [...s.evidence], count: s.count });
    }
    const order = { error: 0, warning: 1, info: 2 };
    return out.sort((a, b) => order[a.severity] - order[b.severity]);
  }

  private hit(id: DiagnosisId, record: ExchangeRecord): void {
    let s = this.states.get(id);
    if (!s) this.states.set(id, (s = freshState()));
    s.count++;
    s.lastAt = this.now();
    s.evidence.unshift(record.id);
    if (s.evidence.length > EVIDENCE) s.evidence.length = EVIDENCE;
    if (record.reply && !record.reply.injected) s.allInjected = false;
    if (id === 'slow-replies') s.peak = Math.max(s.peak, record.latencyMs ?? 0);
    if (id === 'lock-contention') s.peak = Math.max(s.peak, record.reply?.lockAgeSeconds ?? 0);
  }

  private checkSessionKey(record: ExchangeRecord): void {
    const req = record.request;
    if (!req?.sessionId || req.appId === null) return;
    const key = `${req.appId}(${req.appHash})`;
    const known = this.sessionKeys.get(req.sessionId);
    if (known === undefined) {
      if (this.sessionKeys.size >= MAX_SESSIONS_TRACKED) {
        const oldest = this.sessionKeys.keys().next().value;
        if (oldest !== undefined) this.sessionKeys.delete(oldest);
      }
      this.sessionKeys.set(req.sessionId, key);
    } else if (known !== key) {
      this.hit('mixed-app-hashes', record);
    }
  }
}
