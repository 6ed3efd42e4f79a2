/**
 * Elastic retention walks the clusters one by one (mocked SDK): page by page across invocations, from a
 * refused page token too, waiting for snapshots still creating, and never exceeding its plan's bound.
 */
import {
  DeleteClusterSnapshotCommand,
  DocDBElasticClient,
  type ListClusterSnapshotsCommandInput,
  ListClusterSnapshotsCommand,
  type ListClustersCommandInput,
  ListClustersCommand,
  ListTagsForResourceCommand,
  ValidationException,
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
import { PLAN_BYTES, type Progress, type RunState } from '../../functions/domain/run.js';
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
/** Each cluster: yesterday's snapshot (to delete under keepLast 1) and this slot's (status as given). */
function fleet(n: number, slotStatus: (i: number) => string = () => 'ACTIVE') {
  const snaps = (i: number) => [
    {
      clusterArn: arn(i),
      snapshotArn: `${arn(i)}/old`,
      snapshotName: elasticSnapshotName('daily', arn(i), name(i), new Date('2026-11-21T03:00:00Z')),
      snapshotCreationTime: '2026-11-21T03:00:00Z',
      status: 'ACTIVE',
    },
    {
      clusterArn: arn(i),
      snapshotArn: `${arn(i)}/slot`,
      snapshotName: elasticSnapshotName('daily', arn(i), name(i), new Date(RUN.slot)),
      snapshotCreationTime: RUN.slot,
      status: slotStatus(i),
    },
  ];
  const pages = Math.ceil(n / 100);
  elastic.on(ListClustersCommand).callsFake((input: ListClustersCommandInput) => {
    const page = input.nextToken ? Number(input.nextToken.slice(1)) : 0;
    const clusters = Array.from({ length: Math.min(100, n - page * 100) }, (_, k) => {
      const i = page * 100 + k;
      return { clusterArn: arn(i), clusterName: name(i), status: 'ACTIVE' };
    });
    return { clusters, ...(page + 1 < pages ? { nextToken: `p${page + 1}` } : {}) };
  });
  elastic.on(ListClusterSnapshotsCommand).callsFake((input: ListClusterSnapshotsCommandInput) => {
    const i = Number(input.clusterArn?.slice(-4));
    return { snapshots: snaps(i) };
  });
  elastic.on(ListTagsForResourceCommand).callsFake((input: { resourceArn: string }) => {
    const i = Number(input.resourceArn.split('/')[1]?.slice(1));
    return { tags: ownershipTags({ policy: 'daily', target: arn(i), runId: 'r', createdAt: NOW }) };
  });
  elastic.on(DeleteClusterSnapshotCommand).resolves({});
}

const retaining = (): RunState => {
  const p = startProgress();
  return {
    run: RUN,
    progress: { ...p, next: 'retain', part: 'elastic', elastic: { ...p.elastic, stage: 'retention', cursor: undefined } },
    interrupted: 0,
  };
};
async function retainUntilDone(state: RunState, limit = 50): Promise<{ progress: Progress; invocations: number }> {
  let progress = state.progress;
  for (let n = 1; n <= limit; n++) {
    progress = await makeHandler(retention.core, deps())({ ...state, progress }, context);
    if (progress.next !== 'retain') return { progress, invocations: n };
  }
  throw new Error('retention did not finish');
}

beforeEach(() => elastic.reset());

describe('elastic retention walk', () => {
  it('walks 250 clusters page by page over several invocations, each plan within its bound, each deletion once', async () => {
    fleet(250);
    const { progress, invocations } = await retainUntilDone(retaining());
    expect(progress.retention.elastic).toMatchObject({ done: true, deleted: 250, kept: 250 });
    expect(progress.elastic.stage).toBe('done');
    expect(invocations).toBeGreaterThan(2);
    expect(elastic).toHaveReceivedCommandTimes(DeleteClusterSnapshotCommand, 250);
    expect(elastic).toHaveReceivedCommandTimes(ListClusterSnapshotsCommand, 250);
    // one page at a time, from its token: the pages once each, plus the page an invocation resumes in
    expect(elastic.commandCalls(ListClustersCommand).length).toBeLessThanOrEqual(3 + invocations);
    expect(progress.retention.elastic.freshness).toMatchObject({ targets: 250, withoutRecoveryPoint: 0, stalest: RUN.slot });
  });

  it('keeps each plan under its byte bound', async () => {
    fleet(250);
    const first = await makeHandler(retention.core, deps())(retaining(), context);
    expect(first.retention.elastic.plan.length).toBeGreaterThan(0);
    expect(JSON.stringify(first.retention.elastic.plan).length).toBeLessThan(PLAN_BYTES + 1024);
    // an elastic plan does not carry the ARN twice
    expect(first.retention.elastic.plan[0]?.arn).toBeUndefined();
  });

  it('goes on from the first page, past the clusters it walked, when a page token is refused', async () => {
    fleet(250);
    let first = retaining().progress;
    while (!first.retention.elastic.walk?.token)
      first = await makeHandler(retention.core, deps())({ ...retaining(), progress: first }, context);
    const walked = first.retention.elastic.walk.walked;
    // the service refuses the token once (expired, say): the walk lists from the first page again
    const refused = first.retention.elastic.walk.token;
    const pages = elastic.commandCalls(ListClustersCommand).length;
    let refusedOnce = false;
    elastic.on(ListClustersCommand).callsFake((input: ListClustersCommandInput) => {
      if (input.nextToken === refused && !refusedOnce) {
        refusedOnce = true;
        throw new ValidationException({ message: 'invalid token', $metadata: {}, reason: 'other' });
      }
      const page = input.nextToken ? Number(input.nextToken.slice(1)) : 0;
      const clusters = Array.from({ length: Math.min(100, 250 - page * 100) }, (_, k) => ({
        clusterArn: arn(page * 100 + k),
        clusterName: name(page * 100 + k),
        status: 'ACTIVE',
      }));
      return { clusters, ...(page < 2 ? { nextToken: `p${page + 1}` } : {}) };
    });
    const { progress } = await retainUntilDone({ ...retaining(), progress: first });
    expect(walked).toBeGreaterThan(0);
    expect(progress.retention.elastic).toMatchObject({ done: true, deleted: 250 });
    expect(elastic).toHaveReceivedCommandTimes(DeleteClusterSnapshotCommand, 250);
    expect(refusedOnce).toBe(true);
    expect(elastic.commandCalls(ListClustersCommand).length).toBeGreaterThan(pages + 1);
  });

  it('waits for a snapshot still creating, decides it once it is done, and reports freshness only then', async () => {
    fleet(3, (i) => (i === 1 ? 'CREATING' : 'ACTIVE'));
    const first = await retainUntilDone(retaining());
    expect(first.progress.next).toBe('wait');
    expect(first.progress.retention.elastic).toMatchObject({ waiting: true, done: false, deleted: 2, pending: [[arn(1), name(1)]] });
    // the check clears the wait; the snapshot is done now
    fleet(3);
    const checked = await makeHandler(check.core, deps())({ run: RUN, progress: first.progress, interrupted: 0 }, context);
    expect(checked).toMatchObject({ next: 'retain', part: 'elastic' });
    const done = await retainUntilDone({ ...retaining(), progress: checked });
    expect(done.progress.retention.elastic).toMatchObject({ done: true, deleted: 3, pending: [] });
    expect(done.progress.elastic.reportedAt).toBeDefined();
  });

  it('reports a snapshot still creating at the create deadline, and one that ended failed, once each', async () => {
    fleet(3, (i) => (i === 0 ? 'CREATING' : i === 1 ? 'INACCESSIBLE_ENCRYPTION_CREDS' : 'ACTIVE'));
    const late = new Date(Date.parse(RUN.createDeadline) + 60_000);
    let progress = retaining().progress;
    for (let n = 0; n < 5 && progress.next === 'retain'; n++)
      progress = await makeHandler(retention.core, deps(late))({ run: RUN, progress, interrupted: 0 }, context);
    expect(progress.log.failures.map((f) => [f.target, f.code])).toEqual([
      [arn(0), 'DEADLINE_EXCEEDED'],
      [arn(1), 'INTERNAL_ERROR'],
    ]);
    expect(progress.retention.elastic.done).toBe(true);
  });

  it("walks only the run's own clusters when the run names some", async () => {
    fleet(250);
    const state = retaining();
    const { progress } = await retainUntilDone({ ...state, run: { ...RUN, targets: [arn(7), arn(201)] } });
    expect(progress.retention.elastic).toMatchObject({ done: true, deleted: 2 });
    expect(elastic).toHaveReceivedCommandTimes(ListClustersCommand, 0);
  });
});
