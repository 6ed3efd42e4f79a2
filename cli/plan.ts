/**
 * `plan`: what a run of a policy would create, copy and delete in the configured account now, and why.
 * Read-only: the workflow's own steps in dry-run mode, run in-process in the order the state machine runs them.
 * `snapshots` lists every snapshot with its reasons (the report's own lists stop at 20).
 */
import { applyRetention } from '../functions/apply-retention/apply-retention.js';
import { applyTags } from '../functions/apply-tags/apply-tags.js';
import { checkOperations } from '../functions/check-operations/check-operations.js';
import { buildReport, type ResultEnvelope } from '../functions/report/report.js';
import type { Deps } from '../functions/runtime/deps.js';
import { findPolicy } from '../functions/domain/policy.js';
import type { Progress, RunState, SnapshotAction, SnapshotLine, SnapshotRecord } from '../functions/domain/run.js';
import { startOperations } from '../functions/start-operations/start-operations.js';
import { validateRun } from '../functions/validate-input/validate-input.js';

/** Every snapshot a run would touch or keep, by action, each once. */
export type SnapshotLists = Partial<Record<SnapshotAction, SnapshotLine[]>>;
export type Plan = ResultEnvelope['data'] & { account: string; region: string; snapshots: SnapshotLists };

/** Collects the records of a run (deps.record) into lists by action; a record repeated by a retried step counts once. */
export function snapshotCollector(): { record: (r: SnapshotRecord) => void; lists: () => SnapshotLists } {
  const seen = new Map<string, SnapshotRecord>();
  return {
    record: (r) => void seen.set(`${r.action}|${r.arn}|${r.name}`, r),
    lists: () => {
      const out: SnapshotLists = {};
      for (const { action, part: _part, ...line } of seen.values()) (out[action] ??= []).push(line);
      return out;
    },
  };
}

export async function plan(base: Deps, accountId: string, policyName: string, targets?: string[]): Promise<Plan> {
  const collected = snapshotCollector();
  const deps: Deps = { ...base, record: collected.record };
  const run = validateRun(
    {
      input: { policy: policyName, dryRun: true, ...(targets ? { targets } : {}) },
      execution: { name: 'plan', startTime: deps.now().toISOString() },
    },
    { policyFile: deps.config.policyFile, accountId, region: deps.config.region },
  );
  const policy = findPolicy(deps.config.policyFile, run.policy);
  if (!policy) throw new Error('unreachable: validateRun checked the policy');
  let progress: Progress = await startOperations({ run, interrupted: 0 }, policy, deps);
  for (let step = 0; step < 1000 && progress.next !== 'report'; step++) {
    const state: RunState = { run, progress, interrupted: 0 };
    if (progress.next === 'tag') progress = await applyTags(state, policy, deps);
    else if (progress.next === 'retain' || progress.next === 'retain-later') progress = await applyRetention(state, policy, deps);
    else progress = await checkOperations(state, policy, deps);
  }
  return { ...buildReport({ run, progress }, deps.now()).data, account: accountId, region: run.region, snapshots: collected.lists() };
}
