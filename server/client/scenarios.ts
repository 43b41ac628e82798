// The named scenarios of `statescope load --scenario NAME` and `statescope demo --scenario NAME`:
// each reproduces one failure that operators of StateServer mode really hit, so that its
// diagnosis can be seen (and tested) without Windows. A scenario is data: what the emulated
// application does (options for startScenario) and, for `demo`, what it does to the state
// server (restart it, slow it down).
import { DEFAULT_APP_ID, legacyAppIdHash } from './app-hash.ts';
import type { ScenarioOptions, WebServer } from './scenario.ts';

export interface ScenarioContext {
  /** --large-session-kb: the size the large-sessions scenario's items are measured against. */
  largeSessionKb: number;
}

export interface ServerConditions {
  /** The demo restarts its embedded state server this often (all sessions are lost each time). */
  restartServerEverySeconds?: number;
  /** The demo delays this share of the state server's replies by `slowReplyMs`. */
  slowReplyShare?: number;
  slowReplyMs?: number;
}

export interface NamedScenario {
  name: string;
  /** One line for --help and the README. */
  summary: string;
  /** The diagnoses it makes appear. */
  shows: string[];
  /** Emulator settings; `base` holds the user's options (target, sessions, duration...). */
  apply(base: ScenarioOptions, context: ScenarioContext): ScenarioOptions;
  /** Used when the user did not give --execution-timeout / --network-timeout. */
  defaults?: { executionTimeoutSeconds?: number; networkTimeoutSeconds?: number; sessions?: number; rate?: number };
  /** What the state server must go through; `demo` does it, `load` says what to do. */
  server?: ServerConditions;
  /** For `load`: what the operator must do to the state server meanwhile. */
  loadNote?: string;
}

const SITE_1 = '/LM/W3SVC/1/ROOT/WebApp';

/**
 * Two emulated web servers get their own loopback source addresses (127.0.0.2, 127.0.0.3) when
 * the target is on loopback, so the diagnoses can name which server sends what, as in a real
 * farm. Linux and Windows route all of 127.0.0.0/8 to loopback; macOS only 127.0.0.1.
 */
function farm(base: ScenarioOptions, servers: WebServer[]): ScenarioOptions {
  const ownAddresses = base.host.startsWith('127.') && process.platform !== 'darwin';
  return { ...base, webServers: servers.map((s, i) => (ownAddresses ? { ...s, localAddress: `127.0.0.${i + 2}` } : s)) };
}
/** The machine key of the older web server in farm-hash (any fixed value: it only has to differ). */
const OLD_MACHINE_KEY = 'statescope-demo-machine-key';

