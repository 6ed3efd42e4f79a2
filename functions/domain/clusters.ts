/**
 * Elastic clusters, pure: which clusters a policy covers, what each cluster status means for a
 * snapshot, the slot's snapshot names, and how a snapshot's status reads.
 */
import { elasticSnapshotName, isElasticSnapshotNameOf, timeToken } from './naming.js';
import type { Policy } from './policy.js';
import type { Run } from './run.js';
import { isDrillCluster } from './drill.js';
import type { TagMap } from './tags.js';

/** The fields of an elastic snapshot listing item the product reads (the SDK's ClusterSnapshotInList fits). */
export interface ElasticSnapshotRecord {
  snapshotName?: string | undefined;
  snapshotArn?: string | undefined;
  clusterArn?: string | undefined;
  status?: string | undefined;
  snapshotCreationTime?: string | undefined;
}

export interface ElasticTarget {
  arn: string;
  name: string;
  status: string;
}

/** The subset of elastic clusters a run was started for (all when the start named none). */
export function inRunSubset(run: Run, arn: string): boolean {
  if (!run.targets) return true;
  return run.targets.includes(arn);
}

/**
 * What the product does with a cluster in each status of the model's `Status` enum:
 * snapshot it (ACTIVE), wait for it (a change in progress: retried at each check until the create
 * deadline), skip it with a reason (being deleted), or report CONFLICT (stopped, or broken until someone acts).
 */
export type ClusterRule = 'snapshot' | 'wait' | 'skip' | 'conflict';
const WAIT_STATUSES = new Set(['CREATING', 'UPDATING', 'MODIFYING', 'MERGING', 'SPLITTING', 'COPYING', 'STARTING', 'MAINTENANCE']);
export function clusterRule(status: string | undefined): ClusterRule {
  if (status === 'ACTIVE') return 'snapshot';
  if (status === 'DELETING') return 'skip';
  if (status && WAIT_STATUSES.has(status)) return 'wait';
  return 'conflict';
}

/** True when the cluster is a target: listed explicitly, or carrying every selector tag. */
export function matchesPolicy(policy: Policy, arn: string, tags: TagMap): boolean {
  const spec = policy.elastic;
  if (!spec || isDrillCluster(tags)) return false;
  if (spec.clusterArns.includes(arn)) return true;
  const selector = Object.entries(spec.selector);
  return selector.length > 0 && selector.every(([k, v]) => tags[k] === v);
}

export const needsClusterTags = (policy: Policy) => Object.keys(policy.elastic?.selector ?? {}).length > 0 || policy.tags.copySourceTags;

export function slotSnapshotName(run: Run, policy: Policy, target: { arn: string; name: string }): string {
  return elasticSnapshotName(policy.name, target.arn, target.name, new Date(run.slot));
}

/** This run's elastic snapshots in a listing: the slot's name for a cluster, bound to the policy by its hash. */
export function slotSnapshots(all: readonly ElasticSnapshotRecord[], run: Run, policy: Policy): ElasticSnapshotRecord[] {
  const tail = `-${timeToken(new Date(run.slot))}`;
  return all.filter(
    (s) =>
      s.snapshotName?.endsWith(tail) &&
      s.clusterArn &&
      isElasticSnapshotNameOf(s.snapshotName, policy.name, s.clusterArn) &&
      inRunSubset(run, s.clusterArn),
  );
}

/** How a snapshot's status reads for the product: done, still going, being deleted, or ended badly. */
export function elasticSnapshotPhase(status: string | undefined): 'available' | 'in-flight' | 'deleting' | 'failed' {
  if (status === 'ACTIVE') return 'available';
  if (status === 'CREATING' || status === 'COPYING' || status === 'UPDATING') return 'in-flight';
  if (status === 'DELETING') return 'deleting';
  return 'failed';
}

export const CLUSTER_RULE_MESSAGES: Record<Exclude<ClusterRule, 'snapshot'>, (s: string) => string> = {
  wait: (s) => `is ${s}: the snapshot waits for it`,
  skip: (s) => `is ${s}: skipped`,
  conflict: (s) =>
    s === 'STOPPED' || s === 'STOPPING'
      ? `is ${s}: no snapshot taken (a stopped cluster cannot be snapshotted: start it, or exclude it from the policy)`
      : `is ${s}: no snapshot taken (the cluster needs attention)`,
};
