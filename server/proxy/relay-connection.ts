// One client connection and its own upstream connection. Bytes are forwarded as they are
// framed (a message head is held until complete, then written in one piece, as protocol notes
// §9 asks); the framers' reports also build the exchange records. If either direction cannot
// be parsed, the connection becomes a raw tunnel and the record says why. Failures of the
// upstream close the client's connection: a reply is never invented (design invariant 3).
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  RequestFramer,
  ResponseFramer,
  type ProtocolError,
  type RequestHead,
  type ResponseHead,
} from '../protocol/index.ts';
import { buildReplyRecord, buildRequestRecord } from '../capture/record-builder.ts';
import { bodySinkFor, type SessionItemsDecoding } from '../capture/session-items-capture.ts';
import { newPendingExchange, recordOf, type ConnectionIdentity, type PendingExchange } from './pending-exchange.ts';
import type { ExchangeRecord, InjectionRule, OutcomeCode } from '../capture/wire-types.ts';
import { applyInjection } from './injection.ts';
import { SocketWriter } from './socket-writer.ts';
import { upstreamFailureOf } from './upstream-errors.ts';

export interface RelayOptions {
  upstreamHost: string;
  upstreamPort: number;
  upstreamLabel: string;
  /** Read live on every reply, so a switch in the dashboard applies to the next reply. */
  injection: InjectionRule;
  captureBodiesBytes: number;
  /** --session-items: decode the item table of session bodies (null: off). */
  sessionItems?: SessionItemsDecoding | null;
  connectTimeoutMs: number;
  /** Longest silence from the upstream while a reply is due. */
  replyTimeoutMs: number;
  /** A head split across segments is held at most this long before its bytes are flushed raw. */
  headHoldMs: number;
  /** How long to wait for the client's request after the upstream failed, to name it in the record. */
  failureGraceMs: number;
}

export interface RelayHooks {
  record(record: ExchangeRecord): void;
  upstreamStatus(reachable: boolean): void;
  closed(relay: RelayConnection): void;
  upstreamOpened(): void;
  upstreamClosed(): void;
}

const CLIENT_GONE = 'the client closed the connection before the exchange was complete';


