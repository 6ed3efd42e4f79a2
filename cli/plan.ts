/**
 * `plan`: what a run of a policy would create, copy and delete in the configured account, and why.
 * Read-only: the workflow's own cores in dry-run mode.
 */
import { applyRetention } from '../functions/apply-retention/apply-retention.js';
import { describeClusterSnapshots, listElasticSnapshots } from '../functions/shared/aws.js';
import type { Deps } from '../functions/shared/clients.js';
import { planCopies } from '../functions/shared/copies.js';
import { resolveElasticTargets } from '../functions/shared/elastic.js';
import { elasticSnapshotName } from '../functions/shared/naming.js';
import { findPolicy } from '../functions/shared/policy.js';
import { emptyFailureLog, type Failure } from '../functions/shared/run.js';
import { validateRun } from '../functions/validate-input/validate-input.js';

export interface Plan {
  policy: string;
  account: string;
  region: string;
  slot: string;
  create: { target: string; snapshot: string }[];
  alreadyDone: { target: string; snapshot: string }[];
  copy: { source: string; snapshot: string; kmsKeyId?: string }[];
  delete: { snapshot: string; target: string; reasons: string[] }[];
  deleteCount: number;
  kept: number;
  failures: Failure[];
}

export async function plan(deps: Deps, accountId: string, policyName: string, targets?: string[]): Promise<Plan> {
  const run = validateRun(
    { input: { policy: policyName, dryRun: true, ...(targets ? { targets } : {}) }, execution: { name: 'plan', startTime: deps.now().toISOString() } },
    { policyFile: deps.config.policyFile, accountId, region: deps.config.region },
  );
  const policy = findPolicy(deps.config.policyFile, run.policy);
  if (!policy) throw new Error('unreachable: validateRun checked the policy');
  const failures = emptyFailureLog();
  const out: Plan = { policy: run.policy, account: accountId, region: run.region, slot: run.slot, create: [], alreadyDone: [], copy: [], delete: [], deleteCount: 0, kept: 0, failures: [] };

  if (policy.elastic) {
    const targetsFound = await resolveElasticTargets(deps, run, policy, failures);
    const existing = new Set((await listElasticSnapshots(deps.clients.elastic)).map((s) => `${s.clusterArn}|${s.snapshotName}`));
    for (const t of targetsFound) {
      const snapshot = elasticSnapshotName(policy.name, t.arn, t.name, new Date(run.slot));
      (existing.has(`${t.arn}|${snapshot}`) ? out.alreadyDone : out.create).push({ target: t.arn, snapshot });
    }
  }
  if (policy.copy) {
    const [shared, owned] = await Promise.all([describeClusterSnapshots(deps.clients.rds, 'shared'), describeClusterSnapshots(deps.clients.rds, 'manual')]);
    const ownedIds = new Set(owned.map((s) => (s.DBClusterSnapshotIdentifier ?? '').toLowerCase()));
    for (const w of planCopies(policy, run, shared)) {
      if (ownedIds.has(w.targetName)) continue;
      out.copy.push({ source: w.sourceArn, snapshot: w.targetName, ...(w.encrypted ? { kmsKeyId: policy.copy.kmsKeyId ?? '(missing: set copy.kmsKeyId)' } : {}) });
    }
  }
  const retention = await applyRetention(run, policy, deps);
  out.delete = retention.deleted;
  out.deleteCount = retention.wouldDelete;
  out.kept = retention.kept;
  out.failures = [...failures.failures, ...retention.failures];
  return out;
}
