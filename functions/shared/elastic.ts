/**
 * Elastic cluster snapshots: resolve targets, start creates, check this run's snapshots.
 */
import { type ClusterSnapshotInList, CreateClusterSnapshotCommand } from '@aws-sdk/client-docdb-elastic';
import { elasticTags, listClusters, listElasticSnapshots } from './aws.js';
import type { Deps } from './clients.js';
import { isTransient, toOrchestratorError } from './errors.js';
import { elasticSnapshotName, isElasticSnapshotNameOf, timeToken } from './naming.js';
import type { Policy } from './policy.js';
import { mapPool } from './pool.js';
import { addFailure, type FailureLog, type Run } from './run.js';
import { composeTags, ownershipTags, type TagMap } from './tags.js';

export interface ElasticTarget {
  arn: string;
  name: string;
  tags: TagMap;
}

type FailureSink = FailureLog;

function selected(run: Run, arn: string): boolean {
  const subset = run.targets?.filter((t) => t.includes(':docdb-elastic:'));
  if (!run.targets) return true;
  return (subset ?? []).includes(arn);
}

/** Clusters the policy covers: explicit ARNs, plus tag-selector matches, minus exclusions, within the run's subset. */
export async function resolveElasticTargets(
  deps: Deps,
  run: Run,
  policy: Policy,
  sink: FailureSink,
): Promise<ElasticTarget[]> {
  const spec = policy.elastic;
  if (!spec) return [];
  const clusters = await listClusters(deps.clients.elastic);
  const byArn = new Map(clusters.map((c) => [c.clusterArn ?? '', c]));
  const excluded = new Set(spec.exclude);
  const selector = Object.entries(spec.selector);
  const concurrency = deps.config.policyFile.settings.concurrency;

  for (const arn of spec.clusterArns) {
    if (!byArn.has(arn) && !excluded.has(arn) && selected(run, arn)) {
      addFailure(sink, {
        target: arn,
        code: 'NOT_FOUND',
        message: `elastic cluster ${arn} was not found in ${run.region}`,
      });
    }
  }
  const explicit = new Set(spec.clusterArns);
  const candidates = clusters.filter(
    (c) =>
      c.clusterArn &&
      !excluded.has(c.clusterArn) &&
      selected(run, c.clusterArn) &&
      (explicit.has(c.clusterArn) || selector.length > 0),
  );
  const needTags = selector.length > 0 || policy.tags.copySourceTags;
  const tagged = await mapPool(candidates, concurrency, async (c) => {
    const arn = c.clusterArn as string;
    let tags: TagMap = {};
    if (needTags) {
      try {
        tags = await elasticTags(deps.clients.elastic, arn);
      } catch (err) {
        const e = toOrchestratorError(err, `ListTagsForResource ${arn}`);
        addFailure(sink, { target: arn, code: e.code, message: e.message });
        return undefined;
      }
    }
    const matches = explicit.has(arn) || selector.every(([k, v]) => tags[k] === v);
    return matches ? { cluster: c, tags } : undefined;
  });
  const targets: ElasticTarget[] = [];
  for (const t of tagged) {
    if (!t) continue;
    const arn = t.cluster.clusterArn as string;
    if (t.cluster.status !== 'ACTIVE') {
      addFailure(sink, {
        target: arn,
        code: 'CONFLICT',
        message: `elastic cluster ${t.cluster.clusterName} (${arn}) is ${t.cluster.status}, not ACTIVE: no snapshot taken`,
      });
      continue;
    }
    targets.push({ arn, name: t.cluster.clusterName ?? arn, tags: t.tags });
  }
  return targets;
}

export function snapshotTagsFor(
  run: Run,
  policy: Policy,
  target: ElasticTarget,
  now: Date,
): { tags: TagMap; dropped: string[] } {
  return composeTags('docdb-elastic', {
    ownership: ownershipTags({ policy: policy.name, target: target.arn, runId: run.id, createdAt: now }),
    static: policy.tags.static,
    source: policy.tags.copySourceTags ? target.tags : undefined,
  });
}

export type CreateResult = 'created' | 'adopted' | 'retry' | 'failed';

/**
 * Starts one create. Idempotent: an existing snapshot of the same name for the same cluster is adopted.
 * Throttling, 5xx and a busy cluster (409) are left for a later check; quota and permission errors fail the target.
 */
export async function createOne(
  deps: Deps,
  run: Run,
  policy: Policy,
  target: ElasticTarget,
  sink: FailureSink & { adoptedArns: string[] },
): Promise<CreateResult> {
  const name = elasticSnapshotName(policy.name, target.arn, target.name, new Date(run.slot));
  const { tags, dropped } = snapshotTagsFor(run, policy, target, deps.now());
  if (dropped.length > 0) {
    deps.logger.warn('source tags not copied', { target: target.arn, operation: 'CreateClusterSnapshot', dropped, reason: 'invalid for docdb-elastic, reserved, or over the 50-tag limit' });
  }
  const missingRequired = policy.tags.required.filter((k) => !(k in tags));
  if (missingRequired.length > 0) {
    addFailure(sink, {
      target: target.arn,
      code: 'VALIDATION_ERROR',
      message: `snapshot ${name} lacks required tag keys ${missingRequired.join(', ')}: cluster ${target.name} (${target.arn}) does not carry them`,
    });
  }
  try {
    await deps.clients.elastic.send(
      new CreateClusterSnapshotCommand({ clusterArn: target.arn, snapshotName: name, tags }),
    );
    deps.logger.info('snapshot create started', { target: target.arn, operation: 'CreateClusterSnapshot', snapshot: name });
    return 'created';
  } catch (err) {
    const e = toOrchestratorError(err, `CreateClusterSnapshot ${name} of ${target.arn}`);
    if (e.code === 'CONFLICT' || e.code === 'VALIDATION_ERROR') {
      // A snapshot of that name may exist already (a retried attempt landed): adopt it when it is this cluster's.
      const existing = await findByName(deps, target.arn, name).catch(() => undefined);
      if (existing) {
        if (existing.snapshotArn) sink.adoptedArns.push(existing.snapshotArn);
        return 'adopted';
      }
    }
    const retry = e.code === 'CONFLICT' || isTransient(e.code);
    deps.logger.warn(retry ? 'snapshot create deferred' : 'snapshot create failed', {
      target: target.arn,
      operation: 'CreateClusterSnapshot',
      code: e.code,
      reason: e.message,
    });
    if (retry) return 'retry';
    addFailure(sink, { target: target.arn, code: e.code, message: e.message });
    return 'failed';
  }
}

async function findByName(deps: Deps, clusterArn: string, name: string): Promise<ClusterSnapshotInList | undefined> {
  const list = await listElasticSnapshots(deps.clients.elastic, clusterArn);
  return list.find((s) => s.snapshotName === name && s.clusterArn === clusterArn);
}

/** This run's elastic snapshots in a listing: the slot's name for a cluster, bound to the policy by its hash. */
export function runSnapshots(all: readonly ClusterSnapshotInList[], run: Run, policy: Policy): ClusterSnapshotInList[] {
  const tail = `-${timeToken(new Date(run.slot))}`;
  return all.filter(
    (s) =>
      s.snapshotName?.endsWith(tail) &&
      s.clusterArn &&
      isElasticSnapshotNameOf(s.snapshotName, policy.name, s.clusterArn) &&
      selected(run, s.clusterArn),
  );
}
