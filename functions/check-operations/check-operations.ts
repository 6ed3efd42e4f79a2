/**
 * Check Operations: one poll of everything this run started. Creates still to start or to retry are
 * tried; this run's snapshots are followed until none is creating; copies are followed, queued copies
 * start as the account frees copies in flight, overdue ones are cancelled. The run deadline (derived from
 * the state machine's timeout) and settings.poll.maxIterations end the loop, so every run ends and reports.
 */
import type { Deps } from '../runtime/deps.js';
import { copyRound } from '../workflow/copies.js';
import { createRound, followCreates } from '../workflow/creates.js';
import { grownWait, type Policy } from '../domain/policy.js';
import { route } from '../domain/route.js';
import { type Progress, type RunState, withFailures } from '../domain/run.js';

export async function checkOperations(state: RunState, policy: Policy, deps: Deps): Promise<Progress> {
  const { run } = state;
  const before = state.progress;
  const settings = deps.config.policyFile.settings;
  const now = deps.now();
  const iteration = before.iteration + 1;
  // Why the run ends now, if it does: its deadline, or the bound on checks.
  const runEnds =
    now.getTime() >= Date.parse(run.runDeadline)
      ? `its deadline, ${run.runDeadline}`
      : iteration >= settings.poll.maxIterations
        ? `after ${iteration} checks, settings.poll.maxIterations`
        : undefined;
  const pastCreate = runEnds !== undefined || now.getTime() >= Date.parse(run.createDeadline);
  let p: Progress = { ...before, iteration };
  // A retention that waited for snapshots still creating goes on after this check.
  for (const part of ['elastic', 'copies'] as const) {
    if (p.retention[part].waiting) p = { ...p, retention: { ...p.retention, [part]: { ...p.retention[part], waiting: false } } };
  }

  if (p.elastic.stage === 'active') {
    const round = await createRound(deps, run, policy, p.elastic, { budgetEndsAt: deps.budgetEndsAt(), pastDeadline: pastCreate });
    p = { ...p, elastic: round.elastic, tagged: p.tagged + round.tagged, log: withFailures(p.log, round.failures) };
    const followed = await followCreates(deps, run, policy, p.elastic, { pastDeadline: pastCreate });
    p = { ...p, elastic: followed.elastic, log: withFailures(p.log, followed.failures) };
  }
  if (p.copies.stage === 'active') {
    const round = await copyRound(deps, run, policy, p.copies, { ...(runEnds ? { runEnds } : {}), budgetEndsAt: deps.budgetEndsAt() });
    p = { ...p, copies: round.copies, log: withFailures(p.log, round.failures) };
  }
  deps.logger.info('operations checked', {
    target: 'all',
    operation: 'CheckOperations',
    iteration,
    pendingCreates: p.elastic.pending + p.elastic.retry.length,
    inFlightCopies: p.copies.inFlight.length,
    queuedCopies: p.copies.queued,
    failures: p.log.failureCount,
  });
  // The wait grows each round, and never runs past the run's deadline. While copies queue for a slot, it
  // stays at the shortest wait: each copy that ends frees a slot, and a long wait would hold the queue back
  // (100 copies five at a time took 20 h with waits grown to an hour, against about 12 h of copying).
  const { poll } = settings;
  const queueWaits = p.copies.stage === 'active' && p.copies.queued > 0;
  const grown = queueWaits ? poll.initialSeconds : grownWait(poll, before.waitSeconds);
  const untilDeadline = Math.max(1, Math.ceil((Date.parse(run.runDeadline) - deps.now().getTime()) / 1000));
  return route({ ...p, waitSeconds: Math.min(grown, untilDeadline) }, run, deps.now());
}
