// Hands finished records to the capture in the order they finished, holding back only those
// whose session body is still inflating (compressed bodies finish a moment after the exchange:
// zlib runs off the main thread). A plain body is decoded synchronously, so with no compressed
// body in flight every record goes straight through: one WeakMap lookup per side.
//
// Records behind a held one wait too, so ids, the log and the feed keep the order exchanges
// finished in. The wait is bounded (time and count): past it the record goes out saying its
// session was not decoded in time, and the late result is dropped rather than changing a record
// that a log may already have written.
import type { ExchangeRecord } from './wire-types.ts';
import { pendingDecodesOf } from './session-items-capture.ts';

export interface HandoffLimits {
  /** Longest a record is held for its decode. */
  maxWaitMs: number;
  /** Most records held at once (behind a slow decode) before the oldest is let go. */
  maxHeld: number;
}

export const DEFAULT_HANDOFF_LIMITS: HandoffLimits = { maxWaitMs: 2000, maxHeld: 20_000 };

interface Held {
  record: ExchangeRecord;
  waiting: number;
  since: number;
}

export class SessionItemsHandoff {
  private readonly held: Held[] = [];
  private first = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deliver: (record: ExchangeRecord) => void,
    private readonly limits: HandoffLimits = DEFAULT_HANDOFF_LIMITS,
  ) {}

  /** Called by the relay for every finished exchange (O(1) when nothing is held). */
  push(record: ExchangeRecord): void {
    const pending = pendingDecodesOf(record);
    if (pending === null && this.size === 0) {
      this.deliver(record);
      return;
    }
    const entry: Held = { record, waiting: pending?.length ?? 0, since: Date.now() };
    this.held.push(entry);
    for (const p of pending ?? []) {
      void p.settled.then(() => {
        entry.waiting--;
        this.drain();
      });
    }
    if (this.size > this.limits.maxHeld) this.release(this.held[this.first]!, `more than ${this.limits.maxHeld} exchanges waited for a session decode`);
    this.drain();
  }

  /** Records held now. */
  get size(): number {
    return this.held.length - this.first;
  }

  /** At shutdown: waits up to `waitMs` for decodes in flight, then lets everything go. */
  async close(waitMs = 500): Promise<void> {
    const deadline = Date.now() + waitMs;
    while (this.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    while (this.size > 0) this.release(this.held[this.first]!, 'statescope stopped before this session was decoded');
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private drain(): void {
    while (this.size > 0) {
      const head = this.held[this.first]!;
      if (head.waiting > 0) {
        if (Date.now() - head.since < this.limits.maxWaitMs) break;
        this.release(head, `the session was still being decoded after ${this.limits.maxWaitMs} ms`);
        continue;
      }
      this.shift();
      this.hand(head.record);
    }
    this.armTimer();
  }

  /** Lets the oldest held record go now, without its late decode. */
  private release(head: Held, reason: string): void {
    for (const p of pendingDecodesOf(head.record) ?? []) p.abandon(reason);
    head.waiting = 0;
    if (this.held[this.first] === head) {
      this.shift();
      this.hand(head.record);
    }
  }

  /** Runs from a promise callback too: a throw there must not become an unhandled rejection. */
  private hand(record: ExchangeRecord): void {
    try {
      this.deliver(record);
    } catch {
      /* the capture's own failure; it must not stop the records behind this one */
    }
  }

  private shift(): void {
    this.held[this.first] = undefined as never;
    this.first++;
    // Compact now and then, so the array does not grow for ever (amortised O(1)).
    if (this.first > 1024 && this.first * 2 > this.held.length) {
      this.held.splice(0, this.first);
      this.first = 0;
    }
  }

  private armTimer(): void {
    if (this.size === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      return;
    }
    if (this.timer) return;
    const head = this.held[this.first]!;
    const wait = Math.max(1, this.limits.maxWaitMs - (Date.now() - head.since));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.drain();
    }, wait);
    this.timer.unref();
  }
}
