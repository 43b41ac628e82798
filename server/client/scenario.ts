// Plays the page requests of many users the way SessionStateModule drives the store: lock the
// session (GetExclusive), poll every 500 ms while someone else holds it, break locks older than
// executionTimeout, then write back (Set) or just unlock (ReleaseExclusive). App restarts make
// a fresh partition, so the version check runs again, which is the failure statescope targets.
import { randomBytes } from 'node:crypto';
import { emulatedSessionBody } from './emulated-session.ts';
import { createStateClient, DEFAULT_APP_ID, DEFAULT_TIMEOUT_MINUTES, type StateClient } from './index.ts';
import type { StateReply } from './replies.ts';
import type { OperationKind } from './requests.ts';
import { newSessionId } from './session-id.ts';
import { ScenarioStats, type ErrorCount, type ErrorEvent, type LatencySummary, type PageCounters } from './stats.ts';

/** Shares of page types; what is left over after these are pages that write the session. */
export interface PageMix {
  /** EnableSessionState="ReadOnly": a plain Get, no lock. */
  readOnly: number;
  /** Pages that only keep the session alive (ResetTimeout, HEAD). */
  keepAlive: number;
  /** Pages that lock the session but change nothing: ReleaseExclusive instead of Set. */
  unchanged: number;
  /** Session.Abandon(): Remove with the lock cookie. */
  abandon: number;
}

export const DEFAULT_PAGE_MIX: PageMix = { readOnly: 0.2, keepAlive: 0.05, unchanged: 0.25, abandon: 0.02 };

/** One web server of the farm the users are spread over (a load balancer picks one per page). */
export interface WebServer {
  /** HttpRuntime.AppDomainAppId on that server. */
  appId: string;
  /** Its "(hash)"; default Base64(SHA-256(appId)) as 4.5+ computes it. */
  appHash?: string;
  /** Its stateNetworkTimeout, when it differs from the run's. */
  networkTimeoutSeconds?: number;
  /** Its source address, so that statescope tells the servers apart (e.g. 127.0.0.2). */
  localAddress?: string;
}

/** Misbehaviour of the application, for the diagnosis scenarios. */
export interface PageFaults {
  /** Share of pages that lock the session and then throw before writing it back (a non-serializable item): the lock stays. */
  lockLeftBehind?: number;
  /** Pages that change nothing write the item back unchanged (Set with the bytes read) instead of ReleaseExclusive. */
  rewriteUnchanged?: boolean;
}

/** Sizes of the serialized session items each user writes (default: a few hundred bytes). */
export interface SessionSizes {
  /** The first write of each user is between minBytes and maxBytes. */
  minBytes: number;
  maxBytes: number;
  /** Each later write grows the item by this much... */
  growBytes: number;
  /** ...up to this size. */
  capBytes: number;
}

export interface ScenarioOptions {
  host: string;
  port: number;
  appId?: string;
  appHash?: string;
  /** Simulated users, one session each. Default 10. */
  sessions?: number;
  /** The run stops by itself after this long. Default 10. */
  durationSeconds?: number;
  /** Pages per second over all users; 0 = each user requests its next page at once. */
  rate?: number;
  /** Restart the app (new partition) this often; 0 = only on demand. */
  restartEverySeconds?: number;
  signal?: AbortSignal;
  /** httpRuntime executionTimeout: lock age at which a waiting page breaks the lock. Default 110. */
  executionTimeoutSeconds?: number;
  /** Poll interval of a page waiting for a lock. Default 500 (SessionStateModule's). */
  lockPollMs?: number;
  /** Session timeout sent with Set and CreateUninitialized. Default 20. */
  timeoutMinutes?: number;
  networkTimeoutSeconds?: number;
  idleTickMs?: number;
  mix?: Partial<PageMix>;
  /** Rate mode: pages one session may have open at once (frames, parallel XHR). Default 2. */
  maxPagesPerSession?: number;
  /** Unpaced mode: pause before a user whose page failed asks again. Default 100. */
  failurePauseMs?: number;
  random?: () => number;
  /** The web farm; default one server with appId / appHash. */
  webServers?: WebServer[];
  faults?: PageFaults;
  sizes?: SessionSizes;
  /** Name of the scenario, for the report. Default "healthy". */
  scenario?: string;
  /** Write session bodies as compressionEnabled="true" does (raw Deflate + 0xFF). */
  compressSessions?: boolean;
}

