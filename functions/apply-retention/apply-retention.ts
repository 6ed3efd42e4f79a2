/**
 * Apply Retention, per part (elastic snapshots, or copies): restic's rules plus the floor over each
 * target's owned, available snapshots, through the one deletion decision (decide.ts).
 *
 * Deletions are written ahead: an invocation decides a chunk of targets and returns the deletions as a
 * plan in the state; the next invocation carries the plan out, then decides the next chunk. A plan run
 * again (the state machine retries an invocation that died) meets snapshots already gone and counts
 * them, because it knows it may have run before (`interrupted` grew since the plan was written). So
 * every deletion is counted once, whatever happened on the way.
 *
 * Elastic snapshots are decided cluster by cluster: a walk over the account's clusters (the explicit
 * ones, then ListClusters page by page, resumed from its page token) lists each cluster's snapshots on
 * their own, so an invocation costs the clusters it decides, not the account. A cluster whose snapshot of
 * this slot is still creating waits in a short list and is decided once it is done; the part's freshness
 * follows the last one.
 */
import { type ClusterInList, DeleteClusterSnapshotCommand, GetClusterSnapshotCommand } from '@aws-sdk/client-docdb-elastic';
import { DeleteDBClusterSnapshotCommand, DescribeDBClusterSnapshotsCommand } from '@aws-sdk/client-rds';
import { describeClusterSnapshots } from '../aws/rds.js';
import { elasticTags, getCluster, listClustersPage, listElasticSnapshots } from '../aws/elastic.js';
import { sdkAttempts } from '../aws/errors.js';
import type { Deps } from '../runtime/deps.js';
import { copyPhase, copyTags, eligibleSources, heldCopy, planCopies } from '../domain/copy-plan.js';
import { firstRunFor, firstRunSince } from '../workflow/creates.js';
import { type Candidate, type Decision, decideVerified } from '../domain/decide.js';
import { clusterRule, elasticSnapshotPhase, inRunSubset, matchesPolicy, slotSnapshotName } from '../domain/clusters.js';
import { isTransient } from '../domain/errors.js';
import { toOrchestratorError } from '../aws/errors.js';
import { isElasticSnapshotNameOf, timeToken } from '../domain/naming.js';
import { type Policy, retentionSettings } from '../domain/policy.js';
import { mapPool, mapPoolUntil } from '../runtime/pool.js';
import {
  type ElasticWalk,
  type Failure,
  type Freshness,
  MAX_LISTED,
  MAX_PENDING,
  PLAN_BYTES,
  type PartName,
  type PlannedDeletion,
  type Progress,
  type RetentionProgress,
  type RunState,
  type Run,
  withFailures,
} from '../domain/run.js';
import { composeTags, isOwnedBy, ownershipTags, type TagMap } from '../domain/tags.js';
import { runFreshnessDocuments } from '../runtime/telemetry.js';
import { route } from '../domain/route.js';
import { fitProgress } from '../domain/scale.js';

/** Deletions decided per invocation at most (the plan travels in the state). */
export const MAX_PLAN = 100;

/** What one planned deletion takes in the state (its ARN, names, time and reasons) before the chunk has measured its own. */
const DELETION_BYTES = 450;
/** Rounds in a row that may meet transient errors before the items left are reported. */
export const MAX_RETENTION_RETRIES = 5;

interface Ref {
  kind: 'elastic' | 'copy';
  /** What the delete call takes: elastic ARN, or RDS identifier. */
  id: string;
  arn: string;
  name: string;
  target: string;
  of: string;
}

interface Group {
  key: string;
  candidates: Candidate<Ref>[];
}

