// Writes to one side of a relay with backpressure onto the other side: when the destination's
// buffer is full, the source is paused until it drains, so a slow reader never makes us buffer
// without bound. Pieces pushed between begin() and commit() go out corked (one writev).
import type net from 'node:net';

/** How long a socket we ended may linger half-open before it is destroyed. */
const LINGER_MS = 2000;

export class SocketWriter {
  private batch: Buffer[] | null = null;
  private throttled = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly source: net.Socket,
  ) {}

  begin(): void {
    this.batch = [];
  }

  push(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.batch) this.batch.push(piece);
    else this.write(piece);
  }

  commit(): void {
    const batch = this.batch;
    this.batch = null;
    if (!batch || batch.length === 0) return;
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
