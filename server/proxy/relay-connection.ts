// One client connection and its own upstream connection. Bytes are forwarded as they are
// framed (a message head is held until complete, then written in one piece, as protocol notes
// §9 asks); the framers' reports also build the exchange records. If either direction cannot
// be parsed, the connection becomes a raw tunnel and the record says why. Failures of the
// upstream close the client's connection: a reply is never invented (design invariant 3).
//
// Bounded whatever the peers do (design invariant 5): at most `maxInFlight` requests wait for
// replies (past it the client is not read: backpressure, not buffering); a reply is due within
// `replyTimeoutMs` of the oldest unanswered request or of the upstream's last byte; a request
// head must be complete within `headTimeoutMs` of its first byte. An idle connection between
// exchanges has no limit: ASP.NET pools them.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  RequestFramer,
  ResponseFramer,
  RingQueue,
  type ProtocolError,
  type RequestHead,
  type ResponseHead,
} from '../protocol/index.ts';
import { buildReplyRecord, buildRequestRecord, replyHeaderValuesOf } from '../capture/record-builder.ts';
import { bodySinkFor, type SessionItemsDecoding } from '../capture/session-items-capture.ts';
import { newPendingExchange, recordOf, type ConnectionIdentity, type PendingExchange } from './pending-exchange.ts';
import type { ExchangeRecord, InjectionRule, OutcomeCode } from '../capture/wire-types.ts';
import { applyInjection } from './injection.ts';
import { HOLD_IN_FLIGHT, ReadGate } from './read-gate.ts';
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
  /** Longest silence from the upstream while a reply is due (client traffic does not count). */
  replyTimeoutMs: number;
  /** A head split across segments is held at most this long before its bytes are flushed raw. */
  headHoldMs: number;
  /**
   * A request head begun but not complete after this long, or a request body that stalls this
   * long, closes the connection (client_timeout).
   */
  headTimeoutMs: number;
  /** Requests forwarded and not yet answered, per connection; past it the client is not read. */
  maxInFlight: number;
  /** How long to wait for the client's request after the upstream failed, to name it in the record. */
  failureGraceMs: number;
}

export interface RelayHooks {
  record(record: ExchangeRecord): void;
  upstreamStatus(reachable: boolean): void;
  closed(relay: RelayConnection): void;
  upstreamOpened(): void;
  upstreamClosed(): void;
  /** The upstream connect failed for want of descriptors (EMFILE/ENFILE) in this process. */
  outOfDescriptors?(code: string): void;
}

/** The client left first: whatever the upstream does next is a consequence, not its failure. */
const CLIENT_GONE = 'the client closed the connection before the exchange was complete';
const CLIENT_GONE_FIRST = 'the client closed the connection first, before the reply was complete; then the upstream connection ended';

