/**
 * Elastic retention walks the clusters one by one (mocked SDK): page by page across invocations, from a
 * refused page token too, waiting for snapshots still creating, and never exceeding its plan's bound;
 * and the shapes that broke it once (found by review, each failing on the walk as it was): a batch whose
 * deletions together pass the plan's bound, a full waiting list decided at once, and clusters deleted or
 * added before the walk's position while it waits.
 */
import {
  DeleteClusterSnapshotCommand,
  DocDBElasticClient,
  type ListClusterSnapshotsCommandInput,
  ListClusterSnapshotsCommand,
  type ListClustersCommandInput,
  ListClustersCommand,
  GetClusterCommand,
  ListTagsForResourceCommand,
  ValidationException,
} from '@aws-sdk/client-docdb-elastic';
import { RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import * as retention from '../../functions/apply-retention/handler.js';
import * as check from '../../functions/check-operations/handler.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { makeHandler } from '../../functions/runtime/handler.js';
import { elasticSnapshotName } from '../../functions/domain/naming.js';
import { parsePolicyYaml } from '../../functions/domain/policy.js';
import { PLAN_BYTES, type Progress, type RunState, STATE_BYTES } from '../../functions/domain/run.js';
import { MAX_PLAN } from '../../functions/apply-retention/apply-retention.js';
import { ownershipTags } from '../../functions/domain/tags.js';
import type { Run } from '../../functions/domain/run.js';
import { lambdaContext, testDeps } from '../fixtures/deps.js';
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
const deps = (now = NOW): Deps => testDeps(policyFile, now);
const context = lambdaContext;

const arn = (i: number) => `arn:aws:docdb-elastic:us-east-1:123456789012:cluster/c${String(i).padStart(4, '0')}`;
const name = (i: number) => `cluster-${i}`;
interface FleetOptions {
  /** The clusters ListClusters returns, in its order (read at each call: a test may change it); default 0..n-1. */
  order?: () => number[];
  /** This slot's snapshot status per cluster (default ACTIVE). */
  slotStatus?: (i: number) => string;
  /** Earlier daily snapshots per cluster (default 1: yesterday's, which keepLast 1 deletes). */
  old?: number;
  /** When this slot's snapshot was taken (default a minute after the run started: this run made it). */
  slotTime?: (i: number) => string;
  /** The tags of a snapshot (default: ours). */
  tagsOf?: (snapshotArn: string) => Record<string, string>;
}
/** n clusters of the policy, each with `old` earlier snapshots and this slot's; ListClusters pages of 100 with offset tokens. */
function fleet(n: number, options: FleetOptions = {}) {
  const ids = Array.from({ length: n }, (_, i) => i);
  const ours = (snapshotArn: string) => {
    const i = Number(snapshotArn.split('/')[1]?.slice(1));
    return ownershipTags({ policy: 'daily', target: arn(i), runId: 'r', createdAt: NOW });
  };
  const o = { order: () => ids, slotStatus: () => 'ACTIVE', old: 1, slotTime: () => '2026-11-22T03:01:00.000Z', tagsOf: ours, ...options };
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
      snapshotCreationTime: o.slotTime(i),
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
  elastic.on(ListTagsForResourceCommand).callsFake((input: { resourceArn: string }) => ({ tags: o.tagsOf(input.resourceArn) }));
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
    expect(progress.retention.elastic.freshness).toMatchObject({
      targets: 250,
      withoutRecoveryPoint: 0,
      stalest: '2026-11-22T03:01:00.000Z',
    });
    // tags are read only for what is deleted: the slot snapshots this run made count as ours unread
    expect(elastic).toHaveReceivedCommandTimes(ListTagsForResourceCommand, 250);
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
      const start = input.nextToken ? Number(input.nextToken) : 0;
      const clusters = Array.from({ length: Math.min(100, 250 - start) }, (_, k) => ({
        clusterArn: arn(start + k),
        clusterName: name(start + k),
        status: 'ACTIVE',
      }));
      return { clusters, ...(start + 100 < 250 ? { nextToken: String(start + 100) } : {}) };
    });
    const { progress } = await retainUntilDone({ ...retaining(), progress: first });
    expect(walked).toBeGreaterThan(0);
    expect(progress.retention.elastic).toMatchObject({ done: true, deleted: 250 });
    expect(elastic).toHaveReceivedCommandTimes(DeleteClusterSnapshotCommand, 250);
    expect(refusedOnce).toBe(true);
    expect(elastic.commandCalls(ListClustersCommand).length).toBeGreaterThan(pages + 1);
  });

  it('waits for a snapshot still creating, decides it once it is done, and reports freshness only then', async () => {
    fleet(3, { slotStatus: (i) => (i === 1 ? 'CREATING' : 'ACTIVE') });
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
    fleet(3, { slotStatus: (i) => (i === 0 ? 'CREATING' : i === 1 ? 'INACCESSIBLE_ENCRYPTION_CREDS' : 'ACTIVE') });
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

const deletesOf = () => elastic.commandCalls(DeleteClusterSnapshotCommand).map((c) => c.args[0].input.snapshotArn as string);

describe('elastic retention walk: plan bound and position (cases found by review)', () => {
  it('keeps the plan, and so the state, within its bound when a batch of clusters has many deletions each', async () => {
    fleet(20, { old: 40 });
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
    fleet(60, { slotStatus: () => (creating ? 'CREATING' : 'ACTIVE'), old: 25 });
    const p1 = (await retainUntilDone(retaining())).progress;
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
    fleet(100, { order: () => order, slotStatus: (i) => (creating && i < 60 ? 'CREATING' : 'ACTIVE') });
    const p1 = (await retainUntilDone(retaining())).progress;
    expect(p1.retention.elastic.pending).toHaveLength(50);
    order = order.filter((i) => i !== 5); // cluster 5 deleted (ListClusters no longer shows it)
    creating = false;
    const checked = await makeHandler(check.core, deps())({ run: RUN, progress: p1, interrupted: 0 }, context);
    const done = (await retainUntilDone({ ...retaining(), progress: checked })).progress;
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
    fleet(100, { order: () => order, slotStatus: (i) => (creating && i < 61 ? 'CREATING' : 'ACTIVE') });
    const p1 = (await retainUntilDone(retaining())).progress;
    order = [0, ...order];
    creating = false;
    const checked = await makeHandler(check.core, deps())({ run: RUN, progress: p1, interrupted: 0 }, context);
    const done = (await retainUntilDone({ ...retaining(), progress: checked })).progress;
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

describe('elastic retention walk: what counts as ours, and the run deadline', () => {
  const tagReads = () => elastic.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input.resourceArn as string);
  const floorPolicy = parsePolicyYaml(`
policies:
  - name: daily
    elastic: { selector: { backup: daily } }
    retention: { keepLast: 1, minKeep: 1 }
`);

  it('reads the tags of a slot-named snapshot older than the run: a look-alike never stands in for the newest', async () => {
    // cluster 0: the slot's name taken before the run by a snapshot that is not ours (a cluster this run did
    // not snapshot); cluster 1: the slot snapshot an earlier execution of the slot made (ours, older than the run)
    fleet(2, {
      slotTime: (i) => (i === 0 ? '2026-11-22T02:59:00.000Z' : '2026-11-22T03:00:01.000Z'),
      tagsOf: (a) =>
        a === `${arn(0)}/slot`
          ? { team: 'someone-else' }
          : ownershipTags({ policy: 'daily', target: arn(Number(a.split('/')[1]?.slice(1))), runId: 'r', createdAt: NOW }),
    });
    let progress = retaining().progress;
    for (let n = 0; n < 5 && progress.next === 'retain'; n++)
      progress = await makeHandler(retention.core, testDeps(floorPolicy, NOW))({ run: RUN, progress, interrupted: 0 }, context);
    // cluster 0's own older snapshot is its newest recovery point: kept; the look-alike is not deleted either
    expect(deletesOf()).toEqual([`${arn(1)}/old0`]);
    expect(progress.retention.elastic).toMatchObject({ deleted: 1 });
    expect(tagReads()).toEqual(expect.arrayContaining([`${arn(0)}/slot`, `${arn(1)}/slot`]));
  });

  it('does not take the shortcut in a dry run, or in a run that skipped creates', async () => {
    const runs: Run[] = [
      { ...RUN, skip: ['create'] },
      { ...RUN, dryRun: true },
    ];
    for (const run of runs) {
      elastic.reset();
      fleet(1);
      let progress = retaining().progress;
      for (let n = 0; n < 5 && progress.next === 'retain'; n++)
        progress = await makeHandler(retention.core, testDeps(floorPolicy, NOW))({ run, progress, interrupted: 0 }, context);
      expect(tagReads()).toContain(`${arn(0)}/slot`);
    }
  });

  it("reports each cluster it did not reach by the run's deadline under its ARN, and the walk's stopping place", async () => {
    fleet(400, { slotStatus: (i) => (i < 2 ? 'CREATING' : 'ACTIVE') });
    // the first invocation walks part of the fleet, leaving clusters 0 and 1 waiting for their slot snapshots
    const first = await makeHandler(retention.core, deps())(retaining(), context);
    expect(first.retention.elastic.pending?.map(([a]) => a)).toEqual([arn(0), arn(1)]);
    expect(first.next).toBe('retain');
    // past the run's deadline the next invocation decides what its plan holds, then ends the walk
    const late = new Date(Date.parse(RUN.runDeadline) + 60_000);
    let progress = first;
    for (let n = 0; n < 5 && progress.next === 'retain'; n++)
      progress = await makeHandler(retention.core, deps(late))({ run: RUN, progress, interrupted: 0 }, context);
    expect(progress.retention.elastic.done).toBe(true);
    const deleted = new Set(deletesOf());
    const reached = (i: number) => deleted.has(`${arn(i)}/old0`);
    const stop = Array.from({ length: 400 }, (_, i) => i).findIndex((i) => i >= 2 && !reached(i));
    expect(stop).toBeGreaterThan(2);
    expect([...Array.from({ length: 400 - stop }, (_, k) => stop + k)].some(reached)).toBe(false);
    const deadline = progress.log.failures.filter((f) => f.code === 'DEADLINE_EXCEEDED');
    expect(deadline.map((f) => f.target)).toEqual([arn(0), arn(1), arn(stop)]);
    for (const f of deadline) expect(f.message).toContain(f.target);
    expect(progress.log.failureCount).toBe(progress.log.failures.length);
    expect(progress.retention.elastic.done).toBe(true);
  });

  it('reports the clusters still waiting, and where the walk stopped, when the deadline finds its time spent', async () => {
    fleet(400, { slotStatus: (i) => (i < 2 ? 'CREATING' : 'ACTIVE') });
    const first = await makeHandler(retention.core, deps())(retaining(), context);
    expect(first.retention.elastic.pending?.map(([a]) => a)).toEqual([arn(0), arn(1)]);
    // past the deadline, an invocation whose time budget is spent: it carries out its plan and decides no more
    const late = new Date(Date.parse(RUN.runDeadline) + 60_000);
    const spent = { ...context, getRemainingTimeInMillis: () => 0 };
    const walkedBefore = first.retention.elastic.walk?.walked ?? 0;
    const progress = await makeHandler(retention.core, deps(late))({ run: RUN, progress: first, interrupted: 0 }, spent);
    const deadline = progress.log.failures.filter((f) => f.code === 'DEADLINE_EXCEEDED');
    expect(deadline.map((f) => f.target)).toEqual([arn(0), arn(1), arn(walkedBefore)]);
    expect(deadline[0]?.message).toMatch(
      /retention not applied before the run's deadline .*: it was waiting for its snapshot of this slot/,
    );
    expect(deadline[2]?.message).toMatch(/the walk over the clusters stopped here; the next run decides it and the clusters after it/);
    for (const f of deadline) expect(f.message).toContain(f.target);
    expect(progress.retention.elastic).toMatchObject({ pending: [] });
    expect(progress.retention.elastic.walk?.phase).toBe('done');
  });
});

describe('freshness of a target with no recovery point', () => {
  const withSchedule = parsePolicyYaml(`
policies:
  - name: daily
    schedules: [{ expression: 'cron(0 3 * * ? *)' }]
    elastic: { clusterArns: ['${arn(0)}'] }
    retention: { keepLast: 1 }
`);
  const deployedAt = new Date('2026-11-01T10:00:00Z');
  const depsAt = (): Deps => {
    const d = testDeps(withSchedule, NOW);
    return { ...d, config: { ...d.config, deployedAt } };
  };
  const run = async (createTime: string | undefined) => {
    elastic.reset();
    elastic.on(ListClustersCommand).resolves({ clusters: [] });
    elastic.on(ListClusterSnapshotsCommand).resolves({ snapshots: [] });
    if (createTime) elastic.on(GetClusterCommand).resolves({ cluster: { clusterArn: arn(0), createTime } as never });
    else elastic.on(GetClusterCommand).rejects(new Error('boom'));
    let progress = retaining().progress;
    for (let n = 0; n < 5 && progress.next === 'retain'; n++)
      progress = await makeHandler(retention.core, depsAt())({ run: RUN, progress, interrupted: 0 }, context);
    return progress.retention.elastic.freshness;
  };

  it('counts from its first scheduled run, and never from before the stack was deployed', async () => {
    // a cluster born before the deployment: the deployment's first run (not the cluster's birth)
    expect(await run('2020-01-01T00:00:00Z')).toEqual({
      targets: 1,
      withoutRecoveryPoint: 1,
      stalest: '2026-11-02T03:00:00.000Z',
      stalestTarget: arn(0),
    });
    // a cluster born after it: its own first run
    expect(await run('2026-11-20T05:00:00Z')).toMatchObject({ withoutRecoveryPoint: 1, stalest: '2026-11-21T03:00:00.000Z' });
    // its birth unknown (GetCluster failed): still counted, from the deployment's first run
    expect(await run(undefined)).toMatchObject({ targets: 1, withoutRecoveryPoint: 1, stalest: '2026-11-02T03:00:00.000Z' });
  });
});
