// A Map with a ceiling, for the per-session state of the rules: memory stays flat however many
// sessions pass (design invariant 5), at O(1) per operation.
//
// Why two generations instead of one Map in LRU order: V8 keeps a Map's deleted entries as holes
// until it rehashes, and an iterator starts at the front, so "delete the oldest entry" on a
// churning Map costs time in proportion to the holes (measured: ~50 µs per eviction at 20,000
// keys). Here new keys go into `young`; when it holds half the ceiling it becomes `old` and the
// previous `old` is dropped whole. A key set again moves to `young`, so what is dropped is what
// was not touched for a generation (approximately least recently used).

export class BoundedMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly generation: number;
  /** Entries dropped by the ceiling since the last clear (a rule may say "at least"). */
  evicted = 0;

  /** `onEvict` sees every entry the ceiling drops (e.g. to keep a running total right). */
  constructor(
    readonly max: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    this.generation = Math.max(1, Math.ceil(max / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: K): V | undefined {
    const v = this.young.get(key);
    return v !== undefined ? v : this.old.get(key);
  }

  has(key: K): boolean {
    return this.young.has(key) || this.old.has(key);
  }

  /** Sets the value; a key from the old generation moves to the young one. */
  set(key: K, value: V): void {
    if (this.young.has(key)) {
      this.young.set(key, value);
      return;
    }
    if (this.old.size > 0) this.old.delete(key);
    if (this.young.size >= this.generation) this.rotate();
    this.young.set(key, value);
  }

  delete(key: K): boolean {
    return this.young.delete(key) || this.old.delete(key);
  }

  *entries(): IterableIterator<[K, V]> {
    yield* this.old.entries();
    yield* this.young.entries();
  }

  *values(): IterableIterator<V> {
    yield* this.old.values();
    yield* this.young.values();
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.evicted = 0;
  }

  private rotate(): void {
    // One pass over the dropped generation per `generation` insertions: O(1) amortised.
    if (this.onEvict) for (const [k, v] of this.old) this.onEvict(k, v);
    this.evicted += this.old.size;
    this.old = this.young;
    this.young = new Map();
  }
}
