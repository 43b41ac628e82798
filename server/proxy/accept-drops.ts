// Connections the listener could not take (descriptor limit reached): counted for /metrics and
// told to the operator, at most one line per interval however fast they come, and the last
// burst is always reported (a timer says how many came after the last line).

export class AcceptDrops {
  /** Every drop since start, for statescope_accept_drops_total. */
  total = 0;
  private unreported = 0;
  private lastLineAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly notice: (line: string) => void,
    /** Why connections are being dropped, in words, read when a line is written. */
    private readonly reason: () => string,
    private readonly intervalMs = 10_000,
  ) {}

  drop(): void {
    this.total++;
    this.unreported++;
    const now = Date.now();
    if (now - this.lastLineAt >= this.intervalMs) this.report(now);
    else this.timer ??= setTimeout(() => this.report(Date.now()), this.lastLineAt + this.intervalMs - now).unref();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private report(now: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.unreported === 0) return;
    const n = this.unreported;
    this.unreported = 0;
    this.lastLineAt = now;
    this.notice(`refused ${n} new client connection${n === 1 ? '' : 's'} (${this.total} since start): ${this.reason()}`);
  }
}
