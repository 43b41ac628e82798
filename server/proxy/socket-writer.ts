// Writes to one side of a relay with backpressure onto the other side: when the destination's
// buffer is full, the source is paused until it drains, so a slow reader never makes us buffer
// without bound. Pieces pushed between begin() and commit() go out corked (one writev).
import type net from 'node:net';

/** How long a socket we ended may linger half-open before it is destroyed. */
const LINGER_MS = 2000;

export class SocketWriter {
  private batch: Buffer[] | null = null;
  private chunk: Buffer | null = null;
  private throttled = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly source: net.Socket,
  ) {}

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
    if (this.throttled) return;
    this.throttled = true;
    this.source.pause();
    this.socket.once('drain', () => {
      this.throttled = false;
      this.source.resume();
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