export async function applyRetention(state: RunState, policy: Policy, deps: Deps): Promise<Progress> {
  const { run, progress } = state;
  const part = progress.part as PartName;
  const before = progress.retention[part];
  const interrupted = state.interrupted ?? 0;
  const r: RetentionProgress = { ...before, listed: [...before.listed], freshness: { ...before.freshness } };
  const failures: Failure[] = [];

  // 1. Carry out the deletions the previous invocation decided.
  const again: PlannedDeletion[] = [];
  if (before.plan.length > 0) {
    // An earlier attempt may have carried this plan out: the run was interrupted since the plan was
    // written, or Step Functions is retrying this very invocation (its answer may have been lost).
    const mayHaveRun = interrupted > before.planIssuedAt || (state.retryCount ?? 0) > 0;
    const results = await mapPool(before.plan, deps.config.policyFile.settings.concurrency, (item) => deleteOne(deps, item, mayHaveRun));
    before.plan.forEach((item, i) => {
      const res = results[i];
      if (!res) return;
      if (res.kind === 'deleted') {
        r.deleted++;
        const deleted = { arn: item.arn ?? item.id, name: item.name, of: item.of, time: item.time, reasons: item.reasons };
        if (r.listed.length < MAX_LISTED) r.listed.push(deleted);
        deps.record?.({ action: 'deleted', part, ...deleted });
      } else if (res.kind === 'retry') again.push({ ...item, tried: true });
      else if (res.kind === 'failed') failures.push({ target: item.target, code: res.code, message: res.message });
    });
  }
  r.plan = [];
  if (again.length > 0) {
    r.retries = before.retries + 1;
    if (r.retries > MAX_RETENTION_RETRIES) {
      for (const item of again) {
        failures.push({
          target: item.target,
          code: 'THROTTLING',
          message: `deleting ${item.name} of ${item.of} (${item.target}) kept failing transiently; it is decided again next run`,
        });
      }
    } else {
      r.plan = again;
      r.planIssuedAt = interrupted;
    }
  } else r.retries = 0;

  // 2. Decide the next chunk of targets (not while deletions wait to be tried again).
  let stalled = false;
  if (r.plan.length === 0 && r.cursor !== '\uffff') {
    const decided =
      part === 'elastic' ? await walkElastic(deps, run, policy, progress, r) : await decideCopies(deps, run, policy, r.cursor);
    failures.push(...decided.failures);
    for (const d of decided.deletions) {
      if (run.dryRun) {
        r.wouldDelete++;
        const would = { arn: d.arn ?? d.id, name: d.name, of: d.of, time: d.time, reasons: d.reasons };
        if (r.listed.length < MAX_LISTED) r.listed.push(would);
        deps.record?.({ action: 'would-delete', part, ...would });
      } else r.plan.push(d);
    }
    r.planIssuedAt = interrupted;
    r.kept += decided.kept;
    r.freshness = mergeFreshness(r.freshness, decided.freshness);
    r.cursor = decided.complete ? '\uffff' : decided.cursor;
    if (decided.walk) {
      r.walk = decided.walk;
      r.pending = decided.pending;
      // Nothing to do until a snapshot it waits for is done: the walk goes on after the next check.
      r.waiting = !decided.complete && r.plan.length === 0 && decided.blocked === true;
    }
    stalled = decided.stalled === true;
    if (stalled && r.plan.length === 0) {
      // Rounds in a row that met only transient errors: past the bound, the walk goes on at the pace of the checks.
      r.retries = before.retries + 1;
      if (r.retries > MAX_RETENTION_RETRIES) r.waiting = true;
    }
  }
  r.done = r.plan.length === 0 && r.cursor === '\uffff';

  const next: Progress = {
    ...progress,
    retention: { ...progress.retention, [part]: r },
    log: withFailures(progress.log, failures),
  };
  if (r.waiting) return route(next, run, deps.now());
  if (!r.done) {
    // A walk that met only transient errors, or deletions to try again: a pause first.
    const pause = (again.length > 0 && r.plan.length > 0) || (stalled && r.plan.length === 0);
    return fitProgress({ ...next, next: pause ? 'retain-later' : 'retain' });
  }

  // 3. The part is finished: its freshness and a report of the part follow now, not at the end of the run.
  const now = deps.now();
  const reportedAt = now.toISOString();
  if (!run.targets && r.freshness.stalest) {
    for (const line of runFreshnessDocuments(deps.config.metricsNamespace, {
      policy: run.policy,
      part,
      stalest: new Date(r.freshness.stalest),
      now,
    }))
      deps.emit(line);
  }
  deps.logger.info('part finished', {
    target: 'all',
    operation: part === 'elastic' ? 'ElasticPart' : 'CopiesPart',
    part,
    deleted: r.deleted,
    kept: r.kept,
    wouldDelete: r.wouldDelete,
    freshness: r.freshness,
  });
  const finished: Progress =
    part === 'elastic'
      ? { ...next, elastic: { ...next.elastic, stage: 'done', reportedAt } }
      : { ...next, copies: { ...next.copies, stage: 'done', reportedAt } };
  return route(finished, run, now);
}

type DeleteResult = { kind: 'deleted' | 'gone' | 'retry' } | { kind: 'failed'; code: Failure['code']; message: string };

/**
 * Deletes one planned snapshot. Gone already: counted only when an earlier attempt of this plan, or an
 * earlier attempt of this very call (a lost answer), may have deleted it; otherwise someone else did.
 */
async function deleteOne(deps: Deps, item: PlannedDeletion, mayHaveRun: boolean): Promise<DeleteResult> {
  try {
    if (item.kind === 'elastic') await deps.clients.elastic.send(new DeleteClusterSnapshotCommand({ snapshotArn: item.id }));
    else await deps.clients.rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: item.id }));
    return { kind: 'deleted' };
  } catch (err) {
    const e = toOrchestratorError(err, `deleting ${item.name} of ${item.of} (${item.target})`);
    const ours = mayHaveRun || item.tried === true || sdkAttempts(err) > 1;
    if (e.code === 'NOT_FOUND') return { kind: ours ? 'deleted' : 'gone' };
    if (isTransient(e.code)) return { kind: 'retry' };
    // A planned snapshot was available. A conflict, or any error after the SDK retried, may mean it is
    // being deleted or gone already (perhaps by an earlier attempt): look before calling it a failure.
    if (e.code === 'CONFLICT' || sdkAttempts(err) > 1) {
      const state = await stateOf(deps, item);
      if (state === 'gone' || state === 'deleting') return { kind: ours ? 'deleted' : 'gone' };
      return { kind: 'failed', code: e.code, message: `${e.message} (status ${state})` };
    }
    return { kind: 'failed', code: e.code, message: e.message };
  }
}

/** Where a planned snapshot stands now: its status, or 'gone'. */
async function stateOf(deps: Deps, item: PlannedDeletion): Promise<string> {
  try {
    if (item.kind === 'elastic') {
      const res = await deps.clients.elastic.send(new GetClusterSnapshotCommand({ snapshotArn: item.id }));
      return res.snapshot?.status === 'DELETING' ? 'deleting' : (res.snapshot?.status ?? 'gone');
    }
    const res = await deps.clients.rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: item.id, SnapshotType: 'manual' }),
    );
    return res.DBClusterSnapshots?.[0]?.Status ?? 'gone';
  } catch (err) {
    const e = toOrchestratorError(err);
    return e.code === 'NOT_FOUND' ? 'gone' : `unknown (${e.message})`;
  }
}

