/**
 * The elastic part of a run: start this slot's snapshots (resumable: a cursor over the clusters sorted
 * by ARN, a bounded list of creates to try again), then follow them until they are done or the deadline.
 */
import { clusterCreateTime, elasticTags, listElasticSnapshots } from '../aws/elastic.js';
import type { Deps } from '../runtime/deps.js';
import { candidateClusters, createOne } from './elastic.js';
import {
  CLUSTER_RULE_MESSAGES,
  clusterRule,
  elasticSnapshotPhase,
  type ElasticTarget,
  matchesPolicy,
  needsClusterTags,
  slotSnapshotName,
  slotSnapshots,
} from '../domain/clusters.js';
import { isTransient } from '../domain/errors.js';
import { toOrchestratorError } from '../aws/errors.js';
import type { Policy } from '../domain/policy.js';
import { mapPool, mapPoolUntil } from '../runtime/pool.js';
import { type ElasticProgress, type Failure, MAX_LISTED, MAX_RETRY, type Run } from '../domain/run.js';
import { offerToWatch } from '../domain/scale.js';
import { firstSlotAfter } from '../domain/schedule.js';
import type { TagMap } from '../domain/tags.js';

export interface CreateRoundResult {
  elastic: ElasticProgress;
  failures: Failure[];
  /** Snapshots whose tags this round changed (adopted ones that lacked static tags). */
  tagged: number;
  /** Clusters skipped with a reason (being deleted). */
  skipped: number;
}

interface Work {
  arn: string;
  name: string;
  status?: string;
  /** Came from the retry list: already counted as a target. */
  retried: boolean;
}

/**
 * One round of starting creates: first the ones to try again, then clusters past the cursor, until the
 * time budget is spent or the retry list is full. Past the create deadline, what was never started is
 * reported DEADLINE_EXCEEDED instead.
 */
