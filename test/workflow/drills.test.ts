/**
 * Restore drills end to end: the real drill workflow (statemachine/drill.asl.yml) with the real handlers
 * and SDK clients against the stand-in, over the example world. Every scenario ends with its drill
 * clusters gone, or reported as leaked, and no production cluster touched.
 */
import { describe, expect, it } from 'vitest';
import type { DrillEnvelope } from '../../functions/report-drills/report-drills.js';
import { DRILL_KEYS, OWNERSHIP_KEYS } from '../../functions/domain/tags.js';
import { DRILL_DEFINITION_PATH, type LocalValidator, runWorkflow } from '../../local/runner.js';
import { startStandIn } from '../../local/standin/server.js';
import type { World } from '../../local/standin/world.js';
import { drillingPolicies, examplePolicies, exampleWorld } from './helpers.js';

const policyFile = examplePolicies();
const ORDERS = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/1a2b3c4d-0001-4000-8000-000000000001';
const elasticOnly = { targets: [ORDERS] };
const withValidation = drillingPolicies();

async function drill(opts: { world?: World; file?: typeof policyFile; validate?: LocalValidator; input?: Record<string, unknown> } = {}) {
  const standIn = await startStandIn(opts.world ?? exampleWorld());
  const productionBefore = standIn.model
    .toWorld()
    .elasticClusters.filter((c) => !c.name.startsWith('drill-'))
    .map((c) => ({ name: c.name, status: c.status }));
  try {
    const r = await runWorkflow({
      standIn,
      policyFile: opts.file ?? withValidation,
      definitionPath: DRILL_DEFINITION_PATH,
      input: { policy: 'daily', ...opts.input },
      ...(opts.validate ? { validate: opts.validate } : {}),
    });
    const after = standIn.model.toWorld();
    // Invariant: no production cluster was touched (deleted, or changed status).
    const productionAfter = after.elasticClusters
      .filter((c) => productionBefore.some((p) => p.name === c.name))
      .map((c) => ({ name: c.name, status: c.status }));
    expect(productionAfter).toEqual(productionBefore);
    const deletes = standIn.model.audit.filter((e) => /DeleteCluster|DeleteDBCluster/.test(JSON.stringify(e)));
    for (const d of deletes) expect(JSON.stringify(d)).toMatch(/drill-/);
    const drillClusters = [
      ...after.elasticClusters.filter((c) => !c.deleted && c.tags?.[DRILL_KEYS.drill]),
      ...(after.dbClusters ?? []).filter((c) => c.tags?.[DRILL_KEYS.drill]),
    ];
    const metrics = r.emf.map((l) => JSON.parse(l) as Record<string, unknown>).filter((d) => 'DrillFailed' in d);
    return { r, envelope: r.output as DrillEnvelope, drillClusters, metrics, model: standIn.model };
  } finally {
    await standIn.close();
  }
}

