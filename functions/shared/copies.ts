/**
 * Copies of cluster snapshots shared from other accounts (RDS API: Aurora and instance-based DocumentDB).
 *
 * A copy holds its source's point in time: it is tagged with the source's ARN and creation time when it
 * starts, retention dates it by that time, and copy planning runs the same retention decision over the
 * copies held plus the sources not copied yet, so a run never starts a copy its own retention would
 * delete, and a source whose copy retention already deleted is not copied again (README "Copies").
 */
import {
  CopyDBClusterSnapshotCommand,
  type DBClusterSnapshot,
  DeleteDBClusterSnapshotCommand,
} from '@aws-sdk/client-rds';
import { describeClusterSnapshots, parseRdsSnapshotArn, sdkAttempts } from './aws.js';
import type { Deps } from './clients.js';
import { type Candidate, decideTarget, type RetentionSettings } from './decide.js';
import { isTransient, toOrchestratorError } from './errors.js';
import { copySnapshotName, timeToken } from './naming.js';
import { copyPrefix, type Policy, retentionSettings } from './policy.js';
import type { CopyProgress, Failure, InFlightCopy, Run, SnapshotLine } from './run.js';
import { MAX_LISTED } from './run.js';
import {
  COPY_KEYS,
  composeTags,
  fromTagList,
  isOwnedBy,
  OWNERSHIP_KEYS,
  ownershipTags,
  type TagMap,
  toTagList,
} from './tags.js';

/** A shared snapshot the policy could copy. */
export interface Source {
  arn: string;
  owner: string;
  clusterId: string;
  time: Date;
  encrypted: boolean;
  /** The source's tags as this account sees them (AWS does not document that a sharer's tags are visible). */
  tags: TagMap;
  /** `<owner account>:<source cluster>`: the copy's retention target. */
  target: string;
  /** The copy's name. */
  name: string;
}

/** A copy of this policy, as the owned listing shows it. */
export interface HeldCopy {
  id: string;
  arn: string;
  status: string;
  target: string;
  sourceArn?: string;
  /** The point in time it holds: its source-time tag; else the time in its name (to the minute); else its own creation. */
  time: Date;
  /** How `time` was found: `tag`, `name` (copies made before the source tags existed), or `created` (last resort). */
  timeFrom: 'tag' | 'name' | 'created';
  runId?: string;
  startedAt?: Date;
  tags: TagMap;
}

export type QueueState = 'copy' | 'decline' | 'held' | 'in-flight-other' | 'in-flight-ours';

export interface QueueEntry {
  source: Source;
  /** Queue order: newest source first, then by ARN. */
  key: string;
  state: QueueState;
  reasons: string[];
  /** The copy holding it, when one exists. */
  copy?: HeldCopy;
}

export interface CopyPlan {
  queue: QueueEntry[];
  /** This policy's copies by target. */
  held: Map<string, HeldCopy[]>;
  /** Snapshots that carry a name the plan would use but are not this policy's. */
  foreignNames: Set<string>;
}

/** Queue key: later keys come later in the queue (newest source first). */
export function queueKey(time: Date, arn: string): string {
  return `${String(9_999_999_999_999 - time.getTime()).padStart(13, '0')}|${arn}`;
}

const NAME_TIME_RE = /-(\d{12})-[0-9a-z]{6}$/;

/** The source time a copy's name holds (`...-yyyymmddhhmm-hash`), to the minute. */
export function nameTime(id: string): Date | undefined {
  const m = NAME_TIME_RE.exec(id);
  if (!m) return undefined;
  const t = m[1] as string;
  const d = new Date(Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(8, 10), +t.slice(10, 12)));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A policy's copy from the owned listing, or undefined when the snapshot is not this policy's. */
export function heldCopy(s: DBClusterSnapshot, policy: Policy): HeldCopy | undefined {
  const tags = fromTagList(s.TagList);
  if (!isOwnedBy(tags, policy.name) || s.SnapshotType !== 'manual') return undefined;
  const id = (s.DBClusterSnapshotIdentifier ?? '').toLowerCase();
  const sourceArn = tags[COPY_KEYS.sourceArn] ?? s.SourceDBClusterSnapshotArn ?? undefined;
  const source = parseRdsSnapshotArn(sourceArn ?? '');
  const tagTime = Date.parse(tags[COPY_KEYS.sourceTime] ?? '');
  const fromName = nameTime(id);
  const created = s.SnapshotCreateTime ? new Date(s.SnapshotCreateTime) : new Date(0);
  const [time, timeFrom] = !Number.isNaN(tagTime)
    ? [new Date(tagTime), 'tag' as const]
    : fromName
      ? [fromName, 'name' as const]
      : [created, 'created' as const];
  const startedAt = Date.parse(tags[OWNERSHIP_KEYS.createdAt] ?? '');
  return {
    id,
    arn: s.DBClusterSnapshotArn ?? '',
    status: s.Status ?? '',
    target: tags[OWNERSHIP_KEYS.target] ?? (source && s.DBClusterIdentifier ? `${source.account}:${s.DBClusterIdentifier}` : ''),
    sourceArn,
    time,
    timeFrom,
    runId: tags[OWNERSHIP_KEYS.runId],
    startedAt: Number.isNaN(startedAt) ? created : new Date(startedAt),
    tags,
  };
}

