// A ring of bytes for the compact store: a fixed capacity, backed by a few big Buffers that are
// allocated only when the write position first reaches them (a store that never fills never
// costs its ceiling). The garbage collector sees a handful of objects, whatever is stored.
const CHUNK_BYTES = 8 * 1024 * 1024;

export class ByteRing {
  private chunks: (Buffer | undefined)[] = [];
  private readonly chunkBytes: number;

  constructor(readonly capacity: number) {
    this.chunkBytes = Math.max(1, Math.min(CHUNK_BYTES, capacity));
  }

  /** Bytes of memory the ring holds now. */
  get allocatedBytes(): number {
    let n = 0;
    for (const c of this.chunks) n += c?.length ?? 0;
    return n;
  }

  /**
   * Where to write [position, position + length) in place when it lies in one chunk (nearly
   * always: blobs are small, chunks are megabytes), else null (use write()).
   */
  writable(position: number, length: number): { buffer: Buffer; start: number } | null {
    const index = Math.floor(position / this.chunkBytes);
    const within = position - index * this.chunkBytes;
    const chunk = this.chunk(index);
    return within + length <= chunk.length ? { buffer: chunk, start: within } : null;
  }

  /** Copies `source[0, length)` to the ring at `position` (wrapping at the end). */
  write(position: number, source: Buffer, length: number): void {
    this.span(position, length, (chunk, within, done, n) => source.copy(chunk, within, done, done + n));
  }

  /**
   * The bytes at [position, position + length): a view of one chunk when they lie in one (the
   * common case), else a copy into `scratch` (grown when too small, and returned).
   */
  read(position: number, length: number, scratch: { buffer: Buffer }): { buffer: Buffer; start: number } {
    const index = Math.floor(position / this.chunkBytes);
    const within = position - index * this.chunkBytes;
    const first = this.chunk(index);
    if (within + length <= first.length) return { buffer: first, start: within };
    if (scratch.buffer.length < length) scratch.buffer = Buffer.allocUnsafe(Math.max(length, scratch.buffer.length * 2));
    const into = scratch.buffer;
    this.span(position, length, (chunk, within, done, n) => chunk.copy(into, done, within, within + n));
    return { buffer: into, start: 0 };
  }

  /** Calls `each` for the pieces of [position, position + length) in each chunk, in order. */
  private span(position: number, length: number, each: (chunk: Buffer, within: number, done: number, n: number) => void): void {
    let done = 0;
    let at = position;
    while (done < length) {
      const index = Math.floor(at / this.chunkBytes);
      const within = at - index * this.chunkBytes;
      const chunk = this.chunk(index);
      const n = Math.min(length - done, chunk.length - within);
      each(chunk, within, done, n);
      done += n;
      at += n;
      if (at >= this.capacity) at = 0;
    }
  }

  /** Gives the memory back (the store was cleared). */
  release(): void {
    this.chunks = [];
  }

  private chunk(index: number): Buffer {
    let c = this.chunks[index];
    if (!c) {
      const size = Math.min(this.chunkBytes, this.capacity - index * this.chunkBytes);
      // Unsafe: every byte is written before it is read.
      c = Buffer.allocUnsafeSlow(size);
      this.chunks[index] = c;
    }
    return c;
  }
}
