// How one turn's operations are grouped into batches (redis-batches.ts), checked on the grouping
// itself because which requests share a turn on a real socket is up to the kernel. The risks: an
// operation overtaking a Set it must follow (same key, or a Remove), batches growing without
// bound, and batches leaving in another order than they were built.
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_BODY_BYTES, MAX_BATCH_OPERATIONS, TurnBatches, type Batch } from '../../server/stateserver/redis-batches.ts';
import type { OperationCode } from '../../server/stateserver/redis-scripts.ts';

/** Adds operations as the store does; returns the batches in sending order, as "code:key" lists. */
function group(operations: Array<[OperationCode, string, number?]>): string[][] {
  const turn = new TurnBatches(['e', 's', 'b']);
  for (const [code, key, bodyBytes] of operations) {
    const batch: Batch = turn.batchFor(code, key);
    batch.keys.push(key);
    batch.operations.push({ outcome: () => `${code}:${key}`, resolve: () => {}, reject: () => {} });
    batch.bodyBytes += bodyBytes ?? 0;
  }
  return turn.take().map((b) => b.operations.map((o) => o.outcome([], 0) as string));
}

describe('grouping one turn into batches', () => {
  it('sends the other operations, then the Sets, when none must follow a Set', () => {
    expect(group([['g', 'a'], ['s', 'b'], ['h', 'c'], ['s', 'd'], ['r', 'e']])).toEqual([
      ['g:a', 'h:c', 'r:e'],
      ['s:b', 's:d'],
    ]);
  });

  it('keeps an operation on a key after the Set on that key before it', () => {
    expect(group([['s', 'a'], ['g', 'b'], ['g', 'a'], ['s', 'a'], ['h', 'a']])).toEqual([['g:b'], ['s:a'], ['g:a'], ['s:a'], ['h:a']]);
  });

  it('never lets a Remove overtake a Set, whatever its key', () => {
    expect(group([['s', 'a'], ['d', 'b'], ['g', 'c']])).toEqual([['s:a'], ['d:b', 'g:c']]);
  });

  it('starts a new batch at MAX_BATCH_OPERATIONS operations, in order', () => {
    const ops: Array<[OperationCode, string]> = Array.from({ length: 2 * MAX_BATCH_OPERATIONS + 1 }, (_, i) => ['h', `k${i}`]);
    const batches = group(ops);
    expect(batches.map((b) => b.length)).toEqual([MAX_BATCH_OPERATIONS, MAX_BATCH_OPERATIONS, 1]);
    expect(batches.flat()).toEqual(ops.map(([c, k]) => `${c}:${k}`));
  });

  it('starts a new batch of Sets once the bodies reach MAX_BATCH_BODY_BYTES, in order', () => {
    const big = MAX_BATCH_BODY_BYTES / 2;
    expect(group([['s', 'a', big], ['s', 'b', big], ['s', 'c', big], ['g', 'x'], ['s', 'd', 1]])).toEqual([
      ['s:a', 's:b'],
      ['g:x'],
      ['s:c', 's:d'],
    ]);
  });

  it('starts the next turn empty', () => {
    const turn = new TurnBatches([]);
    turn.batchFor('g', 'a').operations.push({ outcome: () => 0, resolve: () => {}, reject: () => {} });
    expect(turn.empty).toBe(false);
    expect(turn.take()).toHaveLength(1);
    expect(turn.empty).toBe(true);
    expect(turn.take()).toEqual([]);
  });
});
