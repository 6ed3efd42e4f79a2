import { describe, expect, it } from 'vitest';
import { mapPool, mapPoolUntil } from '../../functions/runtime/pool.js';

/** A task whose promise the test settles by hand, so concurrency is observed, not timed. */
function gate() {
  let inFlight = 0;
  let peak = 0;
  const waiting: (() => void)[] = [];
  const fn = async (n: number) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight--;
    return n * 10;
  };
  const release = async () => {
    // let started workers reach their await, then release everything waiting
    await new Promise((r) => setImmediate(r));
    const batch = waiting.splice(0);
    for (const r of batch) r();
    return batch.length;
  };
  return { fn, release, peak: () => peak };
}

async function drain(g: ReturnType<typeof gate>, done: Promise<unknown>): Promise<number[]> {
  let finished = false;
  void done.then(() => (finished = true));
  const batches: number[] = [];
  while (!finished) {
    const n = await g.release();
    if (n > 0) batches.push(n);
  }
  return batches;
}

describe('mapPool', () => {
  it.each([1, 3, 5])('never has more than %i calls in flight, and uses all of them', async (limit) => {
    const g = gate();
    const items = Array.from({ length: 17 }, (_, i) => i);
    const p = mapPool(items, limit, g.fn);
    const batches = await drain(g, p);
    expect(await p).toEqual(items.map((i) => i * 10));
    expect(g.peak()).toBe(limit);
    expect(Math.max(...batches)).toBe(limit);
  });

  it('runs one at a time when the limit is below one, and handles no items', async () => {
    const g = gate();
    const p = mapPool([1, 2, 3], 0, g.fn);
    await drain(g, p);
    expect(g.peak()).toBe(1);
    expect(await mapPool([], 4, g.fn)).toEqual([]);
  });

  it('keeps the input order when later items finish first', async () => {
    const out = await mapPool([30, 10, 20], 3, (ms) => new Promise<number>((r) => setTimeout(() => r(ms), ms)));
    expect(out).toEqual([30, 10, 20]);
  });

  it('stops starting items once stop() is true; the done ones are a prefix', async () => {
    let calls = 0;
    const { results, done } = await mapPoolUntil(
      [1, 2, 3, 4, 5, 6],
      2,
      async (n) => (calls++, n),
      () => calls >= 3,
    );
    expect(done).toBe(3);
    expect(results).toEqual([1, 2, 3]);
  });
});
