// The Redis store: every protocol operation is one Lua script (redis-scripts.ts), so several
// statescope servers on one Redis lock, expire and count bytes as one state server. Faults are
// never turned into replies: a failed or timed-out command rejects with StoreUnavailable and the
// connection that asked is closed, as a dead state server would leave it.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { RateLimitedLog } from './rate-limited-log.ts';
import { SCRIPTS, PURGE_BATCH, type ScriptName } from './redis-scripts.ts';
import {
  StoreUnavailable,
  type FoundOutcome,
  type LockedOutcome,
  type LockOutcome,
  type ReadOutcome,
  type SetRequest,
  type StateStore,
  type StoreStats,
  type WriteOutcome,
} from './store.ts';
import { DEFAULT_REDIS_KEY_PREFIX, describeStore } from './store-spec.ts';

export interface RedisStoreOptions {
  /** redis://[user:pass@]HOST:PORT[/DB] or rediss://... */
  url: string;
  /** Prefix of every key this store writes; servers sharing sessions must share it. */
  keyPrefix?: string;
  /** Clock for expiry and lock dates; by default Redis's own TIME, one clock for every server. */
  now?: () => number;
  /** A command unanswered this long fails (the client's connection is closed). Default 3000. */
  commandTimeoutMs?: number;
  log?: (line: string) => void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 3000;
const LOG_INTERVAL_MS = 10_000;
/** Reconnect backoff: 50 ms, 100 ms, ... at most every second. */
const MAX_RECONNECT_DELAY_MS = 1000;

type Reply = Array<number | Buffer>;
/** ioredis generates a Buffer-reply variant of every command; its typings omit evalshaBuffer. */
type EvalSha = (sha: string, keys: number, ...args: Array<string | Buffer>) => Promise<unknown>;

const DONE = { kind: 'done' } as const;
const MISSING = { kind: 'missing' } as const;

export class RedisStore implements StateStore {
  readonly label: string;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly keys: { expiries: string; sizes: string; bytes: string };
  private readonly now: (() => number) | undefined;
  private readonly outageLog: RateLimitedLog;
  private readonly write: (line: string) => void;
  private connected = false;
  private corked = false;
  /** Send times of the commands awaiting a reply, oldest first (replies come back in order). */
  private readonly sentAt: number[] = [];
  private sentAtStart = 0;
  private readonly commandTimeoutMs: number;
  private readonly watchdog: NodeJS.Timeout;
  /** When the store last stopped serving (or started, before its first connection). */
  private notServingSince = performance.now();
  private everConnected = false;
  private readonly emitter = new EventEmitter();
  private readonly evalsha: EvalSha;

  constructor(options: RedisStoreOptions) {
    this.label = describeStore({ kind: 'redis', url: options.url });
    this.prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    this.keys = { expiries: `${this.prefix}expiries`, sizes: `${this.prefix}sizes`, bytes: `${this.prefix}bytes` };
    this.now = options.now;
    this.write = options.log ?? (() => {});
    this.outageLog = new RateLimitedLog(this.write, Date.now, LOG_INTERVAL_MS);
    const redisOptions: RedisOptions = {
      // Fail at once rather than queue: a request waiting for Redis to come back would outlive
      // ASP.NET's stateNetworkTimeout, and a queued write could land long after its client gave up.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A command whose fate is unknown (connection lost mid-flight) is failed, never resent: a
      // resent Set or GetExclusive could act twice.
      autoResendUnfulfilledCommands: false,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 50, MAX_RECONNECT_DELAY_MS),
      // Batching is done by corking the socket (see batchThisTurn): cheaper per command than
      // ioredis's auto-pipelining, which builds a Pipeline per event-loop turn.
      enableAutoPipelining: false,
      connectionName: 'statescope',
    };
    this.redis = new Redis(options.url, redisOptions);
    this.evalsha = (this.redis as unknown as { evalshaBuffer: EvalSha }).evalshaBuffer.bind(this.redis);
    // One timer for all commands rather than ioredis's commandTimeout, which arms one per command.
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.watchdog = setInterval(() => this.checkForHang(), Math.min(500, this.commandTimeoutMs / 4));
    this.watchdog.unref();
    this.redis.on('ready', () => {
      // Serve only once every script is loaded: a NOSCRIPT retry would run an operation after
      // ones its client sent later, breaking the per-connection order.
      this.loadScripts().then(
        () => {
          this.connected = true;
          if (this.everConnected) this.write(`statescope server: Redis store ${this.label} is back; serving again`);
          this.everConnected = true;
          this.emitter.emit('serving');
        },
        (error: unknown) => this.outageLog.log(`statescope server: Redis store ${this.label}: cannot load scripts: ${(error as Error).message}`),
      );
    });
    this.redis.on('close', () => {
      if (this.connected) {
        this.connected = false;
        this.notServingSince = performance.now();
        this.write(`statescope server: lost the Redis store ${this.label}; closing client connections until it returns`);
      }
    });
    this.redis.on('error', (error: Error) => {
      this.outageLog.log(`statescope server: Redis store ${this.label}: ${error.message} (reconnecting)`);
    });
  }

