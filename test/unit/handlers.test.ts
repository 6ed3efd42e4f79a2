/**
 * The handlers with mocked SDK clients (aws-sdk-client-mock): the decisions at the AWS boundary.
 */
import {
  ConflictException,
  CreateClusterSnapshotCommand,
  DeleteClusterSnapshotCommand,
  DocDBElasticClient,
  ListClusterSnapshotsCommand,
  ListClustersCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  TagResourceCommand,
} from '@aws-sdk/client-docdb-elastic';
import {
  AddTagsToResourceCommand,
  CopyDBClusterSnapshotCommand,
  DBClusterSnapshotNotFoundFault,
  DeleteDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as applyTags from '../../functions/apply-tags/handler.js';
import * as retention from '../../functions/apply-retention/handler.js';
import * as check from '../../functions/check-operations/handler.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { makeHandler } from '../../functions/runtime/handler.js';
import { elasticSnapshotName } from '../../functions/domain/naming.js';
import { parsePolicyYaml } from '../../functions/domain/policy.js';
import type { Progress, RunState } from '../../functions/domain/run.js';
import { COPY_KEYS, OWNERSHIP_KEYS, ownershipTags, TAGGED_BY } from '../../functions/domain/tags.js';
import { createLogger } from '../../functions/runtime/telemetry.js';
import * as start from '../../functions/start-operations/handler.js';
import * as validate from '../../functions/validate-input/handler.js';
import { lambdaContext, testDeps } from '../fixtures/deps.js';
import { RUN, startProgress } from '../fixtures/run.js';

const elastic = mockClient(DocDBElasticClient);
const rds = mockClient(RDSClient);
const C1 = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/c1';
const C2 = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/c2';
const SRC = (id: string) => `arn:aws:rds:us-east-1:111122223333:cluster-snapshot:${id}`;
const NOW = new Date('2026-11-22T03:10:00Z');
const policyFile = parsePolicyYaml(`
policies:
  - name: daily
    elastic: { selector: { backup: daily } }
    copy:
      sourceAccounts: ['111122223333']
      kmsKeyId: arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555
    retention: { keepLast: 1 }
    tags: { static: { team: platform } }
`);
const deps = (now = NOW): Deps => testDeps(policyFile, now);
const context = lambdaContext;
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const conflict = () => new ConflictException({ message: 'exists', $metadata: {}, resourceId: 'x', resourceType: 'cluster-snapshot' });

beforeEach(() => {
  elastic.reset();
  rds.reset();
  elastic.on(ListClustersCommand).resolves({ clusters: [{ clusterArn: C1, clusterName: 'one', status: 'ACTIVE' }] });
});

describe('validate-input handler', () => {
  it('reads the account from the context, sets the run deadline, and makes no AWS call', async () => {
    const out = await makeHandler(validate.core, deps())(
      { input: { policy: 'daily' }, execution: { name: 'e', startTime: NOW.toISOString() } },
      context,
    );
    expect(out.run.accountId).toBe('123456789012');
    expect(out.interrupted).toBe(0);
    expect(Date.parse(out.run.runDeadline) - NOW.getTime()).toBe(66 * 3600 * 1000);
    expect(elastic.calls()).toHaveLength(0);
    expect(rds.calls()).toHaveLength(0);
  });
});

describe('start-operations handler', () => {
  const shared = (id: string, encrypted: boolean) => ({
    DBClusterSnapshotArn: SRC(id),
    DBClusterIdentifier: id,
    SnapshotType: 'shared',
    Status: 'available',
    Engine: 'docdb',
    StorageEncrypted: encrypted,
    SnapshotCreateTime: new Date('2026-11-21T00:00:00Z'),
  });

  it('creates tagged snapshots for selected clusters; a name taken by an earlier execution is adopted, by this run counted as created', async () => {
    // Prepare
    elastic.on(ListClustersCommand).resolves({
      clusters: [
        { clusterArn: C1, clusterName: 'one', status: 'ACTIVE' },
        { clusterArn: C2, clusterName: 'two', status: 'ACTIVE' },
        { clusterArn: `${C2}x`, clusterName: 'three', status: 'ACTIVE' },
        { clusterArn: `${C2}y`, clusterName: 'other', status: 'ACTIVE' },
      ],
    });
    elastic.on(ListTagsForResourceCommand).resolves({ tags: { backup: 'daily' } });
    elastic.on(ListTagsForResourceCommand, { resourceArn: `${C2}y` }).resolves({ tags: { backup: 'weekly' } });
    const name2 = elasticSnapshotName('daily', C2, 'two', new Date(RUN.slot));
    const name3 = elasticSnapshotName('daily', `${C2}x`, 'three', new Date(RUN.slot));
    elastic.on(ListClusterSnapshotsCommand, { clusterArn: C2 }).resolves({
      snapshots: [
        { clusterArn: C2, snapshotArn: 'arn:snap2', snapshotName: name2, status: 'CREATING', snapshotCreationTime: NOW.toISOString() },
      ],
    });
    elastic.on(ListClusterSnapshotsCommand, { clusterArn: `${C2}x` }).resolves({
      snapshots: [
        {
          clusterArn: `${C2}x`,
          snapshotArn: 'arn:snap3',
          snapshotName: name3,
          status: 'CREATING',
          snapshotCreationTime: NOW.toISOString(),
        },
      ],
    });
    elastic
      .on(ListTagsForResourceCommand, { resourceArn: 'arn:snap2' })
      .resolves({ tags: { ...ownershipTags({ policy: 'daily', target: C2, runId: 'earlier-execution', createdAt: NOW }) } });
    elastic
      .on(ListTagsForResourceCommand, { resourceArn: 'arn:snap3' })
      .resolves({ tags: { ...ownershipTags({ policy: 'daily', target: `${C2}x`, runId: RUN.id, createdAt: NOW }), team: 'platform' } });
    elastic.on(CreateClusterSnapshotCommand, { clusterArn: C1 }).resolves({ snapshot: { snapshotArn: 'arn:snap1' } as never });
    elastic.on(CreateClusterSnapshotCommand, { clusterArn: C2 }).rejects(conflict());
    elastic.on(CreateClusterSnapshotCommand, { clusterArn: `${C2}x` }).rejects(conflict());
    elastic.on(TagResourceCommand).resolves({});
    rds
      .on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'shared' })
      .resolves({ DBClusterSnapshots: [shared('plain', false), shared('secret', true)] });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'manual' }).resolves({ DBClusterSnapshots: [] });
    rds.on(CopyDBClusterSnapshotCommand).resolves({});
    // Act
    const p = await makeHandler(start.core, deps())({ run: RUN, interrupted: 0 }, context);
    // Assess
    expect(p.elastic).toMatchObject({ created: 2, adopted: 1, targets: 3, cursor: undefined, retry: [] });
    expect(p.copies).toMatchObject({
      started: 2,
      inFlight: [expect.objectContaining({ source: SRC('plain') }), expect.objectContaining({ source: SRC('secret') })],
    });
    expect(p.log.failureCount).toBe(0);
    expect(p.next).toBe('wait');
    // the adopted one lacked the static tag: added, with this run as the tagger
    expect(elastic).toHaveReceivedCommandWith(TagResourceCommand, {
      resourceArn: 'arn:snap2',
      tags: { team: 'platform', [TAGGED_BY]: RUN.id },
    });
    expect(p.tagged).toBe(1);
    const create = elastic.commandCalls(CreateClusterSnapshotCommand, { clusterArn: C1 })[0]?.args[0].input;
    expect(create?.snapshotName).toBe(elasticSnapshotName('daily', C1, 'one', new Date(RUN.slot)));
    expect(create?.tags).toMatchObject({
      ...ownershipTags({ policy: 'daily', target: C1, runId: 'exec-1', createdAt: NOW }),
      team: 'platform',
    });
    const copies = rds.commandCalls(CopyDBClusterSnapshotCommand).map((c) => c.args[0].input);
    expect(copies.find((c) => c.SourceDBClusterSnapshotIdentifier === SRC('plain'))?.KmsKeyId).toBeUndefined();
    expect(copies.find((c) => c.SourceDBClusterSnapshotIdentifier === SRC('secret'))?.KmsKeyId).toMatch(/^arn:aws:kms:/);
    for (const c of copies) {
      expect(c.CopyTags).toBeUndefined();
      expect(c.Tags).toEqual(
        expect.arrayContaining([
          { Key: OWNERSHIP_KEYS.managedBy, Value: 'backup-orchestrator' },
          { Key: COPY_KEYS.sourceArn, Value: c.SourceDBClusterSnapshotIdentifier },
          { Key: COPY_KEYS.sourceTime, Value: '2026-11-21T00:00:00.000Z' },
          { Key: 'team', Value: 'platform' },
        ]),
      );
    }
  });

  it('fails a stopped cluster with CONFLICT, skips one being deleted, waits for a busy one, and backs up the rest', async () => {
    elastic.on(ListClustersCommand).resolves({
      clusters: [
        { clusterArn: C1, clusterName: 'one', status: 'STOPPED' },
        { clusterArn: C2, clusterName: 'two', status: 'ACTIVE' },
        { clusterArn: `${C2}b`, clusterName: 'busy', status: 'UPDATING' },
        { clusterArn: `${C2}d`, clusterName: 'gone', status: 'DELETING' },
      ],
    });
    elastic.on(ListTagsForResourceCommand).resolves({ tags: { backup: 'daily' } });
    elastic.on(CreateClusterSnapshotCommand).resolves({});
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
    const p = await makeHandler(start.core, deps())({ run: RUN, interrupted: 0 }, context);
    expect(p.elastic.created).toBe(1);
    expect(p.elastic.retry).toEqual([[`${C2}b`, 'busy']]);
    expect(p.log.failures).toEqual([
      expect.objectContaining({ target: C1, code: 'CONFLICT', message: expect.stringContaining('STOPPED') }),
    ]);
    expect(elastic).toHaveReceivedCommandTimes(CreateClusterSnapshotCommand, 1);
  });

  it("a name held by a snapshot that is not this policy's fails the cluster, naming the snapshot", async () => {
    elastic.on(ListClustersCommand).resolves({ clusters: [{ clusterArn: C1, clusterName: 'one', status: 'ACTIVE' }] });
    elastic.on(ListTagsForResourceCommand, { resourceArn: C1 }).resolves({ tags: { backup: 'daily' } });
    const name = elasticSnapshotName('daily', C1, 'one', new Date(RUN.slot));
    elastic.on(CreateClusterSnapshotCommand).rejects(conflict());
    elastic.on(ListClusterSnapshotsCommand).resolves({
      snapshots: [
        { clusterArn: C1, snapshotArn: 'arn:squatter', snapshotName: name, status: 'ACTIVE', snapshotCreationTime: NOW.toISOString() },
      ],
    });
    elastic.on(ListTagsForResourceCommand, { resourceArn: 'arn:squatter' }).resolves({ tags: { owner: 'alice' } });
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
    const p = await makeHandler(start.core, deps())({ run: RUN, interrupted: 0 }, context);
    expect(p.log.failures).toEqual([
      {
        target: C1,
        code: 'CONFLICT',
        message: expect.stringMatching(/^cluster one \(arn:.*c1\): no snapshot taken: snapshot .* \(arn:squatter\)/),
      },
    ]);
    expect(p.elastic.created + p.elastic.adopted).toBe(0);
  });
});

