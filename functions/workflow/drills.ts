/**
 * Restore drills, the AWS side: which snapshot of each target to restore, starting a restore under the
 * drill's name and tags, following it to ACTIVE/available, adding the instance a validated copy drill
 * needs, and deleting the drill cluster whatever happened. Deletes are sent only for clusters that
 * carry this policy's drill tag, and IAM allows no other (serverless.yml): a production cluster named
 * like a drill is never touched.
 */
import { DeleteClusterCommand, RestoreClusterFromSnapshotCommand, TagResourceCommand } from '@aws-sdk/client-docdb-elastic';
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  RestoreDBClusterFromSnapshotCommand,
} from '@aws-sdk/client-rds';
import { elasticTags, getCluster, listClusters, listElasticSnapshots } from '../aws/elastic.js';
import { toOrchestratorError } from '../aws/errors.js';
import { describeClusterSnapshots, describeDbCluster, describeDbClusters, describeDbInstance } from '../aws/rds.js';
import { matchesPolicy, needsClusterTags } from '../domain/clusters.js';
import { heldCopy } from '../domain/copy-plan.js';
import {
  type Drill,
  drillClusterOf,
  drillClusterPhase,
  drillClusterTags,
  drilledTags,
  type DrillKind,
  type DrillProgress,
  type DrillRun,
  type DrillSettings,
  isDrillCluster,
  lastDrillOf,
  looksLikeDrillCluster,
  type SweptCluster,
  type ValidationRequest,
  type ValidationResult,
} from '../domain/drill.js';
import { isTransient } from '../domain/errors.js';
import { isElasticSnapshotNameOf } from '../domain/naming.js';
import type { Policy } from '../domain/policy.js';
import type { Run } from '../domain/run.js';
import { DRILLED_KEYS, fromTagList, isOwnedBy, type TagMap, toTagList } from '../domain/tags.js';
import type { Deps } from '../runtime/deps.js';
import { candidateClusters } from './elastic.js';

/** A target a drill may restore, with its owned available snapshots (newest first). */
export interface DrillTarget {
  target: string;
  of: string;
  kind: DrillKind;
  engine?: string;
  snapshots: { id: string; arn: string; time: Date; tags?: TagMap }[];
}

/** The policy's targets and their owned, available snapshots: elastic clusters, and copy targets. */
export async function drillTargets(deps: Deps, run: DrillRun, policy: Policy): Promise<DrillTarget[]> {
  const out: DrillTarget[] = [];
  const subset = run.targets ? new Set(run.targets) : undefined;
  if (policy.elastic && policy.restoreDrill?.elastic) {
    const { clusters } = await candidateClusters(
      deps,
      { targets: run.targets?.filter((t) => t.includes(':docdb-elastic:')) } as Run,
      policy,
    );
    const all = await listElasticSnapshots(deps.clients.elastic);
    for (const c of clusters) {
      const arn = c.clusterArn as string;
      const tags = needsClusterTags(policy) ? await elasticTags(deps.clients.elastic, arn) : {};
      if (isDrillCluster(tags) || !matchesPolicy(policy, arn, tags)) continue;
      const snapshots = all
        .filter((s) => s.clusterArn === arn && s.status === 'ACTIVE' && isElasticSnapshotNameOf(s.snapshotName ?? '', policy.name, arn))
        .map((s) => ({ id: s.snapshotArn ?? '', arn: s.snapshotArn ?? '', time: new Date(s.snapshotCreationTime ?? 0) }))
        .sort((a, b) => b.time.getTime() - a.time.getTime());
      out.push({ target: arn, of: c.clusterName ?? arn, kind: 'elastic', snapshots });
    }
  }
  if (policy.copy && policy.restoreDrill?.copies) {
    const byTarget = new Map<string, DrillTarget>();
    for (const s of await describeClusterSnapshots(deps.clients.rds, 'manual')) {
      const h = heldCopy(s, policy);
      if (!h || h.status !== 'available' || (subset && !subset.has(h.target))) continue;
      const t = byTarget.get(h.target) ?? { target: h.target, of: h.target, kind: 'copy' as const, engine: s.Engine, snapshots: [] };
      t.snapshots.push({ id: h.id, arn: h.arn, time: h.time, tags: h.tags });
      byTarget.set(h.target, t);
    }
    out.push(...byTarget.values());
  }
  return out;
}