interface Chunk {
  deletions: PlannedDeletion[];
  kept: number;
  failures: Failure[];
  freshness: Freshness;
  cursor?: string;
  complete: boolean;
  /** Elastic: where the walk stands, and the clusters waiting for their snapshot. */
  walk?: ElasticWalk;
  pending?: [string, string][];
  /** Elastic: the walk cannot go on before a snapshot it waits for is done. */
  blocked?: boolean;
  /** Nothing was decided: only transient errors met. */
  stalled?: boolean;
}

const planBytes = (d: PlannedDeletion) => JSON.stringify(d).length + 1;

/** A decided deletion as the plan carries it (the ARN only where the delete call takes something else). */
function plannedDeletion(ref: Ref, d: Decision<Ref>): PlannedDeletion {
  return {
    kind: ref.kind,
    id: ref.id,
    ...(ref.arn !== ref.id ? { arn: ref.arn } : {}),
    name: ref.name,
    of: ref.of,
    target: ref.target,
    time: d.candidate.time.toISOString(),
    reasons: clip(d.reasons),
  };
}

const clip = (reasons: string[]) => reasons.slice(0, 4).map((x) => (x.length > 140 ? `${x.slice(0, 137)}...` : x));

/** Decides the copies' targets after the cursor, in key order, until the plan is full or the time budget is spent. */
async function decideCopies(deps: Deps, run: Run, policy: Policy, cursor?: string): Promise<Chunk> {
  const settings = retentionSettings(policy, run);
  const now = deps.now();
  const groups = await copyGroups(deps, run, policy);
  const out: Chunk = { deletions: [], kept: 0, failures: [], freshness: { targets: 0, withoutRecoveryPoint: 0 }, complete: true };
  const todo = groups.list.filter((g) => cursor === undefined || g.key > cursor);
  // A copy's tags come with its listing (DescribeDBClusterSnapshots), so its ownership is known already.
  const verify = (need: Candidate<Ref>[]) => Promise.resolve(new Map(need.map((c) => [c.id, c.tags])));
  let bytes = 0;
  for (const g of todo) {
    if (out.deletions.length >= MAX_PLAN || bytes >= PLAN_BYTES || deps.now().getTime() >= deps.budgetEndsAt()) {
      out.complete = false;
      break;
    }
    let decisions: Decision<Ref>[];
    try {
      decisions = await decideVerified(g.candidates, settings, now, verify, (tags) => isOwnedBy(tags, policy.name));
    } catch (err) {
      const e = toOrchestratorError(err, `reading tags of ${g.key}'s snapshots`);
      if (isTransient(e.code)) {
        out.complete = false; // this target is decided again next round
        break;
      }
      out.failures.push({ target: g.key, code: e.code, message: e.message });
      out.cursor = g.key;
      continue;
    }
    // A dry run's would-be copies only take part in the decision: they are not kept, counted or deleted.
    const points = recoveryPoints(decisions);
    decisions = decisions.filter((d) => !d.candidate.hypothetical);
    // A target whose deletions would push a plan that holds some past its bound is decided again by the next invocation.
    const planned = decisions.filter((d) => d.verdict === 'delete').map((d) => plannedDeletion(d.candidate.ref, d));
    const size = planned.reduce((n, x) => n + planBytes(x), 0);
    if (out.deletions.length > 0 && (out.deletions.length + planned.length > MAX_PLAN || bytes + size > PLAN_BYTES)) {
      out.complete = false;
      break;
    }
    for (const d of decisions) {
      if (d.verdict !== 'keep') continue;
      const ref = d.candidate.ref;
      out.kept++;
      const time = d.candidate.time.toISOString();
      deps.record?.({ action: 'kept', part: 'copies', arn: ref.arn, name: ref.name, of: ref.of, time, reasons: clip(d.reasons) });
    }
    bytes = takeDeletions(deps, out, planned, g.key, bytes);
    if (groups.current(g.key)) out.freshness = mergeFreshness(out.freshness, await freshnessOf(g.key, points, groups.since));
    out.cursor = g.key;
  }
  if (out.complete) {
    for (const key of groups.withoutGroup) out.freshness = mergeFreshness(out.freshness, await freshnessOf(key, [], groups.since));
  }
  return out;
}

/**
 * Puts a target's deletions into the plan while it has room (MAX_PLAN deletions, PLAN_BYTES); returns the
 * plan's bytes. Only a target whose deletions alone pass the bound leaves some out: the next run decides
 * them again (nothing is counted for them).
 */
function takeDeletions(deps: Deps, out: Chunk, planned: PlannedDeletion[], target: string, bytes: number): number {
  let taken = 0;
  for (const x of planned) {
    if (out.deletions.length >= MAX_PLAN || bytes >= PLAN_BYTES) break;
    out.deletions.push(x);
    bytes += planBytes(x);
    taken++;
  }
  if (taken < planned.length) {
    deps.logger.warn('deletions left to the next run', {
      target,
      operation: 'ApplyRetention',
      reason: `${planned.length - taken} of ${planned.length} deletions of this target do not fit one plan (${MAX_PLAN} deletions, ${PLAN_BYTES} bytes); the next run decides them again`,
    });
  }
  return bytes;
}

