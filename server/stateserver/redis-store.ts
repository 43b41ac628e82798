// The Redis store: every protocol operation is one Lua script (redis-scripts.ts), so several
// statescope servers on one Redis lock, expire and count bytes as one state server. Faults are
// never turned into replies: a failed or timed-out command rejects with StoreUnavailable and the
// connection that asked is closed, as a dead state server would leave it.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { RateLimitedLog } from './rate-limited-log.ts';
import { Batch, TurnBatches, type OperationReply as Reply } from './redis-batches.ts';
import { SCRIPTS, PURGE_BATCH, type OperationCode, type ScriptName } from './redis-scripts.ts';
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
/** Script runs sent and not yet answered, past which a turn's batches wait (see flush). */
const MAX_COMMANDS_IN_FLIGHT = 8;
const LOG_INTERVAL_MS = 10_000;
/** Reconnect backoff: 50 ms, 100 ms, ... at most every second. */
const MAX_RECONNECT_DELAY_MS = 1000;

/** ioredis generates a Buffer-reply variant of every command; its typings omit evalshaBuffer. */
type EvalSha = (sha: string, keys: number, ...args: Array<string | Buffer | Array<string | Buffer>>) => Promise<unknown>;

const DONE = { kind: 'done' } as const;
const MISSING = { kind: 'missing' } as const;

export class RedisStore implements StateStore {
  readonly label: string;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly keys: { expiries: string; sizes: string; bytes: string };
  private readonly sharedKeys: readonly string[];
  /** Every item's key is this followed by the session key. */
  private readonly itemPrefix: string;
  private readonly now: (() => number) | undefined;
  private readonly outageLog: RateLimitedLog;
  private readonly write: (line: string) => void;
  private connected = false;
  /** The operations of this event-loop turn, sent together when it ends (see redis-batches.ts). */
  private readonly turn: TurnBatches;
  private flushScheduled = false;
  /** A flush found MAX_COMMANDS_IN_FLIGHT commands awaiting replies; it goes when one is in. */
  private heldBack = false;
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
    this.sharedKeys = [this.keys.expiries, this.keys.sizes, this.keys.bytes, `${this.prefix}never`];
    this.itemPrefix = `${this.prefix}i:`;
    this.turn = new TurnBatches(this.sharedKeys);
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
      // Batching is done by sending each turn's operations as one script run (see flush), which
      // spares both sides the per-command costs that auto-pipelining would still pay.
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

  get(key: string, exclusive: boolean): Promise<ReadOutcome> {
    return this.enqueue(exclusive ? 'g 1' : 'g 0', key, this.readOutcome);
  }

  private readonly readOutcome = (r: Reply, at: number): ReadOutcome => {
    if (r[at] === 2) {
      const cookie = r[at + 4] as number;
      const found: FoundOutcome = {
        kind: 'found',
        body: r[at + 1] as Buffer,
        timeoutMinutes: r[at + 2] as number,
        firstReadOfUninitialized: r[at + 3] === 1,
        lockCookie: cookie < 0 ? null : cookie,
      };
      return found;
    }
    return lockOrMissing(r, at);
  };

  release(key: string, lockCookie: number): Promise<LockOutcome> {
    return this.enqueue(`r ${lockCookie}`, key, lockOutcome);
  }

  remove(key: string, lockCookie: number | undefined): Promise<LockOutcome> {
    return this.enqueue(lockCookie === undefined ? 'd -' : `d ${lockCookie}`, key, lockOutcome);
  }