/** The tags of an elastic snapshot, to prove it is this policy's before it is restored. */
export async function ownedElasticSnapshot(deps: Deps, policy: Policy, arn: string): Promise<boolean> {
  return isOwnedBy(await elasticTags(deps.clients.elastic, arn), policy.name);
}

const errorOf = (err: unknown, what: string) => toOrchestratorError(err, what);

async function tagSnapshot(deps: Deps, drill: Drill, tags: TagMap): Promise<void> {
  if (drill.kind === 'elastic') await deps.clients.elastic.send(new TagResourceCommand({ resourceArn: drill.snapshotArn, tags }));
  else await deps.clients.rds.send(new AddTagsToResourceCommand({ ResourceName: drill.snapshotArn, Tags: toTagList(tags) }));
}

/** A drill cluster by name: its ARN, status, endpoint and tags (undefined: no such cluster). */
async function findCluster(
  deps: Deps,
  kind: DrillKind,
  name: string,
): Promise<{ arn: string; status?: string; endpoint?: string; tags: TagMap; instances: string[] } | undefined> {
  if (kind === 'elastic') {
    const c = (await listClusters(deps.clients.elastic)).find((x) => x.clusterName === name);
    if (!c?.clusterArn) return undefined;
    const full = await getCluster(deps.clients.elastic, c.clusterArn);
    return {
      arn: c.clusterArn,
      status: full?.status ?? c.status,
      endpoint: full?.clusterEndpoint,
      tags: await elasticTags(deps.clients.elastic, c.clusterArn),
      instances: [],
    };
  }
  const c = await describeDbCluster(deps.clients.rds, name);
  if (!c) return undefined;
  return {
    arn: c.DBClusterArn ?? name,
    status: c.Status,
    endpoint: c.Endpoint,
    tags: fromTagList(c.TagList),
    instances: (c.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier ?? '').filter(Boolean),
  };
}

/**
 * Starts one drill's restore. The snapshot is tagged `drill-until` first, so retention keeps it while the
 * drill runs. A name that is taken is looked up: this run's own drill cluster (an answer lost) is taken
 * over; anything else is left alone and the drill fails with CONFLICT.
 */
export async function startRestore(deps: Deps, run: DrillRun, policy: Policy, drill: Drill, now: Date): Promise<Drill> {
  const s = policy.restoreDrill as DrillSettings;
  const until = new Date(now.getTime() + (s.deadlineMinutes + 60) * 60_000);
  const tags = drillClusterTags(policy.name, run, drill, now);
  try {
    await tagSnapshot(deps, drill, { [DRILLED_KEYS.until]: until.toISOString() });
    if (drill.kind === 'elastic') {
      const e = s.elastic;
      const res = await deps.clients.elastic.send(
        new RestoreClusterFromSnapshotCommand({
          snapshotArn: drill.snapshotArn,
          clusterName: drill.cluster,
          subnetIds: e?.subnetIds,
          vpcSecurityGroupIds: e?.vpcSecurityGroupIds,
          shardCapacity: e?.shardCapacity,
          shardInstanceCount: e?.shardInstanceCount,
          ...(e?.kmsKeyId ? { kmsKeyId: e.kmsKeyId } : {}),
          tags,
        }),
      );
      return {
        ...drill,
        phase: 'restoring',
        requestedAt: now.toISOString(),
        ...(res.cluster?.clusterArn ? { clusterArn: res.cluster.clusterArn } : {}),
      };
    }
    const c = s.copies;
    const res = await deps.clients.rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: drill.cluster,
        SnapshotIdentifier: drill.snapshotArn,
        Engine: drill.engine ?? 'docdb',
        DBSubnetGroupName: c?.dbSubnetGroupName,
        VpcSecurityGroupIds: c?.vpcSecurityGroupIds,
        ...(c?.kmsKeyId ? { KmsKeyId: c.kmsKeyId } : {}),
        Tags: toTagList(tags),
      }),
    );
    return {
      ...drill,
      phase: 'restoring',
      requestedAt: now.toISOString(),
      ...(res.DBCluster?.DBClusterArn ? { clusterArn: res.DBCluster.DBClusterArn } : {}),
    };
  } catch (err) {
    const e = errorOf(err, `restoring ${drill.snapshotArn} into ${drill.cluster}`);
    if (isTransient(e.code)) return drill; // queued: tried again at the next check
    if (e.code === 'CONFLICT') {
      const existing = await findCluster(deps, drill.kind, drill.cluster).catch(() => undefined);
      const mine = existing && drillClusterOf(existing.tags, policy.name)?.run === run.id;
      if (mine) return { ...drill, phase: 'restoring', requestedAt: drill.requestedAt ?? now.toISOString(), clusterArn: existing.arn };
      return {
        ...drill,
        phase: 'done',
        result: 'failed',
        code: 'CONFLICT',
        message: `a cluster named ${drill.cluster} exists and is not this drill's: left alone`,
      };
    }
    return { ...drill, phase: 'done', result: 'failed', code: e.code, message: e.message };
  }
}