  /** Resolves once Redis answers, or after `timeoutMs` (the store keeps trying either way). */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.connected) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.emitter.off('serving', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.emitter.once('serving', onReady);
    });
  }

  // Each operation is one run() whose single .then() both settles the command and builds the
  // outcome: no async functions and no second promise per request on the hot path.
  get(key: string, exclusive: boolean): Promise<ReadOutcome> {
    return this.run('ssGet', key, this.readOutcome, exclusive ? '1' : '0');
  }

  private readonly readOutcome = (r: Reply): ReadOutcome => {
    if (r[0] === 2) {
      const cookie = r[4] as number;
      const found: FoundOutcome = {
        kind: 'found',
        body: r[1] as Buffer,
        timeoutMinutes: r[2] as number,
        firstReadOfUninitialized: r[3] === 1,
        lockCookie: cookie < 0 ? null : cookie,
      };
      return found;
    }
    return lockOrMissing(r);
  };

  release(key: string, lockCookie: number): Promise<LockOutcome> {
    return this.run('ssRelease', key, lockOutcome, String(lockCookie));
  }

  remove(key: string, lockCookie: number | undefined): Promise<LockOutcome> {
    return this.run('ssRemove', key, lockOutcome, lockCookie === undefined ? '' : String(lockCookie));
  }

  resetTimeout(key: string): Promise<typeof MISSING | typeof DONE> {
    return this.run('ssResetTimeout', key, doneOrMissing);
  }

  set(key: string, request: SetRequest): Promise<WriteOutcome> {
    return this.put(key, request, false);
  }

  createUninitialized(key: string, request: SetRequest): Promise<WriteOutcome> {
    return this.put(key, request, true);
  }

  async purgeExpired(): Promise<number> {
    let purged = 0;
    for (;;) {
      // Each step looks at up to PURGE_BATCH items whose score has passed (see redis-scripts.ts).
      const [looked, dropped] = (await this.run('ssPurge', '', asReply)) as [number, number];
      purged += dropped;
      if (looked < PURGE_BATCH) return purged;
    }
  }

  async stats(): Promise<StoreStats> {
    const r = await this.run('ssStats', '', asReply);
    return { items: r[0] as number, storedBytes: r[1] as number };
  }

  async close(): Promise<void> {
    clearInterval(this.watchdog);
    this.redis.removeAllListeners('close');
    this.redis.on('error', () => {});
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private put(key: string, request: SetRequest, uninitialized: boolean): Promise<WriteOutcome> {
    const max = Number.isFinite(request.maxStoredBytes) ? String(request.maxStoredBytes) : '-1';
    const cookie = request.lockCookie === undefined ? '' : String(request.lockCookie);
    return this.run('ssSet', key, writeOutcome, String(request.timeoutMinutes), cookie, max, uninitialized ? '1' : '0', request.body).catch(
      (error: unknown) => {
        // Redis at maxmemory with noeviction refuses writes: that is a full store, answered like
        // our own ceiling (500, which ASP.NET ignores for a Set), not a dead one.
        const cause = error instanceof StoreUnavailable ? error.cause : error;
        if (cause instanceof Error && cause.message.startsWith('OOM')) {
          return { kind: 'full', storedBytes: -1, detail: `Redis refused the write: ${cause.message}` };
        }
        throw error;
      },
    );
  }

  /**
   * Runs one script for `key` by its SHA (EVALSHA: only the arguments cross the wire); a Redis
   * that does not know it yet (first use, or restarted) is given the script and asked again.
   * Any failure of Redis or of the link becomes StoreUnavailable.
   */
  private run<T>(script: ScriptName, key: string, outcome: (r: Reply) => T, ...args: Array<string | Buffer>): Promise<T> {
    if (!this.connected) return Promise.reject(new StoreUnavailable(`Redis store ${this.label}: not connected`));
    const now = this.now === undefined ? '' : String(Math.trunc(this.now()));
    this.batchThisTurn();
    this.sentAt.push(performance.now());
    return this.evalsha(SHAS[script], 4, this.prefix + 'i:' + key, this.keys.expiries, this.keys.sizes, this.keys.bytes, key, now, ...args).then(
      (reply) => {
        this.settled();
        return outcome(reply as Reply);
      },
      (error: unknown) => {
        this.settled();
        // Someone flushed the script cache under us: fail this request (its client sees a
        // closed connection) rather than resend it out of order, and load the scripts again.
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) void this.loadScripts().catch(() => {});
        throw new StoreUnavailable(`Redis store ${this.label}: ${(error as Error).message}`, { cause: error });
      },
    );
  }

  private settled(): void {
    this.sentAtStart++;
    if (this.sentAtStart === this.sentAt.length) this.sentAt.length = this.sentAtStart = 0;
  }

  /**
   * A Redis that stops answering (hung, stopped, a dead link that TCP has not noticed) fails
   * every command waiting on it, via a reconnect: their clients' connections are closed well
   * inside ASP.NET's stateNetworkTimeout, and new requests fail at once until Redis answers.
   */
  private checkForHang(): void {
    // A connection that TCP accepted but whose handshake never completes (a stopped or vanished
    // host) would otherwise keep the store down for good: start over.
    if (!this.connected && this.redis.status === 'connect' && performance.now() - this.notServingSince > 2 * this.commandTimeoutMs) {
      this.outageLog.log(`statescope server: Redis store ${this.label} accepted the connection but does not answer; reconnecting`);
      this.notServingSince = performance.now();
      this.redis.disconnect(true);
      return;
    }
    if (this.sentAtStart === this.sentAt.length) return;
    const waited = performance.now() - this.sentAt[this.sentAtStart]!;
    if (waited < this.commandTimeoutMs) return;
    this.outageLog.log(
      `statescope server: Redis store ${this.label} did not answer within ${this.commandTimeoutMs} ms; reconnecting`,
    );
    this.redis.disconnect(true);
  }

  /**
   * Holds this turn's commands back until the event loop has read every client request that
   * was ready, then sends them in one write (writev): the requests of many client connections
   * cost Redis and us one syscall instead of one each. Order on the connection is unchanged.
   */
  private batchThisTurn(): void {
    if (this.corked) return;
    const stream = this.redis.stream;
    stream.cork();
    this.corked = true;
    setImmediate(() => {
      this.corked = false;
      stream.uncork();
    });
  }

  private async loadScripts(): Promise<void> {
    await Promise.all(Object.values(SCRIPTS).map((lua) => this.redis.script('LOAD', lua)));
  }
}

// Replies (see redis-scripts.ts) to outcomes.
const asReply = (r: Reply): Reply => r;
const doneOrMissing = (r: Reply): typeof DONE | typeof MISSING => (r[0] === 1 ? DONE : MISSING);
const lockOutcome = (r: Reply): LockOutcome => (r[0] === 1 ? DONE : lockOrMissing(r));
const lockOrMissing = (r: Reply): LockedOutcome | typeof MISSING => (r[0] === 3 ? locked(r) : MISSING);
const locked = (r: Reply): LockedOutcome => ({ kind: 'locked', lockedAt: r[1] as number, now: r[2] as number, lockCookie: r[3] as number });
const writeOutcome = (r: Reply): WriteOutcome => {
  if (r[0] === 4) return { kind: 'full', storedBytes: r[1] as number };
  if (r[0] === 3) return locked(r);
  return DONE;
};

const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')]),
) as Record<ScriptName, string>;
