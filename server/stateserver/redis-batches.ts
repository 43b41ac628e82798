// Groups the Redis store's operations of one event-loop turn into batches, each sent as one
// script run (see redis-scripts.ts), in arrival order: a batch holding Sets runs as the script
// that answers them "out of memory" itself when Redis is full, so nothing needs to go apart
// from them, and operations on one key, and everything a client pipelines, run in the order
// they came. A new batch starts only where one is full.
import type { OperationCode } from './redis-scripts.ts';

/** Operations per batch at most, so one script run never holds Redis up for long. */
export const MAX_BATCH_OPERATIONS = 256;
/** Set bodies past which a batch takes no more operations: large sessions go in small batches. */
export const MAX_BATCH_BODY_BYTES = 1024 * 1024;

/** A batch's reply as the scripts return it: each operation's reply kind, then its fields. */
export type OperationReply = Array<number | Buffer>;

export interface PendingOperation {
  /** Turns the operation's reply, at offset `at` of the batch's, into its outcome. */
  outcome(reply: OperationReply, at: number): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class Batch {
  /** KEYS: the three shared keys, then one item key per operation. */
  readonly keys: string[];
  /** The operations' codes and small arguments, each after a ';' (see redis-scripts.ts). */
  header = '';
  /** The Sets' bodies, in order, and their total size. */
  readonly bodies: Buffer[] = [];
  bodyBytes = 0;
  readonly operations: PendingOperation[] = [];

  /** Holds Sets (so it runs as the script that refuses them when Redis is full). */
  writes = false;

  constructor(sharedKeys: readonly string[]) {
    this.keys = sharedKeys.slice();
  }
}

const full = (batch: Batch): boolean =>
  batch.operations.length >= MAX_BATCH_OPERATIONS || batch.bodyBytes >= MAX_BATCH_BODY_BYTES;

export class TurnBatches {
  private batches: Batch[] = [];

  constructor(private readonly sharedKeys: readonly string[]) {}

  get empty(): boolean {
    return this.batches.length === 0;
  }

  /** The batch the operation `code` joins (the caller adds its key, header and body). */
  batchFor(code: OperationCode): Batch {
    let batch = this.batches[this.batches.length - 1];
    if (batch === undefined || full(batch)) {
      batch = new Batch(this.sharedKeys);
      this.batches.push(batch);
    }
    if (code === 's') batch.writes = true;
    return batch;
  }

  /** This turn's batches in the order they must be sent; the next turn starts empty. */
  take(): Batch[] {
    const batches = this.batches;
    this.batches = [];
    return batches;
  }
}
