/**
 * What keeps a run small at any fleet size, pure: the sample of creates the checks watch, and the bound
 * on the state's bytes. Per-target detail stays in AWS (names and tags); the state holds counters,
 * cursors and bounded lists.
 */
import { shortHash } from './naming.js';
import { type Progress, STATE_BYTES, WATCH_SIZE } from './run.js';

/**
 * The watched sample after offering `arns` to it: the `k` clusters with the lowest hash of (run, ARN), a
 * uniform sample of every cluster ever offered, whatever the order and the number of invocations.
 */
export function offerToWatch(watch: readonly string[], arns: readonly string[], runId: string, k = WATCH_SIZE): string[] {
  if (arns.length === 0) return [...watch];
  const key = (arn: string) => `${shortHash(runId, arn)}|${arn}`;
  return [...new Set([...watch, ...arns])]
    .map((arn) => [key(arn), arn] as const)
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, k)
    .map(([, arn]) => arn);
}

const bytes = (v: unknown) => JSON.stringify(v).length;

/**
 * The progress within `limit` bytes: while it is larger, the longest informational list (the first
 * snapshots listed, the failures kept in full) loses its last entry. Counts stay exact, and work (plans,
 * creates to retry, copies in flight, cursors) is never dropped.
 */
export function fitProgress(p: Progress, limit = STATE_BYTES): Progress {
  let size = bytes(p);
  if (size <= limit) return p;
  const lists = {
    created: [...p.elastic.listedCreated],
    copied: [...p.copies.listedCopied],
    left: [...p.copies.listedLeft],
    elasticListed: [...p.retention.elastic.listed],
    copiesListed: [...p.retention.copies.listed],
    failures: [...p.log.failures],
  };
  const sizes = Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, bytes(v)])) as Record<keyof typeof lists, number>;
  while (size > limit) {
    const [name] = (Object.entries(sizes) as [keyof typeof lists, number][]).sort(([, a], [, b]) => b - a)[0] ?? [];
    const list = name ? lists[name] : undefined;
    if (!name || !list || list.length === 0) break;
    const last = list.pop();
    const cut = bytes(last) + (list.length > 0 ? 1 : 0);
    sizes[name] -= cut;
    size -= cut;
  }
  return {
    ...p,
    elastic: { ...p.elastic, listedCreated: lists.created },
    copies: { ...p.copies, listedCopied: lists.copied, listedLeft: lists.left },
    retention: {
      elastic: { ...p.retention.elastic, listed: lists.elasticListed },
      copies: { ...p.retention.copies, listed: lists.copiesListed },
    },
    log: { ...p.log, failures: lists.failures },
  };
}
