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
import type { Progress, Run } from '../shared/run.js';

export function emptyProgress(): Progress {
  return {
    created: 0,
    adopted: 0,
    pendingCreates: 0,
    copiesStarted: 0,
    copied: 0,
    pendingCopies: 0,
    retryCreates: [],
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

export async function startOperations(run: Run, policy: Policy, deps: Deps): Promise<Progress> {
  const progress = emptyProgress();
  const settings = deps.config.policyFile.settings;

  if (policy.elastic && !run.skip.includes('create')) {
    const targets = await resolveElasticTargets(deps, run, policy, progress);
    const existing = await listElasticSnapshots(deps.clients.elastic);
    const byName = new Map(existing.map((s) => [`${s.clusterArn}|${s.snapshotName}`, s.snapshotArn ?? '']));
    const slot = new Date(run.slot);
    const todo = targets.filter((t) => {
      const arn = byName.get(`${t.arn}|${elasticSnapshotName(policy.name, t.arn, t.name, slot)}`);
      if (arn === undefined) return true;
      progress.adopted++;
      progress.adoptedArns.push(arn);
      return false;
    });
    progress.planned += targets.length;
    if (!run.dryRun) {
      const results = await mapPool(todo, settings.concurrency, (t) => createOne(deps, run, policy, t, progress));
      results.forEach((r, i) => {
        const t = todo[i];
        if (!t) return;
        if (r === 'created') progress.created++;
        else if (r === 'adopted') progress.adopted++;
        else if (r === 'retry') progress.retryCreates.push([t.arn, t.name]);
      });
      progress.pendingCreates = progress.created;
    } else {
      progress.wouldCreate = todo.length;
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
