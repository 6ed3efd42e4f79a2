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
} from '@aws-sdk/client-docdb-elastic';
import {
  CopyDBClusterSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RUN } from '../fixtures/run.js';
import * as retention from '../../functions/apply-retention/handler.js';
import type { Deps } from '../../functions/shared/clients.js';
import { makeHandler } from '../../functions/shared/lambda.js';
import { elasticSnapshotName } from '../../functions/shared/naming.js';
import { parsePolicyYaml } from '../../functions/shared/policy.js';
import { OWNERSHIP_KEYS, ownershipTags } from '../../functions/shared/tags.js';
import { createLogger } from '../../functions/shared/telemetry.js';
import * as start from '../../functions/start-operations/handler.js';
import * as validate from '../../functions/validate-input/handler.js';

const elastic = mockClient(DocDBElasticClient);
const rds = mockClient(RDSClient);
const C1 = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/c1';
const C2 = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/c2';
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
const deps = (): Deps => ({
  config: { region: 'us-east-1', logLevel: 'SILENT', metricsNamespace: 'Test', tracing: false, policyFile, policyPath: 'test' },
  clients: { elastic: new DocDBElasticClient({ region: 'us-east-1' }), rds: new RDSClient({ region: 'us-east-1' }) },
  now: () => NOW,
  logger: createLogger('SILENT'),
  emit: () => undefined,
});
const context = {
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

beforeEach(() => {
  elastic.reset();
  rds.reset();
});

describe('validate-input handler', () => {
  it('reads the account from the context and makes no AWS call', async () => {
    const h = makeHandler(validate.core, deps());
    const out = await h(
      { input: { policy: 'daily' }, execution: { name: 'e', startTime: NOW.toISOString() } },
      context,
    );
    expect(out.run.accountId).toBe('123456789012');
    expect(elastic.calls()).toHaveLength(0);
    expect(rds.calls()).toHaveLength(0);
  });
});

describe('start-operations handler', () => {
  it('creates tagged snapshots for selected clusters, adopts a conflicting one of its own name, copies with KmsKeyId only when encrypted', async () => {
    // Prepare
    elastic.on(ListClustersCommand).resolves({
      clusters: [
        { clusterArn: C1, clusterName: 'one', status: 'ACTIVE' },
        { clusterArn: C2, clusterName: 'two', status: 'ACTIVE' },
        { clusterArn: `${C1}x`, clusterName: 'other', status: 'ACTIVE' },
      ],
    });
    elastic.on(ListTagsForResourceCommand, { resourceArn: C1 }).resolves({ tags: { backup: 'daily' } });
    elastic.on(ListTagsForResourceCommand, { resourceArn: C2 }).resolves({ tags: { backup: 'daily' } });
    elastic.on(ListTagsForResourceCommand, { resourceArn: `${C1}x` }).resolves({ tags: { backup: 'weekly' } });
    const name2 = elasticSnapshotName('daily', C2, 'two', new Date(RUN.slot));
    elastic
      .on(ListClusterSnapshotsCommand)
      .resolves({
        snapshots: [
          {
            clusterArn: C2,
            snapshotArn: 'arn:snap2',
            snapshotName: name2,
            status: 'CREATING',
            snapshotCreationTime: NOW.toISOString(),
          },
        ],
      });
    elastic.on(CreateClusterSnapshotCommand, { clusterArn: C1 }).resolves({});
    elastic
      .on(CreateClusterSnapshotCommand, { clusterArn: C2 })
      .rejects(
        new ConflictException({ message: 'exists', $metadata: {}, resourceId: 'x', resourceType: 'cluster-snapshot' }),
      );
    const shared = (id: string, encrypted: boolean) => ({
      DBClusterSnapshotArn: `arn:aws:rds:us-east-1:111122223333:cluster-snapshot:${id}`,
      DBClusterIdentifier: id,
      SnapshotType: 'shared',
      Status: 'available',
      Engine: 'docdb',
      StorageEncrypted: encrypted,
      SnapshotCreateTime: new Date('2026-11-21T00:00:00Z'),
    });
    rds
      .on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'shared' })
      .resolves({ DBClusterSnapshots: [shared('plain', false), shared('secret', true)] });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'manual' }).resolves({ DBClusterSnapshots: [] });
    rds.on(CopyDBClusterSnapshotCommand).resolves({});
    // Act
    const progress = await makeHandler(start.core, deps())({ run: RUN }, context);
    // Assess
    expect(progress).toMatchObject({ created: 1, adopted: 1, copiesStarted: 2, pending: true, failureCount: 0 });
    expect(progress.adoptedArns).toEqual(['arn:snap2']);
    expect(elastic).toHaveReceivedCommandTimes(CreateClusterSnapshotCommand, 2);
    const create = elastic.commandCalls(CreateClusterSnapshotCommand, { clusterArn: C1 })[0]?.args[0].input;
    expect(create?.snapshotName).toBe(elasticSnapshotName('daily', C1, 'one', new Date(RUN.slot)));
    expect(create?.tags).toMatchObject({
      ...ownershipTags({ policy: 'daily', target: C1, runId: 'exec-1', createdAt: NOW }),
      team: 'platform',
    });
    const copies = rds.commandCalls(CopyDBClusterSnapshotCommand).map((c) => c.args[0].input);
    expect(copies.find((c) => c.SourceDBClusterSnapshotIdentifier?.endsWith(':plain'))?.KmsKeyId).toBeUndefined();
    expect(copies.find((c) => c.SourceDBClusterSnapshotIdentifier?.endsWith(':secret'))?.KmsKeyId).toMatch(
      /^arn:aws:kms:/,
    );
    for (const c of copies)
      expect(c.Tags).toEqual(expect.arrayContaining([{ Key: OWNERSHIP_KEYS.managedBy, Value: 'backup-orchestrator' }]));
  });

  it('fails a stopped cluster with CONFLICT and still backs up the others', async () => {
    elastic.on(ListClustersCommand).resolves({
      clusters: [
        { clusterArn: C1, clusterName: 'one', status: 'STOPPED' },
        { clusterArn: C2, clusterName: 'two', status: 'ACTIVE' },
      ],
    });
    elastic.on(ListTagsForResourceCommand).resolves({ tags: { backup: 'daily' } });
    elastic.on(ListClusterSnapshotsCommand).resolves({ snapshots: [] });
    elastic.on(CreateClusterSnapshotCommand).resolves({});
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
    const progress = await makeHandler(start.core, deps())({ run: RUN }, context);
    expect(progress.created).toBe(1);
    expect(progress.failures).toEqual([expect.objectContaining({ target: C1, code: 'CONFLICT' })]);
  });
});

