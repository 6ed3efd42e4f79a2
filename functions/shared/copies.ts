/**
 * Copies of cluster snapshots shared from other accounts (RDS API: Aurora and instance-based DocumentDB).
 * Stateless between checks: the wanted copies are re-planned from AWS each time (two paged reads),
 * copies in flight are counted account-wide, and this run's copies are recognised by their tags.
 */
import {
  CopyDBClusterSnapshotCommand,
  type DBClusterSnapshot,
  DeleteDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
} from '@aws-sdk/client-rds';
import { describeClusterSnapshots, parseRdsSnapshotArn } from './aws.js';
import type { Deps } from './clients.js';
import { isTransient, toOrchestratorError } from './errors.js';
import { copySnapshotName } from './naming.js';
import type { Policy } from './policy.js';
import { addFailure, type FailureLog, hasFailed, type Run } from './run.js';
import { composeTags, fromTagList, isOwnedBy, OWNERSHIP_KEYS, ownershipTags, toTagList } from './tags.js';

export interface WantedCopy {
  sourceArn: string;
  owner: string;
  clusterId: string;
  encrypted: boolean;
  targetName: string;
  /** `<owner account>:<cluster id>`: the retention target of the copy. */
  target: string;
}

/** Which shared snapshots the policy wants copied, newest first per source cluster. */
export function planCopies(policy: Policy, run: Run, shared: readonly DBClusterSnapshot[]): WantedCopy[] {
  const rules = policy.copy;
  if (!rules) return [];
  const subset = run.targets?.filter((t) => t.includes(':rds:'));
  const pattern = rules.clusterPattern ? new RegExp(rules.clusterPattern) : undefined;
  const prefix = rules.targetPrefix ?? `${policy.name.slice(0, 11)}-copy`;
  const eligible = shared
    .flatMap((s) => {
      const arn = s.DBClusterSnapshotArn ?? '';
      const parsed = parseRdsSnapshotArn(arn);
      if (!parsed || !s.SnapshotCreateTime) return [];
      if (s.SnapshotType !== 'shared' || s.Status !== 'available') return [];
      if (!rules.sourceAccounts.includes(parsed.account)) return [];
      if (!(rules.engines as readonly string[]).includes(s.Engine ?? '')) return [];
      const clusterId = s.DBClusterIdentifier ?? '';
      if (pattern && !pattern.test(clusterId)) return [];
      if (run.targets && !subset?.includes(arn)) return [];
      return [{ s, arn, owner: parsed.account, clusterId, time: new Date(s.SnapshotCreateTime) }];
    })
    .sort((a, b) => b.time.getTime() - a.time.getTime() || a.arn.localeCompare(b.arn));
  const seen = new Set<string>();
  const out: WantedCopy[] = [];
  for (const e of eligible) {
    const key = `${e.owner}:${e.clusterId}`;
    if (rules.select === 'newest' && seen.has(key)) continue;
    seen.add(key);
    out.push({
      sourceArn: e.arn,
      owner: e.owner,
      clusterId: e.clusterId,
      encrypted: e.s.StorageEncrypted === true,
      targetName: copySnapshotName(prefix, e.arn, e.clusterId, e.time),
      target: key,
    });
  }
  return out;
}

export type CopyState = FailureLog & { failedKeys: string[] };

export interface CopyRound {
  /** Copies this round started. */
  started: number;
  /** Copies of this run that are available. */
  copied: number;
  /** This run's copies still copying, plus wanted copies waiting for a slot. */
  pending: number;
  /** Wanted copies that existed before this run (nothing to do). */
  skipped: number;
  planned: number;
}


/**
 * One round: start wanted copies up to the free slots, cancel copies past their deadline,
 * and count this run's progress. `dryRun` only plans.
 */