export async function createRound(
  deps: Deps,
  run: Run,
  policy: Policy,
  before: ElasticProgress,
  opts: { budgetEndsAt: number; pastDeadline: boolean },
): Promise<CreateRoundResult> {
  const out: CreateRoundResult = {
    elastic: { ...before, retry: [], listedCreated: [...before.listedCreated] },
    failures: [],
    tagged: 0,
    skipped: 0,
  };
  if (before.stage !== 'active') return { ...out, elastic: before };
  const e = out.elastic;
  const work: Work[] = before.retry.map(([arn, name]) => ({ arn, name, retried: true }));
  if (before.cursor !== undefined) {
    const { clusters, missing } = await candidateClusters(deps, run, policy);
    if (before.cursor === '') {
      for (const arn of missing)
        out.failures.push({ target: arn, code: 'NOT_FOUND', message: `elastic cluster ${arn} was not found in ${run.region}` });
    }
    for (const c of clusters) {
      if ((c.clusterArn as string) > before.cursor)
        work.push({ arn: c.clusterArn as string, name: c.clusterName ?? (c.clusterArn as string), status: c.status, retried: false });
    }
  }
  const needTags = needsClusterTags(policy);

  if (opts.pastDeadline) {
    // Nothing more starts: every create still to do is reported once, named by its cluster.
    for (const w of work) {
      let tags: TagMap = {};
      if (!w.retried && needTags) tags = await elasticTags(deps.clients.elastic, w.arn).catch(() => ({}));
      if (!w.retried && !matchesPolicy(policy, w.arn, tags)) continue;
      if (!w.retried) e.targets++;
      out.failures.push({
        target: w.arn,
        code: 'DEADLINE_EXCEEDED',
        message: `cluster ${w.name} (${w.arn}): snapshot could not be started before the ${policy.deadlines.createMinutes}-minute deadline (busy, throttled or failing)`,
      });
    }
    e.cursor = undefined;
    return out;
  }

  const concurrency = deps.config.policyFile.settings.concurrency;
  const retry: [string, string][] = [];
  const stop = () => deps.now().getTime() >= opts.budgetEndsAt || retry.length >= MAX_RETRY;
  const { results, done } = await mapPoolUntil(
    work,
    concurrency,
    async (w) => {
      let tags: TagMap = {};
      if (needTags) {
        try {
          tags = await elasticTags(deps.clients.elastic, w.arn);
        } catch (err) {
          const te = toOrchestratorError(err, `cluster ${w.name} (${w.arn}): ListTagsForResource`);
          if (isTransient(te.code)) return { w, kind: 'retry' as const, target: !w.retried };
          return { w, kind: 'failed' as const, failure: { target: w.arn, code: te.code, message: te.message }, target: !w.retried };
        }
      }
      if (!w.retried && !matchesPolicy(policy, w.arn, tags)) return { w, kind: 'none' as const, target: false };
      const rule = w.retried ? 'snapshot' : clusterRule(w.status);
      if (rule === 'wait') return { w, kind: 'retry' as const, target: true };
      if (rule === 'skip') {
        deps.logger.info('cluster skipped', {
          target: w.arn,
          operation: 'CreateClusterSnapshot',
          reason: CLUSTER_RULE_MESSAGES.skip(w.status ?? ''),
        });
        return { w, kind: 'skipped' as const, target: true };
      }
      if (rule === 'conflict') {
        return {
          w,
          kind: 'failed' as const,
          target: true,
          failure: {
            target: w.arn,
            code: 'CONFLICT' as const,
            message: `elastic cluster ${w.name} (${w.arn}) ${CLUSTER_RULE_MESSAGES.conflict(w.status ?? 'unknown')}`,
          },
        };
      }
      const target: ElasticTarget = { arn: w.arn, name: w.name, status: w.status ?? 'ACTIVE' };
      const { outcome, warnings } = await createOne(deps, run, policy, target, tags);
      if (outcome.result === 'retry') retry.push([w.arn, w.name]);
      return { w, kind: outcome.result, outcome, warnings, target: !w.retried };
    },
    stop,
  );

  const started: string[] = [];
  for (const r of results.slice(0, done)) {
    if (!r) continue;
    if (r.target) e.targets++;
    if (r.kind === 'created' || r.kind === 'adopted') started.push(r.w.arn);
    if (r.kind === 'retry') {
      if (!retry.some(([a]) => a === r.w.arn)) retry.push([r.w.arn, r.w.name]);
    } else if (r.kind === 'skipped') out.skipped++;
    else if (r.kind === 'failed' && 'failure' in r && r.failure) out.failures.push(r.failure);
    if ('warnings' in r && r.warnings) out.failures.push(...r.warnings);
    if ('outcome' in r && r.outcome) {
      const o = r.outcome;
      if (o.result === 'created') {
        e.created++;
        if (e.listedCreated.length < MAX_LISTED) e.listedCreated.push(o.line);
        deps.record?.({ action: 'created', part: 'elastic', ...o.line });
      } else if (o.result === 'adopted') {
        e.adopted++;
        if (o.tagged) out.tagged++;
      } else if (o.result === 'failed') out.failures.push(o.failure);
    }
  }
  // Retries not reached this round stay; the cursor moves over the clusters past it that were started.
  const fresh = work.slice(0, done).filter((w) => !w.retried);
  const left = work.slice(done).filter((w) => !w.retried);
  const leftRetries = work
    .slice(done)
    .filter((w) => w.retried)
    .map((w): [string, string] => [w.arn, w.name]);
  e.retry = [...retry, ...leftRetries];
  if (before.cursor !== undefined) e.cursor = left.length === 0 ? undefined : (fresh.at(-1)?.arn ?? before.cursor);
  e.watch = offerToWatch(before.watch ?? [], started, run.id);
  return out;
}

