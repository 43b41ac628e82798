// Writes to one side of a relay with backpressure onto the other side: when the destination's
// buffer is full, the source is paused until it drains, so a slow reader never makes us buffer
// without bound. Pieces pushed between begin() and commit() go out in one write: joined into
// one buffer when small (an injected header line), else corked (one writev).
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { HOLD_DRAIN, type ReadGate } from './read-gate.ts';

/** How long a socket we ended may linger half-open before it is destroyed. */
const LINGER_MS = 2000;
/**
 * Up to this size, pieces are copied into one buffer and written once: a copy of a few hundred
 * bytes costs less than the stream's corked writev path (measured: bench/relay-hot-path.ts).
 */
const JOIN_BELOW_BYTES = 16 * 1024;

export class SocketWriter {
  private batch: Buffer[] | null = null;
  private chunk: Buffer | null = null;
  private throttledNow = false;
  private throttledAt = 0;

  constructor(
    private readonly socket: net.Socket,
    private readonly source: ReadGate,
  ) {}

  /** True while the destination is full and the source is paused for it. */
  get throttled(): boolean {
    return this.throttledNow;
  }

  /** performance.now() when the current throttling began (meaningful while throttled). */
  get throttledSince(): number {
    return this.throttledAt;
  }

  /** Starts collecting the pieces forwarded from `chunk` (one chunk read from the source). */
  begin(chunk: Buffer): void {
    this.batch = [];
    this.chunk = chunk;
  }

  push(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.batch) this.batch.push(piece);
    else this.write(piece);
  }

  commit(): void {
    const batch = this.batch;
    this.batch = null;
    const chunk = this.chunk;
    this.chunk = null;
    if (!batch || batch.length === 0) return;
    // The usual case: the pieces are the whole chunk, in order and unchanged (no injection, no
    // held head). One write of the chunk is cheaper than a writev of its pieces.
    if (chunk && batch.length > 1 && coversExactly(batch, chunk)) {
      this.write(chunk);
      return;
    }
    if (batch.length === 1) {
      this.write(batch[0]!);
      return;
    }
    let total = 0;
    for (const piece of batch) total += piece.length;
    if (total <= JOIN_BELOW_BYTES) {
      this.write(Buffer.concat(batch, total));
      return;
    }
    this.socket.cork();
    for (const piece of batch) this.write(piece);
    this.socket.uncork();
  }

  write(piece: Buffer): void {
    if (!this.socket.writable) return; // the other side is gone; the relay records why
    if (!this.socket.write(piece)) this.throttle();
  }

  /** Half-closes after pending bytes are flushed; destroys if the peer lingers. */
  end(): void {
    if (this.socket.writable) this.socket.end();
    setTimeout(() => {
      if (!this.socket.destroyed) this.socket.destroy();
    }, LINGER_MS).unref();
  }

  private throttle(): void {
    if (this.throttledNow) return;
    this.throttledNow = true;
    this.throttledAt = performance.now();
    this.source.hold(HOLD_DRAIN);
    this.socket.once('drain', () => {
      this.throttledNow = false;
      this.source.release(HOLD_DRAIN);
    });
  }
}

/** True when `pieces` are consecutive views of `chunk` that together span all of it. */
function coversExactly(pieces: readonly Buffer[], chunk: Buffer): boolean {
  let offset = chunk.byteOffset;
  for (const piece of pieces) {
    if (piece.buffer !== chunk.buffer || piece.byteOffset !== offset) return false;
    offset += piece.length;
  }
  return offset === chunk.byteOffset + chunk.length;
}
