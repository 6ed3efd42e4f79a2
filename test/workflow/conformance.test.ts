/**
 * The stand-in against the AWS service models (test/fixtures/aws-models): for each operation the
 * product calls, the HTTP method and URI (REST-JSON), required output members present and typed as the
 * model says (read through the real SDK clients), only declared error codes, and the documented bounds.
 * The stand-in may simplify; it may not contradict the models.
 */
import { readFileSync } from 'node:fs';
import * as elasticSdk from '@aws-sdk/client-docdb-elastic';
import * as rdsSdk from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients, type Clients } from '../../functions/aws/clients.js';
import { useStandInEndpoints } from '../../local/runner.js';
import { ELASTIC_STATUS, routeElastic } from '../../local/standin/services/elastic.js';
import { RDS_ERRORS } from '../../local/standin/services/rds.js';
import { type StandIn, startStandIn } from '../../local/standin/server.js';
import { clusterArn, world } from './helpers.js';

interface Shape {
  type: string;
  required?: string[];
  members?: Record<string, { shape: string }>;
  member?: { shape: string };
  value?: { shape: string };
  enum?: string[];
  min?: number;
  max?: number;
  error?: { code?: string; httpStatusCode?: number };
}
interface Model {
  operations: Record<
    string,
    { http: { method: string; requestUri: string }; input?: { shape: string }; output?: { shape: string }; errors?: { shape: string }[] }
  >;
  shapes: Record<string, Shape>;
}
const MODELS = new URL('../fixtures/aws-models/', import.meta.url);
const elasticModel = JSON.parse(readFileSync(new URL('docdb-elastic-2022-11-28.json', MODELS), 'utf8')) as Model;
const rdsModel = JSON.parse(readFileSync(new URL('rds-2014-10-31.trimmed.json', MODELS), 'utf8')) as Model;