/** One check of a drill in flight: restoring → (instance →) validating → deleting → done. */
export async function followDrill(
  deps: Deps,
  policy: Policy,
  drill: Drill,
  now: Date,
  validations: readonly ValidationResult[],
): Promise<{ drill: Drill; validate?: ValidationRequest }> {
  const s = policy.restoreDrill as DrillSettings;
  const deadline = Date.parse(drill.requestedAt ?? now.toISOString()) + s.deadlineMinutes * 60_000;
  const fail = (code: Drill['code'], message: string): Drill => ({ ...drill, result: 'failed', code, message, phase: 'deleting' });
  if (drill.phase === 'restoring' || drill.phase === 'instance' || drill.phase === 'validating') {
    const found = await findCluster(deps, drill.kind, drill.cluster);
    const phase = drillClusterPhase(drill.kind, found?.status);
    if (phase === 'gone')
      return {
        drill: { ...drill, result: 'failed', code: 'NOT_FOUND', message: `drill cluster ${drill.cluster} disappeared`, phase: 'done' },
      };
    if (phase === 'failed' || phase === 'deleting')
      return { drill: fail('INTERNAL_ERROR', `the restore of ${drill.snapshotArn} ended ${found?.status ?? 'unknown'}`) };
    if (phase === 'creating') {
      if (now.getTime() >= deadline)
        return { drill: fail('DEADLINE_EXCEEDED', `the restore was still ${found?.status} after ${s.deadlineMinutes} minutes`) };
      return { drill };
    }
    // ready
    const ready: Drill = { ...drill, clusterArn: found?.arn ?? drill.clusterArn, ...(found?.endpoint ? { endpoint: found.endpoint } : {}) };
    if (drill.phase === 'restoring') {
      ready.restoreSeconds = Math.round((now.getTime() - Date.parse(drill.requestedAt ?? now.toISOString())) / 1000);
      if (s.rtoMinutes !== undefined && ready.restoreSeconds > s.rtoMinutes * 60) {
        return {
          drill: {
            ...ready,
            result: 'failed',
            code: 'DEADLINE_EXCEEDED',
            message: `restored in ${ready.restoreSeconds} s, over the ${s.rtoMinutes}-minute RTO`,
            phase: 'deleting',
          },
        };
      }
      if (!s.validation) return { drill: { ...ready, result: 'passed', phase: 'deleting' } };
      if (drill.kind === 'copy') {
        const instance = `${drill.cluster}-1`;
        try {
          await deps.clients.rds.send(
            new CreateDBInstanceCommand({
              DBInstanceIdentifier: instance,
              DBClusterIdentifier: drill.cluster,
              DBInstanceClass: s.copies?.instanceClass ?? 'db.t4g.medium',
              Engine: drill.engine ?? 'docdb',
              Tags: toTagList(drillClusterTags(policy.name, { id: '' }, drill, now)),
            }),
          );
        } catch (err) {
          const e = errorOf(err, `adding instance ${instance} to ${drill.cluster}`);
          if (e.code !== 'CONFLICT') return { drill: { ...ready, result: 'failed', code: e.code, message: e.message, phase: 'deleting' } };
        }
        return { drill: { ...ready, instance, phase: 'instance' } };
      }
    }
    if (ready.phase === 'instance' && ready.instance) {
      const inst = await describeDbInstance(deps.clients.rds, ready.instance);
      if (inst?.DBInstanceStatus !== 'available') {
        if (now.getTime() >= deadline)
          return { drill: fail('DEADLINE_EXCEEDED', `instance ${ready.instance} was not available after ${s.deadlineMinutes} minutes`) };
        if (inst && !['creating', 'backing-up', 'modifying', 'configuring-enhanced-monitoring'].includes(inst.DBInstanceStatus ?? ''))
          return { drill: fail('INTERNAL_ERROR', `instance ${ready.instance} ended ${inst.DBInstanceStatus}`) };
        return { drill: ready };
      }
    }
    // validating: the Map state's answer, or a request for one
    const answer = validations.find((v) => v.cluster === drill.cluster);
    if (answer && drill.phase === 'validating') {
      if (answer.passed === true)
        return { drill: { ...ready, result: 'passed', message: answer.message?.slice(0, 200), phase: 'deleting' } };
      const why = answer.error ?? answer.message ?? 'the validation function did not answer {"passed": true}';
      return {
        drill: {
          ...ready,
          result: 'failed',
          code: 'VALIDATION_ERROR',
          message: `validation failed: ${why}`.slice(0, 300),
          phase: 'deleting',
        },
      };
    }
    if (now.getTime() >= deadline)
      return { drill: fail('DEADLINE_EXCEEDED', `validation had not answered after ${s.deadlineMinutes} minutes`) };
    const v = s.validation;
    if (!v) return { drill: { ...ready, result: 'passed', phase: 'deleting' } };
    return {
      drill: { ...ready, phase: 'validating' },
      validate: {
        functionArn: v.functionArn,
        payload: {
          cluster: drill.cluster,
          ...(ready.clusterArn ? { clusterArn: ready.clusterArn } : {}),
          ...(ready.endpoint ? { endpoint: ready.endpoint } : {}),
          kind: drill.kind,
          snapshotArn: drill.snapshotArn,
          snapshotTime: drill.snapshotTime,
          target: drill.target,
          policy: policy.name,
          secretArn: v.secretArn,
        },
      },
    };
  }
  if (drill.phase === 'deleting') return { drill: await deleteDrill(deps, policy, drill, now) };
  return { drill };
}

