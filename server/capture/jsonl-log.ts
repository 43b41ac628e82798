// The --log FILE capture log: one ExchangeRecord per line, size-based rotation (FILE -> FILE.1
// -> FILE.2 ...), written asynchronously so a slow disk never stalls the relay. Lines written
// while a rotation is under way are held (bounded) and written to the new file: none are lost.
import fs from 'node:fs';
import { BoundedLineWriter } from './bounded-line-writer.ts';
import { logLineOf } from './log-line.ts';
import type { ExchangeRecord } from './wire-types.ts';

export interface JsonlLogOptions {
  /** Rotate when the file passes this size; 0 = never. */
  maxBytes?: number;
  /** Rotated files kept (FILE.1 ... FILE.N). */
  keep?: number;
}

const MAX_HELD_LINES = 200_000;

export class JsonlLog {
  private stream: fs.WriteStream;
  private readonly writer: BoundedLineWriter;
  private size: number;
  private rotating = false;
  private held: string[] = [];
  private heldDropped = 0;
  private readonly maxBytes: number;
  private readonly keep: number;

  constructor(
    readonly file: string,
    options: JsonlLogOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 0;
    this.keep = Math.max(1, options.keep ?? 5);
    this.size = fs.existsSync(file) ? fs.statSync(file).size : 0;
    this.stream = this.open();
    this.writer = new BoundedLineWriter(this.stream, (n) => JSON.stringify({ statescope: 'dropped', lines: n, reason: 'log file too slow' }));
  }

  writeRecords(records: readonly ExchangeRecord[]): void {
    this.writeLines(records.map(logLineOf));
  }

  /**
   * Rotation is decided line by line, not batch by batch: records arrive in batches (hundreds
   * at a time under load), and a file must not overshoot its size by a whole batch. Measuring
   * each line's UTF-8 size is only needed near the limit: a line's bytes are at most three
   * times its UTF-16 length, so a batch that fits even at that bound is written whole, and the
   * writer's one encoding of it gives the exact size.
   */
  private writeLines(lines: readonly string[]): void {
    let i = 0;
    while (i < lines.length) {
      if (this.rotating) {
        this.hold(lines.slice(i));
        return;
      }
      const rest = i === 0 ? lines : lines.slice(i);
      if (this.maxBytes <= 0 || this.size + utf8UpperBound(rest) < this.maxBytes) {
        this.size += this.writer.writeLines(rest);
        return;
      }
      const start = i;
      let added = 0;
      // Up to and including the line that reaches the limit.
      while (i < lines.length && !(this.size + added >= this.maxBytes)) {
        added += Buffer.byteLength(lines[i]!) + 1;
        i++;
      }
      this.size += this.writer.writeLines(start === 0 && i === lines.length ? lines : lines.slice(start, i));
      if (this.size >= this.maxBytes) this.rotate();
    }
  }

  private hold(lines: readonly string[]): void {
    const room = MAX_HELD_LINES - this.held.length;
    for (let i = 0; i < Math.min(room, lines.length); i++) this.held.push(lines[i]!);
    this.heldDropped += Math.max(0, lines.length - room);
  }

  /** Flushes everything written so far and closes the file. */
  async close(): Promise<void> {
    while (this.rotating) await new Promise((r) => setTimeout(r, 5));
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
  }

  private open(): fs.WriteStream {
    const stream = fs.createWriteStream(this.file, { flags: 'a' });
    stream.on('error', (err) => process.emitWarning(`statescope log ${this.file}: ${err.message}`));
    return stream;
  }

  private rotate(): void {
    this.rotating = true;
    this.stream.end(() => {
      try {
        for (let i = this.keep - 1; i >= 1; i--) {
          const from = `${this.file}.${i}`;
          if (fs.existsSync(from)) fs.renameSync(from, `${this.file}.${i + 1}`);
        }
        fs.renameSync(this.file, `${this.file}.1`);
        const overflow = `${this.file}.${this.keep + 1}`;
        if (fs.existsSync(overflow)) fs.rmSync(overflow);
      } catch (err) {
        process.emitWarning(`statescope log rotation of ${this.file} failed: ${(err as Error).message}`);
      }
      this.size = 0;
      this.stream = this.open();
      this.writer.replaceStream(this.stream);
      this.rotating = false;
      const held = this.held;
      this.held = [];
      if (this.heldDropped > 0) {
        held.unshift(JSON.stringify({ statescope: 'dropped', lines: this.heldDropped, reason: 'too many lines during rotation' }));
        this.heldDropped = 0;
      }
      // May rotate again at once when a burst held more than one file's worth.
      this.writeLines(held);
    });
  }
}

/** At least the UTF-8 size of the lines joined by newlines, with the final newline. */
function utf8UpperBound(lines: readonly string[]): number {
  let units = 0;
  for (let i = 0; i < lines.length; i++) units += lines[i]!.length + 1;
  return units * 3;
}