/** Checks a deserialised SDK value against a model shape; returns the problems found. */
function conform(model: Model, value: unknown, shapeName: string, path: string, problems: string[]): void {
  const shape = model.shapes[shapeName];
  if (!shape) return void problems.push(`${path}: unknown shape ${shapeName}`);
  if (value === undefined || value === null) return;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object') return void problems.push(`${path}: expected structure`);
      const v = value as Record<string, unknown>;
      for (const r of shape.required ?? []) if (v[r] === undefined) problems.push(`${path}.${r}: required member missing`);
      for (const [k, m] of Object.entries(shape.members ?? {})) conform(model, v[k], m.shape, `${path}.${k}`, problems);
      for (const k of Object.keys(v))
        if (k !== '$metadata' && !(k in (shape.members ?? {}))) problems.push(`${path}.${k}: not in the model`);
      return;
    }
    case 'list':
      if (!Array.isArray(value)) return void problems.push(`${path}: expected list`);
      value.forEach((x, i) => conform(model, x, shape.member?.shape ?? '', `${path}[${i}]`, problems));
      return;
    case 'map':
      if (typeof value !== 'object') return void problems.push(`${path}: expected map`);
      for (const [k, x] of Object.entries(value as Record<string, unknown>))
        conform(model, x, shape.value?.shape ?? '', `${path}{${k}}`, problems);
      return;
    case 'string':
      if (typeof value !== 'string') return void problems.push(`${path}: expected string, got ${typeof value}`);
      if (shape.enum && !shape.enum.includes(value)) problems.push(`${path}: "${value}" not in enum`);
      return;
    case 'integer':
    case 'long':
      if (!Number.isInteger(value)) problems.push(`${path}: expected integer`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${path}: expected boolean`);
      return;
    case 'timestamp':
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) problems.push(`${path}: expected timestamp`);
      return;
    default:
      problems.push(`${path}: unchecked type ${shape.type}`);
  }
}

/** Common RDS errors every query action may return (AWS documents them once for all actions). */
const RDS_COMMON = [
  'Throttling',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'AccessDenied',
  'InternalFailure',
  'ServiceUnavailable',
  'MissingParameter',
];
const declared = (model: Model, op: string) =>
  (model.operations[op]?.errors ?? []).flatMap((e) => [e.shape, model.shapes[e.shape]?.error?.code ?? e.shape]);

const C1 = clusterArn('00000000-0000-4000-8000-00000000c0f1');
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/k';
let standIn: StandIn;
let clients: Clients;

beforeAll(async () => {
  standIn = await startStandIn(
    world({
      accountId: '123456789012',
      region: 'us-east-1',
      now: '2026-11-22T02:00:00Z',
      kmsKeys: [KEY],
      elasticClusters: [
        {
          name: 'conf',
          arn: C1,
          tags: { a: 'b' },
          snapshots: [
            { name: 'existing', createdAt: '2026-11-21T02:00:00Z', tags: { x: 'y' } },
            { name: 'half-made', createdAt: '2026-11-22T01:50:00Z', status: 'CREATING' },
          ],
        },
      ],
      dbSubnetGroups: ['drill-subnets'],
      clusterSnapshots: [{ id: 'owned-one', clusterId: 'c', createdAt: '2026-11-20T00:00:00Z', tags: { k: 'v' } }],
      sharedSnapshots: [
        {
          ownerAccount: '111122223333',
          id: 'shared-one',
          clusterId: 'c',
          createdAt: '2026-11-20T00:00:00Z',
          encrypted: true,
          kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/o',
        },
      ],
    }),
  );
  useStandInEndpoints(standIn);
  clients = createClients('us-east-1');
});
afterAll(async () => standIn.close());

async function expectOutput(model: Model, op: string, promise: Promise<unknown>) {
  const out = await promise;
  const problems: string[] = [];
  const shape = model.operations[op]?.output?.shape;
  if (shape) conform(model, out, shape, op, problems);
  else expect(Object.keys(out as object), `${op} has no modelled output`).toEqual(['$metadata']);
  expect(problems).toEqual([]);
  return out;
}

async function expectDeclaredError(model: Model, op: string, promise: Promise<unknown>, extra: string[] = []) {
  const err = await promise.then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err, `${op} should fail`).toBeInstanceOf(Error);
  expect([...declared(model, op), ...extra], `${op}: ${err?.name}`).toContain(err?.name);
  return err;
}

describe('docdb-elastic stand-in conforms to the model', () => {
  const E = elasticSdk;
  it('routes every operation the product calls by the model HTTP method and URI', () => {
    const arn = encodeURIComponent('arn:aws:docdb-elastic:us-east-1:123456789012:cluster-snapshot/abc');
    for (const op of [
      'ListClusters',
      'GetCluster',
      'CreateClusterSnapshot',
      'GetClusterSnapshot',
      'ListClusterSnapshots',
      'DeleteClusterSnapshot',
      'CopyClusterSnapshot',
      'TagResource',
      'UntagResource',
      'ListTagsForResource',
      'RestoreClusterFromSnapshot',
      'DeleteCluster',
    ]) {
      const { method, requestUri } = elasticModel.operations[op]?.http ?? { method: '', requestUri: '' };
      const path = requestUri.replace(/\{[^}]+\}/g, arn).split('?')[0] ?? '';
      expect(routeElastic({ method, path, query: new URLSearchParams(), body: {} })?.op, `${method} ${requestUri}`).toBe(op);
    }
  });

  it('answers with the modelled output shapes', async () => {
    const { elastic } = clients;
    await expectOutput(elasticModel, 'ListClusters', elastic.send(new E.ListClustersCommand({ maxResults: 100 })));
    await expectOutput(elasticModel, 'GetCluster', elastic.send(new E.GetClusterCommand({ clusterArn: C1 })));
    const created = (await expectOutput(
      elasticModel,
      'CreateClusterSnapshot',
      elastic.send(new E.CreateClusterSnapshotCommand({ clusterArn: C1, snapshotName: 'conf-one', tags: { t: '1' } })),
    )) as elasticSdk.CreateClusterSnapshotCommandOutput;
    const arn = created.snapshot?.snapshotArn ?? '';
    await expectOutput(elasticModel, 'GetClusterSnapshot', elastic.send(new E.GetClusterSnapshotCommand({ snapshotArn: arn })));
    await expectOutput(
      elasticModel,
      'ListClusterSnapshots',
      elastic.send(new E.ListClusterSnapshotsCommand({ maxResults: 20, snapshotType: 'manual' })),
    );
    await expectOutput(elasticModel, 'TagResource', elastic.send(new E.TagResourceCommand({ resourceArn: arn, tags: { u: '2' } })));
    await expectOutput(elasticModel, 'ListTagsForResource', elastic.send(new E.ListTagsForResourceCommand({ resourceArn: arn })));
    await expectOutput(elasticModel, 'UntagResource', elastic.send(new E.UntagResourceCommand({ resourceArn: arn, tagKeys: ['u'] })));
    standIn.model.advance(3600);
    const copy = (await expectOutput(
      elasticModel,
      'CopyClusterSnapshot',
      elastic.send(new E.CopyClusterSnapshotCommand({ snapshotArn: arn, targetSnapshotName: 'conf-copy' })),
    )) as elasticSdk.CopyClusterSnapshotCommandOutput;
    await expectOutput(elasticModel, 'DeleteClusterSnapshot', elastic.send(new E.DeleteClusterSnapshotCommand({ snapshotArn: arn })));
    expect(copy.snapshot?.status).toBe('CREATING');
  });

  it('fails only with declared errors, and enforces the documented bounds', async () => {
    const { elastic } = clients;
    const missing = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster-snapshot/nope';
    for (const maxResults of [19, 101]) {
      const e = await expectDeclaredError(
        elasticModel,
        'ListClusterSnapshots',
        elastic.send(new E.ListClusterSnapshotsCommand({ maxResults })),
      );
      expect(e?.name).toBe('ValidationException');
    }
    await expectDeclaredError(elasticModel, 'ListClusters', elastic.send(new E.ListClustersCommand({ maxResults: 0 })));
    for (const snapshotName of ['1starts-with-digit', 'double--hyphen', 'trailing-', 'x'.repeat(64)]) {
      const e = await expectDeclaredError(
        elasticModel,
        'CreateClusterSnapshot',
        elastic.send(new E.CreateClusterSnapshotCommand({ clusterArn: C1, snapshotName })),
      );
      expect(e?.name).toBe('ValidationException');
    }
    const badTag = await expectDeclaredError(
      elasticModel,
      'CreateClusterSnapshot',
      elastic.send(new E.CreateClusterSnapshotCommand({ clusterArn: C1, snapshotName: 'ok-name', tags: { 'aws:reserved': 'x' } })),
    );
    expect(badTag?.name).toBe('ValidationException');
    const dup = await expectDeclaredError(
      elasticModel,
      'CreateClusterSnapshot',
      elastic.send(new E.CreateClusterSnapshotCommand({ clusterArn: C1, snapshotName: 'existing' })),
    );
    expect(dup?.name).toBe('ConflictException');
    await expectDeclaredError(elasticModel, 'GetClusterSnapshot', elastic.send(new E.GetClusterSnapshotCommand({ snapshotArn: missing })));
    await expectDeclaredError(
      elasticModel,
      'DeleteClusterSnapshot',
      elastic.send(new E.DeleteClusterSnapshotCommand({ snapshotArn: missing })),
    );
    await expectDeclaredError(
      elasticModel,
      'ListTagsForResource',
      elastic.send(new E.ListTagsForResourceCommand({ resourceArn: missing })),
    );
    await expectDeclaredError(
      elasticModel,
      'TagResource',
      elastic.send(new E.TagResourceCommand({ resourceArn: missing, tags: { a: 'b' } })),
    );
    await expectDeclaredError(elasticModel, 'GetCluster', elastic.send(new E.GetClusterCommand({ clusterArn: `${C1}0` })));
  });

  it('restores, describes, tags and deletes clusters with the modelled shapes', async () => {
    const { elastic } = clients;
    const existing = standIn.model.elasticArn('cluster-snapshot', 'conf/existing');
    const restored = (await expectOutput(
      elasticModel,
      'RestoreClusterFromSnapshot',
      elastic.send(
        new E.RestoreClusterFromSnapshotCommand({
          snapshotArn: existing,
          clusterName: 'conf-drill',
          kmsKeyId: KEY,
          subnetIds: ['subnet-1', 'subnet-2', 'subnet-3'],
          vpcSecurityGroupIds: ['sg-1'],
          shardCapacity: 4,
          shardInstanceCount: 2,
          tags: { drill: 'yes' },
        }),
      ),
    )) as elasticSdk.RestoreClusterFromSnapshotCommandOutput;
    expect(restored.cluster).toMatchObject({
      clusterName: 'conf-drill',
      status: 'CREATING',
      kmsKeyId: KEY,
      subnetIds: ['subnet-1', 'subnet-2', 'subnet-3'],
      vpcSecurityGroupIds: ['sg-1'],
      shardCapacity: 4,
      shardInstanceCount: 2,
    });
    const arn = restored.cluster?.clusterArn ?? '';
    const got = (await expectOutput(
      elasticModel,
      'GetCluster',
      elastic.send(new E.GetClusterCommand({ clusterArn: arn })),
    )) as elasticSdk.GetClusterCommandOutput;
    expect(got.cluster?.status).toBe('CREATING');
    const listed = (await expectOutput(
      elasticModel,
      'ListClusters',
      elastic.send(new E.ListClustersCommand({})),
    )) as elasticSdk.ListClustersCommandOutput;
    expect(listed.clusters?.find((c) => c.clusterArn === arn)?.status).toBe('CREATING');
    await expectOutput(elasticModel, 'TagResource', elastic.send(new E.TagResourceCommand({ resourceArn: arn, tags: { more: '1' } })));
    const tags = (await expectOutput(
      elasticModel,
      'ListTagsForResource',
      elastic.send(new E.ListTagsForResourceCommand({ resourceArn: arn })),
    )) as elasticSdk.ListTagsForResourceCommandOutput;
    expect(tags.tags).toEqual({ drill: 'yes', more: '1' });
    standIn.model.advance(standIn.model.durations.restoreMinutes * 60);
    const deleted = (await expectOutput(
      elasticModel,
      'DeleteCluster',
      elastic.send(new E.DeleteClusterCommand({ clusterArn: arn })),
    )) as elasticSdk.DeleteClusterCommandOutput;
    expect(deleted.cluster?.status).toBe('DELETING');
  });

  it('fails restores and cluster deletes only with declared errors', async () => {
    const { elastic } = clients;
    const existing = standIn.model.elasticArn('cluster-snapshot', 'conf/existing');
    const halfMade = standIn.model.elasticArn('cluster-snapshot', 'conf/half-made');
    const restore = (input: Partial<elasticSdk.RestoreClusterFromSnapshotCommandInput>) =>
      expectDeclaredError(
        elasticModel,
        'RestoreClusterFromSnapshot',
        elastic.send(new E.RestoreClusterFromSnapshotCommand({ snapshotArn: existing, clusterName: 'conf-two', ...input })),
      );
    expect((await restore({ snapshotArn: `${existing}0` }))?.name).toBe('ResourceNotFoundException');
    expect((await restore({ clusterName: 'CONF' }))?.name).toBe('ConflictException');
    expect((await restore({ snapshotArn: halfMade }))?.name).toBe('ConflictException');
    for (const bad of [{ clusterName: 'double--hyphen' }, { shardCapacity: 3 }, { shardInstanceCount: 17 }, { tags: { 'aws:x': 'y' } }]) {
      expect((await restore(bad))?.name, JSON.stringify(bad)).toBe('ValidationException');
    }
    const missing = `${C1}0`;
    expect(
      (await expectDeclaredError(elasticModel, 'DeleteCluster', elastic.send(new E.DeleteClusterCommand({ clusterArn: missing }))))?.name,
    ).toBe('ResourceNotFoundException');
    const creating = await elastic.send(new E.RestoreClusterFromSnapshotCommand({ snapshotArn: existing, clusterName: 'conf-busy' }));
    const busy = await expectDeclaredError(
      elasticModel,
      'DeleteCluster',
      elastic.send(new E.DeleteClusterCommand({ clusterArn: creating.cluster?.clusterArn })),
    );
    expect(busy?.name).toBe('ConflictException');
    const q = await startStandIn(
      world({
        accountId: '123456789012',
        region: 'us-east-1',
        now: '2026-11-22T02:00:00Z',
        quotas: { elasticClusters: 1 },
        elasticClusters: [{ name: 'only', arn: C1, snapshots: [{ name: 's', createdAt: '2026-11-21T02:00:00Z' }] }],
      }),
    );
    try {
      const client = new elasticSdk.DocDBElasticClient({ region: 'us-east-1', endpoint: q.url });
      const e = await expectDeclaredError(
        elasticModel,
        'RestoreClusterFromSnapshot',
        client.send(
          new E.RestoreClusterFromSnapshotCommand({ snapshotArn: q.model.elasticArn('cluster-snapshot', 'only/s'), clusterName: 'x' }),
        ),
      );
      expect(e?.name).toBe('ServiceQuotaExceededException');
      expect((e as elasticSdk.ServiceQuotaExceededException).$metadata.httpStatusCode).toBe(402);
    } finally {
      await q.close();
    }
  });

  it('throttles with 429, Retry-After and the modelled retryAfterSeconds', async () => {
    standIn.model.faults.push({ operation: 'ListClusters', error: 'ThrottlingException', retryAfterSeconds: 1, left: 10 });
    const client = new elasticSdk.DocDBElasticClient({ region: 'us-east-1', maxAttempts: 1 });
    const e = (await client.send(new E.ListClustersCommand({})).catch((x: unknown) => x)) as elasticSdk.ThrottlingException;
    standIn.model.faults = [];
    expect(e.name).toBe('ThrottlingException');
    expect(e.$metadata.httpStatusCode).toBe(429);
    expect(e.retryAfterSeconds).toBe(1);
  });
});

describe('RDS stand-in conforms to the model', () => {
  const R = rdsSdk;
  const SHARED = 'arn:aws:rds:us-east-1:111122223333:cluster-snapshot:shared-one';
  const OWNED = 'arn:aws:rds:us-east-1:123456789012:cluster-snapshot:owned-one';

  it('answers with the modelled output shapes', async () => {
    const { rds } = clients;
    for (const SnapshotType of ['manual', 'shared', undefined]) {
      await expectOutput(
        rdsModel,
        'DescribeDBClusterSnapshots',
        rds.send(new R.DescribeDBClusterSnapshotsCommand({ SnapshotType, IncludeShared: true, MaxRecords: 20 })),
      );
    }
    await expectOutput(
      rdsModel,
      'DescribeDBClusterSnapshots',
      rds.send(new R.DescribeDBClusterSnapshotsCommand({ Filters: [{ Name: 'engine', Values: ['docdb'] }], SnapshotType: 'manual' })),
    );
    const copy = (await expectOutput(
      rdsModel,
      'CopyDBClusterSnapshot',
      rds.send(
        new R.CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: SHARED,
          TargetDBClusterSnapshotIdentifier: 'conf-copy',
          KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
          CopyTags: true,
          Tags: [{ Key: 'a', Value: 'b' }],
        }),
      ),
    )) as rdsSdk.CopyDBClusterSnapshotCommandOutput;
    expect(copy.DBClusterSnapshot?.Status).toBe('copying');
    expect(copy.DBClusterSnapshot?.PercentProgress).toBe(0);
    expect(copy.DBClusterSnapshot?.TagList).toEqual([{ Key: 'a', Value: 'b' }]);
    await expectOutput(
      rdsModel,
      'AddTagsToResource',
      rds.send(new R.AddTagsToResourceCommand({ ResourceName: OWNED, Tags: [{ Key: 'n', Value: 'm' }] })),
    );
    const tags = (await expectOutput(
      rdsModel,
      'ListTagsForResource',
      rds.send(new R.ListTagsForResourceCommand({ ResourceName: OWNED })),
    )) as rdsSdk.ListTagsForResourceCommandOutput;
    expect(tags.TagList).toEqual(expect.arrayContaining([{ Key: 'n', Value: 'm' }]));
    await expectOutput(
      rdsModel,
      'RemoveTagsFromResource',
      rds.send(new R.RemoveTagsFromResourceCommand({ ResourceName: OWNED, TagKeys: ['n'] })),
    );
    // deleting a target that is copying cancels the copy
    await expectOutput(
      rdsModel,
      'DeleteDBClusterSnapshot',
      rds.send(new R.DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'conf-copy' })),
    );
    expect(standIn.model.clusterSnapshots.has('conf-copy')).toBe(false);
  });

  it('fails only with declared (or common) errors, and enforces the documented rules', async () => {
    const { rds } = clients;
    const copy = (input: Partial<rdsSdk.CopyDBClusterSnapshotCommandInput>) =>
      rds.send(
        new R.CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: SHARED,
          TargetDBClusterSnapshotIdentifier: 'c2',
          ...input,
        }),
      );
    expect((await expectDeclaredError(rdsModel, 'CopyDBClusterSnapshot', copy({}), RDS_COMMON))?.name).toBe('KMSKeyNotAccessibleFault');
    expect(
      (
        await expectDeclaredError(
          rdsModel,
          'CopyDBClusterSnapshot',
          copy({ KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/other' }),
          RDS_COMMON,
        )
      )?.name,
    ).toBe('KMSKeyNotAccessibleFault');
    expect(
      (await expectDeclaredError(rdsModel, 'CopyDBClusterSnapshot', copy({ SourceDBClusterSnapshotIdentifier: 'shared-one' }), RDS_COMMON))
        ?.name,
    ).toBe('DBClusterSnapshotNotFoundFault');
    expect(
      (
        await expectDeclaredError(
          rdsModel,
          'CopyDBClusterSnapshot',
          copy({ SourceDBClusterSnapshotIdentifier: OWNED, KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k' }),
          RDS_COMMON,
        )
      )?.name,
    ).toBe('InvalidParameterCombination');
    expect(
      (
        await expectDeclaredError(
          rdsModel,
          'CopyDBClusterSnapshot',
          copy({ SourceDBClusterSnapshotIdentifier: OWNED, TargetDBClusterSnapshotIdentifier: 'owned-one' }),
          RDS_COMMON,
        )
      )?.name,
    ).toBe('DBClusterSnapshotAlreadyExistsFault');
    expect(
      (
        await expectDeclaredError(
          rdsModel,
          'CopyDBClusterSnapshot',
          copy({ SourceDBClusterSnapshotIdentifier: OWNED, TargetDBClusterSnapshotIdentifier: 'bad--name' }),
          RDS_COMMON,
        )
      )?.name,
    ).toBe('InvalidParameterValue');
    for (const MaxRecords of [19, 101]) {
      await expectDeclaredError(
        rdsModel,
        'DescribeDBClusterSnapshots',
        rds.send(new R.DescribeDBClusterSnapshotsCommand({ MaxRecords })),
        RDS_COMMON,
      );
    }
    expect(
      (
        await expectDeclaredError(
          rdsModel,
          'DescribeDBClusterSnapshots',
          rds.send(new R.DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'nope' })),
          RDS_COMMON,
        )
      )?.name,
    ).toBe('DBClusterSnapshotNotFoundFault');
    expect(
      (
        await expectDeclaredError(
          rdsModel,
          'DeleteDBClusterSnapshot',
          rds.send(new R.DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'nope' })),
          RDS_COMMON,
        )
      )?.name,
    ).toBe('DBClusterSnapshotNotFoundFault');
    await expectDeclaredError(
      rdsModel,
      'AddTagsToResource',
      rds.send(new R.AddTagsToResourceCommand({ ResourceName: `${OWNED}x`, Tags: [] })),
      RDS_COMMON,
    );
    await expectDeclaredError(
      rdsModel,
      'ListTagsForResource',
      rds.send(new R.ListTagsForResourceCommand({ ResourceName: `${OWNED}x` })),
      RDS_COMMON,
    );
  });

  it('enforces the manual snapshot quota with SnapshotQuotaExceeded', async () => {
    const q = await startStandIn(
      world({
        accountId: '123456789012',
        region: 'us-east-1',
        now: '2026-11-22T02:00:00Z',
        quotas: { manualClusterSnapshots: 1 },
        clusterSnapshots: [{ id: 'only', clusterId: 'c', createdAt: '2026-11-20T00:00:00Z' }],
        sharedSnapshots: [{ ownerAccount: '111122223333', id: 's', clusterId: 'c', createdAt: '2026-11-20T00:00:00Z' }],
      }),
    );
    try {
      const client = new rdsSdk.RDSClient({ region: 'us-east-1', endpoint: q.url });
      const e = await expectDeclaredError(
        rdsModel,
        'CopyDBClusterSnapshot',
        client.send(
          new R.CopyDBClusterSnapshotCommand({
            SourceDBClusterSnapshotIdentifier: 'arn:aws:rds:us-east-1:111122223333:cluster-snapshot:s',
            TargetDBClusterSnapshotIdentifier: 'c',
          }),
        ),
      );
      expect(e?.name).toBe('SnapshotQuotaExceededFault');
    } finally {
      await q.close();
    }
  });
});

describe('RDS stand-in conforms to the model: restores, DB clusters and DB instances', () => {
  const R = rdsSdk;
  const OWNED = 'arn:aws:rds:us-east-1:123456789012:cluster-snapshot:owned-one';

  it('answers with the modelled output shapes', async () => {
    const { rds } = clients;
    const restored = (await expectOutput(
      rdsModel,
      'RestoreDBClusterFromSnapshot',
      rds.send(
        new R.RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: 'Conf-Drill',
          SnapshotIdentifier: OWNED,
          Engine: 'docdb',
          DBSubnetGroupName: 'drill-subnets',
          VpcSecurityGroupIds: ['sg-1', 'sg-2'],
          KmsKeyId: KEY,
          Tags: [{ Key: 'drill', Value: 'yes' }],
        }),
      ),
    )) as rdsSdk.RestoreDBClusterFromSnapshotCommandOutput;
    expect(restored.DBCluster).toMatchObject({
      DBClusterIdentifier: 'conf-drill',
      Status: 'creating',
      Engine: 'docdb',
      DBSubnetGroup: 'drill-subnets',
      StorageEncrypted: true,
      KmsKeyId: KEY,
      DBClusterMembers: [],
      TagList: [{ Key: 'drill', Value: 'yes' }],
      VpcSecurityGroups: [
        { VpcSecurityGroupId: 'sg-1', Status: 'active' },
        { VpcSecurityGroupId: 'sg-2', Status: 'active' },
      ],
    });
    expect(restored.DBCluster?.ClusterCreateTime).toEqual(standIn.model.now());
    for (const input of [
      { DBClusterIdentifier: 'CONF-DRILL' },
      { DBClusterIdentifier: restored.DBCluster?.DBClusterArn },
      { Filters: [{ Name: 'engine', Values: ['docdb'] }], MaxRecords: 20 },
      { Filters: [{ Name: 'db-cluster-id', Values: ['conf-drill'] }] },
    ]) {
      const out = (await expectOutput(
        rdsModel,
        'DescribeDBClusters',
        rds.send(new R.DescribeDBClustersCommand(input)),
      )) as rdsSdk.DescribeDBClustersCommandOutput;
      expect(out.DBClusters?.map((c) => c.DBClusterIdentifier)).toEqual(['conf-drill']);
    }
    standIn.model.advance(standIn.model.durations.restoreMinutes * 60);
    const instance = (await expectOutput(
      rdsModel,
      'CreateDBInstance',
      rds.send(
        new R.CreateDBInstanceCommand({
          DBInstanceIdentifier: 'Conf-Drill-1',
          DBClusterIdentifier: 'conf-drill',
          DBInstanceClass: 'db.t3.medium',
          Engine: 'docdb',
          Tags: [{ Key: 'drill', Value: 'yes' }],
        }),
      ),
    )) as rdsSdk.CreateDBInstanceCommandOutput;
    expect(instance.DBInstance).toMatchObject({
      DBInstanceIdentifier: 'conf-drill-1',
      DBInstanceStatus: 'creating',
      DBClusterIdentifier: 'conf-drill',
    });
    for (const input of [
      { DBInstanceIdentifier: 'conf-drill-1' },
      { DBInstanceIdentifier: instance.DBInstance?.DBInstanceArn },
      { Filters: [{ Name: 'db-cluster-id', Values: ['conf-drill'] }], MaxRecords: 100 },
    ]) {
      const out = (await expectOutput(
        rdsModel,
        'DescribeDBInstances',
        rds.send(new R.DescribeDBInstancesCommand(input)),
      )) as rdsSdk.DescribeDBInstancesCommandOutput;
      expect(out.DBInstances?.map((d) => d.DBInstanceIdentifier)).toEqual(['conf-drill-1']);
    }
    standIn.model.advance(standIn.model.durations.instanceCreateMinutes * 60);
    const cluster = (await rds.send(new R.DescribeDBClustersCommand({ DBClusterIdentifier: 'conf-drill' }))).DBClusters?.[0];
    expect(cluster?.DBClusterMembers).toEqual([
      { DBInstanceIdentifier: 'conf-drill-1', IsClusterWriter: true, DBClusterParameterGroupStatus: 'in-sync', PromotionTier: 1 },
    ]);
    const tags = (await expectOutput(
      rdsModel,
      'ListTagsForResource',
      rds.send(new R.ListTagsForResourceCommand({ ResourceName: cluster?.DBClusterArn })),
    )) as rdsSdk.ListTagsForResourceCommandOutput;
    expect(tags.TagList).toEqual([{ Key: 'drill', Value: 'yes' }]);
    const gone = (await expectOutput(
      rdsModel,
      'DeleteDBInstance',
      rds.send(new R.DeleteDBInstanceCommand({ DBInstanceIdentifier: 'conf-drill-1', SkipFinalSnapshot: false })),
    )) as rdsSdk.DeleteDBInstanceCommandOutput;
    expect(gone.DBInstance?.DBInstanceStatus).toBe('deleting');
    const deleted = (await expectOutput(
      rdsModel,
      'DeleteDBCluster',
      rds.send(new R.DeleteDBClusterCommand({ DBClusterIdentifier: 'conf-drill', SkipFinalSnapshot: true })),
    )) as rdsSdk.DeleteDBClusterCommandOutput;
    expect(deleted.DBCluster?.Status).toBe('deleting');
  });

  it('fails only with declared (or common) errors', async () => {
    const { rds } = clients;
    const restore = (input: Partial<rdsSdk.RestoreDBClusterFromSnapshotCommandInput>) =>
      expectDeclaredError(
        rdsModel,
        'RestoreDBClusterFromSnapshot',
        rds.send(
          new R.RestoreDBClusterFromSnapshotCommand({
            DBClusterIdentifier: 'conf-err',
            SnapshotIdentifier: 'owned-one',
            Engine: 'docdb',
            ...input,
          }),
        ),
        RDS_COMMON,
      );
    expect((await restore({ SnapshotIdentifier: 'nope' }))?.name).toBe('DBClusterSnapshotNotFoundFault');
    expect((await restore({ KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/other' }))?.name).toBe('KMSKeyNotAccessibleFault');
    expect((await restore({ DBSubnetGroupName: 'nope' }))?.name).toBe('DBSubnetGroupNotFoundFault');
    expect((await restore({ Engine: 'aurora-postgresql' }))?.name).toBe('InvalidParameterCombination');
    expect((await restore({ DBClusterIdentifier: 'bad--id' }))?.name).toBe('InvalidParameterValue');
    expect((await restore({ Engine: '' }))?.name).toBe('MissingParameter');
    await rds.send(
      new R.CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: 'owned-one',
        TargetDBClusterSnapshotIdentifier: 'conf-in-flight',
      }),
    );
    expect((await restore({ SnapshotIdentifier: 'conf-in-flight' }))?.name).toBe('InvalidDBClusterSnapshotStateFault');
    await rds.send(
      new R.RestoreDBClusterFromSnapshotCommand({ DBClusterIdentifier: 'conf-err', SnapshotIdentifier: 'owned-one', Engine: 'docdb' }),
    );
    expect((await restore({}))?.name).toBe('DBClusterAlreadyExistsFault');
    // a cluster still creating takes no instance and cannot be deleted
    const instance = (input: Partial<rdsSdk.CreateDBInstanceCommandInput>) =>
      expectDeclaredError(
        rdsModel,
        'CreateDBInstance',
        rds.send(
          new R.CreateDBInstanceCommand({
            DBInstanceIdentifier: 'conf-err-1',
            DBClusterIdentifier: 'conf-err',
            DBInstanceClass: 'db.t3.medium',
            Engine: 'docdb',
            ...input,
          }),
        ),
        RDS_COMMON,
      );
    expect((await instance({}))?.name).toBe('InvalidDBClusterStateFault');
    const deleteCluster = (input: Partial<rdsSdk.DeleteDBClusterCommandInput>) =>
      expectDeclaredError(
        rdsModel,
        'DeleteDBCluster',
        rds.send(new R.DeleteDBClusterCommand({ DBClusterIdentifier: 'conf-err', SkipFinalSnapshot: true, ...input })),
        RDS_COMMON,
      );
    expect((await deleteCluster({}))?.name).toBe('InvalidDBClusterStateFault');
    standIn.model.advance(standIn.model.durations.restoreMinutes * 60);
    expect((await instance({ DBClusterIdentifier: 'nope' }))?.name).toBe('DBClusterNotFoundFault');
    expect((await instance({ Engine: 'aurora-mysql' }))?.name).toBe('InvalidParameterCombination');
    await rds.send(
      new R.CreateDBInstanceCommand({
        DBInstanceIdentifier: 'conf-err-1',
        DBClusterIdentifier: 'conf-err',
        DBInstanceClass: 'db.t3.medium',
        Engine: 'docdb',
      }),
    );
    expect((await instance({}))?.name).toBe('DBInstanceAlreadyExistsFault');
    // deleting a cluster that still has an instance not being deleted
    expect((await deleteCluster({}))?.name).toBe('InvalidDBClusterStateFault');
    expect((await deleteCluster({ DBClusterIdentifier: 'nope' }))?.name).toBe('DBClusterNotFoundFault');
    expect((await deleteCluster({ SkipFinalSnapshot: false }))?.name).toBe('InvalidDBClusterStateFault');
    expect(
      (
        await expectDeclaredError(
          rdsModel,
          'DescribeDBClusters',
          rds.send(new R.DescribeDBClustersCommand({ DBClusterIdentifier: 'nope' })),
          RDS_COMMON,
        )
      )?.name,
    ).toBe('DBClusterNotFoundFault');
    for (const MaxRecords of [19, 101]) {
      await expectDeclaredError(rdsModel, 'DescribeDBClusters', rds.send(new R.DescribeDBClustersCommand({ MaxRecords })), RDS_COMMON);
      await expectDeclaredError(rdsModel, 'DescribeDBInstances', rds.send(new R.DescribeDBInstancesCommand({ MaxRecords })), RDS_COMMON);
    }
    expect(
      (
        await expectDeclaredError(
          rdsModel,
          'DescribeDBInstances',
          rds.send(new R.DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' })),
          RDS_COMMON,
        )
      )?.name,
    ).toBe('DBInstanceNotFoundFault');
    expect(
      (
        await expectDeclaredError(
          rdsModel,
          'DeleteDBInstance',
          rds.send(new R.DeleteDBInstanceCommand({ DBInstanceIdentifier: 'nope', SkipFinalSnapshot: true })),
          RDS_COMMON,
        )
      )?.name,
    ).toBe('DBInstanceNotFoundFault');
    await rds.send(new R.DeleteDBInstanceCommand({ DBInstanceIdentifier: 'conf-err-1' }));
    expect(
      (
        await expectDeclaredError(
          rdsModel,
          'DeleteDBInstance',
          rds.send(new R.DeleteDBInstanceCommand({ DBInstanceIdentifier: 'conf-err-1' })),
          RDS_COMMON,
        )
      )?.name,
    ).toBe('InvalidDBInstanceStateFault');
    // no final snapshot without its identifier, and not both
    expect((await deleteCluster({ SkipFinalSnapshot: false }))?.name).toBe('InvalidParameterCombination');
    expect((await deleteCluster({ FinalDBSnapshotIdentifier: 'final' }))?.name).toBe('InvalidParameterCombination');
    expect((await deleteCluster({ SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: 'owned-one' }))?.name).toBe(
      'DBClusterSnapshotAlreadyExistsFault',
    );
    await expectDeclaredError(
      rdsModel,
      'AddTagsToResource',
      rds.send(new R.AddTagsToResourceCommand({ ResourceName: 'arn:aws:rds:us-east-1:123456789012:cluster:nope', Tags: [] })),
      RDS_COMMON,
    );
    await expectDeclaredError(
      rdsModel,
      'ListTagsForResource',
      rds.send(new R.ListTagsForResourceCommand({ ResourceName: 'arn:aws:rds:us-east-1:123456789012:db:nope' })),
      RDS_COMMON,
    );
  });

  it('enforces the DB cluster quota with DBClusterQuotaExceededFault (403)', async () => {
    const q = await startStandIn(
      world({
        accountId: '123456789012',
        region: 'us-east-1',
        now: '2026-11-22T02:00:00Z',
        quotas: { dbClusters: 0 },
        clusterSnapshots: [{ id: 'only', clusterId: 'c', createdAt: '2026-11-20T00:00:00Z' }],
      }),
    );
    try {
      const client = new rdsSdk.RDSClient({ region: 'us-east-1', endpoint: q.url });
      const e = await expectDeclaredError(
        rdsModel,
        'RestoreDBClusterFromSnapshot',
        client.send(new R.RestoreDBClusterFromSnapshotCommand({ DBClusterIdentifier: 'x', SnapshotIdentifier: 'only', Engine: 'docdb' })),
      );
      expect(e?.name).toBe('DBClusterQuotaExceededFault');
      expect((e as rdsSdk.DBClusterQuotaExceededFault).$metadata.httpStatusCode).toBe(403);
    } finally {
      await q.close();
    }
  });
});

describe('error codes and HTTP statuses', () => {
  const modelled = (model: Model) =>
    new Map(
      Object.entries(model.shapes)
        .filter(([, s]) => s.error)
        .map(([name, s]) => [s.error?.code ?? name, s.error?.httpStatusCode ?? 400]),
    );

  it('the stand-in answers every modelled error with the model HTTP status', () => {
    const rds = modelled(rdsModel);
    for (const [code, status] of Object.entries(RDS_ERRORS)) if (rds.has(code)) expect(status, code).toBe(rds.get(code));
    // every RDS error the restore operations declare that a world fault may name has its status here
    for (const op of ['RestoreDBClusterFromSnapshot', 'DeleteDBCluster', 'CreateDBInstance', 'DeleteDBInstance']) {
      for (const e of rdsModel.operations[op]?.errors ?? []) {
        const code = rdsModel.shapes[e.shape]?.error?.code ?? e.shape;
        if (['DBClusterNotFoundFault', 'KMSKeyNotAccessibleFault', 'InvalidSubnet', 'InsufficientDBClusterCapacityFault'].includes(code)) {
          expect(RDS_ERRORS[code], code).toBe(rds.get(code));
        }
      }
    }
    const elastic = modelled(elasticModel);
    for (const [code, status] of Object.entries(ELASTIC_STATUS)) expect(status, code).toBe(elastic.get(code));
  });

  it('a world fault on a restore answers with the modelled code and status through the SDK', async () => {
    const q = await startStandIn(
      world({
        accountId: '123456789012',
        region: 'us-east-1',
        now: '2026-11-22T02:00:00Z',
        clusterSnapshots: [{ id: 'only', clusterId: 'c', createdAt: '2026-11-20T00:00:00Z' }],
        faults: [
          { operation: 'RestoreDBClusterFromSnapshot', error: 'InsufficientDBClusterCapacityFault', count: 1 },
          { operation: 'RestoreDBClusterFromSnapshot', error: 'InvalidSubnet', count: 1 },
        ],
      }),
    );
    try {
      const client = new rdsSdk.RDSClient({ region: 'us-east-1', endpoint: q.url });
      const send = () =>
        expectDeclaredError(
          rdsModel,
          'RestoreDBClusterFromSnapshot',
          client.send(
            new rdsSdk.RestoreDBClusterFromSnapshotCommand({ DBClusterIdentifier: 'x', SnapshotIdentifier: 'only', Engine: 'docdb' }),
          ),
        );
      const first = (await send()) as rdsSdk.RDSServiceException;
      expect([first.name, first.$metadata.httpStatusCode]).toEqual(['InsufficientDBClusterCapacityFault', 403]);
      const second = (await send()) as rdsSdk.RDSServiceException;
      expect([second.name, second.$metadata.httpStatusCode]).toEqual(['InvalidSubnet', 400]);
    } finally {
      await q.close();
    }
  });
});