/**
 * Deletes a drill cluster (its instance first) and follows it until it is gone: the drill is done then.
 * A refused delete is a leak, reported (and the next drill run's sweep tries again); a cluster still
 * being deleted an hour past the drill's deadline is reported as a leak too.
 */
export async function deleteDrill(deps: Deps, policy: Policy, drill: Drill, now: Date): Promise<Drill> {
  const found = await findCluster(deps, drill.kind, drill.cluster);
  const s = policy.restoreDrill as DrillSettings;
  const giveUpAt = Date.parse(drill.requestedAt ?? now.toISOString()) + (s.deadlineMinutes + 60) * 60_000;
  const done = async (d: Drill): Promise<Drill> => {
    await tagSnapshot(deps, d, drilledTags(d, now)).catch((err: unknown) =>
      deps.logger.warn('drill result not tagged', { target: d.target, operation: 'TagResource', reason: String(err) }),
    );
    return { ...d, phase: 'done' };
  };
  if (!found) return done(drill);
  // The tags decide, not the name: a cluster that is not this policy's drill cluster is never deleted.
  if (!drillClusterOf(found.tags, policy.name)) {
    return done({
      ...drill,
      result: 'failed',
      code: 'CONFLICT',
      message: `${drill.cluster} is not this policy's drill cluster: not deleted`,
    });
  }
  const outcome = await deleteCluster(deps, drill.kind, drill.cluster, found);
  if (outcome !== 'deleted' && outcome !== 'wait')
    return done({ ...drill, leaked: true, message: `${drill.message ? `${drill.message}; ` : ''}${outcome}` });
  if (now.getTime() >= giveUpAt)
    return done({
      ...drill,
      leaked: true,
      message: `${drill.message ? `${drill.message}; ` : ''}drill cluster ${drill.cluster} was still ${found.status ?? 'there'} an hour past the deadline`,
    });
  return drill; // deleting: done once it is gone
}

