// Keeps a flood of identical warnings (a full store refusing every Set) from burying the log:
// one line per interval, and the next line says how many were held back.

export class RateLimitedLog {
  private lastAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number,
    private readonly intervalMs: number,
  ) {}

  /** Writes `line` unless one was written less than the interval ago. */
  log(line: string): void {
    const now = this.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.lastAt = now;
    const held = this.suppressed;
    this.suppressed = 0;
    this.write(held > 0 ? `${line} (${held} similar message${held === 1 ? '' : 's'} suppressed)` : line);
  }
}
