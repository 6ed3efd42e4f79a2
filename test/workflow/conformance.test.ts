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
import { routeElastic } from '../../local/standin/services/elastic.js';
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
];
const declared = (model: Model, op: string) =>
  (model.operations[op]?.errors ?? []).flatMap((e) => [e.shape, model.shapes[e.shape]?.error?.code ?? e.shape]);

const C1 = clusterArn('00000000-0000-4000-8000-00000000c0f1');
let standIn: StandIn;
let clients: Clients;

beforeAll(async () => {
  standIn = await startStandIn(
    world({
      accountId: '123456789012',
      region: 'us-east-1',
      now: '2026-11-22T02:00:00Z',
      kmsKeys: ['arn:aws:kms:us-east-1:123456789012:key/k'],
      elasticClusters: [
        { name: 'conf', arn: C1, tags: { a: 'b' }, snapshots: [{ name: 'existing', createdAt: '2026-11-21T02:00:00Z', tags: { x: 'y' } }] },
      ],
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
