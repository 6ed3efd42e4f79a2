/**
 * A dry run plans what the real run then does: the deletions a run's own new snapshots and copies bring
 * are in the plan too (the snapshots it would take join the decision without being taken). Each case
 * runs a dry run, then the real run on the same world, and compares what was planned with what went.
 */
import { describe, expect, it } from 'vitest';
import { copySnapshotName, elasticSnapshotName } from '../../functions/domain/naming.js';
import { ownershipTags } from '../../functions/domain/tags.js';
import { runWorkflow } from '../../local/runner.js';
import { startStandIn } from '../../local/standin/server.js';
import type { WorldInput } from '../../local/standin/world.js';
import { clusterArn, type Envelope, policies, world } from './helpers.js';

const C1 = clusterArn('00000000-0000-4000-8000-000000000001');
const C2 = clusterArn('00000000-0000-4000-8000-000000000002');
const PARTNER = '111122223333';
const SRC = (id: string) => `arn:aws:rds:us-east-1:${PARTNER}:cluster-snapshot:${id}`;
const NOW = new Date('2026-11-22T02:00:00Z');
const day = (n: number) => new Date(NOW.getTime() - n * 86_400_000);

/** Two clusters with five earlier nightly snapshots each; a copy of an older partner snapshot, and two newer ones shared. */
function baseWorld(): WorldInput {
  const history = (arn: string, name: string) =>
    [1, 2, 3, 4, 5].map((n) => ({
      name: elasticSnapshotName('nightly', arn, name, day(n)),
      createdAt: new Date(day(n).getTime() + 60_000).toISOString(),
      tags: ownershipTags({ policy: 'nightly', target: arn, runId: `r${n}`, createdAt: day(n) }),
    }));
  const old = SRC('src-a-old');
  return {
    accountId: '123456789012',
    region: 'us-east-1',
    now: NOW.toISOString(),
    durations: { createMinutes: 20, copyMinutes: 30 },
    elasticClusters: [
      { name: 'alpha', arn: C1, snapshots: history(C1, 'alpha') },
      { name: 'beta', arn: C2, snapshots: history(C2, 'beta'), tags: { backup: 'no' } },
    ],
    clusterSnapshots: [
      {
        id: copySnapshotName('nightly-copy', old, 'a', day(3)),
        clusterId: 'a',
        createdAt: day(3).toISOString(),
        tags: {
          ...ownershipTags({ policy: 'nightly', target: `${PARTNER}:a`, runId: 'r3', createdAt: day(3) }),
          'backup-orchestrator:source-arn': old,
          'backup-orchestrator:source-time': day(3).toISOString(),
        },
      },
    ],
    sharedSnapshots: [
      { ownerAccount: PARTNER, id: 'src-a', clusterId: 'a', createdAt: day(1).toISOString() },
      { ownerAccount: PARTNER, id: 'src-a2', clusterId: 'a', createdAt: day(2).toISOString() },
      { ownerAccount: PARTNER, id: 'src-b', clusterId: 'b', createdAt: day(1).toISOString() },
    ],
  };
}

const policyFile = (retention: string, elastic = `clusterArns: ['${C1}', '${C2}']`) =>
  policies(`
settings: { poll: { initialSeconds: 300, backoff: 1.5, maxSeconds: 1800, maxIterations: 50 } }
policies:
  - name: nightly
    elastic: { ${elastic} }
    copy: { sourceAccounts: ['${PARTNER}'], select: all }
    retention: ${retention}
`);

describe('a dry run plans the deletions the real run makes', () => {
  it.each([
    ['{ keepLast: 1 }', undefined],
    ['{ keepLast: 3 }', undefined],
    ['{ keepLast: 5 }', undefined],
    ['{ keepDaily: 2, minKeep: 1 }', undefined],
    ['{ keepWithin: 2d }', undefined],
    ['{ keepLast: 2 }', 'selector: { backup: yes }'],
  ])('retention %s (elastic %s)', async (retention, elastic) => {
    const w = world(baseWorld());
    if (elastic) w.elasticClusters.forEach((c) => (c.tags = { backup: c.arn === C1 ? 'yes' : 'no' }));
    const standIn = await startStandIn(w);
    try {
      const file = policyFile(retention, elastic);
      const input = { policy: 'nightly', scheduledTime: NOW.toISOString() };
      const dry = await runWorkflow({ standIn, policyFile: file, input: { ...input, dryRun: true } });
      expect(dry.status).toBe('SUCCEEDED');
      // the dry run deletes nothing: its freshness is the snapshots there now (the newest is a day old)
      expect((dry.output as Envelope).data.parts.elastic.freshness).toMatchObject({
        withoutRecoveryPoint: 0,
        stalest: new Date(day(1).getTime() + 60_000).toISOString(),
      });
      const planned = dry.records.filter((r) => r.action === 'would-delete').map((r) => `${r.part} ${r.name}`);
      expect(new Set(planned).size).toBe(planned.length);

      const real = await runWorkflow({ standIn, policyFile: file, input });
      expect(real.status, `${real.error} ${real.cause}`).toBe('SUCCEEDED');
      const deleted = real.records.filter((r) => r.action === 'deleted').map((r) => `${r.part} ${r.name}`);
      expect([...new Set(deleted)].sort()).toEqual([...planned].sort());
      expect((dry.output as Envelope).data.plan?.delete).toBe(planned.length);
      expect((real.output as Envelope).data.summary.deleted).toBe(deleted.length);
    } finally {
      await standIn.close();
    }
  });
});