/** 'deleted' (accepted or gone), 'wait' (try again next check), or why the delete failed. */
type DeleteOutcome = 'deleted' | 'wait' | (string & { readonly why?: never });

/** Sends the deletes of a drill cluster. */
async function deleteCluster(
  deps: Deps,
  kind: DrillKind,
  name: string,
  found: { arn: string; status?: string; instances: string[] },
): Promise<DeleteOutcome> {
  try {
    if (kind === 'elastic') {
      if (found.status === 'DELETING') return 'deleted';
      await deps.clients.elastic.send(new DeleteClusterCommand({ clusterArn: found.arn }));
      return 'deleted';
    }
    if (found.status === 'deleting') return 'deleted';
    for (const i of found.instances) {
      const inst = await describeDbInstance(deps.clients.rds, i);
      if (inst && inst.DBInstanceStatus !== 'deleting')
        await deps.clients.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: i }));
    }
    if (found.instances.length > 0) {
      const left = await describeDbCluster(deps.clients.rds, name);
      if ((left?.DBClusterMembers ?? []).length > 0) return 'wait';
    }
    await deps.clients.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: name, SkipFinalSnapshot: true }));
    return 'deleted';
  } catch (err) {
    const e = errorOf(err, `deleting drill cluster ${name}`);
    if (e.code === 'NOT_FOUND') return 'deleted';
    // Conflict: the cluster is busy (still creating, an instance still deleting): tried again at the next check.
    if (isTransient(e.code) || e.code === 'CONFLICT') return 'wait';
    return e.message;
  }
}

/** This policy's drill clusters that exist now: from this run or others, with their age. */
export async function drillClustersOf(
  deps: Deps,
  policy: Policy,
): Promise<{ kind: DrillKind; name: string; arn: string; status?: string; run: string; startedAt?: Date; instances: string[] }[]> {
  const out: { kind: DrillKind; name: string; arn: string; status?: string; run: string; startedAt?: Date; instances: string[] }[] = [];
  if (policy.restoreDrill?.elastic) {
    for (const c of await listClusters(deps.clients.elastic)) {
      if (!looksLikeDrillCluster(c.clusterName) || !c.clusterArn) continue;
      const of = drillClusterOf(await elasticTags(deps.clients.elastic, c.clusterArn), policy.name);
      if (of) out.push({ kind: 'elastic', name: c.clusterName ?? '', arn: c.clusterArn, status: c.status, instances: [], ...of });
    }
  }
  if (policy.restoreDrill?.copies) {
    for (const c of await describeDbClusters(deps.clients.rds)) {
      const of = drillClusterOf(fromTagList(c.TagList), policy.name);
      if (!of) continue;
      const instances = (c.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier ?? '').filter(Boolean);
      out.push({ kind: 'copy', name: c.DBClusterIdentifier ?? '', arn: c.DBClusterArn ?? '', status: c.Status, instances, ...of });
    }
  }
  return out;
}

