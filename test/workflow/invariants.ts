/**
 * Safety invariants, checked from the stand-in's world before and after a run.
 */
import { ERROR_CODES } from '../../functions/domain/errors.js';
import { isElasticSnapshotNameOf } from '../../functions/domain/naming.js';
import { type Policy, retentionRules } from '../../functions/domain/policy.js';
import { decideAll } from '../fixtures/retention.js';
import { nameTime } from '../../functions/domain/copy-plan.js';
import { COPY_KEYS, isOwnedBy, OWNERSHIP_KEYS } from '../../functions/domain/tags.js';
import { METRICS } from '../../functions/runtime/telemetry.js';
import { MAX_FAILURES_KEPT } from '../../functions/domain/run.js';
import type { World } from '../../local/standin/world.js';
import type { Envelope } from './helpers.js';

interface Snap {
  id: string;
  kind: 'elastic' | 'copy';
  /** The retention target: cluster ARN, or owner:cluster for copies. */
  target: string;
  name: string;
  available: boolean;
  time: Date;
  tags: Record<string, string>;
  source?: string;
}

export function snapshotsOf(w: World): Snap[] {
  const elastic = w.elasticClusters.flatMap((c) =>
    c.snapshots.map((s) => ({
      id: s.arn ?? `${c.name}/${s.name}`,
      kind: 'elastic' as const,
      target: c.arn ?? c.name,
      name: s.name,
      available: s.status === 'ACTIVE' && s.type === 'manual',
      time: new Date(s.createdAt),
      tags: s.tags,
    })),
  );
  const copies = w.clusterSnapshots.map((s) => ({
    id: `arn:aws:rds:${w.region}:${w.accountId}:cluster-snapshot:${s.id}`,
    kind: 'copy' as const,
    target: s.tags[OWNERSHIP_KEYS.target] ?? `?:${s.clusterId}`,
    name: s.id,
    available: s.status === 'available' && s.type === 'manual',
    // a copy holds its source's point in time
    time: new Date(s.tags[COPY_KEYS.sourceTime] ?? nameTime(s.id) ?? s.createdAt),
    tags: s.tags,
  }));
  return [...elastic, ...copies];
}

const owned = (s: Snap, policy: Policy) =>
  isOwnedBy(s.tags, policy.name) && (s.kind === 'copy' || isElasticSnapshotNameOf(s.name, policy.name, s.target));
/**
 * What retention decides over: copies by their tags; elastic snapshots by their policy-and-cluster bound
 * name (the listing carries no tags; tags are read, and must prove ownership, before any deletion).
 */
const candidate = (s: Snap, policy: Policy) =>
  s.kind === 'copy' ? isOwnedBy(s.tags, policy.name) : isElasticSnapshotNameOf(s.name, policy.name, s.target);

export interface InvariantInput {
  before: World;
  after: World;
  policy: Policy;
  envelope?: Envelope;
  emf?: string[];
  /** Targets the injected faults may fail (substrings); a failure elsewhere is a problem. */
  mayFail?: string[];
}

/** Returns the invariants the run broke (empty when all hold). */
export function brokenInvariants(x: InvariantInput): string[] {
  const problems: string[] = [];
  const before = snapshotsOf(x.before);
  const after = snapshotsOf(x.after);
  const afterIds = new Set(after.map((s) => s.id));
  const deleted = before.filter((s) => !afterIds.has(s.id));

  // 1. nothing without the ownership tags is deleted
  for (const s of deleted) if (!owned(s, x.policy)) problems.push(`deleted a snapshot the orchestrator does not own: ${s.id}`);

  // 2. nothing the policy keeps is deleted; 3. the floor holds per target
  const minKeep = x.policy.retention?.minKeep ?? 1;
  const targets = new Set([...before, ...after].filter((s) => candidate(s, x.policy)).map((s) => `${s.kind}|${s.target}`));
  for (const key of targets) {
    const inTarget = (s: Snap) => `${s.kind}|${s.target}` === key && candidate(s, x.policy) && s.available;
    const remaining = after.filter(inTarget);
    const gone = deleted.filter(inTarget);
    if (x.policy.retention) {
      const asRetention = (s: Snap) => ({ id: s.id, time: s.time, tags: Object.entries(s.tags).flatMap(([k, v]) => [k, `${k}=${v}`]) });
      const goneIds = new Set(gone.map((g) => g.id));
      const decisions = decideAll(
        [...remaining, ...gone].map(asRetention),
        retentionRules(x.policy.retention),
        new Date(x.after.now),
        minKeep,
      );
      for (const d of decisions) {
        if (d.keep && goneIds.has(d.snapshot.id))
          problems.push(`deleted ${d.snapshot.id}, which the policy keeps (${d.reasons.join('; ')})`);
      }
    } else if (gone.length > 0) {
      problems.push(`deleted ${gone.length} snapshots of ${key} without a retention policy`);
    }
    const had = before.filter(inTarget).length;
    if (remaining.length < Math.min(minKeep, had))
      problems.push(`${key}: ${remaining.length} available snapshots left, floor ${Math.min(minKeep, had)}`);
    const newestBefore = before.filter(inTarget).sort((a, b) => b.time.getTime() - a.time.getTime())[0];
    if (newestBefore && !remaining.some((s) => s.time >= newestBefore.time))
      problems.push(`${key}: the newest available snapshot was deleted`);
  }

  // 4. no duplicates for one slot (elastic) or one source (copies)
  const slots = new Map<string, number>();
  for (const s of after.filter((s) => owned(s, x.policy))) {
    const key = s.kind === 'elastic' ? `${s.target}|${s.name.slice(-12)}` : `copy|${s.tags[OWNERSHIP_KEYS.target]}|${s.name.slice(-6)}`;
    slots.set(key, (slots.get(key) ?? 0) + 1);
  }
  for (const [key, n] of slots) if (n > 1) problems.push(`${n} snapshots for one slot: ${key}`);

  // 5. status, failures and TargetsFailed agree; 6. every failure has a stable code and names its target
  if (x.envelope) {
    const d = x.envelope.data;
    const failed = d.summary.failed ?? 0;
    if (d.status !== (failed > 0 ? 'PARTIAL' : 'SUCCEEDED')) problems.push(`status ${d.status} with ${failed} failures`);
    if (d.failures.length !== Math.min(failed, MAX_FAILURES_KEPT)) problems.push(`${d.failures.length} failures listed, ${failed} counted`);
    for (const f of d.failures) {
      if (!(ERROR_CODES as readonly string[]).includes(f.code)) problems.push(`unstable code ${f.code}`);
      if (!f.message.includes(f.target)) problems.push(`failure message does not name its target ${f.target}: ${f.message}`);
      if (x.mayFail && !x.mayFail.some((t) => f.target.includes(t)))
        problems.push(`unexpected failure of ${f.target}: ${f.code} ${f.message}`);
    }
    if (x.emf) {
      const total = x.emf
        .map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } })
        .find((doc) => doc._aws.CloudWatchMetrics[0]?.Dimensions[0]?.length === 1 && METRICS.failed in doc);
      if (total?.[METRICS.failed] !== failed)
        problems.push(`TargetsFailed metric ${String(total?.[METRICS.failed])} != ${failed} failures`);
    }
  }
  return problems;
}
