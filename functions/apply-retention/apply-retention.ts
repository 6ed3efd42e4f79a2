/**
 * Apply Retention, per part (elastic snapshots, or copies): restic's rules plus the floor over each
 * target's owned, available snapshots, through the one deletion decision (decide.ts).
 *
 * Deletions are written ahead: an invocation decides a chunk of targets and returns the deletions as a
 * plan in the state; the next invocation carries the plan out, then decides the next chunk. A plan run
 * again (the state machine retries an invocation that died) meets snapshots already gone and counts
 * them, because it knows it may have run before (`interrupted` grew since the plan was written). So
 * every deletion is counted once, whatever happened on the way.
 */
import { DeleteClusterSnapshotCommand, GetClusterSnapshotCommand } from '@aws-sdk/client-docdb-elastic';
import { DeleteDBClusterSnapshotCommand, DescribeDBClusterSnapshotsCommand } from '@aws-sdk/client-rds';
import { describeClusterSnapshots } from '../aws/rds.js';
import { elasticTags, listClusters, listElasticSnapshots } from '../aws/elastic.js';
import { sdkAttempts } from '../aws/errors.js';
import type { Deps } from '../runtime/deps.js';
import { copyPhase, eligibleSources, heldCopy } from '../domain/copy-plan.js';
import { firstRunFor } from '../workflow/creates.js';
import { type Candidate, type Decision, decideVerified } from '../domain/decide.js';
import { elasticSnapshotPhase, inRunSubset } from '../domain/clusters.js';
import { isTransient } from '../domain/errors.js';
import { toOrchestratorError } from '../aws/errors.js';
import { isElasticSnapshotNameOf, timeToken } from '../domain/naming.js';
import { type Policy, retentionSettings } from '../domain/policy.js';
import { mapPool } from '../runtime/pool.js';
import {
  type Failure,
  type Freshness,
  MAX_LISTED,
  type PartName,
  type PlannedDeletion,
  type Progress,
  type RetentionProgress,
  type RunState,
  type Run,
  withFailures,
} from '../domain/run.js';
import { firstSlotAfter } from '../domain/schedule.js';
import { isOwnedBy, type TagMap } from '../domain/tags.js';
import { runFreshnessDocuments } from '../runtime/telemetry.js';
import { route } from '../domain/route.js';

