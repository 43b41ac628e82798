// The queues of the wire path (replies awaited, exchanges in flight) are rings: first in, first
// out across growth and wrap-around, and nothing kept alive after it is taken out.
import { expect, it } from 'vitest';
import { RingQueue } from '../../server/protocol/index.ts';

it('keeps FIFO order across wrap-around and growth', () => {
  const q = new RingQueue<number>(2);
  const out: number[] = [];
  let next = 0;
  // Interleave pushes and shifts so the head wraps at every capacity on the way up and down.
  for (let round = 1; round <= 40; round++) {
    for (let i = 0; i < round; i++) q.push(next++);
    expect(q.last()).toBe(next - 1);
    for (let i = 0; i < round - 1; i++) out.push(q.shift()!);
  }
  while (q.length > 0) out.push(q.shift()!);
  expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
  expect(q.shift()).toBeUndefined();
  expect(q.first()).toBeUndefined();
  expect(q.last()).toBeUndefined();
});

it('releases what it hands out (no reference left in the ring)', () => {
  const q = new RingQueue<object>(4);
  const item = {};
  q.push(item);
  expect(q.first()).toBe(item);
  expect(q.shift()).toBe(item);
  expect((q as unknown as { items: unknown[] }).items.includes(item)).toBe(false);
});
