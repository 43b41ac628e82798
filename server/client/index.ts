// An emulator of the ASP.NET client side (OutOfProcSessionStateStore): the same request bytes,
// socket pooling, version check and error texts, for driving the proxy or a state server.
import { appIdHash, DEFAULT_APP_ID, normalizeAppId } from './app-hash.ts';
import { Partition, type WireEvent } from './partition.ts';
import type { PoolStats } from './pool.ts';
import type { StateReply } from './replies.ts';
import { buildRequest, type StateOperation } from './requests.ts';
import { MAX_SESSION_ID_LENGTH } from './session-id.ts';

export { appIdHash, DEFAULT_APP_ID, normalizeAppId } from './app-hash.ts';
export { newSessionId, MAX_SESSION_ID_LENGTH, SESSION_ID_LENGTH } from './session-id.ts';
export {
  BAD_STATE_SERVER_REQUEST,
  CANT_MAKE_SESSION_REQUEST,
  isStateClientError,
  NEED_V2_STATE_SERVER,
  StateClientError,
  type RequestPhase,
  type StateClientErrorCode,
} from './errors.ts';
export { buildRequest, emptySessionBody, type OperationKind, type StateOperation, type BuiltRequest } from './requests.ts';
export { computeLockAge, type ReplyOutcome, type StateReply } from './replies.ts';
export type { WireEvent } from './partition.ts';
export type { PoolStats } from './pool.ts';

/** Session timeout in minutes when the caller gives none (sessionState timeout default). */
export const DEFAULT_TIMEOUT_MINUTES = 20;
export const DEFAULT_NETWORK_TIMEOUT_SECONDS = 10;

export interface StateClientOptions {
  host: string;
  port: number;
  /** HttpRuntime.AppDomainAppId; default /LM/W3SVC/1/ROOT/WebApp. */
  appId?: string;
  /** The "(hash)" in targets; default Base64(SHA-256(appId)) as 4.5+ clients compute it. */
  appHash?: string;
  /** Host header value; default "host:port" of the connection string. */
  hostHeader?: string;
  /** stateNetworkTimeout: seconds allowed for connect and for each send/receive. */
  networkTimeoutSeconds?: number;
  /** Pool timer period; idle sockets are disposed after 1-2 ticks. Default 5000. */
  idleTickMs?: number;
  /** Source address of the client's sockets (e.g. 127.0.0.2 for a second emulated web server). */
  localAddress?: string;
  onWire?: (event: WireEvent) => void;
}

export interface SetOptions {
  /** The cookie from GetExclusive; ignored (sent as 0) when newItem is true. */
  lockCookie?: number;
  timeoutMinutes?: number;
  /** A session the store did not have yet: the client sends LockCookie 0. */
  newItem?: boolean;
}

export interface StateClient {
  readonly host: string;
  readonly port: number;
  readonly appId: string;
  readonly appHash: string;
  /** How many times restartApp() was called. */
  readonly generation: number;
  /** The current partition's remembered major version; -1 while still unchecked. */
  readonly stateServerVersion: number;
  get(sessionId: string): Promise<StateReply>;
  getExclusive(sessionId: string): Promise<StateReply>;
  releaseExclusive(sessionId: string, lockCookie: number): Promise<StateReply>;
  set(sessionId: string, body: Buffer, options?: SetOptions): Promise<StateReply>;
  createUninitialized(sessionId: string, timeoutMinutes?: number): Promise<StateReply>;
  remove(sessionId: string, lockCookie: number): Promise<StateReply>;
  resetTimeout(sessionId: string): Promise<StateReply>;
  /** Any operation, for callers that pick operations from data. */
  request(op: StateOperation): Promise<StateReply>;
  /** A new AppDomain: new partition, new pool, version unchecked again. */
  restartApp(): void;
  poolStats(): PoolStats;
  close(): Promise<void>;
}

/** "server:port" as in the connection string; IPv6 literals keep their brackets. */
function hostHeaderOf(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function createStateClient(options: StateClientOptions): StateClient {
  const appId = normalizeAppId(options.appId ?? DEFAULT_APP_ID);
  const appHash = options.appHash ?? appIdHash(appId);
  const hostHeader = options.hostHeader ?? hostHeaderOf(options.host, options.port);
  const networkTimeoutMs = (options.networkTimeoutSeconds ?? DEFAULT_NETWORK_TIMEOUT_SECONDS) * 1000;
  const context = { hostHeader, appId, appHash };
  let generation = 0;
  const newPartition = () =>
    new Partition({
      host: options.host,
      port: options.port,
      networkTimeoutMs,
      generation,
      ...(options.idleTickMs !== undefined ? { idleTickMs: options.idleTickMs } : {}),
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      ...(options.onWire ? { onWire: options.onWire } : {}),
    });
  let partition = newPartition();
  let closed = false;

  const request = async (op: StateOperation): Promise<StateReply> => {
    if (closed) throw new Error('state client is closed');
    if (op.sessionId.length > MAX_SESSION_ID_LENGTH) {
      throw new RangeError(`session id longer than ${MAX_SESSION_ID_LENGTH} characters`);
    }
    return partition.makeRequest(op.kind, buildRequest(op, context));
  };

  return {
    host: options.host,
    port: options.port,
    appId,
    appHash,
    get generation() {
      return generation;
    },
    get stateServerVersion() {
      return partition.stateServerVersion;
    },
    get: (sessionId) => request({ kind: 'Get', sessionId }),
    getExclusive: (sessionId) => request({ kind: 'GetExclusive', sessionId }),
    releaseExclusive: (sessionId, lockCookie) => request({ kind: 'ReleaseExclusive', sessionId, lockCookie }),
    set: (sessionId, body, opts = {}) =>
      request({
        kind: 'Set',
        sessionId,
        body,
        timeoutMinutes: opts.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES,
        lockCookie: opts.newItem ? 0 : (opts.lockCookie ?? 0),
      }),
    createUninitialized: (sessionId, timeoutMinutes = DEFAULT_TIMEOUT_MINUTES) =>
      request({ kind: 'CreateUninitialized', sessionId, timeoutMinutes }),
    remove: (sessionId, lockCookie) => request({ kind: 'Remove', sessionId, lockCookie }),
    resetTimeout: (sessionId) => request({ kind: 'ResetTimeout', sessionId }),
    request,
    restartApp() {
      // The old AppDomain's sockets go with it; requests still in flight finish on them.
      partition.close();
      generation++;
      partition = newPartition();
    },
    poolStats: () => partition.pool.stats(),
    async close() {
      closed = true;
      partition.close();
    },
  };
}
