// Groups the Redis store's operations of one event-loop turn into batches, each sent as one
// script run (see redis-scripts.ts). Sets must go in a script Redis refuses when it is out of
// memory, every other operation in one that keeps working then, so a turn yields pairs of
// batches sent in order: first the other operations, then the Sets. An operation moves ahead of
// Sets that arrived before it only when that cannot change what anyone sees: never onto a key
// one of those Sets writes, and never a Remove (it frees room a Set may need). Operations on one
// key therefore run in arrival order, and so does everything a client pipelines on one key.
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

  constructor(
    /** Holds Sets (the script Redis refuses when out of memory). */
    readonly writes: boolean,
    sharedKeys: readonly string[],
  ) {
    this.keys = sharedKeys.slice();
  }
}

const full = (batch: Batch | null): boolean =>
  batch !== null && (batch.operations.length >= MAX_BATCH_OPERATIONS || batch.bodyBytes >= MAX_BATCH_BODY_BYTES);

interface Pair {
  others: Batch | null;
  sets: Batch | null;
  /** Keys the pair's Sets write. */
  setKeys: Set<string>;
}

export class TurnBatches {
  private pairs: Pair[] = [];

  constructor(private readonly sharedKeys: readonly string[]) {}

  get empty(): boolean {
    return this.pairs.length === 0;
  }

  /** The batch the operation `code` on `key` joins (the caller adds its key, header and body). */
  batchFor(code: OperationCode, key: string): Batch {
    let pair = this.pairs[this.pairs.length - 1];
    if (code === 's') {
      if (pair === undefined || full(pair.sets)) pair = this.newPair();
      pair.setKeys.add(key);
      return (pair.sets ??= new Batch(true, this.sharedKeys));
    }
    if (pair === undefined || full(pair.others) || (pair.sets !== null && (code === 'd' || pair.setKeys.has(key)))) {
      pair = this.newPair();
    }
    return (pair.others ??= new Batch(false, this.sharedKeys));
  }

  /** This turn's batches in the order they must be sent; the next turn starts empty. */
  take(): Batch[] {
    const batches: Batch[] = [];
    for (const pair of this.pairs) {
      if (pair.others !== null) batches.push(pair.others);
      if (pair.sets !== null) batches.push(pair.sets);
    }
    this.pairs = [];
    return batches;
  }

  private newPair(): Pair {
    const pair: Pair = { others: null, sets: null, setKeys: new Set() };
    this.pairs.push(pair);
    return pair;
  }
}
