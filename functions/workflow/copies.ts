/**
 * Copies of cluster snapshots shared from other accounts (RDS API: Aurora and instance-based DocumentDB).
 *
 * A copy holds its source's point in time: it is tagged with the source's ARN and creation time when it
 * starts, retention dates it by that time, and copy planning runs the same retention decision over the
 * copies held plus the sources not copied yet, so a run never starts a copy its own retention would
 * delete, and a source whose copy retention already deleted is not copied again (docs/policies.md, Copies).
 */
import { CopyDBClusterSnapshotCommand, DeleteDBClusterSnapshotCommand } from '@aws-sdk/client-rds';
import { describeClusterSnapshots } from '../aws/rds.js';
import { copyPhase, copyTags, heldCopy, planCopies, type QueueEntry, type Source } from '../domain/copy-plan.js';
import { sdkAttempts } from '../aws/errors.js';
import type { Deps } from '../runtime/deps.js';
import { type RetentionSettings } from '../domain/decide.js';
import { isTransient } from '../domain/errors.js';
import { toOrchestratorError } from '../aws/errors.js';
import { type Policy } from '../domain/policy.js';
import type { CopyProgress, Failure, InFlightCopy, Run, SnapshotAction, SnapshotLine } from '../domain/run.js';
import { MAX_LISTED } from '../domain/run.js';
import { toTagList } from '../domain/tags.js';

/** What one round of copying did: the new copy progress and the failures it found. */
export interface CopyRoundResult {
  copies: CopyProgress;
  failures: Failure[];
}

const line = (s: Pick<Source, 'arn' | 'name' | 'target' | 'time'>, accountId: string, region: string): SnapshotLine => ({
  arn: `arn:aws:rds:${region}:${accountId}:cluster-snapshot:${s.name}`,
  name: s.name,
  of: s.target,
  time: s.time.toISOString(),
});

/**
 * One round: follow this run's copies in flight (done, failed, vanished, overdue: cancelled by deleting
 * the target), remove this policy's failed copies, then start queued copies while the account has
 * copies to spare. At the run's deadline what is still copying is cancelled and what never started is
 * reported. `dryRun` only plans.
 */