describe('apply-retention handler', () => {
  it('deletes only name-matched snapshots whose tags prove ownership', async () => {
    const snap = (n: number, owned: boolean) => ({
      clusterArn: C1,
      snapshotArn: `arn:s${n}${owned ? '' : '-foreign'}`,
      snapshotName: elasticSnapshotName('daily', C1, 'one', new Date(Date.UTC(2026, 10, 20 + n, 3))),
      snapshotCreationTime: new Date(Date.UTC(2026, 10, 20 + n, 3)).toISOString(),
      status: 'ACTIVE' as const,
    });
    elastic.on(ListClusterSnapshotsCommand).resolves({ snapshots: [snap(2, true), snap(1, true), snap(0, false)] });
    elastic
      .on(ListTagsForResourceCommand, { resourceArn: 'arn:s1' })
      .resolves({ tags: ownershipTags({ policy: 'daily', target: C1, runId: 'r', createdAt: NOW }) });
    elastic.on(ListTagsForResourceCommand, { resourceArn: 'arn:s0-foreign' }).resolves({ tags: { owner: 'alice' } });
    elastic.on(DeleteClusterSnapshotCommand).resolves({});
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
    const out = await makeHandler(retention.core, deps())({ run: RUN }, context);
    expect(elastic).toHaveReceivedCommandTimes(DeleteClusterSnapshotCommand, 1);
    expect(elastic).toHaveReceivedCommandWith(DeleteClusterSnapshotCommand, { snapshotArn: 'arn:s1' });
    expect(out).toMatchObject({ count: 1, kept: 2, failureCount: 0 });
    expect(out.deleted[0]?.reasons).toEqual(['no rule keeps it']);
  });

  it('never deletes copies without ownership tags or automated ones', async () => {
    elastic.on(ListClusterSnapshotsCommand).resolves({ snapshots: [] });
    const copy = (id: string, day: number, tags: Record<string, string>, type = 'manual') => ({
      DBClusterSnapshotIdentifier: id,
      DBClusterSnapshotArn: `arn:aws:rds:us-east-1:123456789012:cluster-snapshot:${id}`,
      SnapshotType: type,
      Status: 'available',
      SnapshotCreateTime: new Date(Date.UTC(2026, 10, day)),
      TagList: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    });
    const own = ownershipTags({ policy: 'daily', target: '111122223333:cat', runId: 'r', createdAt: NOW });
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        copy('c3', 3, own),
        copy('c2', 2, own),
        copy('c1', 1, { owner: 'bob' }),
        copy('c0', 1, own, 'automated'),
      ],
    });
    rds.on(DeleteDBClusterSnapshotCommand).resolves({});
    const out = await makeHandler(retention.core, deps())({ run: RUN }, context);
    expect(rds).toHaveReceivedCommandTimes(DeleteDBClusterSnapshotCommand, 1);
    expect(rds).toHaveReceivedCommandWith(DeleteDBClusterSnapshotCommand, { DBClusterSnapshotIdentifier: 'c2' });
    expect(out.count).toBe(1);
  });

  it('changes nothing in a dry run', async () => {
    elastic.on(ListClusterSnapshotsCommand).resolves({ snapshots: [] });
    const own = ownershipTags({ policy: 'daily', target: '111122223333:cat', runId: 'r', createdAt: NOW });
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [1, 2, 3].map((d) => ({
        DBClusterSnapshotIdentifier: `c${d}`,
        SnapshotType: 'manual',
        Status: 'available',
        SnapshotCreateTime: new Date(Date.UTC(2026, 10, d)),
        TagList: Object.entries(own).map(([Key, Value]) => ({ Key, Value })),
      })),
    });
    const out = await makeHandler(retention.core, deps())({ run: { ...RUN, dryRun: true } }, context);
    expect(out.wouldDelete).toBe(2);
    expect(rds).toHaveReceivedCommandTimes(DeleteDBClusterSnapshotCommand, 0);
  });
});