export interface ScenarioReport {
  scenario: string;
  target: string;
  sessions: number;
  rate: number;
  durationSeconds: number;
  elapsedSeconds: number;
  pages: PageCounters;
  pagesPerSecond: number;
  operations: Record<string, Record<string, number>>;
  operationsTotal: number;
  errors: ErrorCount[];
  errorsTotal: number;
  latencyMs: LatencySummary;
  /** ms since start of each app restart. */
  restarts: number[];
  /** The first 1000 errors with when they happened relative to the app (re)start. */
  errorEvents: ErrorEvent[];
}

export interface ScenarioRun {
  /** Restart the app now (e.g. from a key press); the next requests check the version again. */
  restartApp(): void;
  /** Counters so far (the same shape as the final report). */
  snapshot(): ScenarioReport;
  /** Stop early; pages in flight finish their current request. */
  stop(): void;
  readonly done: Promise<ScenarioReport>;
}

interface User {
  sessionId: string;
  pagesOpen: number;
  /** The item this user writes next (kept only with `sizes`, changed in place each write). */
  body: Buffer | null;
}

const TICK_MS = 10;

export function startScenario(options: ScenarioOptions): ScenarioRun {
  const sessions = positiveInt(options.sessions ?? 10, 'sessions');
  const durationSeconds = nonNegative(options.durationSeconds ?? 10, 'durationSeconds');
  const rate = nonNegative(options.rate ?? 0, 'rate');
  const restartEvery = nonNegative(options.restartEverySeconds ?? 0, 'restartEverySeconds');
  const executionTimeoutSeconds = options.executionTimeoutSeconds ?? 110;
  const lockPollMs = options.lockPollMs ?? 500;
  const timeoutMinutes = options.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES;
  const maxPagesPerSession = options.maxPagesPerSession ?? 2;
  const failurePauseMs = options.failurePauseMs ?? 100;
  const mix = { ...DEFAULT_PAGE_MIX, ...options.mix };
  const random = options.random ?? Math.random;

  const faults = options.faults ?? {};
  const servers: WebServer[] = options.webServers?.length
    ? options.webServers
    : [{ appId: options.appId ?? DEFAULT_APP_ID, ...(options.appHash !== undefined ? { appHash: options.appHash } : {}) }];
  const clients: StateClient[] = servers.map((server) =>
    createStateClient({
      host: options.host,
      port: options.port,
      appId: server.appId,
      ...(server.appHash !== undefined ? { appHash: server.appHash } : {}),
      ...(server.localAddress !== undefined ? { localAddress: server.localAddress } : {}),
      ...(options.networkTimeoutSeconds !== undefined || server.networkTimeoutSeconds !== undefined
        ? { networkTimeoutSeconds: server.networkTimeoutSeconds ?? options.networkTimeoutSeconds }
        : {}),
      ...(options.idleTickMs !== undefined ? { idleTickMs: options.idleTickMs } : {}),
    }),
  );
  const stats = new ScenarioStats(random);
  const started = performance.now();
  const elapsedMs = () => performance.now() - started;
  const restarts: number[] = [];
  let appStartedAt = 0;
  let stopped = false;
  let finishedAt: number | null = null;
  // Every user sleeping between pages, woken at once when the run stops. A plain set rather
  // than listeners on one AbortSignal: with more than 10 users that tripped Node's
  // MaxListenersExceededWarning, although nothing leaked.
  const sleepers = new Set<() => void>();
  const inFlight = new Set<Promise<unknown>>();
  const users: User[] = Array.from({ length: sessions }, () => ({ sessionId: newSessionId(), pagesOpen: 0, body: null }));
  /** The load balancer: any server, page by page, so a user's session is used from all of them. */
  const pickClient = (): StateClient => clients[clients.length === 1 ? 0 : Math.floor(random() * clients.length)]!;

  /** Resolves after `ms`, or at once when the run stops. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      }
      sleepers.add(done);
    });

  const restartApp = () => {
    if (stopped) return;
    for (const client of clients) client.restartApp();
    appStartedAt = elapsedMs();
    restarts.push(Math.round(appStartedAt));
  };

  /** One store call, counted; client errors are recorded and rethrown to end the page. */
  async function call(client: StateClient, kind: OperationKind, run: () => Promise<StateReply>): Promise<StateReply> {
    const generation = client.generation;
    const at = elapsedMs();
    const sinceAppStart = at - appStartedAt;
    try {
      const reply = await run();
      stats.recordReply(kind, reply.status, elapsedMs() - at);
      return reply;
    } catch (error) {
      stats.recordError(kind, error, elapsedMs() - at, { atMs: Math.round(at), generation, msSinceAppStart: Math.round(sinceAppStart) });
      throw error;
    }
  }

  /**
   * Gets the session, waiting out other requests' locks as SessionStateModule does. Returns
   * null when the page gives up (lock held past executionTimeout, or the run ended).
   */
  async function acquire(client: StateClient, user: User, exclusive: boolean): Promise<StateReply | null> {
    const id = user.sessionId;
    const giveUpAt = elapsedMs() + executionTimeoutSeconds * 1000;
    let created = false;
    // Bounded: every pass either returns, creates once, or waits lockPollMs until giveUpAt.
    for (;;) {
      if (stopped) return null;
      const reply = exclusive
        ? await call(client, 'GetExclusive', () => client.getExclusive(id))
        : await call(client, 'Get', () => client.get(id));
      if (reply.outcome === 'found') return reply;
      if (reply.outcome === 'absent') {
        // A read-only page of a new session just runs without data; so does a second miss.
        if (!exclusive || created) return reply;
        await call(client, 'CreateUninitialized', () => client.createUninitialized(id, timeoutMinutes));
        created = true;
        continue;
      }
      stats.pages.lockWaits++;
      if (reply.lockCookie !== null && (reply.lockAge ?? 0) >= executionTimeoutSeconds) {
        // The owner must have died (e.g. its request threw after locking): break the lock.
        await call(client, 'ReleaseExclusive', () => client.releaseExclusive(id, reply.lockCookie!));
        stats.pages.staleLocksReleased++;
        continue;
      }
      if (elapsedMs() >= giveUpAt) return null;
      await pause(lockPollMs);
    }
  }

  /** One page; false when the client threw (the user saw an error page). */
  async function page(user: User): Promise<boolean> {
    stats.pages.started++;
    user.pagesOpen++;
    const id = user.sessionId;
    const client = pickClient();
    try {
      const pick = random();
      if (pick < mix.keepAlive) {
        await call(client, 'ResetTimeout', () => client.resetTimeout(id));
      } else if (pick < mix.keepAlive + mix.readOnly) {
        if ((await acquire(client, user, false)) === null) {
          stats.pages.gaveUp++;
          return true;
        }
      } else {
        const item = await acquire(client, user, true);
        if (item === null) {
          stats.pages.gaveUp++;
          return true;
        }
        const cookie = item.lockCookie;
        if (item.outcome === 'found' && cookie !== null) {
          const rest = (pick - mix.keepAlive - mix.readOnly) / (1 - mix.keepAlive - mix.readOnly);
          if (rest < mix.abandon) await call(client, 'Remove', () => client.remove(id, cookie));
          else if (rest < mix.abandon + mix.unchanged) {
            if (faults.rewriteUnchanged && item.body.length > 0) {
              // The page only read a mutable object, so the module thinks the session is dirty.
              stats.pages.unchangedWrites++;
              await call(client, 'Set', () => client.set(id, item.body, { lockCookie: cookie, timeoutMinutes }));
            } else await call(client, 'ReleaseExclusive', () => client.releaseExclusive(id, cookie));
          } else if (faults.lockLeftBehind !== undefined && random() < faults.lockLeftBehind) {
            // Serializing the session throws (a non-serializable item) before Set is sent: the
            // page fails and nobody releases the lock; other pages of the user wait for it.
            stats.pages.locksLeftBehind++;
            stats.pages.failed++;
            return false;
          } else await call(client, 'Set', () => client.set(id, nextBody(user), { lockCookie: cookie, timeoutMinutes }));
        } else {
          // Still no item: the module stores the new session with LockCookie 0.
          await call(client, 'Set', () => client.set(id, nextBody(user), { newItem: true, timeoutMinutes }));
        }
      }
      stats.pages.completed++;
      return true;
    } catch {
      stats.pages.failed++;
      return false;
    } finally {
      user.pagesOpen--;
    }
  }

  /** The item a page writes: a few random bytes, or with `sizes` the user's item, grown and changed. */
  function nextBody(user: User): Buffer {
    const sizes = options.sizes;
    if (!sizes) return sessionBody(random, timeoutMinutes, options.compressSessions);
    if (user.body === null) {
      user.body = randomBytes(sizes.minBytes + Math.floor(random() * Math.max(0, sizes.maxBytes - sizes.minBytes)));
    } else if (user.body.length < sizes.capBytes) {
      const grown = Buffer.allocUnsafe(Math.min(sizes.capBytes, user.body.length + sizes.growBytes));
      user.body.copy(grown);
      randomBytes(grown.length - user.body.length).copy(grown, user.body.length);
      user.body = grown;
    }
    // A real page changes something: a counter in the first bytes is enough to differ.
    user.body.writeUInt32LE((user.body.readUInt32LE(0) + 1) >>> 0, 0);
    // A copy goes on the wire: the user's item changes again on the next write.
    return Buffer.from(user.body);
  }

  const track = (promise: Promise<unknown>) => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
  };

  async function userLoop(user: User): Promise<void> {
    while (!stopped) {
      // Like a person reloading an error page: soon, but not in a tight loop on a dead server.
      if (!(await page(user))) await pause(failurePauseMs);
    }
  }

  let dispatched = 0;
  const dispatch = () => {
    // Pages due by now at `rate` per second, minus those already started or skipped.
    const due = Math.floor((elapsedMs() / 1000) * rate) - dispatched;
    for (let i = 0; i < due && !stopped; i++) {
      dispatched++;
      const user = users[Math.floor(random() * users.length)]!;
      if (user.pagesOpen >= maxPagesPerSession) stats.pages.skipped++;
      else track(page(user));
    }
  };

  const timers: NodeJS.Timeout[] = [];
  if (rate > 0) timers.push(setInterval(dispatch, TICK_MS));
  else for (const user of users) track(userLoop(user));
  if (restartEvery > 0) timers.push(setInterval(restartApp, restartEvery * 1000));

  let finish: () => void = () => {};
  const ended = new Promise<void>((resolve) => (finish = resolve));
  const stop = () => {
    if (stopped) return;
    stopped = true;
    finishedAt = elapsedMs();
    for (const t of timers) clearInterval(t);
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', stop);
    for (const wakeUp of [...sleepers]) wakeUp();
    finish();
  };
  const deadline = setTimeout(stop, durationSeconds * 1000);
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener('abort', stop);

  const snapshot = (): ScenarioReport => {
    const elapsed = (finishedAt ?? elapsedMs()) / 1000;
    return {
      scenario: options.scenario ?? 'healthy',
      target: `${options.host}:${options.port}`,
      sessions,
      rate,
      durationSeconds,
      elapsedSeconds: Math.round(elapsed * 1000) / 1000,
      pages: { ...stats.pages },
      pagesPerSecond: elapsed > 0 ? Math.round((stats.pages.completed / elapsed) * 10) / 10 : 0,
      operations: stats.operationCounts(),
      operationsTotal: stats.operationTotal(),
      errors: stats.errorCounts(),
      errorsTotal: stats.errorsTotal,
      latencyMs: stats.latency.summary(),
      restarts: [...restarts],
      errorEvents: [...stats.errorEvents],
    };
  };

  const done = (async () => {
    await ended;
    // Pages in flight finish the request they are in (each bounded by the network timeout).
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    await Promise.all(clients.map((c) => c.close()));
    return snapshot();
  })();

  return { restartApp, snapshot, stop, done };
}

export function runScenario(options: ScenarioOptions): Promise<ScenarioReport> {
  return startScenario(options).done;
}

/** A serialized session in ASP.NET's real format (strings, numbers, a date, object blobs). */
function sessionBody(random: () => number, timeoutMinutes: number, compressed = false): Buffer {
  return emulatedSessionBody(random, { timeoutMinutes, compressed });
}

function positiveInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a whole number >= 1, got ${n}`);
  return n;
}

function nonNegative(n: number, name: string): number {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a number >= 0, got ${n}`);
  return n;
}
