/**
 * Every AWS call a function makes is one its role allows. The stand-in does not enforce IAM, so a missing
 * permission would pass every other test and fail on the first real account: here the runner records, per
 * function, the IAM action of each call the real handlers send, over runs that take the paths a real
 * account meets (a normal run, a dry run, a failed create, an overdue copy, retention deletes, drills), and
 * each is held against the statements `serverless package` generates for that function.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditCoverage } from '../../functions/audit-coverage/audit-coverage.js';
import { createClients } from '../../functions/aws/clients.js';
import { checkFreshness } from '../../functions/check-freshness/check-freshness.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { DRILL_DEFINITION_PATH, recordActions, type RunResult, runWorkflow, useStandInEndpoints } from '../../local/runner.js';
import { startStandIn } from '../../local/standin/server.js';
import type { World, WorldInput } from '../../local/standin/world.js';
import { testDeps } from '../fixtures/deps.js';
import { allows, iamStatements } from '../fixtures/iam.js';
import { drillingPolicies, examplePolicies, exampleWorld, world } from './helpers.js';

const iam = iamStatements();

const drilling = drillingPolicies();

async function calls(world: World, input: Record<string, unknown>, drills = false): Promise<RunResult> {
  const standIn = await startStandIn(world);
  try {
    return await runWorkflow({
      standIn,
      policyFile: drills ? drilling : examplePolicies(),
      input: { policy: 'daily', ...input },
      ...(drills ? { definitionPath: DRILL_DEFINITION_PATH } : {}),
    });
  } finally {
    await standIn.close();
  }
}

const FRESH = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/1a2b3c4d-0009-4000-8000-000000000009';
const faulted = (): World => {
  const input = JSON.parse(readFileSync(new URL('../../local/worlds/example.json', import.meta.url), 'utf8')) as WorldInput & {
    $schema?: string;
  };
  delete input.$schema;
  return world({
    ...input,
    // a new cluster whose first create is refused: it has no recovery point, so its freshness counts from
    // the first scheduled run after it was created (GetCluster); and a copy stuck past its deadline
    elasticClusters: [...(input.elasticClusters ?? []), { name: 'fresh-prod', arn: FRESH, tags: { backup: 'daily' } }],
    faults: [
      { operation: 'CreateClusterSnapshot', target: 'fresh-prod', error: 'ServiceQuotaExceededException', count: 1 },
      { operation: 'CopyDBClusterSnapshot', stuck: true, count: 1 },
      // a delete that meets a conflict: retention looks at the snapshot before calling it a failure
      { operation: 'DeleteClusterSnapshot', error: 'ConflictException', count: 1 },
      { operation: 'DeleteDBClusterSnapshot', error: 'InvalidDBClusterSnapshotStateFault', count: 1 },
    ],
  });
};

describe('IAM: every call a function makes is allowed by its role', () => {
  it.each([
    ['a scheduled run', () => calls(exampleWorld(), {})],
    ['a dry run', () => calls(exampleWorld(), { dryRun: true })],
    ['a run with a refused create and an overdue copy', () => calls(faulted(), {})],
    ['restore drills', () => calls(exampleWorld(), {}, true)],
  ])('%s', async (_name, run) => {
    const r = await run();
    expect(r.status).toBe('SUCCEEDED');
    expect(Object.keys(r.awsCalls).length).toBeGreaterThan(0);
    const denied = Object.entries(r.awsCalls).flatMap(([fn, actions]) =>
      actions.filter((a) => !allows(iam[fn] ?? [], a)).map((a) => `${fn}: ${a}`),
    );
    expect(denied).toEqual([]);
  });

  it('the coverage audit and the freshness check', async () => {
    const standIn = await startStandIn(exampleWorld());
    try {
      useStandInEndpoints(standIn);
      const recorded = (): { deps: Deps; actions: Set<string> } => {
        const actions = new Set<string>();
        const clients = createClients('us-east-1', { requestTimeoutMs: 5_000 });
        for (const c of [clients.elastic, clients.rds, clients.cloudwatch]) recordActions(c, actions);
        return { deps: { ...testDeps(examplePolicies(), standIn.model.now()), clients }, actions };
      };
      const audit = recorded();
      const report = await auditCoverage(audit.deps, standIn.model.accountId);
      expect(report.clusters.length).toBeGreaterThan(0);
      expect([...audit.actions].filter((a) => !allows(iam.auditCoverage ?? [], a))).toEqual([]);
      expect(audit.actions.size).toBeGreaterThan(2);
      // the freshness check reads CloudWatch only (the stand-in's GetMetricData answers what runs emitted)
      const fresh = recorded();
      await checkFreshness(fresh.deps, new Date(0));
      expect([...fresh.actions]).toEqual(['cloudwatch:GetMetricData']);
      expect(allows(iam.checkFreshness ?? [], 'cloudwatch:GetMetricData')).toBe(true);
    } finally {
      await standIn.close();
    }
  });

  it('catches a call the role does not allow', () => {
    expect(allows([{ Effect: 'Allow', Action: ['docdb-elastic:ListClusters'], Resource: '*' }], 'docdb-elastic:GetCluster')).toBe(false);
    expect(allows([{ Effect: 'Allow', Action: ['ec2:Describe*'], Resource: '*' }], 'ec2:DescribeSubnets')).toBe(true);
    expect(allows([{ Effect: 'Deny', Action: ['rds:*'], Resource: '*' }], 'rds:DeleteDBClusterSnapshot')).toBe(false);
  });
});