interface WalkItem {
  arn: string;
  /** The cluster's name where the walk knows it (ListClusters), else its ARN. */
  name: string;
  /** A page's cluster the explicit phase (or the run's subset) already covers. */
  skip?: boolean;
  /** The cluster's status where the walk knows it (ListClusters). */
  status?: string | undefined;
}

type Inspected =
  { kind: 'skip' | 'pending' | 'transient' } | { kind: 'decided'; decisions: Decision<Ref>[]; failures: Failure[]; freshness?: Freshness };

/**
 * The elastic part's next chunk: the clusters waiting for their slot snapshot first, then the walk on
 * from where it stands, each cluster's snapshots listed on their own (several clusters at once), until
 * the plan is full, the time budget is spent, or a cluster whose snapshot is still creating finds the
 * waiting list full.
 */
async function walkElastic(deps: Deps, run: Run, policy: Policy, progress: Progress, r: RetentionProgress): Promise<Chunk> {
  const settings = retentionSettings(policy, run);
  const now = deps.now();
  const concurrency = deps.config.policyFile.settings.concurrency;
  // The check loop's bound ends the creates (check-operations.ts), so it ends the wait for them here too.
  const checksDone = progress.iteration >= deps.config.policyFile.settings.poll.maxIterations;
  const pastCreate = now.getTime() >= Date.parse(run.createDeadline) || checksDone;
  const pastRun = now.getTime() >= Date.parse(run.runDeadline);
  const out: Chunk = { deletions: [], kept: 0, failures: [], freshness: { targets: 0, withoutRecoveryPoint: 0 }, complete: false };
  let walk: ElasticWalk = r.walk ?? { phase: 'explicit', explicit: 0, index: 0, walked: 0 };
  let pending: [string, string][] = [...(r.pending ?? [])];
  const elasticArns = (arns: readonly string[]) => [...new Set(arns.filter((a) => a.includes(':docdb-elastic:')))].sort();
  const explicit = run.targets ? elasticArns(run.targets) : elasticArns(policy.elastic?.clusterArns ?? []);
  const explicitSet = new Set(explicit);
  const ctx = walkContext(deps, run, policy, progress, settings, now, pastCreate || pastRun);
  let bytes = 0;
  let decidedAny = false;
  let transient = false;
  // Set when a cluster's deletions did not fit the plan: this chunk takes no more clusters.
  let deferred = false;
  const planFull = () => deferred || out.deletions.length >= MAX_PLAN || bytes >= PLAN_BYTES;
  const full = () => planFull() || deps.now().getTime() >= deps.budgetEndsAt();
  // Clusters inspected together: no more than the plan has room for at a deletion each (a typical run
  // deletes about one a cluster), so a cluster that does not fit, and the ones inspected after it, are
  // rarely inspected for nothing.
  const batchSize = (most: number) =>
    Math.max(
      1,
      Math.min(
        most,
        MAX_PLAN - out.deletions.length,
        Math.floor((PLAN_BYTES - bytes) / (out.deletions.length > 0 ? bytes / out.deletions.length : DELETION_BYTES)),
      ),
    );
  /**
   * Takes a cluster's decisions into the chunk, unless its deletions would push a plan that holds some
   * already past its bound: then it is not taken (false), and is decided again by the next invocation
   * (its results are thrown away, so nothing is counted twice). A cluster whose deletions alone pass the
   * bound is taken with as many as fit; the rest are decided again by the next run.
   */
  const apply = (res: Extract<Inspected, { kind: 'decided' }>, target: string): boolean => {
    res = { ...res, decisions: res.decisions.filter((d) => !d.candidate.hypothetical) };
    const planned = res.decisions.filter((d) => d.verdict === 'delete').map((d) => plannedDeletion(d.candidate.ref, d));
    const size = planned.reduce((n, x) => n + planBytes(x), 0);
    if (out.deletions.length > 0 && (out.deletions.length + planned.length > MAX_PLAN || bytes + size > PLAN_BYTES)) {
      deferred = true;
      return false;
    }
    decidedAny = true;
    out.failures.push(...res.failures);
    for (const d of res.decisions) {
      if (d.verdict !== 'keep') continue;
      const ref = d.candidate.ref;
      out.kept++;
      const time = d.candidate.time.toISOString();
      deps.record?.({ action: 'kept', part: 'elastic', arn: ref.arn, name: ref.name, of: ref.of, time, reasons: clip(d.reasons) });
    }
    bytes = takeDeletions(deps, out, planned, target, bytes);
    if (res.freshness) out.freshness = mergeFreshness(out.freshness, res.freshness);
    return true;
  };
  const inspect = (item: WalkItem) => (item.skip ? Promise.resolve<Inspected>({ kind: 'skip' }) : inspectCluster(ctx, item));

  // 1. The clusters waiting for their snapshot of this slot.
  if (pending.length > 0) {
    const items = [...new Map(pending.map(([arn, name]) => [arn, { arn, name }])).values()];
    const still: [string, string][] = [];
    let stop = false;
    for (let at = 0; at < items.length;) {
      const chunk = items.slice(at, at + batchSize(concurrency));
      at += chunk.length;
      const { results, done } = stop || full() ? { results: [], done: 0 } : await mapPoolUntil(chunk, concurrency, inspect, full);
      chunk.forEach((item, i) => {
        const res = results[i];
        if (stop || i >= done || !res || res.kind === 'pending' || res.kind === 'transient') {
          still.push([item.arn, item.name]);
          if (res?.kind === 'transient') transient = true;
        } else if (res.kind === 'decided' && !apply(res, item.arn)) {
          stop = true;
          still.push([item.arn, item.name]);
        }
      });
    }
    pending = still;
  }

  // 2. The walk: the explicit clusters, then ListClusters page by page.
  let page: { clusters: ClusterInList[]; nextToken?: string } | undefined;
  let blocked = false;
  while (!full() && !blocked && !transient && walk.phase !== 'done') {
    let batch: WalkItem[];
    if (walk.phase === 'explicit') {
      if (walk.explicit >= explicit.length) {
        walk = { ...walk, phase: run.targets ? 'done' : 'pages' };
        continue;
      }
      batch = explicit.slice(walk.explicit, walk.explicit + batchSize(concurrency * 2)).map((arn) => ({ arn, name: arn }));
    } else {
      if (!page) {
        try {
          ({ page, walk } = await pageAt(deps, walk));
        } catch (err) {
          if (!isTransient(toOrchestratorError(err).code)) throw err;
          transient = true;
          break;
        }
      }
      const resume = resumeIndex(page, walk);
      if (resume !== walk.index) walk = { ...walk, index: resume };
      const rest = page.clusters.slice(walk.index);
      if (rest.length === 0) {
        const { last: _, ...rest2 } = walk;
        walk = page.nextToken ? { ...rest2, token: page.nextToken, index: 0 } : { ...rest2, phase: 'done', index: 0 };
        page = undefined;
        continue;
      }
      batch = rest.slice(0, batchSize(concurrency * 2)).map((c) => {
        const arn = c.clusterArn ?? '';
        const waiting = pending.some(([a]) => a === arn);
        return {
          arn,
          name: c.clusterName ?? arn,
          status: c.status,
          skip: !arn || waiting || explicitSet.has(arn) || !inRunSubset(run, arn),
        };
      });
    }
    const { results, done } = await mapPoolUntil(batch, concurrency, inspect, full);
    let advanced = 0;
    for (let i = 0; i < done; i++) {
      const item = batch[i] as WalkItem;
      const res = results[i] as Inspected;
      if (res.kind === 'transient') {
        transient = true;
        break;
      }
      if (res.kind === 'pending') {
        if (pending.length >= MAX_PENDING) {
          blocked = true;
          break;
        }
        if (!pending.some(([a]) => a === item.arn)) pending.push([item.arn, item.name]);
      } else if (res.kind === 'decided' && !apply(res, item.arn)) break;
      advanced++;
    }
    const last = advanced > 0 ? batch[advanced - 1]?.arn : undefined;
    walk =
      walk.phase === 'explicit'
        ? { ...walk, explicit: walk.explicit + advanced }
        : { ...walk, index: walk.index + advanced, walked: walk.walked + advanced, ...(last ? { last } : {}) };
  }

  // At the run's deadline the walk ends: what it did not reach is decided by the next run. Each cluster
  // still waiting for its slot snapshot is reported on its own; the rest of the walk is one failure named
  // by the first cluster it did not reach (the ones after it are not listed: that would walk them).
  if (pastRun && (walk.phase !== 'done' || pending.length > 0)) {
    for (const [arn, name] of pending) {
      out.failures.push({
        target: arn,
        code: 'DEADLINE_EXCEEDED',
        message: `cluster ${name === arn ? arn : `${name} (${arn})`}: retention not applied before the run's deadline (${run.runDeadline}): it was waiting for its snapshot of this slot; the next run decides it`,
      });
    }
    const next =
      walk.phase === 'done'
        ? undefined
        : await firstUnwalked(
            deps,
            walk,
            explicit,
            page,
            (arn) => pending.some(([a]) => a === arn) || explicitSet.has(arn) || !inRunSubset(run, arn),
          );
    if (next) {
      out.failures.push({
        target: next,
        code: 'DEADLINE_EXCEEDED',
        message: `cluster ${next}: retention not applied before the run's deadline (${run.runDeadline}): the walk over the clusters stopped here; the next run decides it and the clusters after it`,
      });
    }
    walk = { ...walk, phase: 'done' };
    pending = [];
  }
  out.walk = walk;
  out.pending = pending;
  out.complete = walk.phase === 'done' && pending.length === 0;
  // Waits for the next check: the walk met a snapshot still creating with the waiting list full, or only waiting ones are left.
  out.blocked = !out.complete && !transient && (blocked || (walk.phase === 'done' && !full()));
  out.stalled = transient && !decidedAny;
  return out;
}