/** True when the copy holds this source: the same ARN and the same point in time (to the minute for names). */
export function holds(copy: HeldCopy, source: Pick<Source, 'arn' | 'time'>): boolean {
  if (copy.sourceArn !== source.arn) return false;
  if (copy.timeFrom === 'tag') return copy.time.getTime() === source.time.getTime();
  if (copy.timeFrom === 'name') return timeToken(copy.time) === timeToken(source.time);
  return true;
}

/** How a copy's status reads for the product. */
export function copyPhase(status: string | undefined): 'available' | 'in-flight' | 'deleting' | 'failed' {
  if (status === 'available') return 'available';
  if (status === 'copying' || status === 'creating') return 'in-flight';
  if (status === 'deleting' || status === 'deleted') return 'deleting';
  return 'failed';
}

/** The shared snapshots the policy copies: allowed sharers, engines, pattern, the run's subset; newest per cluster unless `select: all`. */
export function eligibleSources(policy: Policy, run: Run, shared: readonly DBClusterSnapshot[]): Source[] {
  const rules = policy.copy;
  if (!rules) return [];
  const pattern = rules.clusterPattern ? new RegExp(rules.clusterPattern) : undefined;
  const subset = run.targets?.filter((t) => t.includes(':rds:'));
  const all = shared
    .flatMap((s): Source[] => {
      const arn = s.DBClusterSnapshotArn ?? '';
      const parsed = parseRdsSnapshotArn(arn);
      // The listing asked for SnapshotType=shared; its items are not told apart by their SnapshotType field
      // (moto says manual; AWS is believed to say shared): only the sharer's account in the ARN counts.
      if (!parsed || !s.SnapshotCreateTime || s.Status !== 'available') return [];
      if (!rules.sourceAccounts.includes(parsed.account)) return [];
      if (!(rules.engines as readonly string[]).includes(s.Engine ?? '')) return [];
      const clusterId = s.DBClusterIdentifier ?? '';
      if (pattern && !pattern.test(clusterId)) return [];
      if (run.targets && !subset?.includes(arn)) return [];
      const time = new Date(s.SnapshotCreateTime);
      return [
        {
          arn,
          owner: parsed.account,
          clusterId,
          time,
          encrypted: s.StorageEncrypted === true,
          tags: fromTagList(s.TagList),
          target: `${parsed.account}:${clusterId}`,
          name: copySnapshotName(copyPrefix(policy), arn, clusterId, time),
        },
      ];
    })
    .sort((a, b) => queueKey(a.time, a.arn).localeCompare(queueKey(b.time, b.arn)));
  if (rules.select === 'all') return all;
  const seen = new Set<string>();
  return all.filter((s) => (seen.has(s.target) ? false : (seen.add(s.target), true)));
}

/** The tags a copy of `source` gets when it starts: ownership, source, static and (when asked) the source's visible tags. */
export function copyTags(policy: Policy, run: Run, source: Source, startedAt: Date): { tags: TagMap; dropped: string[] } {
  return composeTags('rds', {
    ownership: {
      ...ownershipTags({ policy: policy.name, target: source.target, runId: run.id, createdAt: startedAt }),
      [COPY_KEYS.sourceArn]: source.arn,
      [COPY_KEYS.sourceTime]: source.time.toISOString(),
    },
    static: policy.tags.static,
    source: policy.tags.copySourceTags ? source.tags : undefined,
  });
}

/**
 * The copy plan: every eligible source in queue order, with what to do about it. Sources held by a copy
 * are skipped; a source whose copy retention would delete at once (given the copies held and the other
 * sources not copied yet) is declined with retention's reasons.
 */