  resetTimeout(key: string): Promise<typeof MISSING | typeof DONE> {
    return this.enqueue('h', key, doneOrMissing);
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
      const now = this.now === undefined ? '-' : String(Math.trunc(this.now()));
      const [looked, dropped] = (await this.runAlone('ssPurge', this.sharedKeys, [this.itemPrefix, now])) as [number, number];
      purged += dropped;
      if (looked < PURGE_BATCH) return purged;
    }
  }

  async stats(): Promise<StoreStats> {
    const r = await this.runAlone('ssStats', this.sharedKeys, []);
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
    const max = Number.isFinite(request.maxStoredBytes) ? request.maxStoredBytes : -1;
    const cookie = request.lockCookie ?? '-';
    return this.enqueue(`s ${request.timeoutMinutes} ${cookie} ${max} ${uninitialized ? 1 : 0}`, key, writeOutcome, request.body);
  }

  /**
   * Adds one operation to this turn's batches; they leave when the turn ends, after the event
   * loop has read every client request that was ready, so the requests of many client
   * connections cost one script run and one write instead of one each. `operation` is its
   * header entry (see redis-scripts.ts); the batch's clock is put in front when it is sent.
   */
  private enqueue<T>(operation: string, key: string, outcome: (r: Reply, at: number) => T, body?: Buffer): Promise<T> {
    if (!this.connected) return Promise.reject(new StoreUnavailable(`Redis store ${this.label}: not connected`));
    const batch = this.turn.batchFor(operation[0] as OperationCode);
    batch.keys.push(this.itemPrefix + key);
    batch.header += `;${operation}`;
    if (body !== undefined) {
      batch.bodies.push(body);
      batch.bodyBytes += body.length;
    }
    const done = new Promise<T>((resolve, reject) => {
      batch.operations.push({ outcome, resolve: resolve as (value: unknown) => void, reject });
    });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
    return done;
  }

  /** Sends this turn's batches, in order, in one write. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.turn.empty) return;
    // Each turn's batches leave at once, so Redis runs one while we answer the replies of the
    // one before and read the next requests: with one flush in flight at a time, one of the
    // two processes sat idle while the other worked, and that idling, not CPU, capped
    // throughput on a machine with cores to spare. Past MAX_COMMANDS_IN_FLIGHT (Redis is not
    // keeping up), what the next turns read waits and joins one larger flush when replies come
    // in: fewer, fuller writes, cheaper for both sides when CPU is short. A Redis that stops
    // answering is caught by the watchdog, which fails what is in flight and so this too.
    // Order needs no waiting: Redis runs one connection's commands in the order sent.
    if (this.sentAt.length - this.sentAtStart >= MAX_COMMANDS_IN_FLIGHT) {
      this.heldBack = true;
      return;
    }
    const batches = this.turn.take();
    const stream = this.redis.stream;
    stream.cork();
    for (const batch of batches) this.send(batch);
    stream.uncork();
  };

  private send(batch: Batch): void {
    const sha = batch.writes ? SHAS.ssWriteBatch : SHAS.ssBatch;
    this.sentAt.push(performance.now());
    // ioredis flattens the two arrays into the command's arguments.
    // One clock reading for the whole batch: it runs as one atomic step, so all at one time.
    const clock = this.now === undefined ? '-' : String(Math.trunc(this.now()));
    this.evalsha(sha, batch.keys.length, batch.keys, this.itemPrefix, clock + batch.header, batch.bodies).then(
      (replies) => {
        this.settled();
        // One flat array: each operation's reply kind, then that kind's fields.
        const flat = replies as Reply;
        let at = 0;
        for (const operation of batch.operations) {
          const length = REPLY_LENGTHS[flat[at] as number];
          // A kind we do not know, or a reply cut short (a nil ends a Lua array): fail the
          // operations left rather than guess at their outcome.
          if (length === undefined || at + length > flat.length) {
            operation.reject(new StoreUnavailable(`Redis store ${this.label}: unexpected reply ${String(flat[at])}`));
            continue;
          }
          operation.resolve(operation.outcome(flat, at));
          at += length;
        }
      },
      (error: unknown) => {
        this.settled();
        // A full Redis never refuses a batch (its Sets are answered 5 inside it): any error is
        // a fault.
        const failure = this.failure(error);
        for (const operation of batch.operations) operation.reject(failure);
      },
    );
  }

  /**
   * Runs one script by itself (purge, stats), after the operations this turn read; not after
   * ones held back for an earlier flush, which no client has had an answer to yet.
   */
  private runAlone(script: ScriptName, keys: readonly string[], args: string[]): Promise<Reply> {
    if (!this.connected) return Promise.reject(new StoreUnavailable(`Redis store ${this.label}: not connected`));
    this.flush();
    this.sentAt.push(performance.now());
    return this.evalsha(SHAS[script], keys.length, keys as string[], args).then(
      (reply) => {
        this.settled();
        return reply as Reply;
      },
      (error: unknown) => {
        this.settled();
        throw this.failure(error);
      },
    );
  }

  /** Any failure of Redis or of the link becomes StoreUnavailable. */
  private failure(error: unknown): StoreUnavailable {
    // Someone flushed the script cache under us: fail these requests (their clients see a
    // closed connection) rather than resend them out of order, and load the scripts again.
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) void this.loadScripts().catch(() => {});
    return new StoreUnavailable(`Redis store ${this.label}: ${(error as Error).message}`, { cause: error });
  }

  private settled(): void {
    this.sentAtStart++;
    if (this.sentAtStart === this.sentAt.length) this.sentAt.length = this.sentAtStart = 0;
    if (this.heldBack && this.sentAt.length - this.sentAtStart < MAX_COMMANDS_IN_FLIGHT) {
      this.heldBack = false;
      this.flush();
    }
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

  private async loadScripts(): Promise<void> {
    await Promise.all(Object.values(SCRIPTS).map((lua) => this.redis.script('LOAD', lua)));
  }
}

// Replies (see redis-scripts.ts), at offset `at` of a batch's flat reply, to outcomes.
/** Elements of each reply kind, the kind included: missing, done, found, locked, full, out of memory. */
const REPLY_LENGTHS: readonly number[] = [1, 1, 5, 4, 2, 1];
/**
 * A Set Redis refused at maxmemory (noeviction): a full store, answered like our own ceiling
 * (500, which ASP.NET ignores for a Set), not a dead one.
 */
const REDIS_FULL: WriteOutcome = {
  kind: 'full',
  storedBytes: -1,
  detail: "Redis refused the write: OOM, used memory > 'maxmemory'",
};
const doneOrMissing = (r: Reply, at: number): typeof DONE | typeof MISSING => (r[at] === 1 ? DONE : MISSING);
const lockOutcome = (r: Reply, at: number): LockOutcome => (r[at] === 1 ? DONE : lockOrMissing(r, at));
const lockOrMissing = (r: Reply, at: number): LockedOutcome | typeof MISSING => (r[at] === 3 ? locked(r, at) : MISSING);
const locked = (r: Reply, at: number): LockedOutcome => ({
  kind: 'locked',
  lockedAt: r[at + 1] as number,
  now: r[at + 2] as number,
  lockCookie: r[at + 3] as number,
});
const writeOutcome = (r: Reply, at: number): WriteOutcome => {
  if (r[at] === 4) return { kind: 'full', storedBytes: r[at + 1] as number };
  if (r[at] === 5) return REDIS_FULL;
  if (r[at] === 3) return locked(r, at);
  return DONE;
};

const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')]),
) as Record<ScriptName, string>;