/**
 * Dry run: would a real run take this slot's snapshot of the cluster? The same rules as the create step
 * (creates not skipped, not excluded, in the run's subset, the policy's cluster by ARN or selector tags,
 * a status that is snapshotted or waited for), read here because a dry run keeps no per-cluster record.
 */
async function wouldSnapshot(ctx: WalkContext, item: WalkItem): Promise<TagMap | undefined> {
  const { deps, run, policy } = ctx;
  if (run.skip.includes('create') || ctx.excluded.has(item.arn) || !inRunSubset(run, item.arn)) return undefined;
  try {
    const explicit = policy.elastic?.clusterArns.includes(item.arn) === true;
    const bySelector = Object.keys(policy.elastic?.selector ?? {}).length > 0;
    if (!explicit && !bySelector) return undefined;
    const clusterTags = !explicit || policy.tags.copySourceTags ? await elasticTags(deps.clients.elastic, item.arn) : {};
    if (!matchesPolicy(policy, item.arn, clusterTags)) return undefined;
    const status = item.status ?? (await getCluster(deps.clients.elastic, item.arn))?.status;
    const rule = clusterRule(status);
    if (rule !== 'snapshot' && rule !== 'wait') return undefined;
    // The tags the create would give it (keepTags may keep it by them).
    return composeTags('docdb-elastic', {
      ownership: ownershipTags({ policy: policy.name, target: item.arn, runId: run.id, createdAt: ctx.now }),
      static: policy.tags.static,
      source: policy.tags.copySourceTags ? clusterTags : undefined,
    }).tags;
  } catch {
    // A dry run that cannot tell leaves the cluster's decision as it stands.
    return undefined;
  }
}

