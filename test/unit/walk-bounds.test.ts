/**
 * The elastic retention walk under the shapes that used to break it (found by review, each run against
 * the walk as it was): a batch of clusters whose deletions together pass the plan's bound, a full
 * waiting list decided at once, and clusters deleted or added before the walk's position while it waits
 * for snapshots still creating. The state stays within its bound, every cluster is decided exactly once,
 * and every deletion is made and counted once.
 */
import 'aws-sdk-client-mock-vitest/extend';
import {
  DeleteClusterSnapshotCommand,
  DocDBElasticClient,
  type ListClusterSnapshotsCommandInput,
  ListClusterSnapshotsCommand,
  type ListClustersCommandInput,
  ListClustersCommand,
  ListTagsForResourceCommand,
  GetClusterCommand,
} from '@aws-sdk/client-docdb-elastic';
import { RDSClient } from '@aws-sdk/client-rds';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import * as retention from '../../functions/apply-retention/handler.js';
import * as check from '../../functions/check-operations/handler.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { makeHandler } from '../../functions/runtime/handler.js';
import { elasticSnapshotName } from '../../functions/domain/naming.js';
import { parsePolicyYaml } from '../../functions/domain/policy.js';
import { STATE_BYTES, type Progress, type RunState } from '../../functions/domain/run.js';
import { MAX_PLAN } from '../../functions/apply-retention/apply-retention.js';
import { ownershipTags } from '../../functions/domain/tags.js';
import { createLogger } from '../../functions/runtime/telemetry.js';
import { RUN, startProgress } from '../fixtures/run.js';

const elastic = mockClient(DocDBElasticClient);
mockClient(RDSClient);
const NOW = new Date('2026-11-22T03:30:00Z');
const policyFile = parsePolicyYaml(`
policies:
  - name: daily
    elastic: { selector: { backup: daily } }
    retention: { keepLast: 1 }
`);
const deps = (now = NOW): Deps => ({
  config: {
    region: 'us-east-1',
    logLevel: 'SILENT',
    metricsNamespace: 'Test',
    tracing: false,
    policyFile,
    policyPath: 'test',
    deployedAt: new Date(0),
  },
  clients: {
    elastic: new DocDBElasticClient({ region: 'us-east-1' }),
    rds: new RDSClient({ region: 'us-east-1' }),
    cloudwatch: new CloudWatchClient({ region: 'us-east-1' }),
  },
  now: () => now,
  logger: createLogger('SILENT'),
  emit: () => undefined,
  budgetEndsAt: () => Number.POSITIVE_INFINITY,
});
const context = {
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
  getRemainingTimeInMillis: () => 600_000,
} as unknown as Context;
const arn = (i: number) => `arn:aws:docdb-elastic:us-east-1:123456789012:cluster/c${String(i).padStart(4, '0')}`;
const name = (i: number) => `cluster-${i}`;

interface FleetOpts {
  order: () => number[];
  slotStatus: (i: number) => string;
  old: number;
}
function fleet(o: FleetOpts) {
  const snaps = (i: number) => [
    ...Array.from({ length: o.old }, (_, d) => {
      const t = new Date(Date.parse('2026-11-21T03:00:00Z') - d * 86_400_000);
      return {
        clusterArn: arn(i),
        snapshotArn: `${arn(i)}/old${d}`,
        snapshotName: elasticSnapshotName('daily', arn(i), name(i), t),
        snapshotCreationTime: t.toISOString(),
        status: 'ACTIVE',
      };
    }),
    {
      clusterArn: arn(i),
      snapshotArn: `${arn(i)}/slot`,
      snapshotName: elasticSnapshotName('daily', arn(i), name(i), new Date(RUN.slot)),
      snapshotCreationTime: RUN.slot,
      status: o.slotStatus(i),
    },
  ];
  elastic.on(ListClustersCommand).callsFake((input: ListClustersCommandInput) => {
    const all = o.order();
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const clusters = all.slice(start, start + 100).map((i) => ({ clusterArn: arn(i), clusterName: name(i), status: 'ACTIVE' }));
    return { clusters, ...(start + 100 < all.length ? { nextToken: String(start + 100) } : {}) };
  });
  elastic
    .on(ListClusterSnapshotsCommand)
    .callsFake((input: ListClusterSnapshotsCommandInput) => ({ snapshots: snaps(Number(input.clusterArn?.slice(-4))) }));
  elastic.on(ListTagsForResourceCommand).callsFake((input: { resourceArn: string }) => {
    const i = Number(input.resourceArn.split('/')[1]?.slice(1));
    return { tags: ownershipTags({ policy: 'daily', target: arn(i), runId: 'r', createdAt: NOW }) };
  });
  elastic.on(DeleteClusterSnapshotCommand).resolves({});
  elastic.on(GetClusterCommand).resolves({});
}
const retaining = (): RunState => {
  const p = startProgress();
  return {
    run: RUN,
    progress: { ...p, next: 'retain', part: 'elastic', elastic: { ...p.elastic, stage: 'retention', cursor: undefined } },
    interrupted: 0,
  };
};
async function retainUntil(progress: Progress, limit = 50) {
  for (let n = 1; n <= limit; n++) {
    progress = await makeHandler(retention.core, deps())({ run: RUN, progress, interrupted: 0 }, context);
    if (progress.next !== 'retain') return progress;
  }
  throw new Error('not finished');
}
beforeEach(() => elastic.reset());

