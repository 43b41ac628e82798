// Pauses reading a socket while any reason to stop holds, and resumes only when none does.
// Two independent reasons pause a relay's source: the destination's buffer is full (drain),
// and the connection has as many requests in flight as it may (in-flight bound). Each one
// calling pause()/resume() on its own would let one resume what the other paused.
import type net from 'node:net';

export const HOLD_DRAIN = 1;
export const HOLD_IN_FLIGHT = 2;

export class ReadGate {
  private holds = 0;

  constructor(private readonly socket: net.Socket) {}

  get held(): boolean {
    return this.holds !== 0;
  }

  hold(reason: number): void {
    if (this.holds === 0) this.socket.pause();
    this.holds |= reason;
  }

  release(reason: number): void {
    if ((this.holds & reason) === 0) return;
    this.holds &= ~reason;
    if (this.holds === 0 && !this.socket.destroyed) this.socket.resume();
  }
}
