// A Map with a ceiling: past `max` entries the least recently set one goes. Rules keep per-session
// state in these so that memory is flat however many sessions pass (design invariant 5).

export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  /** Entries pushed out by the ceiling since the last clear (a rule may say "at least"). */
  evicted = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Sets and moves the key to the newest end (Map keeps insertion order). */
  set(key: K, value: V, onEvict?: (key: K, value: V) => void): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.max) {
      const oldest = this.map.entries().next().value;
      if (oldest) {
        this.map.delete(oldest[0]);
        this.evicted++;
        onEvict?.(oldest[0], oldest[1]);
      }
    }
    this.map.set(key, value);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** The least recently set entry, for sweeps that expire from the old end. */
  oldest(): [K, V] | undefined {
    return this.map.entries().next().value;
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  clear(): void {
    this.map.clear();
    this.evicted = 0;
  }
}
