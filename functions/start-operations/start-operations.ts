/**
 * Plan And Start: resolves the targets, creates this slot's elastic snapshots (adopting any that an
 * earlier attempt made), and starts the first copies. Planning and starting share one invocation so
 * the per-target plan never travels through the state payload.
 */

import { listElasticSnapshots } from '../shared/aws.js';
import type { Deps } from '../shared/clients.js';
import { advanceCopies } from '../shared/copies.js';
import { createOne, resolveElasticTargets } from '../shared/elastic.js';
import { elasticSnapshotName } from '../shared/naming.js';
import type { Policy } from '../shared/policy.js';
import { mapPool } from '../shared/pool.js';
import { addFailure, type Progress, type Run } from '../shared/run.js';

export function emptyProgress(): Progress {
  return {
    created: 0,
    adopted: 0,
    pendingCreates: 0,
    copiesStarted: 0,
    copied: 0,
    pendingCopies: 0,
    retryCreates: [],
    failedKeys: [],
    adoptedArns: [],
    planned: 0,
    skipped: 0,
    wouldCreate: 0,
    wouldCopy: 0,
    failures: [],
    failureCount: 0,
    failuresByCode: {},
    iteration: 0,
    waitSeconds: 0,
    pending: false,
  };
}

const MAX_ADOPTED_KEPT = 200;
/** Creates kept for another try in the checks; more than this many throttled creates fail the rest. */
const MAX_RETRY_KEPT = 100;

export async function startOperations(run: Run, policy: Policy, deps: Deps): Promise<Progress> {
  const progress = emptyProgress();
  const settings = deps.config.policyFile.settings;

  if (policy.elastic && !run.skip.includes('create')) {
    const targets = await resolveElasticTargets(deps, run, policy, progress);
    progress.planned += targets.length;
    const slot = new Date(run.slot);
    if (run.dryRun) {
      // Read-only planning: one listing tells which of this slot's snapshots exist already.
      const existing = new Set((await listElasticSnapshots(deps.clients.elastic)).map((s) => `${s.clusterArn}|${s.snapshotName}`));
      progress.wouldCreate = targets.filter((t) => !existing.has(`${t.arn}|${elasticSnapshotName(policy.name, t.arn, t.name, slot)}`)).length;
      progress.skipped += targets.length - progress.wouldCreate;
    } else {
      // No listing up front: a create under an existing name answers Conflict, and createOne adopts the
      // snapshot when it is this cluster's. A first run of a slot pays one call per target.
      const results = await mapPool(targets, settings.concurrency, (t) => createOne(deps, run, policy, t, progress));
      results.forEach((r, i) => {
        const t = targets[i];
        if (!t) return;
        if (r === 'created') progress.created++;
        else if (r === 'adopted') progress.adopted++;
        else if (r === 'retry') {
          if (progress.retryCreates.length < MAX_RETRY_KEPT) progress.retryCreates.push([t.arn, t.name]);
          else addFailure(progress, { target: t.arn, code: 'THROTTLING', message: `snapshot of ${t.arn} not started: more than ${MAX_RETRY_KEPT} creates are waiting to be retried` });
        }
      });
      // Adopted snapshots may still be creating (an earlier attempt started them): the checks find out.
      progress.pendingCreates = progress.created + progress.adopted;
    }
  }
  if (progress.adoptedArns.length > MAX_ADOPTED_KEPT) progress.adoptedArns.length = MAX_ADOPTED_KEPT;

  const copies = await advanceCopies(deps, run, policy, progress);
  progress.planned += copies.planned;
  progress.copiesStarted = copies.started;
  progress.copied = copies.copied;
  progress.pendingCopies = run.dryRun ? 0 : copies.pending;
  progress.skipped += copies.skipped;
  if (run.dryRun) progress.wouldCopy = copies.pending;
  progress.waitSeconds = settings.poll.initialSeconds;
  progress.pending =
    !run.dryRun && (progress.pendingCreates > 0 || progress.pendingCopies > 0 || progress.retryCreates.length > 0);
  return progress;
}
