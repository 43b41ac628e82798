// Writes lines to a stream without ever letting a slow disk or pipe grow memory or stall the
// relay: past a ceiling of queued bytes, lines are dropped and counted, and the count is
// written once the stream drains.
import type { Writable } from 'node:stream';

export class BoundedLineWriter {
  private dropped = 0;

  constructor(
    private stream: Writable,
    /** The line that reports dropped lines (a JSON object in a JSONL file, words on stdout). */
    private readonly droppedNote: (count: number) => string,
    private readonly maxQueuedBytes = 32 * 1024 * 1024,
  ) {}

  get droppedLines(): number {
    return this.dropped;
  }

  /** Swaps the destination (used by log rotation). */
  replaceStream(stream: Writable): void {
    this.stream = stream;
  }

  /** Returns the bytes handed to the stream (0 when the lines were dropped). */
  writeLines(lines: readonly string[]): number {
    if (lines.length === 0) return 0;
    if (this.stream.writableLength > this.maxQueuedBytes) {
      this.dropped += lines.length;
      return 0;
    }
    let text = '';
    if (this.dropped > 0) {
      text += this.droppedNote(this.dropped) + '\n';
      this.dropped = 0;
    }
    // Encoded here, once, rather than by the stream: the caller learns the exact size for free.
    const bytes = Buffer.from(text + lines.join('\n') + '\n', 'utf8');
    this.stream.write(bytes);
    return bytes.length;
  }
}