export async function copyRound(
  deps: Deps,
  run: Run,
  policy: Policy,
  before: CopyProgress,
  opts: { runEnds?: string; budgetEndsAt: number },
): Promise<CopyRoundResult> {
  if (before.stage !== 'active' || !policy.copy) return { copies: before, failures: [] };
  const { rds } = deps.clients;
  const now = deps.now();
  const copyMs = policy.deadlines.copyMinutes * 60_000;
  const [shared, owned] = await Promise.all([describeClusterSnapshots(rds, 'shared'), describeClusterSnapshots(rds, 'manual')]);
  const plan = planCopies(policy, run, shared, owned, now);
  const ownedById = new Map(owned.map((s) => [(s.DBClusterSnapshotIdentifier ?? '').toLowerCase(), s]));
  const failures: Failure[] = [];
  const c: CopyProgress = { ...before, inFlight: [], listedCopied: [...before.listedCopied], listedLeft: [...before.listedLeft] };
  let copying = owned.filter((s) => s.Status === 'copying').length;
  const fail = (source: string, code: Failure['code'], message: string) => failures.push({ target: source, code, message });
  const record = (action: SnapshotAction, l: SnapshotLine) => deps.record?.({ action, part: 'copies', ...l });

  // 1. This run's copies in flight.
  for (const f of before.inFlight) {
    const s = ownedById.get(f.name);
    const held = s ? heldCopy(s, policy) : undefined;
    const phase = copyPhase(s?.Status);
    if (!s && f.unconfirmed && f.error) {
      // The start failed after a retry, and no attempt landed after all: that is the failure.
      fail(f.source, f.error.code, f.error.message);
      continue;
    }
    if (!s || phase === 'deleting') {
      const overdue = now.getTime() - Date.parse(f.startedAt) >= copyMs;
      fail(
        f.source,
        overdue ? 'DEADLINE_EXCEEDED' : 'INTERNAL_ERROR',
        overdue
          ? `copy ${f.name} of ${f.source} was still copying after ${policy.deadlines.copyMinutes} minutes: cancelled by deleting the target`
          : `copy ${f.name} of ${f.source} disappeared before it finished (deleted outside the orchestrator?)`,
      );
      continue;
    }
    if (f.unconfirmed) {
      if (!held || held.sourceArn !== f.source) {
        fail(f.source, 'CONFLICT', `copy of ${f.source} not started: ${f.name} exists and is not this policy's copy of it`);
        continue;
      }
      if (held.runId === run.id) c.started++;
      else {
        c.leftToOthers++;
        const left = {
          ...line({ ...f, arn: f.source, time: new Date(f.sourceTime) }, run.accountId, run.region),
          reasons: [`run ${held.runId} is copying it`],
        };
        if (c.listedLeft.length < MAX_LISTED) c.listedLeft.push(left);
        record('left-to-other-run', left);
        continue;
      }
    }
    const g: InFlightCopy = { name: f.name, source: f.source, target: f.target, sourceTime: f.sourceTime, startedAt: f.startedAt };
    if (phase === 'available') {
      c.copied++;
      const copied = line({ ...f, arn: f.source, time: new Date(f.sourceTime) }, run.accountId, run.region);
      if (c.listedCopied.length < MAX_LISTED) c.listedCopied.push(copied);
      record('copied', copied);
      continue;
    }
    if (phase === 'failed') {
      const note = await removeCopy(deps, f.name);
      fail(f.source, 'INTERNAL_ERROR', `copy ${f.name} of ${f.source} ended ${s.Status}${note}`);
      if (s.Status === 'copying') copying--;
      continue;
    }
    // Still copying: cancel it at its deadline, or at the run's.
    const overdue = now.getTime() - Date.parse(f.startedAt) >= copyMs;
    if (overdue || opts.runEnds) {
      try {
        await rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: f.name }));
      } catch (err) {
        const e = toOrchestratorError(err, `cancelling copy ${f.name} of ${f.source}`);
        if (e.code !== 'NOT_FOUND') {
          if (isTransient(e.code) && opts.runEnds === undefined) {
            c.inFlight.push(g);
            continue;
          }
          fail(
            f.source,
            'DEADLINE_EXCEEDED',
            `copy ${f.name} of ${f.source} is past its deadline and could not be cancelled: ${e.message}`,
          );
          continue;
        }
      }
      copying--;
      deps.logger.warn('overdue copy cancelled', { target: f.source, operation: 'DeleteDBClusterSnapshot', snapshot: f.name });
      fail(
        f.source,
        'DEADLINE_EXCEEDED',
        overdue
          ? `copy ${f.name} of ${f.source} was still copying after ${policy.deadlines.copyMinutes} minutes: cancelled by deleting the target`
          : `copy ${f.name} of ${f.source} was still copying when the run ended (${opts.runEnds}): cancelled by deleting the target`,
      );
      continue;
    }
    c.inFlight.push(g);
  }

  // 2. This policy's failed copies from earlier runs are removed (their runs reported them), so the source can be copied again.
  if (!run.dryRun) {
    for (const list of plan.held.values()) {
      for (const h of list) {
        if (copyPhase(h.status) === 'failed' && h.runId !== run.id) {
          const note = await removeCopy(deps, h.id);
          deps.logger.info('failed copy removed', {
            target: h.sourceArn ?? h.target,
            operation: 'DeleteDBClusterSnapshot',
            snapshot: h.id,
            note,
          });
        }
      }
    }
  }

  // 3. Walk the queue from the cursor: count what needs nothing, start what is wanted while copies are to spare.
  const max = deps.config.policyFile.settings.maxCopiesInFlight;
  const after = (e: QueueEntry) => before.cursor === undefined || e.key > before.cursor;
  const queue = plan.queue.filter(after);
  let cursor = before.cursor;
  let stopped = false;
  for (const e of queue) {
    if (opts.runEnds) break;
    if (deps.now().getTime() >= opts.budgetEndsAt) {
      stopped = true;
      break;
    }
    const s = e.source;
    if (e.state === 'decline') {
      c.declined++;
      record('declined', { ...line(s, run.accountId, run.region), reasons: e.reasons });
    } else if (e.state === 'held') {
      if (e.copy?.runId === run.id) {
        // An earlier attempt of this step started it and died before reporting; it has finished since.
        c.started++;
        c.copied++;
        if (c.listedCopied.length < MAX_LISTED) c.listedCopied.push(line(s, run.accountId, run.region));
        record('copied', line(s, run.accountId, run.region));
      } else c.held++;
    } else if (e.state === 'in-flight-other') {
      c.leftToOthers++;
      const left = { ...line(s, run.accountId, run.region), reasons: e.reasons };
      if (c.listedLeft.length < MAX_LISTED) c.listedLeft.push(left);
      record('left-to-other-run', left);
    } else if (e.state === 'in-flight-ours') {
      // An earlier attempt of this step started it and died before reporting: carry on with it.
      if (!c.inFlight.some((f) => f.name === s.name)) {
        c.started++;
        c.inFlight.push({
          name: s.name,
          source: s.arn,
          target: s.target,
          sourceTime: s.time.toISOString(),
          startedAt: (e.copy?.startedAt ?? now).toISOString(),
        });
      }
    } else if (run.dryRun) {
      c.wouldCopy++;
      const key = s.encrypted ? [`encrypted: copied with ${policy.copy.kmsKeyId ?? '(no key: set copy.kmsKeyId)'}`] : [];
      const would = { ...line(s, run.accountId, run.region), reasons: [...e.reasons, ...key] };
      if (c.listedCopied.length < MAX_LISTED) c.listedCopied.push(would);
      record('would-copy', would);
    } else if (s.encrypted && !policy.copy.kmsKeyId) {
      fail(
        s.arn,
        'VALIDATION_ERROR',
        `shared snapshot ${s.arn} is encrypted: set copy.kmsKeyId in policy "${policy.name}" to a key of this account`,
      );
    } else if (plan.foreignNames.has(s.name)) {
      fail(s.arn, 'CONFLICT', `copy of ${s.arn} not started: ${s.name} exists and is not this policy's copy`);
    } else {
      if (copying >= max) break;
      const started = await startCopy(deps, run, policy, s);
      if (started === 'retry') break;
      if (started !== 'started' && 'code' in started) fail(s.arn, started.code, started.message);
      else {
        copying++;
        c.started += started === 'started' ? 1 : 0;
        c.inFlight.push({
          name: s.name,
          source: s.arn,
          target: s.target,
          sourceTime: s.time.toISOString(),
          startedAt: now.toISOString(),
          ...(started !== 'started' ? { unconfirmed: true, ...(started.error ? { error: started.error } : {}) } : {}),
        });
      }
    }
    cursor = e.key;
  }
  const unprocessed = plan.queue.filter((e) => cursor === undefined || e.key > cursor);
  const remaining = unprocessed.filter((e) => e.state === 'copy');
  if (opts.runEnds) {
    for (const e of remaining) {
      fail(
        e.source.arn,
        'DEADLINE_EXCEEDED',
        `copy of ${e.source.arn} never started: the run ended (${opts.runEnds}) with it still queued`,
      );
    }
    cursor = plan.queue.at(-1)?.key ?? cursor;
  }
  c.cursor = cursor;
  c.queued = opts.runEnds ? 0 : remaining.length;
  c.planned = c.started + c.queued + c.wouldCopy;
  if (c.inFlight.length === 0 && (opts.runEnds || (!stopped && unprocessed.length === 0))) {
    c.stage = 'tags';
    c.doneAt = now.toISOString();
  }
  return { copies: c, failures };
}

