// Plays the page requests of many users the way SessionStateModule drives the store: lock the
// session (GetExclusive), poll every 500 ms while someone else holds it, break locks older than
// executionTimeout, then write back (Set) or just unlock (ReleaseExclusive). App restarts make
// a fresh partition, so the version check runs again, which is the failure statescope targets.
import { emulatedSessionBody } from './emulated-session.ts';
import { createStateClient, DEFAULT_TIMEOUT_MINUTES, type StateClient } from './index.ts';
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
  /** Write session bodies as compressionEnabled="true" does (raw Deflate + 0xFF). */
  compressSessions?: boolean;
}

export interface ScenarioReport {
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

  const client: StateClient = createStateClient({
    host: options.host,
    port: options.port,
    ...(options.appId !== undefined ? { appId: options.appId } : {}),
    ...(options.appHash !== undefined ? { appHash: options.appHash } : {}),
    ...(options.networkTimeoutSeconds !== undefined ? { networkTimeoutSeconds: options.networkTimeoutSeconds } : {}),
    ...(options.idleTickMs !== undefined ? { idleTickMs: options.idleTickMs } : {}),
  });
  const stats = new ScenarioStats(random);
  const started = performance.now();
  const elapsedMs = () => performance.now() - started;
  const restarts: number[] = [];
  let appStartedAt = 0;
  let stopped = false;
  let finishedAt: number | null = null;
  const wake = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  const users: User[] = Array.from({ length: sessions }, () => ({ sessionId: newSessionId(), pagesOpen: 0 }));

  /** Resolves after `ms`, or at once when the run stops. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake.signal.removeEventListener('abort', done);
        resolve();
      }
      wake.signal.addEventListener('abort', done);
    });

  const restartApp = () => {
    if (stopped) return;
    client.restartApp();
    appStartedAt = elapsedMs();
    restarts.push(Math.round(appStartedAt));
  };

  /** One store call, counted; client errors are recorded and rethrown to end the page. */
  async function call(kind: OperationKind, run: () => Promise<StateReply>): Promise<StateReply> {
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
  async function acquire(user: User, exclusive: boolean): Promise<StateReply | null> {
    const id = user.sessionId;
    const giveUpAt = elapsedMs() + executionTimeoutSeconds * 1000;
    let created = false;
    // Bounded: every pass either returns, creates once, or waits lockPollMs until giveUpAt.
    for (;;) {
      if (stopped) return null;
      const reply = exclusive ? await call('GetExclusive', () => client.getExclusive(id)) : await call('Get', () => client.get(id));
      if (reply.outcome === 'found') return reply;
      if (reply.outcome === 'absent') {
        // A read-only page of a new session just runs without data; so does a second miss.
        if (!exclusive || created) return reply;
        await call('CreateUninitialized', () => client.createUninitialized(id, timeoutMinutes));
        created = true;
        continue;
      }
      stats.pages.lockWaits++;
      if (reply.lockCookie !== null && (reply.lockAge ?? 0) >= executionTimeoutSeconds) {
        // The owner must have died (e.g. its request threw after locking): break the lock.
        await call('ReleaseExclusive', () => client.releaseExclusive(id, reply.lockCookie!));
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
    try {
      const pick = random();
      if (pick < mix.keepAlive) {
        await call('ResetTimeout', () => client.resetTimeout(id));
      } else if (pick < mix.keepAlive + mix.readOnly) {
        if ((await acquire(user, false)) === null) {
          stats.pages.gaveUp++;
          return true;
        }
      } else {
        const item = await acquire(user, true);
        if (item === null) {
          stats.pages.gaveUp++;
          return true;
        }
        const cookie = item.lockCookie;
        if (item.outcome === 'found' && cookie !== null) {
          const rest = (pick - mix.keepAlive - mix.readOnly) / (1 - mix.keepAlive - mix.readOnly);
          if (rest < mix.abandon) await call('Remove', () => client.remove(id, cookie));
          else if (rest < mix.abandon + mix.unchanged) await call('ReleaseExclusive', () => client.releaseExclusive(id, cookie));
          else await call('Set', () => client.set(id, sessionBody(random, timeoutMinutes, options.compressSessions), { lockCookie: cookie, timeoutMinutes }));
        } else {
          // Still no item: the module stores the new session with LockCookie 0.
          await call('Set', () => client.set(id, sessionBody(random, timeoutMinutes, options.compressSessions), { newItem: true, timeoutMinutes }));
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
    wake.abort();
    finish();
  };
  const deadline = setTimeout(stop, durationSeconds * 1000);
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener('abort', stop);

  const snapshot = (): ScenarioReport => {
    const elapsed = (finishedAt ?? elapsedMs()) / 1000;
    return {
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
    await client.close();
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