/** The leak guard: deletes this policy's drill clusters older than their lifetime (not this run's) and reports each. */
export async function sweep(deps: Deps, run: DrillRun, policy: Policy, now: Date): Promise<{ swept: SweptCluster[]; alive: number }> {
  const s = policy.restoreDrill as DrillSettings;
  const swept: SweptCluster[] = [];
  let alive = 0;
  for (const c of await drillClustersOf(deps, policy)) {
    if (c.run === run.id) continue;
    const ageHours = c.startedAt ? (now.getTime() - c.startedAt.getTime()) / 3_600_000 : Number.POSITIVE_INFINITY;
    const deleting = drillClusterPhase(c.kind, c.status) === 'deleting';
    if (ageHours < s.maxLifetimeHours || deleting) {
      if (!deleting) alive++;
      continue;
    }
    if (run.dryRun) {
      swept.push({
        cluster: c.name,
        kind: c.kind,
        ageHours: Math.round(ageHours * 10) / 10,
        deleted: false,
        message: 'dry run: not deleted',
      });
      continue;
    }
    const outcome = await deleteCluster(deps, c.kind, c.name, c);
    swept.push({
      cluster: c.name,
      kind: c.kind,
      ageHours: Math.round(ageHours * 10) / 10,
      deleted: outcome === 'deleted',
      ...(outcome === 'deleted' ? {} : { message: outcome === 'wait' ? 'delete started; not finished' : outcome }),
    });
    if (outcome !== 'deleted') alive++;
    deps.logger.warn('leaked drill cluster swept', {
      target: c.arn,
      operation: 'SweepDrillClusters',
      reason: `${ageHours.toFixed(1)} h old`,
      outcome,
    });
  }
  return { swept, alive };
}

/** The catch path: every drill cluster this run made is deleted, whatever state the run's progress is in. */
export async function cleanUpRun(deps: Deps, run: DrillRun, policy: Policy): Promise<{ deleted: string[]; leaked: string[] }> {
  const deleted: string[] = [];
  const leaked: string[] = [];
  for (const c of await drillClustersOf(deps, policy)) {
    if (c.run !== run.id) continue;
    const outcome = await deleteCluster(deps, c.kind, c.name, c);
    if (outcome === 'deleted' || outcome === 'wait') deleted.push(c.name);
    else leaked.push(`${c.name}: ${outcome}`);
  }
  return { deleted, leaked };
}

/** A snapshot's tags (elastic: read; copies: from the listing). */
export async function snapshotTags(deps: Deps, kind: DrillKind, arn: string, known?: TagMap): Promise<TagMap> {
  if (known) return known;
  return kind === 'elastic' ? elasticTags(deps.clients.elastic, arn) : {};
}

/** Starts queued drills while the policy has drill clusters to spare (maxConcurrent, counting other runs' live ones). */
export async function startQueued(deps: Deps, run: DrillRun, policy: Policy, p: DrillProgress, now: Date): Promise<DrillProgress> {
  const max = policy.restoreDrill?.maxConcurrent ?? 1;
  let alive = p.othersAlive + p.drills.filter((d) => d.phase !== 'queued' && d.phase !== 'done').length;
  const drills: Drill[] = [];
  for (const d of p.drills) {
    if (d.phase === 'queued' && alive < max) {
      const started = await startRestore(deps, run, policy, d, now);
      if (started.phase !== 'queued' && started.phase !== 'done') alive++;
      drills.push(started);
    } else drills.push(d);
  }
  return { ...p, drills };
}

/** The last drill of each target, from the tags its drills leave on the snapshots (no database). */
export async function lastDrills(
  deps: Deps,
  run: DrillRun,
  policy: Policy,
): Promise<{ target: string; of: string; snapshot?: string; result?: string; at?: string; restoreSeconds?: number }[]> {
  const out: { target: string; of: string; snapshot?: string; result?: string; at?: string; restoreSeconds?: number }[] = [];
  for (const t of await drillTargets(deps, run, policy)) {
    let found: { snapshot: string; result: string; at: string; restoreSeconds?: number } | undefined;
    // Copies carry their tags in the listing; elastic snapshots are read newest first, a few at most.
    for (const s of t.snapshots.slice(0, t.kind === 'elastic' ? 3 : t.snapshots.length)) {
      const last = lastDrillOf(await snapshotTags(deps, t.kind, s.arn, s.tags));
      if (last && (!found || last.at > found.at)) found = { snapshot: s.arn, ...last };
    }
    out.push({ target: t.target, of: t.of, ...(found ?? {}) });
  }
  return out;
}