const deletesOf = () => elastic.commandCalls(DeleteClusterSnapshotCommand).map((c) => c.args[0].input.snapshotArn as string);

describe('the elastic retention walk', () => {
  it('keeps the plan, and so the state, within its bound when a batch of clusters has many deletions each', async () => {
    fleet({ order: () => Array.from({ length: 20 }, (_, i) => i), slotStatus: () => 'ACTIVE', old: 40 });
    let progress = retaining().progress;
    let largest = 0;
    for (let n = 0; n < 100 && progress.next === 'retain'; n++) {
      progress = await makeHandler(retention.core, deps())({ run: RUN, progress, interrupted: 0 }, context);
      largest = Math.max(largest, JSON.stringify(progress).length);
      expect(progress.retention.elastic.plan.length).toBeLessThanOrEqual(MAX_PLAN);
    }
    expect(largest).toBeLessThanOrEqual(STATE_BYTES);
    // keepLast 1 keeps each cluster's slot snapshot: all 800 older ones go, each deleted and counted once
    const deletes = deletesOf();
    expect(new Set(deletes).size).toBe(800);
    expect(deletes).toHaveLength(800);
    expect(progress.retention.elastic).toMatchObject({ deleted: 800, kept: 20 });
  });

  it('decides a full waiting list in chunks that fit the plan', async () => {
    let creating = true;
    fleet({ order: () => Array.from({ length: 60 }, (_, i) => i), slotStatus: () => (creating ? 'CREATING' : 'ACTIVE'), old: 25 });
    const p1 = await retainUntil(retaining().progress);
    expect(p1.retention.elastic.pending).toHaveLength(50);
    creating = false;
    let progress = await makeHandler(check.core, deps())({ run: RUN, progress: p1, interrupted: 0 }, context);
    let largest = 0;
    for (let n = 0; n < 200 && progress.next !== 'report'; n++) {
      progress =
        progress.next === 'retain'
          ? await makeHandler(retention.core, deps())({ run: RUN, progress, interrupted: 0 }, context)
          : await makeHandler(check.core, deps())({ run: RUN, progress, interrupted: 0 }, context);
      largest = Math.max(largest, JSON.stringify(progress).length);
    }
    expect(largest).toBeLessThanOrEqual(STATE_BYTES);
    expect(deletesOf()).toHaveLength(60 * 25);
    expect(progress.retention.elastic).toMatchObject({ deleted: 60 * 25, kept: 60 });
  });

  it('decides the cluster after the position when a cluster before it was deleted while the walk waited', async () => {
    let order = Array.from({ length: 100 }, (_, i) => i);
    let creating = true;
    fleet({ order: () => order, slotStatus: (i) => (creating && i < 60 ? 'CREATING' : 'ACTIVE'), old: 1 });
    const p1 = await retainUntil(retaining().progress);
    expect(p1.retention.elastic.pending).toHaveLength(50);
    order = order.filter((i) => i !== 5); // cluster 5 deleted (ListClusters no longer shows it)
    creating = false;
    const checked = await makeHandler(check.core, deps())({ run: RUN, progress: p1, interrupted: 0 }, context);
    const done = await retainUntil(checked);
    const deletes = deletesOf();
    for (let i = 0; i < 100; i++)
      expect(
        deletes.filter((d) => d === `${arn(i)}/old0`),
        `cluster ${i}`,
      ).toHaveLength(1);
    expect(done.retention.elastic).toMatchObject({ deleted: 100, kept: 100 });
  });

  it('decides every cluster once when a cluster is added before the position while the walk waited', async () => {
    let order = Array.from({ length: 100 }, (_, i) => i + 1);
    let creating = true;
    fleet({ order: () => order, slotStatus: (i) => (creating && i < 61 ? 'CREATING' : 'ACTIVE'), old: 1 });
    const p1 = await retainUntil(retaining().progress);
    order = [0, ...order];
    creating = false;
    const checked = await makeHandler(check.core, deps())({ run: RUN, progress: p1, interrupted: 0 }, context);
    const done = await retainUntil(checked);
    const deletes = deletesOf();
    for (let i = 1; i <= 100; i++)
      expect(
        deletes.filter((d) => d === `${arn(i)}/old0`),
        `cluster ${i}`,
      ).toHaveLength(1);
    // the walk resumed after the last cluster it walked: none is decided twice (cluster 0 came after the walk passed its place: the next run decides it)
    expect(done.retention.elastic).toMatchObject({ deleted: 100, kept: 100 });
  });
});