describe('restore drills', () => {
  it('restore, validate, record a restore time and delete their clusters: the world holds no drill cluster after', async () => {
    const seen: string[] = [];
    const { r, envelope, drillClusters, metrics } = await drill({
      validate: (p) => (seen.push(p.cluster), { passed: true, message: `connected to ${p.endpoint ?? '?'}` }),
    });
    expect(r.status).toBe('SUCCEEDED');
    const d = envelope.data;
    expect(d.status).toBe('SUCCEEDED');
    expect(d.summary).toMatchObject({ drills: 2, passed: 2, failed: 0, leaked: 0 });
    for (const x of d.drills) {
      expect(x.result).toBe('passed');
      expect(x.restoreSeconds).toBeGreaterThanOrEqual(30 * 60); // the world's restoreMinutes
      expect(x.cluster).toMatch(/^drill-daily-/);
      expect(seen).toContain(x.cluster);
    }
    expect(drillClusters).toEqual([]);
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({ DrillSucceeded: 2, DrillFailed: 0, DrillClustersAlive: 0, Policy: 'daily' });
    expect((metrics[0]?.RestoreTimeSeconds as number[]).length).toBe(2);
  });

  it('fails a drill whose validation fails, and still deletes its cluster', async () => {
    const { envelope, drillClusters, metrics } = await drill({ validate: () => ({ passed: false, message: 'no collections found' }) });
    expect(envelope.data.summary).toMatchObject({ passed: 0, failed: 2, leaked: 0 });
    expect(envelope.data.drills[0]).toMatchObject({
      result: 'failed',
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('no collections found'),
    });
    expect(envelope.data.status).toBe('PARTIAL');
    expect(drillClusters).toEqual([]);
    expect(metrics[0]).toMatchObject({ DrillFailed: 2 });
  });

  it('fails a restore that ends in a failed status, and deletes the cluster', async () => {
    const w = exampleWorld();
    w.faults.push({ operation: 'RestoreClusterFromSnapshot', failMidway: true, endStatus: 'INACCESSIBLE_ENCRYPTION_CREDS' } as never);
    const { envelope, drillClusters } = await drill({ world: w, file: policyFile, input: elasticOnly });
    expect(envelope.data.drills[0]).toMatchObject({
      result: 'failed',
      code: 'INTERNAL_ERROR',
      message: expect.stringContaining('INACCESSIBLE_ENCRYPTION_CREDS'),
    });
    expect(drillClusters).toEqual([]);
  });

  it('fails a restore refused at once (KMS), leaving nothing to delete', async () => {
    const w = exampleWorld();
    w.faults.push({ operation: 'RestoreClusterFromSnapshot', error: 'ValidationException' } as never);
    const { envelope, drillClusters, model } = await drill({ world: w, file: policyFile, input: elasticOnly });
    expect(envelope.data.drills[0]).toMatchObject({ result: 'failed', code: 'VALIDATION_ERROR' });
    expect(drillClusters).toEqual([]);
    expect(model.calls.DeleteCluster ?? 0).toBe(0);
  });

  it('fails a restore stuck in CREATING at its deadline; a cluster that cannot be deleted while creating is reported as leaked', async () => {
    const w = exampleWorld();
    w.faults.push({ operation: 'RestoreClusterFromSnapshot', stuck: true } as never);
    const { envelope, r } = await drill({ world: w, file: policyFile, input: elasticOnly });
    expect(envelope.data.drills[0]).toMatchObject({ result: 'failed', code: 'DEADLINE_EXCEEDED' });
    expect(r.virtualSeconds).toBeGreaterThanOrEqual(180 * 60);
    // DeleteCluster answers Conflict while the cluster is CREATING: tried at every check, then reported
    expect(envelope.data.drills[0]).toMatchObject({
      leaked: true,
      message: expect.stringMatching(/still CREATING an hour past the deadline/),
    });
  });

  it('reports a drill cluster it cannot delete as leaked, and the leak metric fires', async () => {
    const w = exampleWorld();
    w.faults.push({ operation: 'DeleteCluster', error: 'AccessDeniedException' } as never);
    const { envelope, drillClusters, metrics } = await drill({ world: w, file: policyFile, input: elasticOnly });
    expect(envelope.data.summary.leaked).toBe(1);
    expect(envelope.data.drills[0]).toMatchObject({ leaked: true, message: expect.stringContaining('AccessDenied') });
    expect(drillClusters).toHaveLength(1);
    expect(metrics[0]).toMatchObject({ DrillClustersAlive: 1 });
  });

  it('fails a restore slower than the RTO', async () => {
    const w = exampleWorld();
    w.durations.restoreMinutes = 90; // the shipped policy's RTO is 60 minutes
    const { envelope, metrics } = await drill({ world: w, file: policyFile, input: elasticOnly });
    expect(envelope.data.drills[0]).toMatchObject({
      result: 'failed',
      code: 'DEADLINE_EXCEEDED',
      message: expect.stringMatching(/over the 60-minute RTO/),
    });
    expect((metrics[0]?.RestoreTimeSeconds as number[] | number).toString()).toMatch(/^5[4-9]\d\d/);
  });

  it('never touches a production cluster named like a drill, and sweeps leaked drill clusters of earlier runs', async () => {
    const w = exampleWorld();
    const old = new Date(Date.parse(w.now) - 2 * 86_400_000).toISOString();
    w.elasticClusters.push(
      // a production cluster that happens to look like a drill cluster: no drill tags
      {
        name: 'drill-daily-abcdef-202611200500',
        arn: 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/prod-lookalike',
        status: 'ACTIVE',
        createdAt: old,
        tags: {},
        snapshots: [],
      } as never,
      // a drill cluster an earlier run leaked (two days old: past the 8-hour lifetime)
      {
        name: 'drill-daily-123456-202611200500',
        arn: 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/leaked-drill',
        status: 'ACTIVE',
        createdAt: old,
        tags: {
          [OWNERSHIP_KEYS.managedBy]: 'backup-orchestrator',
          [DRILL_KEYS.drill]: 'daily',
          [DRILL_KEYS.run]: 'exec-old',
          [DRILL_KEYS.startedAt]: old,
        },
        snapshots: [],
      } as never,
    );
    const { envelope, model } = await drill({ world: w, file: policyFile });
    expect(envelope.data.summary.swept).toBe(1);
    expect(envelope.data.swept[0]).toMatchObject({ cluster: 'drill-daily-123456-202611200500', deleted: true });
    const after = model.toWorld().elasticClusters;
    expect(after.find((c) => c.name === 'drill-daily-abcdef-202611200500')).toMatchObject({ status: 'ACTIVE' });
  });

  it('refuses a policy without restoreDrill settings before any AWS call', async () => {
    const f = structuredClone(policyFile);
    delete (f.policies[0] as { restoreDrill?: unknown }).restoreDrill;
    const standIn = await startStandIn(exampleWorld());
    try {
      const r = await runWorkflow({ standIn, policyFile: f, definitionPath: DRILL_DEFINITION_PATH, input: { policy: 'daily' } });
      expect(r.status).toBe('FAILED');
      expect(r.error).toBe('ValidationError');
      expect(r.cause).toMatch(/has no restoreDrill settings/);
      expect(Object.keys(standIn.model.calls)).toEqual([]);
    } finally {
      await standIn.close();
    }
  });
});

describe('restore drills of copies (RDS API)', () => {
  it('restore a copy, add the one instance validation needs, validate, and delete instance then cluster', async () => {
    // The example world holds one earlier copy of the partner's catalog cluster.
    const { envelope, drillClusters, model } = await drill({ input: { targets: ['111122223333:catalog'] } });
    expect(envelope.data.drills).toHaveLength(1);
    expect(envelope.data.drills[0]).toMatchObject({ result: 'passed', of: '111122223333:catalog' });
    expect(model.calls.CreateDBInstance).toBe(1);
    expect(model.calls.DeleteDBInstance).toBe(1);
    expect(model.calls.DeleteDBCluster).toBeGreaterThanOrEqual(1);
    expect(drillClusters).toEqual([]);
  });
});