export function planCopies(
  policy: Policy,
  run: Run,
  shared: readonly DBClusterSnapshot[],
  owned: readonly DBClusterSnapshot[],
  now: Date,
): CopyPlan {
  const held = new Map<string, HeldCopy[]>();
  const ownedNames = new Map<string, DBClusterSnapshot>();
  for (const s of owned) {
    ownedNames.set((s.DBClusterSnapshotIdentifier ?? '').toLowerCase(), s);
    const c = heldCopy(s, policy);
    if (c) held.set(c.target, [...(held.get(c.target) ?? []), c]);
  }
  const sources = eligibleSources(policy, run, shared);
  const foreignNames = new Set<string>();
  const entries: QueueEntry[] = sources.map((source) => {
    const key = queueKey(source.time, source.arn);
    const copy = (held.get(source.target) ?? []).find((c) => holds(c, source) && copyPhase(c.status) !== 'failed' && copyPhase(c.status) !== 'deleting');
    if (copy) {
      const state: QueueState =
        copyPhase(copy.status) === 'available' ? 'held' : copy.runId === run.id ? 'in-flight-ours' : 'in-flight-other';
      const reasons = state === 'held' ? [`held by ${copy.id}`] : state === 'in-flight-other' ? [`run ${copy.runId} is copying it (${copy.id})`] : [`this run is copying it (${copy.id})`];
      return { source, key, state, reasons, copy };
    }
    const clash = ownedNames.get(source.name);
    if (clash && !heldCopy(clash, policy)) foreignNames.add(source.name);
    return { source, key, state: 'copy' as QueueState, reasons: [] };
  });

  // Retention over what each target would hold: the copies held (in flight counts as done) plus every
  // source still to copy. A source whose copy would be deleted is declined.
  const settings = retentionSettings(policy, run);
  if (settings) {
    const byTarget = new Map<string, QueueEntry[]>();
    for (const e of entries) if (e.state === 'copy') byTarget.set(e.source.target, [...(byTarget.get(e.source.target) ?? []), e]);
    for (const [target, wanted] of byTarget) {
      const sim: Candidate<QueueEntry | undefined>[] = [
        ...(held.get(target) ?? [])
          .filter((c) => ['available', 'in-flight'].includes(copyPhase(c.status)))
          .map((c) => ({ id: c.id, time: c.time, state: 'available' as const, ownership: 'verified' as const, tags: c.tags, ref: undefined })),
        ...wanted.map((e) => ({
          id: e.key,
          time: e.source.time,
          state: 'available' as const,
          ownership: 'verified' as const,
          tags: copyTags(policy, run, e.source, now).tags,
          hypothetical: true,
          ref: e,
        })),
      ];
      for (const d of decideTarget(sim, settings, now).decisions) {
        const e = d.candidate.ref;
        if (!e) continue;
        e.reasons = d.reasons;
        if (d.verdict === 'delete') e.state = 'decline';
      }
    }
  }
  return { queue: entries, held, foreignNames };
}

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
        if (c.listedLeft.length < MAX_LISTED) c.listedLeft.push({ ...line({ ...f, arn: f.source, time: new Date(f.sourceTime) }, run.accountId, run.region), reasons: [`run ${held.runId} is copying it`] });
        continue;
      }
    }
    const g: InFlightCopy = { name: f.name, source: f.source, target: f.target, sourceTime: f.sourceTime, startedAt: f.startedAt };
    if (phase === 'available') {
      c.copied++;
      if (c.listedCopied.length < MAX_LISTED) c.listedCopied.push(line({ ...f, arn: f.source, time: new Date(f.sourceTime) }, run.accountId, run.region));
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
          fail(f.source, 'DEADLINE_EXCEEDED', `copy ${f.name} of ${f.source} is past its deadline and could not be cancelled: ${e.message}`);
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
          deps.logger.info('failed copy removed', { target: h.sourceArn ?? h.target, operation: 'DeleteDBClusterSnapshot', snapshot: h.id, note });
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
      deps.logger.info('copy declined', { target: s.arn, operation: 'PlanCopies', reasons: e.reasons });
    } else if (e.state === 'held') {
      if (e.copy?.runId === run.id) {
        // An earlier attempt of this step started it and died before reporting; it has finished since.
        c.started++;
        c.copied++;
        if (c.listedCopied.length < MAX_LISTED) c.listedCopied.push(line(s, run.accountId, run.region));
      } else c.held++;
    } else if (e.state === 'in-flight-other') {
      c.leftToOthers++;
      if (c.listedLeft.length < MAX_LISTED) c.listedLeft.push({ ...line(s, run.accountId, run.region), reasons: e.reasons });
    } else if (e.state === 'in-flight-ours') {
      // An earlier attempt of this step started it and died before reporting: carry on with it.
      if (!c.inFlight.some((f) => f.name === s.name)) {
        c.started++;
        c.inFlight.push({ name: s.name, source: s.arn, target: s.target, sourceTime: s.time.toISOString(), startedAt: (e.copy?.startedAt ?? now).toISOString() });
      }
    } else if (run.dryRun) {
      c.wouldCopy++;
      const key = s.encrypted ? [`encrypted: copied with ${policy.copy.kmsKeyId ?? '(no key: set copy.kmsKeyId)'}`] : [];
      if (c.listedCopied.length < MAX_LISTED) c.listedCopied.push({ ...line(s, run.accountId, run.region), reasons: [...e.reasons, ...key] });
    } else if (s.encrypted && !policy.copy.kmsKeyId) {
      fail(s.arn, 'VALIDATION_ERROR', `shared snapshot ${s.arn} is encrypted: set copy.kmsKeyId in policy "${policy.name}" to a key of this account`);
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
      fail(e.source.arn, 'DEADLINE_EXCEEDED', `copy of ${e.source.arn} never started: the run ended (${opts.runEnds}) with it still queued`);
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
type StartResult = 'started' | { unconfirmed: true; error?: Pick<Failure, 'code' | 'message'> } | 'retry' | { code: Failure['code']; message: string };

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