export async function advanceCopies(deps: Deps, run: Run, policy: Policy, state: CopyState): Promise<CopyRound> {
  const round: CopyRound = { started: 0, copied: 0, pending: 0, skipped: 0, planned: 0 };
  if (!policy.copy || run.skip.includes('copy')) return round;
  const { rds } = deps.clients;
  const [shared, owned] = await Promise.all([
    describeClusterSnapshots(rds, 'shared'),
    describeClusterSnapshots(rds, 'manual'),
  ]);
  const wanted = planCopies(policy, run, shared);
  round.planned = wanted.length;
  const ownedById = new Map(owned.map((s) => [(s.DBClusterSnapshotIdentifier ?? '').toLowerCase(), s]));
  const now = deps.now();
  const copyMs = policy.deadlines.copyMinutes * 60_000;
  let inFlight = owned.filter((s) => s.Status === 'copying').length;
  const maxInFlight = deps.config.policyFile.settings.maxCopiesInFlight;

  // Cancel this policy's copies that are past their deadline (delete the target while copying).
  for (const s of owned) {
    const tags = fromTagList(s.TagList);
    if (s.Status !== 'copying' || !isOwnedBy(tags, policy.name)) continue;
    const startedAt = Date.parse(tags[OWNERSHIP_KEYS.createdAt] ?? '');
    if (Number.isNaN(startedAt) || now.getTime() - startedAt < copyMs || run.dryRun) continue;
    const id = s.DBClusterSnapshotIdentifier ?? '';
    const source = s.SourceDBClusterSnapshotArn ?? id;
    try {
      await rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: id }));
      s.Status = 'deleted';
      inFlight--;
      deps.logger.warn('overdue copy cancelled', { target: source, operation: 'DeleteDBClusterSnapshot', snapshot: id });
      addFailure(state, {
        target: source,
        code: 'DEADLINE_EXCEEDED',
        message: `copy ${id} of ${source} was still copying after ${policy.deadlines.copyMinutes} minutes: cancelled by deleting the target`,
      });
    } catch (err) {
      const e = toOrchestratorError(err, `DeleteDBClusterSnapshot ${id}`);
      addFailure(state, { target: source, code: e.code, message: `cancelling the overdue copy ${id} of ${source} failed: ${e.message}` });
    }
  }

  // A queued copy waits for a free slot; every copy in flight ends by its deadline, so the queue drains.
  // settings.poll.maxIterations bounds the wait when slots are held by copies this policy does not own.
  for (const w of wanted) {
    if (hasFailed(state, w.sourceArn)) continue;
    const existing = ownedById.get(w.targetName);
    if (existing && existing.Status !== 'deleted') {
      const tags = fromTagList(existing.TagList);
      const ours = tags[OWNERSHIP_KEYS.runId] === run.id;
      if (existing.Status === 'available') {
        if (ours) round.copied++;
        else round.skipped++;
      } else if (existing.Status === 'copying' || existing.Status === 'creating') {
        if (ours) round.pending++;
        else round.skipped++;
      } else {
        await removeFailedCopy(deps, run, policy, existing, w, state);
      }
      continue;
    }
    if (run.dryRun) {
      round.pending++;
      continue;
    }
    if (w.encrypted && !policy.copy.kmsKeyId) {
      addFailure(state, {
        target: w.sourceArn,
        code: 'VALIDATION_ERROR',
        message: `shared snapshot ${w.sourceArn} is encrypted: set copy.kmsKeyId in policy "${policy.name}" to a key of this account`,
      });
      continue;
    }
    if (inFlight >= maxInFlight) {
      round.pending++;
      continue;
    }
    const result = await startCopy(deps, run, policy, w, state);
    if (result === 'started') {
      inFlight++;
      round.started++;
      round.pending++;
    } else if (result === 'retry') {
      round.pending++;
    }
  }
  return round;
}

async function startCopy(
  deps: Deps,
  run: Run,
  policy: Policy,
  w: WantedCopy,
  state: CopyState,
): Promise<'started' | 'retry' | 'failed'> {
  const copy = policy.copy;
  if (!copy) return 'failed';
  const { tags } = composeTags('rds', {
    ownership: ownershipTags({ policy: policy.name, target: w.target, runId: run.id, createdAt: deps.now() }),
    static: policy.tags.static,
  });
  try {
    await deps.clients.rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: w.sourceArn,
        TargetDBClusterSnapshotIdentifier: w.targetName,
        ...(w.encrypted ? { KmsKeyId: copy.kmsKeyId } : {}),
        CopyTags: policy.tags.copySourceTags,
        Tags: toTagList(tags),
      }),
    );
    deps.logger.info('copy started', { target: w.sourceArn, operation: 'CopyDBClusterSnapshot', snapshot: w.targetName });
    return 'started';
  } catch (err) {
    const e = toOrchestratorError(err, `CopyDBClusterSnapshot ${w.sourceArn} -> ${w.targetName}`);
    if (e.cause && (e.cause as Error).name === 'DBClusterSnapshotAlreadyExistsFault') {
      // A retried attempt landed: fine if the existing copy is this policy's copy of the same source.
      const mine = await describeOwned(deps, w.targetName).catch(() => undefined);
      const mineTags = fromTagList(mine?.TagList);
      if (mine && isOwnedBy(mineTags, policy.name) && mineTags[OWNERSHIP_KEYS.target] === w.target) return 'started';
      addFailure(state, {
        target: w.sourceArn,
        code: 'CONFLICT',
        message: `${w.targetName} exists and is not this policy's copy`,
      });
      return 'failed';
    }
    deps.logger.warn('copy not started', { target: w.sourceArn, operation: 'CopyDBClusterSnapshot', code: e.code, reason: e.message });
    if (isTransient(e.code)) return 'retry';
    addFailure(state, { target: w.sourceArn, code: e.code, message: e.message });
    return 'failed';
  }
}

async function describeOwned(deps: Deps, id: string): Promise<DBClusterSnapshot | undefined> {
  const res = await deps.clients.rds.send(
    new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id, SnapshotType: 'manual' }),
  );
  return res.DBClusterSnapshots?.[0];
}

/** A copy that ended in another status failed: report it, and remove our failed target so the next run can retry. */
async function removeFailedCopy(
  deps: Deps,
  run: Run,
  policy: Policy,
  existing: DBClusterSnapshot,
  w: WantedCopy,
  state: CopyState,
): Promise<void> {
  const id = existing.DBClusterSnapshotIdentifier ?? w.targetName;
  let note = '';
  if (!run.dryRun && isOwnedBy(fromTagList(existing.TagList), policy.name)) {
    try {
      await deps.clients.rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: id }));
      note = '; the failed target was removed so the next run retries';
    } catch (err) {
      note = `; removing the failed target failed: ${toOrchestratorError(err).message}`;
    }
  }
  addFailure(state, {
    target: w.sourceArn,
    code: 'INTERNAL_ERROR',
    message: `copy ${id} of ${w.sourceArn} ended ${existing.Status}${note}`,
  });
}