describe('apply-retention handler', () => {
  const retaining = (progress: Partial<Progress> = {}): RunState => ({
    run: RUN,
    progress: { ...startProgress(), next: 'retain', part: 'elastic', ...progress },
    interrupted: 0,
  });
  const snap = (n: number, arn: string) => ({
    clusterArn: C1,
    snapshotArn: arn,
    snapshotName: elasticSnapshotName('daily', C1, 'one', new Date(Date.UTC(2026, 10, 10 + n, 3))),
    snapshotCreationTime: new Date(Date.UTC(2026, 10, 10 + n, 3)).toISOString(),
    status: 'ACTIVE' as const,
  });
  const ours = { tags: ownershipTags({ policy: 'daily', target: C1, runId: 'r', createdAt: NOW }) };

  it('decides first and deletes in the next invocation; only snapshots whose tags prove ownership; a look-alike counts for nothing', async () => {
    elastic
      .on(ListClusterSnapshotsCommand)
      .resolves({ snapshots: [snap(3, 'arn:lookalike'), snap(2, 'arn:s2'), snap(1, 'arn:s1'), snap(0, 'arn:s0')] });
    elastic.on(ListTagsForResourceCommand).resolves(ours);
    elastic.on(ListTagsForResourceCommand, { resourceArn: 'arn:lookalike' }).resolves({ tags: { owner: 'alice' } });
    elastic.on(DeleteClusterSnapshotCommand).resolves({});
    const first = await makeHandler(retention.core, deps())(retaining(), context);
    // nothing deleted yet: the decision travels as a plan
    expect(elastic).toHaveReceivedCommandTimes(DeleteClusterSnapshotCommand, 0);
    expect(first.retention.elastic.plan.map((d) => d.id)).toEqual(['arn:s1', 'arn:s0']);
    expect(first.retention.elastic.plan[0]?.reasons).toEqual(['last: the 1 newest are kept']);
    expect(first.retention.elastic.kept).toBe(1);
    expect(first.next).toBe('retain');
    const second = await makeHandler(retention.core, deps())({ run: RUN, progress: first, interrupted: 0 }, context);
    expect(elastic).toHaveReceivedCommandTimes(DeleteClusterSnapshotCommand, 2);
    expect(elastic).not.toHaveReceivedCommandWith(DeleteClusterSnapshotCommand, { snapshotArn: 'arn:lookalike' });
    expect(second.retention.elastic).toMatchObject({ deleted: 2, kept: 1, done: true });
    expect(second.elastic.stage).toBe('done');
  });

  it('counts a deletion a dead invocation already made once, and one somebody else made not at all', async () => {
    const plan = [
      { kind: 'elastic' as const, id: 'arn:s0', arn: 'arn:s0', name: 's0', of: C1, target: C1, time: NOW.toISOString(), reasons: ['x'] },
    ];
    elastic.on(ListClusterSnapshotsCommand).resolves({ snapshots: [] });
    elastic
      .on(DeleteClusterSnapshotCommand)
      .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {}, resourceId: 'arn:s0', resourceType: 'cluster-snapshot' }));
    const withPlan = (interrupted: number): RunState => {
      const s = retaining();
      return {
        ...s,
        interrupted,
        progress: {
          ...s.progress,
          retention: { ...s.progress.retention, elastic: { ...s.progress.retention.elastic, plan, planIssuedAt: 0 } },
        },
      };
    };
    // the state machine saw the invocation carrying this plan die: the plan may have run
    const retried = await makeHandler(retention.core, deps())(withPlan(1), context);
    expect(retried.retention.elastic.deleted).toBe(1);
    // first time this plan runs: gone means somebody else deleted it
    const fresh = await makeHandler(retention.core, deps())(withPlan(0), context);
    expect(fresh.retention.elastic.deleted).toBe(0);
    expect(fresh.log.failureCount).toBe(0);
  });

  it('never deletes copies without ownership tags or automated ones, and dates copies by their source', async () => {
    const copy = (id: string, sourceDay: number, madeDay: number, tags: Record<string, string>, type = 'manual') => ({
      DBClusterSnapshotIdentifier: id,
      DBClusterSnapshotArn: `arn:aws:rds:us-east-1:123456789012:cluster-snapshot:${id}`,
      SourceDBClusterSnapshotArn: SRC(`src-${sourceDay}`),
      SnapshotType: type,
      Status: 'available',
      SnapshotCreateTime: new Date(Date.UTC(2026, 10, madeDay)),
      TagList: tagList({ ...tags, [COPY_KEYS.sourceTime]: new Date(Date.UTC(2026, 10, sourceDay)).toISOString() }),
    });
    // made by earlier runs long done (a recent copy of a run still going would be kept for it)
    const own = ownershipTags({ policy: 'daily', target: '111122223333:cat', runId: 'r', createdAt: new Date('2026-11-01T00:00:00Z') });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'shared' }).resolves({ DBClusterSnapshots: [] });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'manual' }).resolves({
      // c-new was made first but holds the newest source: it is the one kept
      DBClusterSnapshots: [
        copy('c-old', 1, 20, own),
        copy('c-new', 3, 5, own),
        copy('c-foreign', 2, 21, { owner: 'bob' }),
        copy('c-auto', 1, 1, own, 'automated'),
      ],
    });
    rds.on(DeleteDBClusterSnapshotCommand).resolves({});
    const state = retaining({ part: 'copies' });
    const first = await makeHandler(retention.core, deps())(state, context);
    const second = await makeHandler(retention.core, deps())({ ...state, progress: first }, context);
    expect(rds).toHaveReceivedCommandTimes(DeleteDBClusterSnapshotCommand, 1);
    expect(rds).toHaveReceivedCommandWith(DeleteDBClusterSnapshotCommand, { DBClusterSnapshotIdentifier: 'c-old' });
    expect(second.retention.copies.deleted).toBe(1);
  });

  it('changes nothing in a dry run, and lists what it would delete', async () => {
    elastic.on(ListClusterSnapshotsCommand).resolves({ snapshots: [snap(2, 'arn:s2'), snap(1, 'arn:s1'), snap(0, 'arn:s0')] });
    elastic.on(ListTagsForResourceCommand).resolves(ours);
    const out = await makeHandler(retention.core, deps())({ ...retaining(), run: { ...RUN, dryRun: true } }, context);
    expect(out.retention.elastic).toMatchObject({ wouldDelete: 2, deleted: 0, done: true, plan: [] });
    expect(out.retention.elastic.listed.map((l) => l.arn)).toEqual(['arn:s1', 'arn:s0']);
    expect(elastic).toHaveReceivedCommandTimes(DeleteClusterSnapshotCommand, 0);
  });
});

