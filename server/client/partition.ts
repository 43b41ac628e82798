// A partition is the client's per-server state: the socket pool and the remembered state
// server version. The real one is static, so it lives as long as the AppDomain; a new
// Partition is what an app restart looks like to the state server (protocol notes §7.4).
import { getHeader, majorVersion, VERSION_HEADER } from '../protocol/index.ts';
import type { ResponseHead } from '../protocol/index.ts';
import { StateClientError } from './errors.ts';
import { ConnectionPool, type PoolOptions } from './pool.ts';
import { interpretReply, type StateReply } from './replies.ts';
import type { BuiltRequest, OperationKind } from './requests.ts';

/** Bytes as they went out and came back, for tests and traffic displays. */
export type WireEvent =
  | { type: 'request'; generation: number; connectionId: number; kind: OperationKind; bytes: Buffer }
  | { type: 'reply'; generation: number; connectionId: number; kind: OperationKind; head: ResponseHead; body: Buffer };

export interface PartitionOptions extends PoolOptions {
  generation: number;
  onWire?: (event: WireEvent) => void;
}

export const UNKNOWN_VERSION = -1;

export class Partition {
  /** Major version of the state server; -1 until a reply has been checked. */
  stateServerVersion = UNKNOWN_VERSION;
  readonly generation: number;
  readonly pool: ConnectionPool;
  private readonly onWire: ((event: WireEvent) => void) | undefined;

  constructor(options: PartitionOptions) {
    this.generation = options.generation;
    this.pool = new ConnectionPool(options);
    this.onWire = options.onWire;
  }

  async makeRequest(kind: OperationKind, request: BuiltRequest): Promise<StateReply> {
    // Read before sending: concurrent first requests all check, as in the real client.
    const checkVersion = this.stateServerVersion === UNKNOWN_VERSION;
    const started = performance.now();
    const connection = await this.pool.checkout();
    this.onWire?.({ type: 'request', generation: this.generation, connectionId: connection.id, kind, bytes: request.bytes });
    let raw;
    try {
      raw = await connection.exchange(request.bytes, request.verb);
    } catch (error) {
      this.pool.discard(connection);
      throw error;
    }
    // The socket goes back before any status handling, as in MakeRequest.
    this.pool.checkin(connection);
    const reply = interpretReply(kind, raw, connection.id, performance.now() - started);
    this.onWire?.({ type: 'reply', generation: this.generation, connectionId: connection.id, kind, head: raw.head, body: raw.body });
    if (reply.status === 400) {
      throw new StateClientError('bad_state_server_request', { status: 400, requestBytes: request.bytes.length });
    }
    if (checkVersion) {
      // A missing header reads as 0 (protocol notes §7.4.5), so it fails like a 1.x server.
      this.stateServerVersion = majorVersion(getHeader(raw.head.headers, VERSION_HEADER));
      if (this.stateServerVersion < 2) {
        throw new StateClientError('need_v2_state_server', { status: reply.status, requestBytes: request.bytes.length });
      }
    }
    return reply;
  }

  close(): void {
    this.pool.close();
  }
}
