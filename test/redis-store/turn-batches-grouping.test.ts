// How one turn's operations are grouped into batches (redis-batches.ts), checked on the grouping
// itself because which requests share a turn on a real socket is up to the kernel. The risks: an
// operation run in another order than it arrived, batches growing without bound, a batch with
// Sets sent as the script that cannot answer them "out of memory", and batches leaving in
// another order than they were built.
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_BODY_BYTES, MAX_BATCH_OPERATIONS, TurnBatches, type Batch } from '../../server/stateserver/redis-batches.ts';
import type { OperationCode } from '../../server/stateserver/redis-scripts.ts';

/** Adds operations as the store does; returns the batches in sending order. */
function group(operations: Array<[OperationCode, string, number?]>): Batch[] {
  const turn = new TurnBatches(['e', 's', 'b']);
  for (const [code, key, bodyBytes] of operations) {
    const batch: Batch = turn.batchFor(code);
    batch.keys.push(key);
    batch.operations.push({ outcome: () => `${code}:${key}`, resolve: () => {}, reject: () => {} });
    batch.bodyBytes += bodyBytes ?? 0;
  }
  return turn.take();
}
const names = (batches: Batch[]): string[][] => batches.map((b) => b.operations.map((o) => o.outcome([], 0) as string));

describe('grouping one turn into batches', () => {
  it('keeps Sets among the other operations, in arrival order, in one batch', () => {
    const batches = group([['g', 'a'], ['s', 'b'], ['h', 'c'], ['s', 'a'], ['d', 'e'], ['g', 'a']]);
    expect(names(batches)).toEqual([['g:a', 's:b', 'h:c', 's:a', 'd:e', 'g:a']]);
    expect(batches[0]!.keys).toEqual(['e', 's', 'b', 'a', 'b', 'c', 'a', 'e', 'a']);
  });

  it('marks only a batch holding a Set as one that writes', () => {
    const ops: Array<[OperationCode, string]> = Array.from({ length: MAX_BATCH_OPERATIONS }, (_, i) => ['g', `k${i}`]);
    const batches = group([...ops, ['h', 'x'], ['s', 'y'], ...ops]);
    expect(batches.map((b) => b.writes)).toEqual([false, true, false]);
    expect(batches.map((b) => b.operations.length)).toEqual([MAX_BATCH_OPERATIONS, MAX_BATCH_OPERATIONS, 2]);
  });

  it('starts a new batch at MAX_BATCH_OPERATIONS operations, in order', () => {
    const ops: Array<[OperationCode, string]> = Array.from({ length: 2 * MAX_BATCH_OPERATIONS + 1 }, (_, i) => ['h', `k${i}`]);
    const batches = group(ops);
    expect(batches.map((b) => b.operations.length)).toEqual([MAX_BATCH_OPERATIONS, MAX_BATCH_OPERATIONS, 1]);
    expect(names(batches).flat()).toEqual(ops.map(([c, k]) => `${c}:${k}`));
  });

  it('starts a new batch once the bodies reach MAX_BATCH_BODY_BYTES, in order', () => {
    const big = MAX_BATCH_BODY_BYTES / 2;
    const batches = group([['s', 'a', big], ['s', 'b', big], ['g', 'x'], ['s', 'c', big], ['g', 'y']]);
    expect(names(batches)).toEqual([['s:a', 's:b'], ['g:x', 's:c', 'g:y']]);
    expect(batches.map((b) => b.writes)).toEqual([true, true]);
  });

  it('starts the next turn empty', () => {
    const turn = new TurnBatches([]);
    turn.batchFor('g').operations.push({ outcome: () => 0, resolve: () => {}, reject: () => {} });
    expect(turn.empty).toBe(false);
    expect(turn.take()).toHaveLength(1);
    expect(turn.empty).toBe(true);
    expect(turn.take()).toEqual([]);
  });
});
