/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const { results } = await mapPoolUntil(items, limit, fn, () => false);
  return results;
}

/**
 * Like mapPool, but stops starting new items once `stop()` is true (a time budget, a full retry list).
 * Items are started in order, so the ones done are exactly a prefix: `done` items, `results[0..done)`.
 */
export async function mapPoolUntil<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
  stop: () => boolean,
): Promise<{ results: R[]; done: number }> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return { results, done: next };
}
