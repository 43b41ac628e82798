// How one turn's operations are grouped into batches (redis-batches.ts), checked on the grouping
// itself because which requests share a turn on a real socket is up to the kernel. The risks: an
// operation running out of arrival order, batches growing without bound, batches leaving in
// another order than they were built, and a batch sent after one holding a Set (which Redis may
// refuse for want of memory, so that its other operations are sent again) running before it.
import { describe, expect, it } from 'vitest';
import {
  MAX_BATCH_BODY_BYTES,
  MAX_BATCH_OPERATIONS,
  TurnBatches,
  withoutSets,
  type Batch,
  type PendingOperation,
} from '../../server/stateserver/redis-batches.ts';
import type { OperationCode } from '../../server/stateserver/redis-scripts.ts';

const SHARED = ['e', 's', 'b'];

function operation(code: OperationCode, key: string, bodyBytes?: number): PendingOperation {
  return {
    entry: code === 's' ? 's 20 - -1 0' : code,
    itemKey: key,
    body: code === 's' ? Buffer.alloc(bodyBytes ?? 1) : undefined,
    outcome: () => `${code}:${key}`,
    resolve: () => {},
    reject: () => {},
  };
}

const names = (batch: Batch): string[] => batch.operations.map((o) => o.outcome([], 0) as string);

/** Adds operations as the store does; returns each take()'s batches, until the turn is empty. */
function group(operations: Array<[OperationCode, string, number?]>): string[][][] {
  const turn = new TurnBatches(SHARED);
  for (const [code, key, bodyBytes] of operations) turn.add(operation(code, key, bodyBytes));
  const takes: string[][][] = [];
  while (!turn.empty) takes.push(turn.take().map(names));
  return takes;
}

describe('grouping one turn into batches', () => {
  it('puts a turn in one batch, in arrival order, Sets included', () => {
    expect(group([['g', 'a'], ['s', 'b'], ['h', 'c'], ['s', 'a'], ['d', 'e'], ['g', 'a']])).toEqual([
      [['g:a', 's:b', 'h:c', 's:a', 'd:e', 'g:a']],
    ]);
  });

  it('lists each operation’s key, entry and body in step', () => {
    const turn = new TurnBatches(SHARED);
    turn.add(operation('g', 'k1'));
    turn.add(operation('s', 'k2', 3));
    turn.add(operation('h', 'k3'));
    const [batch] = turn.take();
    expect(batch!.keys).toEqual([...SHARED, 'k1', 'k2', 'k3']);
    expect(batch!.header).toBe(';g;s 20 - -1 0;h');
    expect(batch!.bodies.map((b) => b.length)).toEqual([3]);
    expect(batch!.writes).toBe(true);
  });

  it('starts a new batch at MAX_BATCH_OPERATIONS operations, in order', () => {
    const ops: Array<[OperationCode, string]> = Array.from({ length: 2 * MAX_BATCH_OPERATIONS + 1 }, (_, i) => ['h', `k${i}`]);
    const takes = group(ops);
    expect(takes).toHaveLength(1);
    expect(takes[0]!.map((b) => b.length)).toEqual([MAX_BATCH_OPERATIONS, MAX_BATCH_OPERATIONS, 1]);
    expect(takes[0]!.flat()).toEqual(ops.map(([c, k]) => `${c}:${k}`));
  });

  it('starts a new batch once the bodies reach MAX_BATCH_BODY_BYTES, and sends nothing after a batch with Sets until it is answered', () => {
    const big = MAX_BATCH_BODY_BYTES / 2;
    expect(group([['s', 'a', big], ['s', 'b', big], ['g', 'x'], ['s', 'c', big], ['h', 'y'], ['s', 'd', 1]])).toEqual([
      [['s:a', 's:b']],
      [['g:x', 's:c', 'h:y', 's:d']],
    ]);
  });

  it('sends batches without Sets together with the first one that has them', () => {
    const ops: Array<[OperationCode, string]> = Array.from({ length: MAX_BATCH_OPERATIONS }, (_, i) => ['g', `k${i}`]);
    const takes = group([...ops, ['s', 'a'], ...ops, ['s', 'b']]);
    expect(takes.map((t) => t.map((b) => b.length))).toEqual([[MAX_BATCH_OPERATIONS, MAX_BATCH_OPERATIONS], [2]]);
    expect(takes.flat(2)).toEqual([...ops, ['s', 'a'], ...ops, ['s', 'b']].map(([c, k]) => `${c}:${k}`));
  });

  it('keeps a refused batch’s other operations, in order, for the second try', () => {
    const turn = new TurnBatches(SHARED);
    for (const [code, key] of [['g', 'a'], ['s', 'a'], ['h', 'b'], ['s', 'c'], ['r', 'a']] as Array<[OperationCode, string]>) {
      turn.add(operation(code, key));
    }
    const [batch] = turn.take();
    const rest = withoutSets(batch!, SHARED)!;
    expect(names(rest)).toEqual(['g:a', 'h:b', 'r:a']);
    expect(rest.keys).toEqual([...SHARED, 'a', 'b', 'a']);
    expect(rest.header).toBe(';g;h;r');
    expect(rest.writes).toBe(false);
    expect(rest.bodies).toEqual([]);
    const onlySets = new TurnBatches(SHARED);
    onlySets.add(operation('s', 'a'));
    expect(withoutSets(onlySets.take()[0]!, SHARED)).toBeNull();
  });

  it('starts the next turn empty', () => {
    const turn = new TurnBatches([]);
    turn.add(operation('g', 'a'));
    expect(turn.empty).toBe(false);
    expect(turn.take()).toHaveLength(1);
    expect(turn.empty).toBe(true);
    expect(turn.take()).toEqual([]);
  });
});