/** Removes one of this policy's copies (failed or cancelled); the note says how it went. */
async function removeCopy(deps: Deps, id: string): Promise<string> {
  try {
    await deps.clients.rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: id }));
    return '; the failed target was removed so the next run copies the source again';
  } catch (err) {
    const e = toOrchestratorError(err);
    return e.code === 'NOT_FOUND' ? '' : `; removing the failed target failed (${e.message}): the next run tries again`;
  }
}

/** Started; to be confirmed by the next listing (with the error to report if no copy shows up); try later; or failed. */
type StartResult =
  'started' | { unconfirmed: true; error?: Pick<Failure, 'code' | 'message'> } | 'retry' | { code: Failure['code']; message: string };

async function startCopy(deps: Deps, run: Run, policy: Policy, s: Source): Promise<StartResult> {
  const copy = policy.copy;
  if (!copy) return { code: 'VALIDATION_ERROR', message: 'no copy rules' };
  const { tags, dropped } = copyTags(policy, run, s, deps.now());
  if (dropped.length > 0) deps.logger.warn('source tags not copied', { target: s.arn, operation: 'CopyDBClusterSnapshot', dropped });
  try {
    // Tags are always given explicitly: with Tags, AWS ignores CopyTags, and a sharer's tags are not this account's to copy.
    await deps.clients.rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: s.arn,
        TargetDBClusterSnapshotIdentifier: s.name,
        ...(s.encrypted ? { KmsKeyId: copy.kmsKeyId } : {}),
        Tags: toTagList(tags),
      }),
    );
    deps.logger.info('copy started', { target: s.arn, operation: 'CopyDBClusterSnapshot', snapshot: s.name });
    return 'started';
  } catch (err) {
    const e = toOrchestratorError(err, `CopyDBClusterSnapshot ${s.arn} -> ${s.name}`);
    // Already there: an earlier attempt landed (answer lost), or another run started it. The next listing tells.
    if ((e.cause as Error | undefined)?.name === 'DBClusterSnapshotAlreadyExistsFault') return { unconfirmed: true };
    deps.logger.warn('copy not started', { target: s.arn, operation: 'CopyDBClusterSnapshot', code: e.code, reason: e.message });
    if (isTransient(e.code)) return 'retry';
    const failure = { code: e.code, message: e.message.includes(s.arn) ? e.message : `${s.arn}: ${e.message}` };
    // The SDK retried: an earlier attempt may have started the copy before this error. The next listing tells.
    if (sdkAttempts(err) > 1) return { unconfirmed: true, error: failure };
    return failure;
  }
}

export type { RetentionSettings };
