// Groups the Redis store's operations of one event-loop turn into batches, each sent as one
// script run (see redis-scripts.ts). A turn's operations go in arrival order, into one batch
// unless it fills up, so each script run pays its fixed cost (the EVALSHA, the script's set-up,
// one reading of the clock, one reply) once for every client request read in that turn.
//
// Memory: Redis at maxmemory (noeviction) must refuse Sets but keep serving everything else,
// since reads, locks and removes only refresh an expiry or free memory. A batch holding a Set
// therefore runs as the script Redis refuses when out of memory, before running any of it; the
// store then answers its Sets as a full store would and sends its other operations again, at
// once, as the script that keeps working. So that nothing sent later can run before that second
// try, take() stops after the first batch holding a Set: the batches after it wait for its reply.
/** Operations per batch at most, so one script run never holds Redis up for long. */
export const MAX_BATCH_OPERATIONS = 256;
/** Set bodies past which a batch takes no more operations: large sessions go in small batches. */
export const MAX_BATCH_BODY_BYTES = 1024 * 1024;

/** A batch's reply as the scripts return it: each operation's reply kind, then its fields. */
export type OperationReply = Array<number | Buffer>;

export interface PendingOperation {
  /** Its header entry: code and arguments (see redis-scripts.ts). */
  readonly entry: string;
  /** Its item's Redis key. */
  readonly itemKey: string;
  /** A Set's body. */
  readonly body: Buffer | undefined;
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
  /** Holds a Set: runs as the script Redis refuses when out of memory. */
  writes = false;
  readonly operations: PendingOperation[] = [];

  constructor(sharedKeys: readonly string[]) {
    this.keys = sharedKeys.slice();
  }

  add(operation: PendingOperation): void {
    this.keys.push(operation.itemKey);
    this.header += `;${operation.entry}`;
    if (operation.body !== undefined) {
      this.writes = true;
      this.bodies.push(operation.body);
      this.bodyBytes += operation.body.length;
    }
    this.operations.push(operation);
  }

  get full(): boolean {
    return this.operations.length >= MAX_BATCH_OPERATIONS || this.bodyBytes >= MAX_BATCH_BODY_BYTES;
  }
}

/** The operations of `batch` that are not Sets, as a batch of their own (nothing if none). */
export function withoutSets(batch: Batch, sharedKeys: readonly string[]): Batch | null {
  const rest = new Batch(sharedKeys);
  for (const operation of batch.operations) if (operation.body === undefined) rest.add(operation);
  return rest.operations.length > 0 ? rest : null;
}

export class TurnBatches {
  private batches: Batch[] = [];

  constructor(private readonly sharedKeys: readonly string[]) {}

  get empty(): boolean {
    return this.batches.length === 0;
  }

  /** Adds an operation to the last batch, or to a new one when that is full. */
  add(operation: PendingOperation): void {
    let batch = this.batches[this.batches.length - 1];
    if (batch === undefined || batch.full) {
      batch = new Batch(this.sharedKeys);
      this.batches.push(batch);
    }
    batch.add(operation);
  }

  /** The batches to send now, in order: all of them, or up to the first that holds a Set. */
  take(): Batch[] {
    const first = this.batches.findIndex((batch) => batch.writes);
    if (first < 0 || first === this.batches.length - 1) {
      const all = this.batches;
      this.batches = [];
      return all;
    }
    return this.batches.splice(0, first + 1);
  }
}