describe('check-operations handler', () => {
  it('counts this run by slot name, reports an overdue create, and cancels an overdue copy', async () => {
    const { core } = await import('../../functions/check-operations/handler.js');
    const { emptyProgress } = await import('../../functions/start-operations/start-operations.js');
    const slot = new Date(RUN.slot);
    elastic.on(ListClusterSnapshotsCommand).resolves({
      snapshots: [
        { clusterArn: C1, snapshotArn: 'arn:a', snapshotName: elasticSnapshotName('daily', C1, 'one', slot), status: 'ACTIVE', snapshotCreationTime: RUN.slot },
        { clusterArn: C2, snapshotArn: 'arn:b', snapshotName: elasticSnapshotName('daily', C2, 'two', slot), status: 'CREATING', snapshotCreationTime: RUN.slot },
        { clusterArn: C2, snapshotArn: 'arn:c', snapshotName: 'someone-elses', status: 'CREATING', snapshotCreationTime: RUN.slot },
      ],
    });
    const own = ownershipTags({ policy: 'daily', target: '111122223333:cat', runId: 'exec-1', createdAt: new Date('2026-11-21T00:00:00Z') });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'shared' }).resolves({ DBClusterSnapshots: [] });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: 'manual' }).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: 'stuck-copy',
          SourceDBClusterSnapshotArn: 'arn:aws:rds:us-east-1:111122223333:cluster-snapshot:cat',
          SnapshotType: 'manual',
          Status: 'copying',
          TagList: Object.entries(own).map(([Key, Value]) => ({ Key, Value })),
        },
      ],
    });
    rds.on(DeleteDBClusterSnapshotCommand).resolves({});
    const late: Deps = { ...deps(), now: () => new Date('2026-11-22T10:00:00Z') };
    const out = await makeHandler(core, late)({ run: RUN, progress: { ...emptyProgress(), created: 2, pendingCreates: 2, waitSeconds: 300 } }, context);
    expect(out.iteration).toBe(1);
    expect(out.pending).toBe(false);
    expect(out.failures.map((f) => [f.target, f.code])).toEqual([
      [C2, 'DEADLINE_EXCEEDED'],
      ['arn:aws:rds:us-east-1:111122223333:cluster-snapshot:cat', 'DEADLINE_EXCEEDED'],
    ]);
    expect(rds).toHaveReceivedCommandWith(DeleteDBClusterSnapshotCommand, { DBClusterSnapshotIdentifier: 'stuck-copy' });
    expect(out.waitSeconds).toBe(600);
  });
});