export class RelayConnection {
  readonly clientLabel: string;
  private readonly identity: ConnectionIdentity;
  private readonly upstream: net.Socket;
  private readonly toUpstream: SocketWriter;
  private readonly toClient: SocketWriter;
  private readonly requests: RequestFramer;
  private readonly replies: ResponseFramer;
  private readonly pending: PendingExchange[] = [];
  private tunnel = false;
  private upstreamConnected = false;
  private failed: { code: OutcomeCode; message: string } | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private clientEnded = false;
  /** Bytes of the current partial head already flushed raw by the hold timer, per direction. */
  private requestHeadFlushed = 0;
  private replyHeadFlushed = 0;
  private holdTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly connectionId: number,
    private readonly client: net.Socket,
    private readonly options: RelayOptions,
    private readonly hooks: RelayHooks,
  ) {
    this.clientLabel = `${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}`.replace(/^::ffff:/, '');
    this.identity = { connectionId, client: this.clientLabel, upstream: options.upstreamLabel };
    client.setNoDelay(true);
    this.upstream = net.connect({ host: options.upstreamHost, port: options.upstreamPort, allowHalfOpen: true });
    this.upstream.setNoDelay(true);
    hooks.upstreamOpened();
    this.toUpstream = new SocketWriter(this.upstream, client);
    this.toClient = new SocketWriter(client, this.upstream);
    this.requests = new RequestFramer(
      {
        onHead: (h) => this.onRequestHead(h),
        onBody: (c) => this.onRequestBody(c),
        onMessageEnd: () => {},
        onError: (e, rest) => this.onParseError('client', e, rest, this.requestHeadFlushed, this.toUpstream),
      },
      { maxBodyBytes: Infinity },
    );
    this.replies = new ResponseFramer(
      {
        onHead: (h) => this.onReplyHead(h),
        onBody: (c) => this.onReplyBody(c),
        onMessageEnd: () => this.onReplyEnd(),
        onError: (e, rest) => this.onParseError('upstream', e, rest, this.replyHeadFlushed, this.toClient),
      },
      { maxBodyBytes: Infinity },
    );
    this.wire();
  }

  /** True while an exchange is under way (used for a graceful shutdown). */
  get busy(): boolean {
    return this.pending.length > 0 || !this.requests.idle;
  }

  /** Ends the connection now, recording unfinished exchanges with `outcome`. */
  abort(outcome: OutcomeCode, message: string): void {
    // A request the client sends before it sees the close is recorded for the same reason.
    this.failed ??= { code: outcome, message };
    this.finishAll(outcome, message);
    this.destroyBoth();
  }

  private wire(): void {
    const { client, upstream } = this;
    this.connectTimer = setTimeout(() => {
      this.upstreamFailure('upstream_timeout', `no connection to ${this.options.upstreamLabel} within ${this.options.connectTimeoutMs} ms`);
    }, this.options.connectTimeoutMs);

    upstream.on('connect', () => {
      this.upstreamConnected = true;
      // One idle timer for the connection's life: every read and write refreshes it, and it only
      // counts when it fires with a reply due, so nothing needs re-arming per exchange.
      upstream.setTimeout(this.options.replyTimeoutMs);
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.hooks.upstreamStatus(true);
    });
    upstream.on('data', (chunk: Buffer) => this.fromUpstream(chunk));
    upstream.on('timeout', () => {
      if (this.pending.length > 0) {
        this.upstreamFailure('upstream_timeout', `upstream sent nothing for ${this.options.replyTimeoutMs} ms while a reply was due`);
      }
    });
    upstream.on('end', () => {
      if (this.pending.length > 0 && !this.tunnel && !this.clientEnded) {
        this.upstreamFailure('upstream_reset', 'the upstream closed the connection before the reply was complete');
        return;
      }
      // After the client's own FIN, the upstream closing is the answer to it, not a failure.
      this.finishAll('client_reset', CLIENT_GONE);
      this.toClient.end();
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      const failure = upstreamFailureOf(err, this.upstreamConnected, this.options.upstreamLabel);
      this.upstreamFailure(failure.code, failure.message);
    });
    upstream.on('close', () => {
      this.hooks.upstreamClosed();
      if (this.pending.length > 0 && !this.tunnel && !this.failed) {
        this.finishAll('upstream_reset', 'the upstream connection closed before the reply was complete');
      }
      // Let the client read what was forwarded, then go; never leave it half-open for long.
      if (!this.failed) this.toClient.end();
    });

    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    client.on('end', () => {
      // ASP.NET never half-closes: a FIN means it is gone. A request it had not finished
      // sending is recorded now; a complete one may still get its reply before the upstream ends.
      this.clientEnded = true;
      if (!this.requests.idle && !this.tunnel) this.finishAll('client_reset', CLIENT_GONE);
      this.toUpstream.end();
    });
    client.on('error', () => {
      /* 'close' follows; the outcome is recorded there */
    });
    client.on('close', () => {
      this.closed = true;
      // (A request head that began but never completed names nothing, so it is not recorded.)
      this.finishAll('client_reset', CLIENT_GONE);
      this.clearTimers();
      if (!upstream.destroyed) upstream.destroy();
      this.hooks.closed(this);
    });
  }

  // --- client -> upstream ------------------------------------------------------------

  private fromClient(chunk: Buffer): void {
    if (this.failed) {
      // The upstream is gone; the request is only read to name it in the record.
      if (!this.tunnel) this.requests.push(chunk);
      return;
    }
    if (this.tunnel) {
      this.toUpstream.write(chunk);
      return;
    }
    this.toUpstream.begin(chunk);
    this.requests.push(chunk);
    this.toUpstream.commit();
    this.armHoldTimer();
  }

  private onRequestHead(head: RequestHead): void {
    if (!this.failed) this.toUpstream.push(this.requestHeadFlushed > 0 ? head.raw.subarray(this.requestHeadFlushed) : head.raw);
    this.requestHeadFlushed = 0;
    const exchange = newPendingExchange(buildRequestRecord(head));
    exchange.requestBody = bodySinkFor(this.options.captureBodiesBytes, this.options.sessionItems, head.contentLength, exchange.request!.kind === 'Set');
    this.pending.push(exchange);
    this.replies.expectReplyTo(head.verb);
    if (this.failed) {
      this.finishAll(this.failed.code, this.failed.message);
      this.destroyBoth();
      return;
    }
  }

  private onRequestBody(chunk: Buffer): void {
    if (!this.failed) this.toUpstream.push(chunk);
    this.pending[this.pending.length - 1]?.requestBody?.add(chunk);
  }

  // --- upstream -> client ------------------------------------------------------------

  private fromUpstream(chunk: Buffer): void {
    const first = this.pending[0];
    if (first && first.firstByteAt === null) first.firstByteAt = performance.now();
    if (this.tunnel) {
      this.toClient.write(chunk);
      return;
    }
    this.toClient.begin(chunk);
    this.replies.push(chunk);
    this.toClient.commit();
    this.armHoldTimer();
  }

  private onReplyHead(head: ResponseHead): void {
    let exchange = this.pending[0];
    if (!exchange) {
      // A reply nobody asked for: forward it and record it as such.
      exchange = newPendingExchange(null);
      this.pending.push(exchange);
    }
    let line: string | null = null;
    if (this.replyHeadFlushed > 0) {
      // Part of this head already went out raw (it arrived too slowly): it cannot be changed now.
      this.toClient.push(head.raw.subarray(this.replyHeadFlushed));
    } else {
      const result = applyInjection(this.options.injection, head);
      line = result.line;
      this.toClient.push(result.bytes);
    }
    this.replyHeadFlushed = 0;
    exchange.reply = buildReplyRecord(head, line);
    const sessionReply = head.status === 200 && (exchange.request?.kind === 'Get' || exchange.request?.kind === 'GetExclusive');
    exchange.replyBody = bodySinkFor(this.options.captureBodiesBytes, this.options.sessionItems, head.bodyLength, sessionReply);
  }

  private onReplyBody(chunk: Buffer): void {
    this.toClient.push(chunk);
    this.pending[0]?.replyBody?.add(chunk);
  }

  private onReplyEnd(): void {
    const exchange = this.pending.shift();
    if (exchange) this.finish(exchange, 'ok');
  }

  // --- failures ------------------------------------------------------------------------

  private onParseError(side: 'client' | 'upstream', error: ProtocolError, rest: Buffer, flushed: number, writer: SocketWriter): void {
    // Forward everything not yet forwarded, untouched, and from now on just pipe bytes.
    writer.push(flushed > 0 ? rest.subarray(flushed) : rest);
    this.tunnel = true;
    this.upstream.setTimeout(0);
    const message = `${side} sent bytes that are not of this protocol (${error.code}: ${error.message}) at byte ${error.offset}; relaying the rest of the connection raw`;
    if (this.pending.length > 0) this.finishAll('unparseable', message);
    else this.hooks.record(recordOf(this.identity, newPendingExchange(null), 'unparseable', message));
  }

  private upstreamFailure(code: OutcomeCode, message: string): void {
    if (this.failed || this.closed) return;
    this.failed = { code, message };
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (!this.upstreamConnected) this.hooks.upstreamStatus(false);
    if (!this.upstream.destroyed) this.upstream.destroy();
    if (this.pending.length > 0 || this.tunnel) {
      this.finishAll(code, message);
      this.destroyBoth();
      return;
    }
    // No request yet (typical for a refused connect): wait briefly for it, to name it in the record.
    this.graceTimer = setTimeout(() => {
      this.hooks.record(recordOf(this.identity, newPendingExchange(null), code, message));
      this.destroyBoth();
    }, this.options.failureGraceMs);
  }

  private finishAll(outcome: OutcomeCode, message: string): void {
    while (this.pending.length > 0) this.finish(this.pending.shift()!, outcome, message);
  }

  private finish(exchange: PendingExchange, outcome: OutcomeCode, message?: string): void {
    if (exchange.done) return;
    exchange.done = true;
    this.hooks.record(recordOf(this.identity, exchange, outcome, message));
  }


  // --- partial heads -------------------------------------------------------------------

  /**
   * A head split across TCP segments is held until complete. If the rest does not come soon,
   * the held bytes are flushed raw so that a peer that trickles bytes is never stalled by us.
   */
  private armHoldTimer(): void {
    // Once part of a head went out raw, the rest follows at once: holding it gains nothing.
    if (this.requestHeadFlushed > 0) this.requestHeadFlushed = this.flushHeld(this.requests.pendingHead(), this.requestHeadFlushed, this.toUpstream);
    if (this.replyHeadFlushed > 0) this.replyHeadFlushed = this.flushHeld(this.replies.pendingHead(), this.replyHeadFlushed, this.toClient);
    const waiting = this.requests.pendingHeadBytes > this.requestHeadFlushed || this.replies.pendingHeadBytes > this.replyHeadFlushed;
    if (!waiting || this.holdTimer || this.tunnel) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      if (this.tunnel || this.closed) return;
      this.requestHeadFlushed = this.flushHeld(this.requests.pendingHead(), this.requestHeadFlushed, this.toUpstream);
      this.replyHeadFlushed = this.flushHeld(this.replies.pendingHead(), this.replyHeadFlushed, this.toClient);
    }, this.options.headHoldMs);
  }

  private flushHeld(held: Buffer, alreadyFlushed: number, writer: SocketWriter): number {
    if (held.length > alreadyFlushed && !this.failed) writer.write(held.subarray(alreadyFlushed));
    return held.length;
  }

  private clearTimers(): void {
    for (const t of [this.holdTimer, this.graceTimer, this.connectTimer]) if (t) clearTimeout(t);
    this.holdTimer = this.graceTimer = this.connectTimer = null;
  }

  /** The upstream goes at once; the client is ended so it still reads what was forwarded. */
  private destroyBoth(): void {
    this.clearTimers();
    if (!this.upstream.destroyed) this.upstream.destroy();
    this.toClient.end();
  }
}