export class RelayConnection {
  readonly clientLabel: string;
  private readonly identity: ConnectionIdentity;
  private readonly upstream: net.Socket;
  private readonly clientGate: ReadGate;
  private readonly toUpstream: SocketWriter;
  private readonly toClient: SocketWriter;
  private readonly requests: RequestFramer;
  private readonly replies: ResponseFramer;
  /** Made once: injection hands the pieces of every reply head to it. */
  private readonly pushToClient = (piece: Buffer): void => this.toClient.push(piece);
  /** Exchanges whose request head was forwarded, oldest first; at most maxInFlight long. */
  private readonly pending = new RingQueue<PendingExchange>(4);
  /** Client bytes not yet framed because maxInFlight requests are unanswered (at most one chunk). */
  private parked: Buffer | null = null;
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
  /** One lazily re-armed timer per limit; each checks the clock when it fires. */
  private replyTimer: NodeJS.Timeout | null = null;
  private headTimer: NodeJS.Timeout | null = null;
  /** performance.now() of the upstream's last byte. */
  private lastUpstreamByteAt = 0;
  /** performance.now() when the current partial request head began; null between heads. */
  private headStartedAt: number | null = null;
  /** performance.now() of the last client bytes of a request body still due; null outside one. */
  private bodyProgressAt: number | null = null;

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
    this.clientGate = new ReadGate(client);
    this.toUpstream = new SocketWriter(this.upstream, this.clientGate);
    this.toClient = new SocketWriter(client, new ReadGate(this.upstream));
    this.requests = new RequestFramer(
      {
        onHead: (h) => this.onRequestHead(h),
        onBody: (c) => this.onRequestBody(c),
        onMessageEnd: () => this.onRequestEnd(),
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
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.hooks.upstreamStatus(true);
    });
    upstream.on('data', (chunk: Buffer) => this.fromUpstream(chunk));
    upstream.on('end', () => {
      if (this.pending.length > 0 && !this.tunnel && !this.clientEnded) {
        this.upstreamFailure('upstream_reset', 'the upstream closed the connection before the reply was complete');
        return;
      }
      // After the client's own FIN, the upstream closing is the answer to it, not a failure.
      this.finishAll('client_reset', CLIENT_GONE_FIRST);
      this.toClient.end();
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      const failure = upstreamFailureOf(err, this.upstreamConnected, this.options.upstreamLabel);
      if (failure.code === 'proxy_out_of_descriptors') this.hooks.outOfDescriptors?.(err.code ?? 'EMFILE');
      this.upstreamFailure(failure.code, failure.message);
    });
    upstream.on('close', () => {
      this.hooks.upstreamClosed();
      if (this.pending.length > 0 && !this.tunnel && !this.failed) {
        if (this.clientEnded) this.finishAll('client_reset', CLIENT_GONE_FIRST);
        else this.finishAll('upstream_reset', 'the upstream connection closed before the reply was complete');
      }
      // Let the client read what was forwarded, then go; never leave it half-open for long.
      if (!this.failed) this.toClient.end();
    });

    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    client.on('end', () => {
      // ASP.NET never half-closes: a FIN means it is gone. A request it had not finished
      // sending is recorded now; a complete one may still get its reply before the upstream ends.
      this.clientEnded = true;
      this.headStartedAt = this.bodyProgressAt = null;
      if (!this.requests.idle && !this.tunnel) this.finishAll('client_reset', CLIENT_GONE);
      this.toUpstream.end();
    });
    client.on('error', () => {
      /* 'close' follows; the outcome is recorded there */
    });
    client.on('close', () => {
      this.closed = true;
      this.parked = null;
      // (A request head that began but never completed names nothing, so it is not recorded.)
      this.finishAll('client_reset', CLIENT_GONE);
      this.clearTimers();
      if (!upstream.destroyed) upstream.destroy();
      this.hooks.closed(this);
    });
  }

  // --- client -> upstream ------------------------------------------------------------

  private fromClient(chunk: Buffer): void {
    if (this.parked) {
      // Only bytes the socket had already read when it was paused can get here.
      this.parked = Buffer.concat([this.parked, chunk]);
      return;
    }
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
    const used = this.requests.push(chunk);
    this.toUpstream.commit();
    if (used < chunk.length && !this.tunnel && !this.closed) {
      // maxInFlight requests are unanswered: keep the rest, and stop reading until one is.
      this.parked = chunk.subarray(used);
      this.clientGate.hold(HOLD_IN_FLIGHT);
    }
    this.armHoldTimer();
    if (this.tunnel) return;
    if (this.requests.pendingHeadBytes > 0 && this.headStartedAt === null) this.startRequestClock();
    if (this.requests.bodyBytesDue > 0) {
      this.bodyProgressAt = performance.now();
      if (this.headTimer === null) this.armHeadTimer(this.options.headTimeoutMs);
    } else this.bodyProgressAt = null;
  }

  private onRequestHead(head: RequestHead): void {
    if (!this.failed) this.toUpstream.push(this.requestHeadFlushed > 0 ? head.raw.subarray(this.requestHeadFlushed) : head.raw);
    this.requestHeadFlushed = 0;
    this.headStartedAt = null;
    const exchange = newPendingExchange(buildRequestRecord(head));
    exchange.requestBody = bodySinkFor(this.options.captureBodiesBytes, this.options.sessionItems, head.contentLength, exchange.request!.kind === 'Set', exchange.request!.target);
    // A request with a body is due (for the reply timeout) once its body is through.
    if (head.contentLength > 0) exchange.dueAt = null;
    this.pending.push(exchange);
    this.replies.expectReplyTo(head.verb);
    if (this.failed) {
      this.finishAll(this.failed.code, this.failed.message);
      this.destroyBoth();
      return;
    }
    if (this.pending.length >= this.options.maxInFlight) this.requests.pause();
    if (this.replyTimer === null) this.armReplyTimer(this.options.replyTimeoutMs);
  }

  private onRequestBody(chunk: Buffer): void {
    if (!this.failed) this.toUpstream.push(chunk);
    this.pending.last()?.requestBody?.add(chunk);
  }

  private onRequestEnd(): void {
    const exchange = this.pending.last();
    if (exchange && exchange.dueAt === null) exchange.dueAt = performance.now();
  }

  // --- upstream -> client ------------------------------------------------------------

  private fromUpstream(chunk: Buffer): void {
    this.lastUpstreamByteAt = performance.now();
    const first = this.pending.first();
    if (first && first.firstByteAt === null) first.firstByteAt = this.lastUpstreamByteAt;
    if (this.tunnel) {
      this.toClient.write(chunk);
      return;
    }
    this.toClient.begin(chunk);
    this.replies.push(chunk);
    this.toClient.commit();
    this.armHoldTimer();
    if (this.pending.length < this.options.maxInFlight) this.readClientAgain();
  }

  private onReplyHead(head: ResponseHead): void {
    let exchange = this.pending.first();
    if (!exchange) {
      // A reply nobody asked for: forward it and record it as such.
      exchange = newPendingExchange(null);
      this.pending.push(exchange);
    }
    let line: string | null = null;
    const values = replyHeaderValuesOf(head.text);
    if (this.replyHeadFlushed > 0) {
      // Part of this head already went out raw (injection was off then): it cannot change now.
      this.toClient.push(head.raw.subarray(this.replyHeadFlushed));
    } else {
      line = applyInjection(this.options.injection, head, values.version !== undefined, this.pushToClient);
    }
    this.replyHeadFlushed = 0;
    exchange.reply = buildReplyRecord(head, line, values);
    const sessionReply = head.status === 200 && (exchange.request?.kind === 'Get' || exchange.request?.kind === 'GetExclusive');
    exchange.replyBody = bodySinkFor(this.options.captureBodiesBytes, this.options.sessionItems, head.bodyLength, sessionReply, exchange.request?.target);
  }

  private onReplyBody(chunk: Buffer): void {
    this.toClient.push(chunk);
    this.pending.first()?.replyBody?.add(chunk);
  }

  private onReplyEnd(): void {
    const exchange = this.pending.shift();
    if (exchange) this.finish(exchange, 'ok');
  }

  /** Below the in-flight bound again: frame what was parked, then read the client again. */
  private readClientAgain(): void {
    this.requests.resume();
    const parked = this.parked;
    if (parked === null) return;
    this.parked = null;
    if (this.closed || this.tunnel) return;
    this.fromClient(parked);
    if (this.parked === null) this.clientGate.release(HOLD_IN_FLIGHT);
  }

  // --- time limits -----------------------------------------------------------------------

  private armReplyTimer(ms: number): void {
    this.replyTimer = setTimeout(() => this.checkReplyDue(), Math.max(1, Math.ceil(ms)));
  }

  /**
   * The reply is late when the upstream has said nothing for replyTimeoutMs since the oldest
   * unanswered request was complete. Bytes the client sends never refresh this (a socket idle
   * timer counts both directions, so a pipelining client kept a dead upstream alive).
   */
  private checkReplyDue(): void {
    this.replyTimer = null;
    const oldest = this.pending.first();
    if (!oldest || this.tunnel || this.failed || this.closed) return;
    const limit = this.options.replyTimeoutMs;
    if (oldest.dueAt === null) {
      // Not due while its body is still coming; but an upstream that stops reading it is as dead
      // as one that stops answering.
      const stalledMs = this.toUpstream.throttled ? performance.now() - this.toUpstream.throttledSince : 0;
      if (stalledMs < limit) return this.armReplyTimer(limit - stalledMs);
      return this.upstreamFailure('upstream_timeout', `upstream read nothing for ${limit} ms while a request body was being sent`);
    }
    // Not due while we hold the upstream back ourselves because the client is not reading.
    if (this.toClient.throttled) return this.armReplyTimer(limit);
    const silentMs = performance.now() - Math.max(oldest.dueAt, this.lastUpstreamByteAt);
    if (silentMs < limit) return this.armReplyTimer(limit - silentMs);
    const unanswered = this.pending.length;
    this.upstreamFailure(
      'upstream_timeout',
      `upstream sent nothing for ${limit} ms while a reply was due (${unanswered} request${unanswered === 1 ? '' : 's'} unanswered)`,
    );
  }

  private startRequestClock(): void {
    this.headStartedAt = performance.now();
    if (this.headTimer === null) this.armHeadTimer(this.options.headTimeoutMs);
  }

  private armHeadTimer(ms: number): void {
    this.headTimer = setTimeout(() => this.checkHeadTime(), Math.max(1, Math.ceil(ms)));
  }

  /**
   * A head begun and not finished in time (a slowloris), or a body that stopped coming (a client
   * that stopped mid-send). A body held up by us (upstream not reading, in-flight bound) is not
   * the client's stall.
   */
  private checkHeadTime(): void {
    this.headTimer = null;
    if (this.closed || this.tunnel || this.failed) return;
    const limit = this.options.headTimeoutMs;
    const now = performance.now();
    let message: string;
    if (this.headStartedAt !== null) {
      const waited = now - this.headStartedAt;
      if (waited < limit) return this.armHeadTimer(limit - waited);
      message = `the client began a request head (${this.requests.pendingHeadBytes} bytes so far) and did not finish it within ${limit} ms; connection closed`;
    } else if (this.bodyProgressAt !== null && this.requests.bodyBytesDue > 0) {
      if (this.clientGate.held) return this.armHeadTimer(limit);
      const stalled = now - this.bodyProgressAt;
      if (stalled < limit) return this.armHeadTimer(limit - stalled);
      message = `the client stopped sending its request body (${this.requests.bodyBytesDue} bytes still due) for ${limit} ms; connection closed`;
    } else return;
    this.failed = { code: 'client_timeout', message };
    // Replies still due on this connection (and a request whose body stalled) are lost for this
    // reason; a head never finished names nothing, so it gets a record of its own.
    this.finishAll('client_timeout', message);
    if (this.headStartedAt !== null) this.hooks.record(recordOf(this.identity, newPendingExchange(null), 'client_timeout', message));
    this.clearTimers();
    this.client.destroy();
    if (!this.upstream.destroyed) this.upstream.destroy();
  }

  // --- failures ------------------------------------------------------------------------

  private onParseError(side: 'client' | 'upstream', error: ProtocolError, rest: Buffer, flushed: number, writer: SocketWriter): void {
    // Forward everything not yet forwarded, untouched, and from now on just pipe bytes.
    writer.push(flushed > 0 ? rest.subarray(flushed) : rest);
    this.tunnel = true;
    this.headStartedAt = null;
    const message = `${side} sent bytes that are not of this protocol (${error.code}: ${error.message}) at byte ${error.offset}; relaying the rest of the connection raw`;
    if (this.pending.length > 0) this.finishAll('unparseable', message);
    else this.hooks.record(recordOf(this.identity, newPendingExchange(null), 'unparseable', message));
    // The other direction's held partial head, then any bytes the in-flight bound parked, go on
    // raw too, in order: a tunnel forwards everything and has no requests in flight to bound.
    if (side === 'upstream') this.requestHeadFlushed = this.flushHeld(this.requests.pendingHead(), this.requestHeadFlushed, this.toUpstream);
    else this.replyHeadFlushed = this.flushHeld(this.replies.pendingHead(), this.replyHeadFlushed, this.toClient);
    const parked = this.parked;
    this.parked = null;
    if (parked && !this.failed) this.toUpstream.write(parked);
    this.requests.resume();
    this.clientGate.release(HOLD_IN_FLIGHT);
  }

  private upstreamFailure(code: OutcomeCode, message: string): void {
    if (this.failed || this.closed) return;
    if (this.clientEnded) {
      // The client had already gone: that is who left first, whatever the upstream did next.
      code = 'client_reset';
      message = `${CLIENT_GONE_FIRST} (${message})`;
    }
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
    for (let exchange = this.pending.shift(); exchange; exchange = this.pending.shift()) this.finish(exchange, outcome, message);
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
   * A reply head is never flushed while injection is on: the client cannot use half a head,
   * and only a whole one can get the missing header (bounded by the framer's head limit).
   */
  private armHoldTimer(): void {
    // Once part of a head went out raw, the rest follows at once: holding it gains nothing.
    if (this.requestHeadFlushed > 0) this.requestHeadFlushed = this.flushHeld(this.requests.pendingHead(), this.requestHeadFlushed, this.toUpstream);
    if (this.replyHeadFlushed > 0) this.replyHeadFlushed = this.flushHeld(this.replies.pendingHead(), this.replyHeadFlushed, this.toClient);
    const waiting =
      this.requests.pendingHeadBytes > this.requestHeadFlushed ||
      (this.replies.pendingHeadBytes > this.replyHeadFlushed && !this.options.injection.enabled);
    if (!waiting || this.holdTimer || this.tunnel) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      if (this.tunnel || this.closed) return;
      this.requestHeadFlushed = this.flushHeld(this.requests.pendingHead(), this.requestHeadFlushed, this.toUpstream);
      if (!this.options.injection.enabled) this.replyHeadFlushed = this.flushHeld(this.replies.pendingHead(), this.replyHeadFlushed, this.toClient);
    }, this.options.headHoldMs);
  }

  /** Writes the held bytes that arrived since the last flush (a view: O(new bytes)). */
  private flushHeld(held: Buffer, alreadyFlushed: number, writer: SocketWriter): number {
    if (held.length > alreadyFlushed && !this.failed) writer.write(held.subarray(alreadyFlushed));
    return held.length;
  }

  private clearTimers(): void {
    for (const t of [this.holdTimer, this.graceTimer, this.connectTimer, this.replyTimer, this.headTimer]) if (t) clearTimeout(t);
    this.holdTimer = this.graceTimer = this.connectTimer = this.replyTimer = this.headTimer = null;
  }

  /** The upstream goes at once; the client is ended so it still reads what was forwarded. */
  private destroyBoth(): void {
    this.clearTimers();
    if (!this.upstream.destroyed) this.upstream.destroy();
    this.toClient.end();
  }
}
