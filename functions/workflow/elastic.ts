/**
 * Elastic cluster snapshots: which clusters a policy covers, and one create that counts exactly once.
 */
import {
  type ClusterInList,
  type ClusterSnapshotInList,
  CreateClusterSnapshotCommand,
  TagResourceCommand,
} from '@aws-sdk/client-docdb-elastic';
import { elasticTags, listClusters, listElasticSnapshots } from '../aws/elastic.js';
import { sdkAttempts } from '../aws/errors.js';
import type { Deps } from '../runtime/deps.js';
import { type ElasticTarget, inRunSubset, slotSnapshotName } from '../domain/clusters.js';
import { type ErrorCode, isTransient } from '../domain/errors.js';
import { toOrchestratorError } from '../aws/errors.js';
import type { Policy } from '../domain/policy.js';
import type { Failure, Run, SnapshotLine } from '../domain/run.js';
import { composeTags, isOwnedBy, missingTags, OWNERSHIP_KEYS, ownershipTags, TAGGED_BY, type TagMap } from '../domain/tags.js';

export interface Candidates {
  /** Clusters of the account the policy may cover, sorted by ARN (selector matches still need tags). */
  clusters: ClusterInList[];
  /** Explicit clusterArns that the account does not hold. */
  missing: string[];
}

/** The account's clusters the policy may cover: explicit ARNs, or any (the selector decides), minus exclusions, within the run's subset. */
export async function candidateClusters(deps: Deps, run: Run, policy: Policy): Promise<Candidates> {
  const spec = policy.elastic;
  if (!spec) return { clusters: [], missing: [] };
  const all = await listClusters(deps.clients.elastic);
  const byArn = new Set(all.map((c) => c.clusterArn));
  const excluded = new Set(spec.exclude);
  const explicit = new Set(spec.clusterArns);
  const bySelector = Object.keys(spec.selector).length > 0;
  const clusters = all
    .filter((c) => c.clusterArn && !excluded.has(c.clusterArn) && inRunSubset(run, c.clusterArn))
    .filter((c) => explicit.has(c.clusterArn as string) || bySelector)
    .sort((a, b) => (a.clusterArn as string).localeCompare(b.clusterArn as string));
  const missing = spec.clusterArns.filter((a) => !byArn.has(a) && !excluded.has(a) && inRunSubset(run, a));
  return { clusters, missing };
}

export type CreateOutcome =
  | { result: 'created'; line: SnapshotLine }
  | { result: 'adopted'; tagged: boolean }
  | { result: 'retry'; reason: string }
  | { result: 'failed'; failure: Failure };

/**
 * Starts this slot's snapshot of one cluster. Counted exactly once however the call went: a name that
 * exists already is looked up and its `run-id` tag says who made it (this run, after a lost answer or a
 * crashed attempt: created; an earlier execution of the slot: adopted, its missing static tags added;
 * someone else: CONFLICT for the cluster). Busy clusters and transient errors are tried again later.
 */