describe('check-operations handler', () => {
  it('follows this run by slot name, reports a create still running at the deadline (in the retention walk), and cancels an overdue copy', async () => {
    const slot = new Date(RUN.slot);
    elastic.on(ListClusterSnapshotsCommand).resolves({
      snapshots: [
        {
          clusterArn: C1,
          snapshotArn: 'arn:a',
          snapshotName: elasticSnapshotName('daily', C1, 'one', slot),
          status: 'ACTIVE',
          snapshotCreationTime: '2026-11-22T03:01:00.000Z',
        },
        {
          clusterArn: C2,
          snapshotArn: 'arn:b',
          snapshotName: elasticSnapshotName('daily', C2, 'two', slot),
          status: 'CREATING',
          snapshotCreationTime: '2026-11-22T03:01:00.000Z',
        },
        { clusterArn: C2, snapshotArn: 'arn:c', snapshotName: 'someone-elses', status: 'CREATING', snapshotCreationTime: RUN.slot },
      ],
    });
    const own = ownershipTags({
      policy: 'daily',
      target: '111122223333:cat',
      runId: 'exec-1',
      createdAt: new Date('2026-11-21T00:00:00Z'),
    });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'shared' }).resolves({ DBClusterSnapshots: [] });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'manual' }).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: 'stuck-copy',
          SourceDBClusterSnapshotArn: SRC('cat'),
          SnapshotType: 'manual',
          Status: 'copying',
          TagList: tagList(own),
        },
      ],
    });
    rds.on(DeleteDBClusterSnapshotCommand).resolves({});
    const base = startProgress();
    const progress: Progress = {
      ...base,
      waitSeconds: 300,
      elastic: { ...base.elastic, cursor: undefined, created: 2, targets: 2 },
      copies: {
        ...base.copies,
        started: 1,
        inFlight: [
          {
            name: 'stuck-copy',
            source: SRC('cat'),
            target: '111122223333:cat',
            sourceTime: '2026-11-20T00:00:00.000Z',
            startedAt: '2026-11-21T00:00:00.000Z',
          },
        ],
      },
    };
    const late = deps(new Date('2026-11-22T10:00:00Z'));
    const out = await makeHandler(check.core, late)({ run: RUN, progress, interrupted: 0 }, context);
    expect(out.iteration).toBe(1);
    expect(out.log.failures.map((f) => [f.target, f.code])).toEqual([[SRC('cat'), 'DEADLINE_EXCEEDED']]);
    expect(out.log.failures[0]?.message).toContain('cancelled by deleting the target');
    expect(rds).toHaveReceivedCommandWith(DeleteDBClusterSnapshotCommand, { DBClusterSnapshotIdentifier: 'stuck-copy' });
    expect(out.elastic.stage).toBe('retention');
    expect(out.copies.stage).toBe('tags');
    expect(out.next).toBe('retain');
    expect(out.waitSeconds).toBe(600);
    // Retention walks every cluster: the snapshot still creating past the deadline is reported there, once.
    elastic.on(ListClustersCommand).resolves({
      clusters: [
        { clusterArn: C1, clusterName: 'one', status: 'ACTIVE' },
        { clusterArn: C2, clusterName: 'two', status: 'ACTIVE' },
      ],
    });
    const retained = await makeHandler(retention.core, late)({ run: RUN, progress: out, interrupted: 0 }, context);
    expect(retained.log.failures.map((f) => [f.target, f.code])).toEqual([
      [SRC('cat'), 'DEADLINE_EXCEEDED'],
      [C2, 'DEADLINE_EXCEEDED'],
    ]);
    expect(retained.retention.elastic.done).toBe(true);
  });
});