/**
 * Where the walk goes on in its page: just after the last cluster walked (clusters added or deleted
 * before it since then move positions, and an offset page token with them); where it is gone, the
 * position stands.
 */
function resumeIndex(page: { clusters: ClusterInList[] }, walk: ElasticWalk): number {
  const at = walk.last === undefined ? -1 : page.clusters.findIndex((c) => c.clusterArn === walk.last);
  return at >= 0 ? at + 1 : walk.index;
}

/** The first cluster the walk has not reached (explicit ones first, then ListClusters order), if any. */
async function firstUnwalked(
  deps: Deps,
  walk: ElasticWalk,
  explicit: readonly string[],
  page: { clusters: ClusterInList[]; nextToken?: string } | undefined,
  skipped: (arn: string) => boolean,
): Promise<string | undefined> {
  if (walk.phase === 'explicit' && walk.explicit < explicit.length) return explicit[walk.explicit];
  let at = walk.phase === 'pages' ? walk : { ...walk, phase: 'pages' as const, index: 0 };
  let current = walk.phase === 'pages' ? page : undefined;
  // A few pages at most: past the deadline, this only names the cluster, and a failure to list names none.
  for (let pages = 0; pages < 3; pages++) {
    try {
      if (!current) ({ page: current, walk: at } = await pageAt(deps, at));
    } catch {
      return undefined;
    }
    const found = current.clusters.slice(resumeIndex(current, at)).find((c) => c.clusterArn && !skipped(c.clusterArn));
    if (found?.clusterArn) return found.clusterArn;
    if (!current.nextToken) return undefined;
    const { last: _, ...rest } = at;
    at = { ...rest, token: current.nextToken, index: 0 };
    current = undefined;
  }
  return undefined;
}

/** What every cluster's inspection needs, computed once per invocation. */
interface WalkContext {
  deps: Deps;
  run: Run;
  policy: Policy;
  settings: ReturnType<typeof retentionSettings>;
  now: Date;
  /** Past the create deadline (or the run's): a snapshot still creating is reported, not waited for. */
  pastDeadline: boolean;
  slotTail: string;
  /** The policy's excluded clusters. */
  excluded: ReadonlySet<string>;
  verifiedSlot: (clusterArn: string, createdAt: string | undefined) => boolean;
  current: (clusterArn: string, hasSlot: boolean) => boolean;
}

function walkContext(
  deps: Deps,
  run: Run,
  policy: Policy,
  progress: Progress,
  settings: ReturnType<typeof retentionSettings>,
  now: Date,
  pastDeadline: boolean,
): WalkContext {
  const explicit = new Set(policy.elastic?.clusterArns ?? []);
  const excluded = new Set(policy.elastic?.exclude ?? []);
  const failedTargets = new Set(progress.log.failures.map((f) => f.target).filter((t) => t.includes(':docdb-elastic:')));
  return {
    deps,
    run,
    policy,
    settings,
    now,
    pastDeadline,
    slotTail: `-${timeToken(new Date(run.slot))}`,
    excluded,
    verifiedSlot: slotVerified(run, excluded, failedTargets, progress.log.failureCount === progress.log.failures.length),
    // A cluster is a current target when this run snapshotted it, the policy names it, or this run tried it and failed.
    current: (arn, hasSlot) => !excluded.has(arn) && inRunSubset(run, arn) && (hasSlot || explicit.has(arn) || failedTargets.has(arn)),
  };
}