export async function createOne(
  deps: Deps,
  run: Run,
  policy: Policy,
  target: ElasticTarget,
  clusterTags: TagMap,
): Promise<{ outcome: CreateOutcome; warnings: Failure[] }> {
  const name = slotSnapshotName(run, policy, target);
  const now = deps.now();
  const { tags, dropped } = composeTags('docdb-elastic', {
    ownership: ownershipTags({ policy: policy.name, target: target.arn, runId: run.id, createdAt: now }),
    static: policy.tags.static,
    source: policy.tags.copySourceTags ? clusterTags : undefined,
  });
  if (dropped.length > 0) {
    deps.logger.warn('source tags not copied', {
      target: target.arn,
      operation: 'CreateClusterSnapshot',
      dropped,
      reason: 'invalid for docdb-elastic, reserved, or over the 50-tag limit',
    });
  }
  const warnings: Failure[] = [];
  const missingRequired = policy.tags.required.filter((k) => !(k in tags));
  if (missingRequired.length > 0) {
    warnings.push({
      target: target.arn,
      code: 'VALIDATION_ERROR',
      message: `cluster ${target.name} (${target.arn}): its snapshot ${name} lacks required tag keys ${missingRequired.join(', ')} (the cluster does not carry them)`,
    });
  }
  const line = (arn: string, time: Date): SnapshotLine => ({ arn, name, of: target.name, time: time.toISOString() });
  try {
    const res = await deps.clients.elastic.send(new CreateClusterSnapshotCommand({ clusterArn: target.arn, snapshotName: name, tags }));
    deps.logger.info('snapshot create started', { target: target.arn, operation: 'CreateClusterSnapshot', snapshot: name });
    return { outcome: { result: 'created', line: line(res.snapshot?.snapshotArn ?? name, now) }, warnings };
  } catch (err) {
    const e = toOrchestratorError(err, `cluster ${target.name} (${target.arn}): CreateClusterSnapshot ${name}`);
    // A name in use, or any error after the SDK retried (an earlier attempt may have landed): look the name up.
    if (e.code === 'CONFLICT' || e.code === 'VALIDATION_ERROR' || (!isTransient(e.code) && sdkAttempts(err) > 1)) {
      let existing: ClusterSnapshotInList | undefined;
      let existingTags: TagMap | undefined;
      try {
        existing = (await listElasticSnapshots(deps.clients.elastic, target.arn)).find((s) => s.snapshotName?.toLowerCase() === name);
        if (existing?.snapshotArn) existingTags = await elasticTags(deps.clients.elastic, existing.snapshotArn);
      } catch (lookupErr) {
        const le = toOrchestratorError(lookupErr);
        if (isTransient(le.code)) return { outcome: { result: 'retry', reason: le.message }, warnings };
        return {
          outcome: {
            result: 'failed',
            failure: {
              target: target.arn,
              code: le.code,
              message: `cluster ${target.name} (${target.arn}): looking up snapshot ${name} failed: ${le.message}`,
            },
          },
          warnings,
        };
      }
      if (existing?.snapshotArn && existingTags) {
        return { outcome: await adoptOrClaim(deps, run, policy, target, existing, existingTags, line), warnings };
      }
      if (e.code === 'CONFLICT') return { outcome: { result: 'retry', reason: `cluster busy: ${e.message}` }, warnings };
    }
    deps.logger.warn(isTransient(e.code) ? 'snapshot create deferred' : 'snapshot create failed', {
      target: target.arn,
      operation: 'CreateClusterSnapshot',
      code: e.code,
      reason: e.message,
    });
    if (isTransient(e.code)) return { outcome: { result: 'retry', reason: e.message }, warnings };
    return { outcome: { result: 'failed', failure: { target: target.arn, code: e.code, message: e.message } }, warnings };
  }
}

async function adoptOrClaim(
  deps: Deps,
  run: Run,
  policy: Policy,
  target: ElasticTarget,
  existing: ClusterSnapshotInList,
  tags: TagMap,
  line: (arn: string, time: Date) => SnapshotLine,
): Promise<CreateOutcome> {
  const arn = existing.snapshotArn as string;
  if (!isOwnedBy(tags, policy.name) || tags[OWNERSHIP_KEYS.target] !== target.arn) {
    return {
      result: 'failed',
      failure: {
        target: target.arn,
        code: 'CONFLICT',
        message: `cluster ${target.name} (${target.arn}): no snapshot taken: snapshot ${existing.snapshotName} (${arn}) has this slot's name but is not this policy's`,
      },
    };
  }
  if (tags[OWNERSHIP_KEYS.runId] === run.id) {
    // This run made it: the answer was lost, or an earlier attempt of this step did it before dying.
    return { result: 'created', line: line(arn, new Date(existing.snapshotCreationTime ?? deps.now())) };
  }
  const missing = missingTags(tags, policy.tags.static);
  if (Object.keys(missing).length === 0 || run.dryRun) return { result: 'adopted', tagged: tags[TAGGED_BY] === run.id };
  try {
    await deps.clients.elastic.send(new TagResourceCommand({ resourceArn: arn, tags: { ...missing, [TAGGED_BY]: run.id } }));
    return { result: 'adopted', tagged: true };
  } catch (err) {
    const e = toOrchestratorError(err, `tagging ${arn} of ${target.arn}`);
    if (isTransient(e.code)) return { result: 'retry', reason: e.message };
    return {
      result: 'failed',
      failure: {
        target: target.arn,
        code: e.code,
        message: `cluster ${target.name} (${target.arn}): adopted snapshot ${arn}, but adding its tags failed: ${e.message}`,
      },
    };
  }
}

export type { ErrorCode };
