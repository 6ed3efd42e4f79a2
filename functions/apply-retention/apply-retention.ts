/**
 * Apply Retention: per (target, policy), restic's forget rules plus the floor, over the available
 * snapshots the orchestrator owns. Elastic snapshots are candidates by their policy-and-cluster
 * bound names and are deleted only after their tags prove ownership; copies carry their tags in the
 * listing. Automated, AWS Backup and foreign snapshots are never candidates.
 */
import { type ClusterSnapshotInList, DeleteClusterSnapshotCommand } from '@aws-sdk/client-docdb-elastic';
import { DeleteDBClusterSnapshotCommand } from '@aws-sdk/client-rds';
import { describeClusterSnapshots, elasticTags, listElasticSnapshots } from '../shared/aws.js';
import type { Deps } from '../shared/clients.js';
import { toOrchestratorError } from '../shared/errors.js';
import { isElasticSnapshotNameOf } from '../shared/naming.js';
import { type Policy, retentionRules } from '../shared/policy.js';
import { mapPool } from '../shared/pool.js';
import { type Decision, decideRetention, type RetentionSnapshot } from '../shared/retention.js';
import { emptyFailureLog, ItemErrors, type RetentionOutcome, type Run } from '../shared/run.js';
import { fromTagList, isOwnedBy, OWNERSHIP_KEYS, type TagMap } from '../shared/tags.js';

/** Deletions listed in the state (all are logged with their reasons). */
const MAX_DELETED_KEPT = 20;

interface Candidate extends RetentionSnapshot {
  kind: 'elastic' | 'copy';
  target: string;
  /** Tags when already known (copies); elastic tags are read when needed. */
  known?: TagMap;
}

/** restic matches plain tags; a snapshot's tags match as `key` and as `key=value`. */
function tagStrings(tags: TagMap): string[] {
  return Object.entries(tags).flatMap(([k, v]) => [k, `${k}=${v}`]);
}

function inSubset(run: Run, target: string, arn: string): boolean {
  return !run.targets || run.targets.includes(target) || run.targets.includes(arn);
}

export async function applyRetention(run: Run, policy: Policy, deps: Deps): Promise<RetentionOutcome> {
  const out: RetentionOutcome = { count: 0, kept: 0, deleted: [], wouldDelete: 0, ...emptyFailureLog() };
  const retention = policy.retention && !run.skip.includes('retention') ? policy.retention : undefined;
  const rules = retention ? retentionRules(retention) : {};
  const concurrency = deps.config.policyFile.settings.concurrency;
  const { elastic, rds } = deps.clients;
  const groups = new Map<string, Candidate[]>();
  const add = (c: Candidate) => {
    const key = `${c.kind}|${c.target}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  };

  if (policy.elastic) {
    const all = await listElasticSnapshots(elastic);
    const mine = all.filter(
      (s): s is ClusterSnapshotInList & { snapshotArn: string; clusterArn: string; snapshotName: string } =>
        !!s.snapshotArn &&
        !!s.clusterArn &&
        !!s.snapshotName &&
        isElasticSnapshotNameOf(s.snapshotName, policy.name, s.clusterArn),
    );
    const needTags = (rules.keepTags?.length ?? 0) > 0;
    const withTags = await mapPool(mine, concurrency, async (s) =>
      needTags && s.status === 'ACTIVE'
        ? { s, tags: await elasticTags(elastic, s.snapshotArn) }
        : { s, tags: undefined },
    );
    for (const { s, tags } of withTags) {
      if (s.status !== 'ACTIVE' || !inSubset(run, s.clusterArn, s.snapshotArn)) continue;
      if (tags && !isOwnedBy(tags, policy.name)) continue;
      add({
        kind: 'elastic',
        id: s.snapshotArn,
        target: s.clusterArn,
        time: new Date(s.snapshotCreationTime ?? 0),
        tags: tagStrings(tags ?? {}),
        known: tags,
      });
    }
  }
  if (policy.copy) {
    for (const s of await describeClusterSnapshots(rds, 'manual')) {
      const tags = fromTagList(s.TagList);
      const id = s.DBClusterSnapshotIdentifier ?? '';
      if (!isOwnedBy(tags, policy.name) || s.SnapshotType !== 'manual' || s.Status !== 'available') continue;
      if (id.startsWith('awsbackup:') || !s.SnapshotCreateTime) continue;
      const target = tags[OWNERSHIP_KEYS.target] ?? '';
      if (!target || !inSubset(run, target, s.SourceDBClusterSnapshotArn ?? '')) continue;
      add({ kind: 'copy', id, target, time: new Date(s.SnapshotCreateTime), tags: tagStrings(tags), known: tags });
    }
  }

  const now = deps.now();
  // Freshness: the age of each target's newest available snapshot; the worst target is the policy's.
  for (const list of groups.values()) {
    const newest = Math.max(...list.map((c) => c.time.getTime()));
    const age = (now.getTime() - newest) / 3_600_000;
    out.recoveryPointAgeHours = Math.max(out.recoveryPointAgeHours ?? 0, age);
  }
  if (!retention) return out;
  const deletions: Decision<Candidate>[] = [];
  for (const list of groups.values()) {
    for (const d of decideRetention(list, rules, now, { minKeep: retention.minKeep })) {
      if (d.keep) out.kept++;
      else deletions.push(d);
    }
  }
  out.wouldDelete = deletions.length;
  if (run.dryRun) {
    for (const d of deletions.slice(0, MAX_DELETED_KEPT)) {
      out.deleted.push({ snapshot: d.snapshot.id, target: d.snapshot.target, reasons: d.reasons });
    }
    return out;
  }
  const errors = new ItemErrors(out);
  await mapPool(deletions, concurrency, async (d) => {
    const s = d.snapshot;
    try {
      if (s.kind === 'elastic') {
        // The name made it a candidate; only the tags make it deletable.
        const tags = s.known ?? (await elasticTags(elastic, s.id));
        if (!isOwnedBy(tags, policy.name)) {
          out.kept++;
          return;
        }
        await elastic.send(new DeleteClusterSnapshotCommand({ snapshotArn: s.id }));
      } else {
        await rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: s.id }));
      }
      deps.logger.info('snapshot deleted', {
        target: s.target,
        operation: s.kind === 'elastic' ? 'DeleteClusterSnapshot' : 'DeleteDBClusterSnapshot',
        snapshot: s.id,
        reasons: d.reasons,
      });
      out.count++;
      if (out.deleted.length < MAX_DELETED_KEPT)
        out.deleted.push({ snapshot: s.id, target: s.target, reasons: d.reasons });
    } catch (err) {
      const e = toOrchestratorError(err, `deleting ${s.id} of ${s.target}`);
      if (e.code === 'NOT_FOUND') return; // already gone: the goal is met
      errors.record(s.target, e);
    }
  });
  // A retried step recomputes retention from what is left: deleting snapshots no rule keeps never makes
  // a rule drop one it kept.
  errors.throwIfTransient();
  return out;
}