/** One cluster: its snapshots (one listing), its slot snapshot's outcome, and retention's decision. */
async function inspectCluster(ctx: WalkContext, item: WalkItem): Promise<Inspected> {
  const { deps, policy } = ctx;
  let listed: Awaited<ReturnType<typeof listElasticSnapshots>>;
  try {
    listed = (await listElasticSnapshots(deps.clients.elastic, item.arn)).filter((s) => s.clusterArn === item.arn);
  } catch (err) {
    const e = toOrchestratorError(err, `listing the snapshots of ${item.name} (${item.arn})`);
    if (isTransient(e.code)) return { kind: 'transient' };
    return { kind: 'decided', decisions: [], failures: [{ target: item.arn, code: e.code, message: e.message }] };
  }
  const mine = listed.filter((s) => s.snapshotArn && s.snapshotName && isElasticSnapshotNameOf(s.snapshotName, policy.name, item.arn));
  const slot = mine.find((s) => s.snapshotName?.endsWith(ctx.slotTail));
  const failures: Failure[] = [];
  if (slot) {
    const phase = elasticSnapshotPhase(slot.status);
    if (phase === 'in-flight' && !ctx.pastDeadline) return { kind: 'pending' };
    if (phase === 'in-flight') {
      failures.push({
        target: item.arn,
        code: 'DEADLINE_EXCEEDED',
        message: `cluster ${item.arn}: snapshot ${slot.snapshotName} was still ${slot.status} after ${policy.deadlines.createMinutes} minutes (it is kept, and managed once ACTIVE)`,
      });
    } else if (phase === 'failed') {
      failures.push({
        target: item.arn,
        code: 'INTERNAL_ERROR',
        message: `cluster ${item.arn}: snapshot ${slot.snapshotName} ended ${slot.status}`,
      });
    }
  }
  const candidates = mine.map((s): Candidate<Ref> => {
    const isSlot = s === slot;
    return {
      id: s.snapshotArn as string,
      time: new Date(s.snapshotCreationTime ?? 0),
      state: elasticSnapshotPhase(s.status),
      ownership: isSlot && ctx.verifiedSlot(item.arn, s.snapshotCreationTime) ? 'verified' : 'unknown',
      ref: {
        kind: 'elastic',
        id: s.snapshotArn as string,
        arn: s.snapshotArn as string,
        name: s.snapshotName as string,
        target: item.arn,
        of: item.name,
      },
    };
  });
  const would = !slot && ctx.run.dryRun ? await wouldSnapshot(ctx, item) : undefined;
  if (would) {
    // A dry run creates nothing: the snapshot a real run would take joins the decision, so the plan shows
    // the deletions it brings (it is not kept, counted or deleted itself).
    const name = slotSnapshotName(ctx.run, policy, item);
    candidates.push({
      id: `(would create) ${name}`,
      time: new Date(ctx.run.startedAt),
      state: 'available',
      ownership: 'verified',
      tags: would,
      hypothetical: true,
      ref: { kind: 'elastic', id: name, arn: `(would create) ${name}`, name, target: item.arn, of: item.name },
    });
  }
  // The walk already runs several clusters at once: one cluster's tags are read one at a time.
  const verify = async (need: Candidate<Ref>[]) => {
    const read = new Map<string, TagMap | undefined>();
    for (const c of need) {
      try {
        read.set(c.id, await elasticTags(deps.clients.elastic, c.ref.arn));
      } catch (err) {
        const e = toOrchestratorError(err);
        if (e.code === 'NOT_FOUND') read.set(c.id, undefined);
        else throw e;
      }
    }
    return read;
  };
  let decisions: Decision<Ref>[] = [];
  if (candidates.length > 0) {
    try {
      decisions = await decideVerified(candidates, ctx.settings, ctx.now, verify, (tags) => isOwnedBy(tags, policy.name));
    } catch (err) {
      const e = toOrchestratorError(err, `reading tags of ${item.arn}'s snapshots`);
      if (isTransient(e.code)) return { kind: 'transient' };
      return { kind: 'decided', decisions: [], failures: [...failures, { target: item.arn, code: e.code, message: e.message }] };
    }
  }
  if (!ctx.current(item.arn, slot !== undefined || would !== undefined)) return { kind: 'decided', decisions, failures };
  const freshness = await freshnessOf(item.arn, recoveryPoints(decisions), () => firstRunFor(deps, policy, item.arn));
  return { kind: 'decided', decisions, failures, freshness };
}

/** The ListClusters page the walk stands in. A token the service refuses: from the first page again, past the clusters walked. */
async function pageAt(
  deps: Deps,
  walk: ElasticWalk,
): Promise<{ page: { clusters: ClusterInList[]; nextToken?: string }; walk: ElasticWalk }> {
  try {
    return { page: await listClustersPage(deps.clients.elastic, walk.token), walk };
  } catch (err) {
    const e = toOrchestratorError(err);
    if (!walk.token || isTransient(e.code)) throw err;
    deps.logger.warn('page token refused: walking from the first page', { target: 'all', operation: 'ListClusters', reason: e.message });
    let token: string | undefined;
    let skipped = 0;
    for (;;) {
      const page = await listClustersPage(deps.clients.elastic, token);
      if (skipped + page.clusters.length > walk.walked || !page.nextToken) {
        const at: ElasticWalk = { ...walk, index: Math.min(page.clusters.length, Math.max(0, walk.walked - skipped)) };
        if (token) at.token = token;
        else delete at.token;
        return { page, walk: at };
      }
      skipped += page.clusters.length;
      token = page.nextToken;
    }
  }
}

/**
 * The decisions that stand for the target's recovery points now: the kept ones; in a dry run, which deletes
 * nothing, every real available one of ours (the would-be snapshots and copies are not there yet, and the
 * ones they would push out are still there).
 */
function recoveryPoints(decisions: Decision<Ref>[]): Decision<Ref>[] {
  if (!decisions.some((d) => d.candidate.hypothetical)) return decisions;
  return decisions.filter((d) => !d.candidate.hypothetical && d.verdict !== 'leave').map((d) => ({ ...d, verdict: 'keep' as const }));
}

/** A target's freshness: its newest kept recovery point, or, with none, its first scheduled run. */
async function freshnessOf(
  key: string,
  decisions: Decision<Ref>[],
  sinceOf: (key: string) => Promise<Date | undefined>,
): Promise<Freshness> {
  const newest = decisions.find((d) => d.verdict === 'keep');
  if (newest) return { targets: 1, withoutRecoveryPoint: 0, stalest: newest.candidate.time.toISOString(), stalestTarget: key };
  const since = await sinceOf(key);
  return { targets: 1, withoutRecoveryPoint: 1, ...(since ? { stalest: since.toISOString(), stalestTarget: key } : {}) };
}

