// Percentiles without keeping samples: log-spaced bins (about 12% wide), fixed memory.

const BINS = 96;
const GROWTH = 1.12;
const LOG_GROWTH = Math.log(GROWTH);

export class LogHistogram {
  private readonly bins = new Uint32Array(BINS);
  count = 0;
  max = 0;

  /** `min` is the smallest value told apart from zero (e.g. 1 ms, or 1 byte). */
  constructor(private readonly min: number) {}

  add(value: number): void {
    this.count++;
    if (value > this.max) this.max = value;
    const bin = value <= this.min ? 0 : Math.min(BINS - 1, 1 + Math.floor(Math.log(value / this.min) / LOG_GROWTH));
    this.bins[bin]!++;
  }

  /** Upper edge of the bin the p-th value falls in (never above the largest value seen). */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(this.count * p));
    let seen = 0;
    for (let i = 0; i < BINS; i++) {
      seen += this.bins[i]!;
      if (seen >= rank) return Math.min(this.max, this.min * GROWTH ** i);
    }
    return this.max;
  }

  clear(): void {
    this.bins.fill(0);
    this.count = 0;
    this.max = 0;
  }
}