/** Dry run: which of the targets already have this slot's snapshot (one listing), without creating anything. */
export async function planCreates(
  deps: Deps,
  run: Run,
  policy: Policy,
  before: ElasticProgress,
): Promise<{ elastic: ElasticProgress; failures: Failure[] }> {
  const e: ElasticProgress = { ...before, listedCreated: [...before.listedCreated] };
  const failures: Failure[] = [];
  const { clusters, missing } = await candidateClusters(deps, run, policy);
  for (const arn of missing)
    failures.push({ target: arn, code: 'NOT_FOUND', message: `elastic cluster ${arn} was not found in ${run.region}` });
  const existing = new Set((await listElasticSnapshots(deps.clients.elastic)).map((s) => `${s.clusterArn}|${s.snapshotName}`));
  for (const c of clusters) {
    const arn = c.clusterArn as string;
    const tags = needsClusterTags(policy) ? await elasticTags(deps.clients.elastic, arn) : {};
    if (!matchesPolicy(policy, arn, tags)) continue;
    e.targets++;
    const name = slotSnapshotName(run, policy, { arn, name: c.clusterName ?? arn });
    if (existing.has(`${arn}|${name}`)) e.adopted++;
    else if (clusterRule(c.status) === 'snapshot' || clusterRule(c.status) === 'wait') {
      e.wouldCreate++;
      const line = {
        arn: `(would create) ${name}`,
        name,
        of: c.clusterName ?? arn,
        time: run.slot,
        reasons: ['this slot has no snapshot yet'],
      };
      if (e.listedCreated.length < MAX_LISTED) e.listedCreated.push(line);
      deps.record?.({ action: 'would-create', part: 'elastic', ...line });
    }
  }
  return { elastic: { ...e, cursor: undefined, retry: [], stage: 'retention', doneAt: deps.now().toISOString() }, failures };
}

/**
 * Follows this run's snapshots once every create was started, through the watched sample (at most
 * WATCH_SIZE clusters, one listing each): once none of them is creating, or at the create deadline, the
 * part goes on to retention, whose walk lists every cluster anyway and waits for any snapshot still
 * creating (reporting those the deadline catches, and those that ended failed). A check costs the
 * sample, not the fleet.
 */
export async function followCreates(
  deps: Deps,
  run: Run,
  policy: Policy,
  before: ElasticProgress,
  opts: { pastDeadline: boolean },
): Promise<{ elastic: ElasticProgress; failures: Failure[] }> {
  if (before.stage !== 'active' || before.cursor !== undefined || before.retry.length > 0) return { elastic: before, failures: [] };
  const watch = before.watch ?? [];
  const creating = opts.pastDeadline
    ? []
    : (
        await mapPool(watch, deps.config.policyFile.settings.concurrency, async (arn) => {
          try {
            const listed = (await listElasticSnapshots(deps.clients.elastic, arn)).filter((s) => s.clusterArn === arn);
            return slotSnapshots(listed, run, policy).some((s) => elasticSnapshotPhase(s.status) === 'in-flight') ? [arn] : [];
          } catch (err) {
            // Not known yet: still watched (asked again at the next check).
            if (isTransient(toOrchestratorError(err).code)) return [arn];
            throw err;
          }
        })
      ).flat();
  // An estimate for progress displays: the watched share still creating, of what this run started.
  const pending = watch.length === 0 ? 0 : Math.round((creating.length / watch.length) * (before.created + before.adopted));
  if (creating.length > 0) return { elastic: { ...before, watch: creating, pending }, failures: [] };
  return { elastic: { ...before, watch: [], pending: 0, stage: 'retention', doneAt: deps.now().toISOString() }, failures: [] };
}

/** When a target with no recovery point at all counts from: the policy's first scheduled run after the cluster was created. */
export async function firstRunFor(deps: Deps, policy: Policy, clusterArn: string): Promise<Date> {
  const created = await clusterCreateTime(deps.clients.elastic, clusterArn).catch(() => undefined);
  return firstRunSince(deps, policy, created);
}

/**
 * The first scheduled run that could have covered a target that came into being at `since`: none before
 * the stack was deployed, so an old cluster joining a new stack counts from its first run, not its birth.
 * Without a time (the lookup failed), the deployment's first run.
 */
export function firstRunSince(deps: Deps, policy: Policy, since: Date | undefined): Date {
  const deployed = deps.config.deployedAt;
  const from = since && since.getTime() > deployed.getTime() ? since : deployed;
  return firstSlotAfter(policy.schedules, from) ?? from;
}