export function mergeFreshness(a: Freshness, b: Freshness): Freshness {
  const pick = !a.stalest || (b.stalest && b.stalest < a.stalest) ? b : a;
  return {
    targets: a.targets + b.targets,
    withoutRecoveryPoint: a.withoutRecoveryPoint + b.withoutRecoveryPoint,
    ...(pick.stalest ? { stalest: pick.stalest, stalestTarget: pick.stalestTarget } : {}),
  };
}

interface Groups {
  list: Group[];
  /** True when the group's target is one of the policy's current targets (freshness covers only those). */
  current: (key: string) => boolean;
  /** Current targets with no snapshot at all. */
  withoutGroup: string[];
  /** For a target without a recovery point: when it counts from (its first scheduled run). */
  since: (key: string) => Promise<Date | undefined>;
}

/**
 * The verified-by-run shortcut: this slot's snapshot of a cluster counts as ours without reading its tags
 * when this run made it, which the run knows without a per-cluster record: the run started creates (not a
 * dry run, creates not skipped), the cluster was one it could target (not excluded, in the run's subset),
 * no failure was reported for it (a name already taken by a snapshot not ours is a CONFLICT), and the snapshot
 * was taken after the run started. A slot-named snapshot older than the run (an earlier execution of the
 * slot, or a look-alike on a cluster this run did not target) has its tags read like any other.
 */
function slotVerified(
  run: Run,
  excluded: ReadonlySet<string>,
  failed: ReadonlySet<string>,
  failuresComplete: boolean,
): (clusterArn: string, createdAt: string | undefined) => boolean {
  // AWS reports creation times to the second: the run's start is compared at that precision too.
  const startedMs = Math.floor(Date.parse(run.startedAt) / 1000) * 1000;
  const creates = !run.dryRun && !run.skip.includes('create');
  return (arn, createdAt) =>
    creates &&
    // Any failure of the cluster (a CONFLICT over the name, a create refused): its slot snapshot is not vouched for.
    failuresComplete &&
    !failed.has(arn) &&
    !excluded.has(arn) &&
    inRunSubset(run, arn) &&
    createdAt !== undefined &&
    Date.parse(createdAt) >= startedMs;
}

async function copyGroups(deps: Deps, run: Run, policy: Policy): Promise<Groups> {
  const [owned, shared] = await Promise.all([
    describeClusterSnapshots(deps.clients.rds, 'manual'),
    describeClusterSnapshots(deps.clients.rds, 'shared'),
  ]);
  const now = deps.now();
  // A copy another run made may still be awaited by it until its deadline and one poll later.
  const awaitMs = (policy.deadlines.copyMinutes * 60 + deps.config.policyFile.settings.poll.maxSeconds) * 1000;
  const byTarget = new Map<string, Candidate<Ref>[]>();
  for (const s of owned) {
    const h = heldCopy(s, policy);
    if (!h || !h.target) continue;
    if (run.targets && !(h.sourceArn && run.targets.includes(h.sourceArn))) continue;
    const awaited = h.runId && h.runId !== run.id && h.startedAt && now.getTime() - h.startedAt.getTime() < awaitMs ? h.runId : undefined;
    const c: Candidate<Ref> = {
      id: h.id,
      time: h.time,
      state: copyPhase(h.status),
      ownership: 'verified',
      tags: h.tags,
      ...(awaited ? { awaitedBy: awaited } : {}),
      ref: { kind: 'copy', id: h.id, arn: h.arn, name: h.id, target: h.sourceArn ?? h.target, of: h.target },
    };
    byTarget.set(h.target, [...(byTarget.get(h.target) ?? []), c]);
  }
  const sources = eligibleSources(policy, run, shared);
  const currentTargets = new Set(sources.map((s) => s.target));
  if (run.dryRun && !run.skip.includes('copy')) {
    // A dry run copies nothing: the copies it would make join each target's decision as they would be
    // after a real run's copies, so the plan shows the deletions they bring (and nothing of their own).
    const plan = planCopies(policy, run, shared, owned, now);
    for (const e of plan.queue) {
      if (e.state !== 'copy') continue;
      const s = e.source;
      // What the real run would fail instead of copying: an encrypted source without a key, a name taken.
      if ((s.encrypted && !policy.copy?.kmsKeyId) || plan.foreignNames.has(s.name)) continue;
      const c: Candidate<Ref> = {
        id: `(would copy) ${s.name}`,
        time: s.time,
        state: 'available',
        ownership: 'verified',
        tags: copyTags(policy, run, s, now).tags,
        hypothetical: true,
        ref: { kind: 'copy', id: s.name, arn: `(would copy) ${s.name}`, name: s.name, target: s.arn, of: s.target },
      };
      byTarget.set(s.target, [...(byTarget.get(s.target) ?? []), c]);
    }
  }
  return {
    list: [...byTarget.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, candidates]) => ({ key, candidates })),
    current: (key) => currentTargets.has(key),
    withoutGroup: [...currentTargets].filter((t) => !byTarget.has(t)).sort(),
    // A partner cluster with no copy counts from the first scheduled run after its oldest shared snapshot (and the deployment).
    since: (key) => {
      const times = sources.filter((s) => s.target === key).map((s) => s.time.getTime());
      return Promise.resolve(firstRunSince(deps, policy, times.length > 0 ? new Date(Math.min(...times)) : undefined));
    },
  };
}