describe('apply-tags handler', () => {
  it('adds missing static and source tags to owned copies without overwriting, marking itself as the tagger', async () => {
    const own = ownershipTags({ policy: 'daily', target: '111122223333:cat', runId: 'r', createdAt: NOW });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'shared' }).resolves({
      DBClusterSnapshots: [{ DBClusterSnapshotArn: SRC('cat-1'), SnapshotCreateTime: new Date('2026-11-20T03:00:07Z') }],
    });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'manual' }).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: 'partner-cat-202611200300-abcdef',
          DBClusterSnapshotArn: 'arn:copy1',
          SourceDBClusterSnapshotArn: SRC('cat-1'),
          SnapshotType: 'manual',
          Status: 'available',
          TagList: tagList({
            ...own,
            team: 'other',
            [COPY_KEYS.sourceArn]: SRC('cat-1'),
            [COPY_KEYS.sourceTime]: '2026-11-20T03:00:07.000Z',
          }),
        },
        {
          DBClusterSnapshotIdentifier: 'partner-cat-202611200300-abcdef',
          DBClusterSnapshotArn: 'arn:copy2',
          SourceDBClusterSnapshotArn: SRC('cat-1'),
          SnapshotType: 'manual',
          Status: 'available',
          TagList: tagList(own),
        },
        { DBClusterSnapshotArn: 'arn:foreign', SnapshotType: 'manual', Status: 'available', TagList: [] },
      ],
    });
    rds.on(AddTagsToResourceCommand).resolves({});
    const out = await makeHandler(applyTags.core, deps())(
      { run: RUN, progress: { ...startProgress(), next: 'tag', part: 'copies' }, interrupted: 0 },
      context,
    );
    expect(rds).toHaveReceivedCommandTimes(AddTagsToResourceCommand, 1);
    // the copy made before the source tags existed gets them back: the ARN from the copy, the exact time from the shared source
    expect(rds).toHaveReceivedCommandWith(AddTagsToResourceCommand, {
      ResourceName: 'arn:copy2',
      Tags: tagList({
        team: 'platform',
        [COPY_KEYS.sourceArn]: SRC('cat-1'),
        [COPY_KEYS.sourceTime]: '2026-11-20T03:00:07.000Z',
        [TAGGED_BY]: RUN.id,
      }),
    });
    expect(out.tagged).toBe(1);
    expect(out.copies.stage).toBe('retention');
  });

  it('reports a copy that lacks a required key no static value supplies', async () => {
    const required = parsePolicyYaml(`
policies:
  - name: daily
    copy: { sourceAccounts: ['111122223333'] }
    tags: { copySourceTags: true, required: [owner] }
`);
    const own = ownershipTags({ policy: 'daily', target: '111122223333:cat', runId: 'r', createdAt: NOW });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'shared' }).resolves({ DBClusterSnapshots: [] });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'manual' }).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: 'c',
          DBClusterSnapshotArn: 'arn:c',
          SourceDBClusterSnapshotArn: SRC('cat'),
          SnapshotType: 'manual',
          Status: 'available',
          TagList: tagList({ ...own, [COPY_KEYS.sourceArn]: SRC('cat'), [COPY_KEYS.sourceTime]: NOW.toISOString() }),
        },
      ],
    });
    const d = { ...deps(), config: { ...deps().config, policyFile: required } };
    const out = await makeHandler(applyTags.core, d)(
      { run: RUN, progress: { ...startProgress(), next: 'tag', part: 'copies' }, interrupted: 0 },
      context,
    );
    expect(out.log.failures).toEqual([
      { target: SRC('cat'), code: 'VALIDATION_ERROR', message: expect.stringContaining('lacks required tag keys owner') },
    ]);
  });
});