/** Deletions decided per invocation at most (the plan travels in the state). */
export const MAX_PLAN = 100;
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
    const mayHaveRun = interrupted > before.planIssuedAt;
    const results = await mapPool(before.plan, deps.config.policyFile.settings.concurrency, (item) => deleteOne(deps, item, mayHaveRun));
    before.plan.forEach((item, i) => {
      const res = results[i];
      if (!res) return;
      if (res.kind === 'deleted') {
        r.deleted++;
        const deleted = { arn: item.arn, name: item.name, of: item.of, time: item.time, reasons: item.reasons };
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
  if (r.plan.length === 0 && r.cursor !== '\uffff') {
    const decided = await decideChunk(deps, run, policy, part, progress, r.cursor);
    failures.push(...decided.failures);
    for (const d of decided.deletions) {
      if (run.dryRun) {
        r.wouldDelete++;
        const would = { arn: d.arn, name: d.name, of: d.of, time: d.time, reasons: d.reasons };
        if (r.listed.length < MAX_LISTED) r.listed.push(would);
        deps.record?.({ action: 'would-delete', part, ...would });
      } else r.plan.push(d);
    }
    r.planIssuedAt = interrupted;
    r.kept += decided.kept;
    r.freshness = mergeFreshness(r.freshness, decided.freshness);
    r.cursor = decided.complete ? '\uffff' : decided.cursor;
  }
  r.done = r.plan.length === 0 && r.cursor === '\uffff';

  const next: Progress = {
    ...progress,
    retention: { ...progress.retention, [part]: r },
    log: withFailures(progress.log, failures),
  };
  if (!r.done) return { ...next, next: again.length > 0 && r.plan.length > 0 ? 'retain-later' : 'retain' };

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
}

const clip = (reasons: string[]) => reasons.slice(0, 4).map((x) => (x.length > 140 ? `${x.slice(0, 137)}...` : x));

/** Decides targets after the cursor, in key order, until the plan is full or the time budget is spent. */
async function decideChunk(deps: Deps, run: Run, policy: Policy, part: PartName, progress: Progress, cursor?: string): Promise<Chunk> {
  const settings = retentionSettings(policy, run);
  const now = deps.now();
  const groups = part === 'elastic' ? await elasticGroups(deps, run, policy, progress) : await copyGroups(deps, run, policy);
  const out: Chunk = { deletions: [], kept: 0, failures: [], freshness: { targets: 0, withoutRecoveryPoint: 0 }, complete: true };
  const todo = groups.list.filter((g) => cursor === undefined || g.key > cursor);
  const verify = async (need: Candidate<Ref>[]) => {
    const read = new Map<string, TagMap | undefined>();
    await mapPool(need, deps.config.policyFile.settings.concurrency, async (c) => {
      try {
        read.set(c.id, await elasticTags(deps.clients.elastic, c.ref.arn));
      } catch (err) {
        const e = toOrchestratorError(err);
        if (e.code === 'NOT_FOUND') read.set(c.id, undefined);
        else throw e;
      }
    });
    return read;
  };
  for (const g of todo) {
    if (out.deletions.length >= MAX_PLAN || deps.now().getTime() >= deps.budgetEndsAt()) {
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
    for (const d of decisions) {
      const ref = d.candidate.ref;
      if (d.verdict === 'keep') {
        out.kept++;
        const time = d.candidate.time.toISOString();
        deps.record?.({ action: 'kept', part, arn: ref.arn, name: ref.name, of: ref.of, time, reasons: clip(d.reasons) });
      }
      if (d.verdict === 'delete') {
        out.deletions.push({
          kind: ref.kind,
          id: ref.id,
          arn: ref.arn,
          name: ref.name,
          of: ref.of,
          target: ref.target,
          time: d.candidate.time.toISOString(),
          reasons: clip(d.reasons),
        });
      }
    }
    if (groups.current(g.key)) out.freshness = mergeFreshness(out.freshness, await freshnessOf(g.key, decisions, groups));
    out.cursor = g.key;
  }
  if (out.complete) {
    for (const key of groups.withoutGroup) out.freshness = mergeFreshness(out.freshness, await freshnessOf(key, [], groups));
  }
  return out;
}

/** A target's freshness: its newest kept recovery point, or, with none, its first scheduled run. */
async function freshnessOf(key: string, decisions: Decision<Ref>[], groups: Groups): Promise<Freshness> {
  const newest = decisions.find((d) => d.verdict === 'keep');
  if (newest) return { targets: 1, withoutRecoveryPoint: 0, stalest: newest.candidate.time.toISOString(), stalestTarget: key };
  const since = await groups.since(key);
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

/** The verified-by-run shortcut: this run made or adopted its slot snapshot unless a CONFLICT was reported for the cluster. */
function slotVerified(progress: Progress): (clusterArn: string) => boolean {
  const complete = progress.log.failureCount === progress.log.failures.length;
  const conflicted = new Set(progress.log.failures.filter((f) => f.code === 'CONFLICT').map((f) => f.target));
  return (arn) => complete && !conflicted.has(arn);
}

async function elasticGroups(deps: Deps, run: Run, policy: Policy, progress: Progress): Promise<Groups> {
  const [all, clusters] = await Promise.all([listElasticSnapshots(deps.clients.elastic), listClusters(deps.clients.elastic)]);
  const nameOf = new Map(clusters.map((c) => [c.clusterArn, c.clusterName]));
  const slotTail = `-${timeToken(new Date(run.slot))}`;
  const verifiedSlot = slotVerified(progress);
  const byCluster = new Map<string, Candidate<Ref>[]>();
  const withSlot = new Set<string>();
  for (const s of all) {
    if (!s.snapshotArn || !s.clusterArn || !s.snapshotName) continue;
    if (!isElasticSnapshotNameOf(s.snapshotName, policy.name, s.clusterArn) || !inRunSubset(run, s.clusterArn)) continue;
    const isSlot = s.snapshotName.endsWith(slotTail);
    if (isSlot) withSlot.add(s.clusterArn);
    const c: Candidate<Ref> = {
      id: s.snapshotArn,
      time: new Date(s.snapshotCreationTime ?? 0),
      state: elasticSnapshotPhase(s.status),
      ownership: isSlot && !run.dryRun && verifiedSlot(s.clusterArn) ? 'verified' : 'unknown',
      ref: {
        kind: 'elastic',
        id: s.snapshotArn,
        arn: s.snapshotArn,
        name: s.snapshotName,
        target: s.clusterArn,
        of: nameOf.get(s.clusterArn) ?? s.clusterArn,
      },
    };
    byCluster.set(s.clusterArn, [...(byCluster.get(s.clusterArn) ?? []), c]);
  }
  const explicit = new Set(policy.elastic?.clusterArns ?? []);
  const excluded = new Set(policy.elastic?.exclude ?? []);
  const failedTargets = new Set(progress.log.failures.map((f) => f.target).filter((t) => t.includes(':docdb-elastic:')));
  const current = (key: string) =>
    !excluded.has(key) && inRunSubset(run, key) && (withSlot.has(key) || explicit.has(key) || failedTargets.has(key));
  return {
    list: [...byCluster.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, candidates]) => ({ key, candidates })),
    // A cluster is a current target when this run snapshotted it, the policy names it, or this run tried it and failed.
    current,
    withoutGroup: [...new Set([...explicit, ...failedTargets])].filter((k) => current(k) && !byCluster.has(k)).sort(),
    since: (key) => firstRunFor(deps, policy, key),
  };
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
  return {
    list: [...byTarget.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, candidates]) => ({ key, candidates })),
    current: (key) => currentTargets.has(key),
    withoutGroup: [...currentTargets].filter((t) => !byTarget.has(t)).sort(),
    // A partner cluster with no copy counts from the first scheduled run after its oldest shared snapshot.
    since: (key) => {
      const times = sources.filter((s) => s.target === key).map((s) => s.time.getTime());
      if (times.length === 0) return Promise.resolve(undefined);
      const oldest = new Date(Math.min(...times));
      return Promise.resolve(firstSlotAfter(policy.schedules, oldest) ?? oldest);
    },
  };
}
