/**
 * Check Operations: one poll of everything this run started. Elastic snapshots are found by their
 * slot names in one paged listing; copies are re-planned and advanced (queued copies start as
 * slots free up). Deadlines end the loop: an overdue copy is cancelled, an overdue create reported.
 */

import { elasticTags, listElasticSnapshots } from '../shared/aws.js';
import type { Deps } from '../shared/clients.js';
import { advanceCopies } from '../shared/copies.js';
import { createOne, runSnapshots } from '../shared/elastic.js';
import type { Policy } from '../shared/policy.js';
import { mapPool } from '../shared/pool.js';
import { addFailure, hasFailed, type Progress, type Run } from '../shared/run.js';


export async function checkOperations(run: Run, policy: Policy, before: Progress, deps: Deps): Promise<Progress> {
  const p: Progress = structuredClone(before);
  const settings = deps.config.policyFile.settings;
  const now = deps.now();
  const pastCreateDeadline = now.getTime() >= Date.parse(run.createDeadline);
  p.iteration++;

  if (policy.elastic && !run.skip.includes('create')) {
    // Creates that failed transiently at the start get another go until the deadline.
    const retry = p.retryCreates;
    p.retryCreates = [];
    if (pastCreateDeadline) {
      for (const [arn, name] of retry) {
        addFailure(p, {
          target: arn,
          code: 'DEADLINE_EXCEEDED',
          message: `snapshot of ${name} (${arn}) could not be started before the ${policy.deadlines.createMinutes}-minute deadline (busy, throttled or failing)`,
        });
      }
    } else {
      const results = await mapPool(retry, settings.concurrency, async ([arn, name]) => {
        const tags = policy.tags.copySourceTags ? await elasticTags(deps.clients.elastic, arn).catch(() => ({})) : {};
        return createOne(deps, run, policy, { arn, name, tags }, p);
      });
      results.forEach((r, i) => {
        const t = retry[i];
        if (!t) return;
        if (r === 'created') p.created++;
        else if (r === 'adopted') p.adopted++;
        else if (r === 'retry') p.retryCreates.push(t);
      });
    }

    // Once every create of this run is done, the checks stop listing elastic snapshots.
    const creating = before.pendingCreates > 0 || retry.length > 0 || p.retryCreates.length > 0;
    const mine = creating ? runSnapshots(await listElasticSnapshots(deps.clients.elastic), run, policy) : [];
    p.pendingCreates = 0;
    for (const s of mine) {
      const arn = s.clusterArn ?? '';
      if (s.status === 'ACTIVE' || hasFailed(p, arn)) continue;
      if (s.status === 'CREATING') {
        if (pastCreateDeadline) {
          addFailure(p, {
            target: arn,
            code: 'DEADLINE_EXCEEDED',
            message: `snapshot ${s.snapshotName} of ${arn} was still CREATING after ${policy.deadlines.createMinutes} minutes`,
          });
        } else {
          p.pendingCreates++;
        }
      } else {
        addFailure(p, { target: arn, code: 'INTERNAL_ERROR', message: `snapshot ${s.snapshotName} of ${arn} ended ${s.status}` });
      }
    }
  }

  const copies = await advanceCopies(deps, run, policy, p);
  p.copiesStarted += copies.started;
  p.copied = copies.copied;
  p.pendingCopies = copies.pending;

  deps.logger.info('operations checked', {
    target: 'all',
    operation: 'CheckOperations',
    iteration: p.iteration,
    pendingCreates: p.pendingCreates,
    pendingCopies: p.pendingCopies,
    failures: p.failureCount,
  });
  const { poll } = settings;
  p.waitSeconds = Math.min(poll.maxSeconds, Math.max(poll.initialSeconds, Math.round(p.waitSeconds * poll.backoff)));
  p.pending = p.pendingCreates > 0 || p.pendingCopies > 0 || p.retryCreates.length > 0;
  if (p.pending && p.iteration >= poll.maxIterations) {
    addFailure(p, {
      target: run.policy,
      code: 'DEADLINE_EXCEEDED',
      message: `policy ${run.policy}: ${p.pendingCreates + p.retryCreates.length} creates and ${p.pendingCopies} copies still pending after ${p.iteration} checks (settings.poll.maxIterations)`,
    });
    p.pending = false;
  }
  return p;
}
