// The --log FILE capture log: one ExchangeRecord per line, size-based rotation (FILE -> FILE.1
// -> FILE.2 ...), written asynchronously so a slow disk never stalls the relay. Lines written
// while a rotation is under way are held (bounded) and written to the new file: none are lost.
import fs from 'node:fs';
import { BoundedLineWriter } from './bounded-line-writer.ts';
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
    const lines = records.map((r) => JSON.stringify(r));
    if (this.rotating) {
      const room = MAX_HELD_LINES - this.held.length;
      this.held.push(...lines.slice(0, room));
      this.heldDropped += Math.max(0, lines.length - room);
      return;
    }
    this.writer.writeLines(lines);
    for (const l of lines) this.size += Buffer.byteLength(l) + 1;
    if (this.maxBytes > 0 && this.size >= this.maxBytes) this.rotate();
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
      this.writer.writeLines(held);
      for (const l of held) this.size += Buffer.byteLength(l) + 1;
    });
  }
}