describe('apply-tags handler: source tags', () => {
  it('adds the source tags a copy lacks (copySourceTags), so a required key the source supplies is satisfied', async () => {
    const fromSource = parsePolicyYaml(`
policies:
  - name: daily
    copy: { sourceAccounts: ['111122223333'] }
    tags: { copySourceTags: true, required: [owner] }
`);
    const time = '2026-11-20T03:00:07.000Z';
    const own = ownershipTags({ policy: 'daily', target: '111122223333:cat', runId: 'r', createdAt: NOW });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'shared' }).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotArn: SRC('cat'),
          SnapshotCreateTime: new Date(time),
          TagList: tagList({ owner: 'partner-team', 'backup-orchestrator:policy': 'theirs', 'aws:x': 'y' }),
        },
      ],
    });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'manual' }).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: 'c',
          DBClusterSnapshotArn: 'arn:c',
          SourceDBClusterSnapshotArn: SRC('cat'),
          SnapshotType: 'manual',
          Status: 'available',
          TagList: tagList({ ...own, [COPY_KEYS.sourceArn]: SRC('cat'), [COPY_KEYS.sourceTime]: time }),
        },
      ],
    });
    rds.on(AddTagsToResourceCommand).resolves({});
    const d = { ...deps(), config: { ...deps().config, policyFile: fromSource } };
    const out = await makeHandler(applyTags.core, d)(
      { run: RUN, progress: { ...startProgress(), next: 'tag', part: 'copies' }, interrupted: 0 },
      context,
    );
    // only the source's own tag: not its reserved-prefix ones, not an aws: key
    expect(rds).toHaveReceivedCommandWith(AddTagsToResourceCommand, {
      ResourceName: 'arn:c',
      Tags: tagList({ owner: 'partner-team', [TAGGED_BY]: RUN.id }),
    });
    expect(out.log.failures).toEqual([]);
    expect(out.tagged).toBe(1);
  });
});

describe('logs', () => {
  it('are JSON lines carrying run id, policy, target and operation', async () => {
    elastic.on(ListClustersCommand).resolves({ clusters: [{ clusterArn: C1, clusterName: 'one', status: 'ACTIVE' }] });
    elastic.on(ListTagsForResourceCommand).resolves({ tags: { backup: 'daily' } });
    elastic.on(ListClusterSnapshotsCommand).resolves({ snapshots: [] });
    elastic.on(CreateClusterSnapshotCommand).resolves({});
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
    rds.on(DeleteDBClusterSnapshotCommand).rejects(new DBClusterSnapshotNotFoundFault({ message: 'x', $metadata: {} }));
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await makeHandler(start.core, { ...deps(), logger: createLogger('INFO') })({ run: RUN, interrupted: 0 }, context);
    } finally {
      spy.mockRestore();
    }
    const logs = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs)
      expect(l).toMatchObject({ runId: 'exec-1', policy: 'daily', target: expect.any(String), operation: expect.any(String) });
    expect(logs).toContainEqual(
      expect.objectContaining({ message: 'snapshot create started', target: C1, operation: 'CreateClusterSnapshot' }),
    );
  });
});