describe('apply-tags handler', () => {
  it('adds missing static tags to owned copies without overwriting, and refuses to adopt a foreign same-name snapshot', async () => {
    const { core } = await import('../../functions/apply-tags/handler.js');
    const { emptyProgress } = await import('../../functions/start-operations/start-operations.js');
    const { AddTagsToResourceCommand } = await import('@aws-sdk/client-rds');
    const { TagResourceCommand } = await import('@aws-sdk/client-docdb-elastic');
    const own = ownershipTags({ policy: 'daily', target: '111122223333:cat', runId: 'r', createdAt: NOW });
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        { DBClusterSnapshotArn: 'arn:copy1', SnapshotType: 'manual', Status: 'available', TagList: Object.entries({ ...own, team: 'other' }).map(([Key, Value]) => ({ Key, Value })) },
        { DBClusterSnapshotArn: 'arn:copy2', SnapshotType: 'manual', Status: 'available', TagList: Object.entries(own).map(([Key, Value]) => ({ Key, Value })) },
        { DBClusterSnapshotArn: 'arn:foreign', SnapshotType: 'manual', Status: 'available', TagList: [] },
      ],
    });
    rds.on(AddTagsToResourceCommand).resolves({});
    elastic.on(ListTagsForResourceCommand).resolves({ tags: { owner: 'alice' } });
    const out = await makeHandler(core, deps())({ run: RUN, progress: { ...emptyProgress(), adoptedArns: ['arn:lookalike'] } }, context);
    expect(rds).toHaveReceivedCommandTimes(AddTagsToResourceCommand, 1);
    expect(rds).toHaveReceivedCommandWith(AddTagsToResourceCommand, { ResourceName: 'arn:copy2', Tags: [{ Key: 'team', Value: 'platform' }] });
    expect(elastic).toHaveReceivedCommandTimes(TagResourceCommand, 0);
    expect(out.count).toBe(1);
    expect(out.failures).toEqual([expect.objectContaining({ target: 'arn:lookalike', code: 'CONFLICT' })]);
  });
});

describe('logs', () => {
  it('are JSON lines carrying run id, policy, target and operation', async () => {
    const { vi } = await import('vitest');
    elastic.on(ListClustersCommand).resolves({ clusters: [{ clusterArn: C1, clusterName: 'one', status: 'ACTIVE' }] });
    elastic.on(ListTagsForResourceCommand).resolves({ tags: { backup: 'daily' } });
    elastic.on(ListClusterSnapshotsCommand).resolves({ snapshots: [] });
    elastic.on(CreateClusterSnapshotCommand).resolves({});
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await makeHandler(start.core, { ...deps(), logger: createLogger('INFO') })({ run: RUN }, context);
    } finally {
      spy.mockRestore();
    }
    const logs = lines.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) expect(l).toMatchObject({ runId: 'exec-1', policy: 'daily', target: expect.any(String), operation: expect.any(String) });
    expect(logs).toContainEqual(expect.objectContaining({ message: 'snapshot create started', target: C1, operation: 'CreateClusterSnapshot' }));
  });
});

describe('apply-tags derives missing ownership tags of managed copies', () => {
  it('adds the target and created-at a copy lacks', async () => {
    const { core } = await import('../../functions/apply-tags/handler.js');
    const { emptyProgress } = await import('../../functions/start-operations/start-operations.js');
    const { AddTagsToResourceCommand } = await import('@aws-sdk/client-rds');
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotArn: 'arn:copy',
          DBClusterIdentifier: 'catalog',
          SourceDBClusterSnapshotArn: 'arn:aws:rds:us-east-1:111122223333:cluster-snapshot:src',
          SnapshotCreateTime: new Date('2026-11-20T00:00:00Z'),
          SnapshotType: 'manual',
          Status: 'available',
          TagList: [
            { Key: OWNERSHIP_KEYS.managedBy, Value: 'backup-orchestrator' },
            { Key: OWNERSHIP_KEYS.policy, Value: 'daily' },
            { Key: 'team', Value: 'platform' },
          ],
        },
      ],
    });
    rds.on(AddTagsToResourceCommand).resolves({});
    await makeHandler(core, deps())({ run: RUN, progress: emptyProgress() }, context);
    expect(rds).toHaveReceivedCommandWith(AddTagsToResourceCommand, {
      ResourceName: 'arn:copy',
      Tags: [
        { Key: OWNERSHIP_KEYS.createdAt, Value: '2026-11-20T00:00:00.000Z' },
        { Key: OWNERSHIP_KEYS.target, Value: '111122223333:catalog' },
      ],
    });
  });
});
