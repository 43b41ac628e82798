// One pooled socket to the state server: one request at a time, reply framed by Content-Length
// (or by the verb for HEAD). Every failure is reported as Cant_make_session_request with the
// native client's last phase, and leaves the connection dead so the pool never reuses it.
import net from 'node:net';
import { ResponseFramer, type ResponseHead } from '../protocol/index.ts';
import { StateClientError, type RequestPhase } from './errors.ts';

export interface RawReply {
  head: ResponseHead;
  body: Buffer;
}

interface Pending {
  phase: RequestPhase;
  requestBytes: number;
  head: ResponseHead | null;
  body: Buffer[];
  resolve(reply: RawReply): void;
  reject(error: StateClientError): void;
}

let nextConnectionId = 1;

function failure(phase: RequestPhase, cause: unknown, requestBytes = 0): StateClientError {
  return new StateClientError('cant_make_session_request', { phase, cause, requestBytes });
}

function timeoutError(ms: number): Error {
  return Object.assign(new Error(`no progress for ${ms} ms (stateNetworkTimeout)`), { code: 'ETIMEDOUT' });
}

export class StateConnection {
  readonly id = nextConnectionId++;
  /** Set when the socket can no longer carry a request (closed, errored, out of step). */
  dead = false;
  /** Exchanges completed on this socket. */
  exchanges = 0;
  private pending: Pending | null = null;
  private readonly framer: ResponseFramer;

  private constructor(
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    this.framer = new ResponseFramer({
      onHead: (head) => {
        if (!this.pending) return this.kill(new Error('reply bytes with no request outstanding'));
        this.pending.head = head;
      },
      onBody: (chunk) => this.pending?.body.push(chunk),
      onMessageEnd: () => this.finish(),
      onError: (error) => this.kill(Object.assign(new Error(error.message), { code: error.code })),
    });
    socket.on('data', (chunk: Buffer) => {
      if (!this.pending) return this.kill(new Error('unsolicited bytes from the state server'));
      this.framer.push(chunk);
    });
    socket.on('error', (error) => this.kill(error));
    socket.on('end', () => this.kill(Object.assign(new Error('the state server closed the connection'), { code: 'ECONNRESET' })));
    socket.on('close', () => this.kill(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' })));
    socket.on('timeout', () => this.kill(timeoutError(this.timeoutMs)));
  }

  /** Opens a socket; fails in phase "Connecting" on refusal, unreachability or timeout. */
  static open(host: string, port: number, timeoutMs: number, localAddress?: string): Promise<StateConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, ...(localAddress !== undefined ? { localAddress } : {}) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(failure('Connecting to the state server', timeoutError(timeoutMs)));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(failure('Connecting to the state server', error));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        resolve(new StateConnection(socket, timeoutMs));
      });
    });
  }

  /** Sends one request (head and body in one write) and resolves with the complete reply. */
  exchange(bytes: Buffer, verb: string): Promise<RawReply> {
    if (this.dead) return Promise.reject(failure('Sending request to the state server', new Error('connection is dead'), bytes.length));
    if (this.pending) throw new Error('one request at a time per connection');
    return new Promise((resolve, reject) => {
      this.pending = { phase: 'Sending request to the state server', requestBytes: bytes.length, head: null, body: [], resolve, reject };
      this.socket.ref();
      // An inactivity timeout, as a per-call send/recv timeout in native code would behave.
      this.socket.setTimeout(this.timeoutMs);
      this.framer.expectReplyTo(verb);
      this.socket.write(bytes, (error) => {
        if (error) return this.kill(error);
        if (this.pending) this.pending.phase = 'Reading response from the state server';
      });
    });
  }

  /** Lets an idle pooled socket not hold the process open (the pool timer disposes it). */
  park(): void {
    this.socket.setTimeout(0);
    this.socket.unref();
  }

  destroy(): void {
    this.dead = true;
    this.socket.destroy();
  }

  private finish(): void {
    const pending = this.pending;
    if (!pending || !pending.head) return;
    this.pending = null;
    this.exchanges++;
    this.socket.setTimeout(0);
    pending.resolve({ head: pending.head, body: Buffer.concat(pending.body) });
  }

  private kill(cause: unknown): void {
    const pending = this.pending;
    this.pending = null;
    if (!this.dead) {
      this.dead = true;
      this.socket.destroy();
    }
    pending?.reject(failure(pending.phase, cause, pending.requestBytes));
  }
}
