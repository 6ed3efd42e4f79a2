/**
 * Start Operations: starts this slot's elastic snapshots and the first copies. Runs again (next: 'create')
 * while clusters are left because the time budget ran out; each invocation goes on from its cursor.
 * Planning and starting share one invocation so the per-target plan never travels through the state.
 */
import type { Deps } from '../runtime/deps.js';
import { copyRound } from '../workflow/copies.js';
import { createRound, planCreates } from '../workflow/creates.js';
import type { Policy } from '../domain/policy.js';
import { initialProgress, route } from '../domain/route.js';
import { type Progress, type RunState, withFailures } from '../domain/run.js';

export async function startOperations(
  state: Omit<RunState, 'progress'> & { progress?: Progress },
  policy: Policy,
  deps: Deps,
): Promise<Progress> {
  const { run } = state;
  const first = !state.progress;
  const before = state.progress ?? initialProgress(run, policy);
  const now = deps.now();
  const settings = deps.config.policyFile.settings;
  let p: Progress = before;

  if (run.dryRun && first) {
    // Read-only planning: what a run would create, copy and delete, and why.
    if (p.elastic.stage === 'active') {
      const planned = await planCreates(deps, run, policy, p.elastic);
      p = { ...p, elastic: planned.elastic, log: withFailures(p.log, planned.failures) };
    }
  } else if (p.elastic.stage === 'active') {
    const round = await createRound(deps, run, policy, p.elastic, {
      budgetEndsAt: deps.budgetEndsAt(),
      pastDeadline: now.getTime() >= Date.parse(run.createDeadline),
    });
    p = { ...p, elastic: round.elastic, tagged: p.tagged + round.tagged, log: withFailures(p.log, round.failures) };
  }
  if (first && p.copies.stage === 'active') {
    const round = await copyRound(deps, run, policy, p.copies, { budgetEndsAt: deps.budgetEndsAt() });
    p = { ...p, copies: round.copies, log: withFailures(p.log, round.failures) };
  }
  if (first) p = { ...p, waitSeconds: settings.poll.initialSeconds };
  return route(p, run, deps.now());
}