export const SCENARIOS: readonly NamedScenario[] = [
  {
    name: 'healthy',
    summary: 'the normal page mix (the default): nothing should be diagnosed',
    shows: [],
    apply: (base) => base,
  },
  {
    name: 'orphaned-locks',
    summary: 'pages that throw after locking the session (a non-serializable item): locks left behind, waiters, forced release at executionTimeout',
    shows: ['orphaned-lock', 'lock-contention'],
    defaults: { executionTimeoutSeconds: 10, sessions: 4, rate: 8 },
    apply: (base) => ({
      ...base,
      mix: { readOnly: 0, keepAlive: 0, unchanged: 0.2, abandon: 0 },
      faults: { lockLeftBehind: 0.15 },
      maxPagesPerSession: 3,
    }),
  },
  {
    name: 'server-restart',
    summary: 'the state service restarts mid-run: every session vanishes (404) and is created anew',
    shows: ['sessions-vanished'],
    defaults: { sessions: 20, rate: 40 },
    server: { restartServerEverySeconds: 15 },
    loadNote: 'restart the state server during the run (net stop aspnet_state && net start aspnet_state); `statescope demo --scenario server-restart` does it for you',
    apply: (base) => ({ ...base, mix: { readOnly: 0.2, keepAlive: 0.05, unchanged: 0.25, abandon: 0 } }),
  },
  {
    name: 'farm-site-id',
    summary: 'two web servers whose IIS site ids differ (/LM/W3SVC/1/... vs /LM/W3SVC/2/...)',
    shows: ['farm-site-id-mismatch'],
    apply: (base) => farm(base, [{ appId: SITE_1 }, { appId: '/LM/W3SVC/2/ROOT/WebApp' }]),
  },
  {
    name: 'farm-path-case',
    summary: 'two web servers whose application paths differ in case (ROOT vs Root)',
    shows: ['farm-app-path-case'],
    apply: (base) => farm(base, [{ appId: SITE_1 }, { appId: '/LM/W3SVC/1/Root/WebApp' }]),
  },
  {
    name: 'farm-hash',
    summary: 'two web servers on different framework versions: SHA-256 app hash (44 characters) vs the older 28-character one',
    shows: ['farm-hash-mismatch'],
    apply: (base) => {
      const appId = base.appId ?? DEFAULT_APP_ID;
      return farm(base, [{ appId }, { appId, appHash: legacyAppIdHash(appId, OLD_MACHINE_KEY) }]);
    },
  },
  {
    name: 'large-sessions',
    summary: 'sessions of 1 to 3 times --large-session-kb that keep growing (and fill the state server: store-memory)',
    shows: ['large-sessions', 'store-memory'],
    defaults: { sessions: 24, rate: 5 },
    apply: (base, { largeSessionKb }) => {
      const kb = largeSessionKb * 1024;
      return {
        ...base,
        mix: { readOnly: 0.1, keepAlive: 0, unchanged: 0.2, abandon: 0 },
        sizes: { minBytes: Math.max(16, kb), maxBytes: Math.max(32, kb * 3), growBytes: Math.max(16, Math.round(kb / 4)), capBytes: Math.max(64, kb * 4) },
      };
    },
  },
  {
    name: 'read-only-writes',
    summary: 'pages that only read the session still write it back unchanged (Set with the bytes just read)',
    shows: ['redundant-writes'],
    apply: (base) => ({ ...base, mix: { readOnly: 0, keepAlive: 0, unchanged: 0.6, abandon: 0 }, faults: { rewriteUnchanged: true } }),
  },
  {
    name: 'short-network-timeout',
    summary: 'clients with stateNetworkTimeout 1 s against a state server that sometimes takes 1.5 s',
    shows: ['client-timeouts'],
    defaults: { networkTimeoutSeconds: 1 },
    server: { slowReplyShare: 0.2, slowReplyMs: 1500 },
    loadNote: 'the state server (or the network to it) must be slower than --network-timeout for some replies; `statescope demo --scenario short-network-timeout` puts a slow link in front of its embedded server',
    apply: (base) => base,
  },
];

export const SCENARIO_NAMES = SCENARIOS.map((s) => s.name);

export function findScenario(name: string): NamedScenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** The `--help` and README list: "  name  summary" lines. */
export function scenarioHelp(indent = '  '): string {
  const width = Math.max(...SCENARIO_NAMES.map((n) => n.length)) + 2;
  return SCENARIOS.map((s) => `${indent}${s.name.padEnd(width)}${s.summary}`).join('\n');
}

export interface ScenarioChoice {
  scenario: NamedScenario;
  /** Values the user did not give explicitly are taken from the scenario's defaults. */
  executionTimeoutSeconds: number;
  networkTimeoutSeconds: number;
  sessions: number;
  rate: number;
}

/**
 * The emulator's settings for a scenario: the user's explicit values win; where they left the
 * command's default, the scenario's own default (e.g. a 10 s executionTimeout, so that orphaned
 * locks are broken within a demo's attention span) is used.
 */
export function chooseScenarioSettings(
  scenario: NamedScenario,
  given: { executionTimeoutSeconds: number; networkTimeoutSeconds: number; sessions: number; rate: number },
  isDefault: (option: 'executionTimeout' | 'networkTimeout' | 'sessions' | 'rate') => boolean,
): ScenarioChoice {
  const d = scenario.defaults ?? {};
  return {
    scenario,
    executionTimeoutSeconds: isDefault('executionTimeout') && d.executionTimeoutSeconds !== undefined ? d.executionTimeoutSeconds : given.executionTimeoutSeconds,
    networkTimeoutSeconds: isDefault('networkTimeout') && d.networkTimeoutSeconds !== undefined ? d.networkTimeoutSeconds : given.networkTimeoutSeconds,
    sessions: isDefault('sessions') && d.sessions !== undefined ? d.sessions : given.sessions,
    rate: isDefault('rate') && d.rate !== undefined ? d.rate : given.rate,
  };
}
