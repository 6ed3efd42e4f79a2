/**
 * Restore drills on the stand-in, in virtual time, through the real SDK clients: elastic clusters restored
 * from snapshots and deleted, RDS-API clusters restored with an instance and deleted in AWS's order, every
 * way a world can make a restore or a delete fail, and worlds saved with restores in flight.
 * docs/aws-behaviour.md (E13-E19, R16-R24) gives the source of each behaviour.
 */
import {
  CreateClusterSnapshotCommand,
  DeleteClusterCommand,
  GetClusterCommand,
  GetClusterSnapshotCommand,
  ListClustersCommand,
  RestoreClusterFromSnapshotCommand,
  TagResourceCommand,
} from '@aws-sdk/client-docdb-elastic';
import {
  CopyDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  RestoreDBClusterFromSnapshotCommand,
} from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it } from 'vitest';
import { createClients } from '../../functions/aws/clients.js';
import { useStandInEndpoints } from '../../local/runner.js';
import { Model } from '../../local/standin/model.js';
import { type StandIn, startStandIn } from '../../local/standin/server.js';
import { parseWorld, type WorldInput } from '../../local/standin/world.js';
import { clusterArn } from './helpers.js';

const C1 = clusterArn('00000000-0000-4000-8000-0000000000d1');
const NOW = '2026-11-22T02:00:00.000Z';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/drill';
const MINUTE = 60;
const base = (extra: Partial<WorldInput> = {}): WorldInput => ({
  accountId: '123456789012',
  region: 'us-east-1',
  now: NOW,
  kmsKeys: [KEY],
  elasticClusters: [
    {
      name: 'orders',
      arn: C1,
      shardCapacity: 8,
      shardCount: 3,
      snapshots: [
        { name: 'nightly', createdAt: '2026-11-21T02:00:00Z' },
        { name: 'auto-1', type: 'automated', createdAt: '2026-11-21T03:00:00Z' },
      ],
    },
  ],
  clusterSnapshots: [{ id: 'catalog-nightly', clusterId: 'catalog', createdAt: '2026-11-21T02:00:00Z', tags: { team: 'catalog' } }],
  sharedSnapshots: [{ ownerAccount: '111122223333', id: 'partner-1', clusterId: 'p', createdAt: '2026-11-21T02:00:00Z' }],
  ...extra,
});

let standIn: StandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});
async function open(w: WorldInput) {
  standIn = await startStandIn(parseWorld(w));
  useStandInEndpoints(standIn);
  const model = standIn.model;
  const nightly = model.elasticArn('cluster-snapshot', 'orders/nightly');
  return { model, nightly, ...createClients('us-east-1') };
}
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: Error & { $metadata?: { httpStatusCode?: number } }) => ({ name: e.name, status: e.$metadata?.httpStatusCode }),
  );

describe('elastic restore', () => {
  it(`is CREATING until the world's restoreMinutes have passed, then ACTIVE, with what the restore asked for`, async () => {
    const { elastic, model, nightly } = await open(base({ durations: { restoreMinutes: 40 } }));
    const out = await elastic.send(
      new RestoreClusterFromSnapshotCommand({
        snapshotArn: nightly,
        clusterName: 'Orders-Drill',
        kmsKeyId: KEY,
        subnetIds: ['subnet-a', 'subnet-b', 'subnet-c'],
        vpcSecurityGroupIds: ['sg-drill'],
        shardInstanceCount: 1,
        tags: { purpose: 'drill' },
      }),
    );
    const arn = out.cluster?.clusterArn ?? '';
    expect(out.cluster).toMatchObject({ clusterName: 'orders-drill', status: 'CREATING', createTime: NOW });
    model.advance(39 * MINUTE);
    expect((await elastic.send(new GetClusterCommand({ clusterArn: arn }))).cluster?.status).toBe('CREATING');
    await expect(elastic.send(new CreateClusterSnapshotCommand({ clusterArn: arn, snapshotName: 'too-early' }))).rejects.toMatchObject({
      name: 'ConflictException',
    });
    model.advance(MINUTE);
    const got = (await elastic.send(new GetClusterCommand({ clusterArn: arn }))).cluster;
    // shard count and (unless given) capacity come from the snapshot's cluster
    expect(got).toMatchObject({
      status: 'ACTIVE',
      kmsKeyId: KEY,
      subnetIds: ['subnet-a', 'subnet-b', 'subnet-c'],
      vpcSecurityGroupIds: ['sg-drill'],
      shardCapacity: 8,
      shardCount: 3,
      shardInstanceCount: 1,
    });
    const listed = (await elastic.send(new ListClustersCommand({}))).clusters ?? [];
    expect(listed.map((c) => [c.clusterName, c.status])).toEqual([
      ['orders', 'ACTIVE'],
      ['orders-drill', 'ACTIVE'],
    ]);
    await elastic.send(new CreateClusterSnapshotCommand({ clusterArn: arn, snapshotName: 'of-the-drill' }));
    expect(model.audit.find((e) => e.op === 'restore')).toMatchObject({
      service: 'docdb-elastic',
      id: arn,
      source: nightly,
      tags: { purpose: 'drill' },
    });
  });

  it('DeleteCluster: DELETING (a second delete answers the same), then gone; manual snapshots of it remain, automated ones go', async () => {
    const { elastic, model, nightly } = await open(base({ durations: { clusterDeleteMinutes: 12 } }));
    const first = await elastic.send(new DeleteClusterCommand({ clusterArn: C1 }));
    expect(first.cluster?.status).toBe('DELETING');
    expect((await elastic.send(new GetClusterCommand({ clusterArn: C1 }))).cluster?.status).toBe('DELETING');
    expect((await elastic.send(new DeleteClusterCommand({ clusterArn: C1 }))).cluster?.status).toBe('DELETING');
    expect(model.audit.filter((e) => e.op === 'delete-cluster')).toHaveLength(1);
    model.advance(12 * MINUTE);
    expect(await failure(elastic.send(new GetClusterCommand({ clusterArn: C1 })))).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    expect((await elastic.send(new ListClustersCommand({}))).clusters).toEqual([]);
    expect(await failure(elastic.send(new TagResourceCommand({ resourceArn: C1, tags: { a: 'b' } })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect((await elastic.send(new GetClusterSnapshotCommand({ snapshotArn: nightly }))).snapshot?.clusterArn).toBe(C1);
    expect(
      await failure(elastic.send(new GetClusterSnapshotCommand({ snapshotArn: model.elasticArn('cluster-snapshot', 'orders/auto-1') }))),
    ).toMatchObject({
      name: 'ResourceNotFoundException',
    });
    // the name is free again, and a saved world keeps the remaining snapshot under the deleted cluster
    await elastic.send(new RestoreClusterFromSnapshotCommand({ snapshotArn: nightly, clusterName: 'orders' }));
    const saved = parseWorld(JSON.parse(JSON.stringify(model.toWorld())));
    expect(saved.elasticClusters.map((c) => [c.name, c.status, c.deleted ?? false, c.snapshots.map((s) => s.name)])).toEqual([
      ['orders', 'DELETING', true, ['nightly']],
      ['orders', 'CREATING', false, []],
    ]);
  });

  it('deletes a restore that failed; refuses (ConflictException) one still CREATING, and a STOPPED cluster', async () => {
    const { elastic, model, nightly } = await open(
      base({
        elasticClusters: [
          { name: 'orders', arn: C1, snapshots: [{ name: 'nightly', createdAt: '2026-11-21T02:00:00Z' }] },
          { name: 'parked', status: 'STOPPED' },
        ],
        faults: [{ operation: 'RestoreClusterFromSnapshot', target: 'broken', failMidway: true, endStatus: 'INVALID_SUBNET_ID' }],
      }),
    );
    const broken = (await elastic.send(new RestoreClusterFromSnapshotCommand({ snapshotArn: nightly, clusterName: 'broken' }))).cluster;
    expect(await failure(elastic.send(new DeleteClusterCommand({ clusterArn: broken?.clusterArn })))).toEqual({
      name: 'ConflictException',
      status: 409,
    });
    model.advance(model.durations.restoreMinutes * MINUTE);
    expect((await elastic.send(new GetClusterCommand({ clusterArn: broken?.clusterArn }))).cluster?.status).toBe('INVALID_SUBNET_ID');
    expect((await elastic.send(new DeleteClusterCommand({ clusterArn: broken?.clusterArn }))).cluster?.status).toBe('DELETING');
    const parked = model.elasticArn('cluster', 'parked');
    expect(await failure(elastic.send(new DeleteClusterCommand({ clusterArn: parked })))).toEqual({
      name: 'ConflictException',
      status: 409,
    });
  });
});

describe('RDS restore, instance and delete', () => {
  it("restores creating → available, takes an instance only then, and deletes in AWS's order", async () => {
    const { rds, model } = await open(base({ durations: { restoreMinutes: 20, instanceCreateMinutes: 10, clusterDeleteMinutes: 5 } }));
    const restored = await rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: 'catalog-drill',
        SnapshotIdentifier: 'catalog-nightly',
        Engine: 'docdb',
        VpcSecurityGroupIds: ['sg-drill'],
        Tags: [{ Key: 'purpose', Value: 'drill' }],
      }),
    );
    expect(restored.DBCluster).toMatchObject({ Status: 'creating', StorageEncrypted: false, DBClusterMembers: [] });
    const instance = {
      DBInstanceIdentifier: 'catalog-drill-1',
      DBClusterIdentifier: 'catalog-drill',
      DBInstanceClass: 'db.t3.medium',
      Engine: 'docdb',
    };
    expect(await failure(rds.send(new CreateDBInstanceCommand(instance)))).toEqual({ name: 'InvalidDBClusterStateFault', status: 400 });
    model.advance(20 * MINUTE);
    const cluster = async () => (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'catalog-drill' }))).DBClusters?.[0];
    // a cluster with no instance reaches available
    expect((await cluster())?.Status).toBe('available');
    expect((await rds.send(new CreateDBInstanceCommand(instance))).DBInstance?.DBInstanceStatus).toBe('creating');
    const status = async () =>
      (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'catalog-drill-1' }))).DBInstances?.[0]?.DBInstanceStatus;
    model.advance(9 * MINUTE);
    expect(await status()).toBe('creating');
    model.advance(MINUTE);
    expect(await status()).toBe('available');
    expect((await cluster())?.DBClusterMembers?.map((d) => [d.DBInstanceIdentifier, d.IsClusterWriter])).toEqual([
      ['catalog-drill-1', true],
    ]);
    // the cluster cannot go while it has an instance that is not being deleted
    const deleteCluster = () => rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'catalog-drill', SkipFinalSnapshot: true }));
    expect(await failure(deleteCluster())).toEqual({ name: 'InvalidDBClusterStateFault', status: 400 });
    expect((await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'catalog-drill-1' }))).DBInstance?.DBInstanceStatus).toBe(
      'deleting',
    );
    expect((await deleteCluster()).DBCluster?.Status).toBe('deleting');
    expect((await cluster())?.Status).toBe('deleting');
    expect(await failure(deleteCluster())).toEqual({ name: 'InvalidDBClusterStateFault', status: 400 });
    model.advance(5 * MINUTE);
    expect(await failure(rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'catalog-drill' })))).toEqual({
      name: 'DBClusterNotFoundFault',
      status: 404,
    });
    expect(await failure(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'catalog-drill-1' })))).toEqual({
      name: 'DBInstanceNotFoundFault',
      status: 404,
    });
    expect(model.audit.map((e) => e.op).filter((op) => op !== 'create')).toEqual([
      'restore',
      'create-instance',
      'delete-instance',
      'delete-cluster',
    ]);
  });

  it('restores from an owned copy by ARN and from a shared snapshot by ARN; a final snapshot is kept when asked for', async () => {
    const { rds, model } = await open(base({ durations: { copyMinutes: 30 } }));
    const partner = 'arn:aws:rds:us-east-1:111122223333:cluster-snapshot:partner-1';
    const copy = await rds.send(
      new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: partner, TargetDBClusterSnapshotIdentifier: 'partner-copy' }),
    );
    const copyArn = copy.DBClusterSnapshot?.DBClusterSnapshotArn;
    const restore = (id: string, snapshot: string | undefined) =>
      rds.send(new RestoreDBClusterFromSnapshotCommand({ DBClusterIdentifier: id, SnapshotIdentifier: snapshot, Engine: 'docdb' }));
    expect(await failure(restore('from-copy', copyArn))).toEqual({ name: 'InvalidDBClusterSnapshotStateFault', status: 400 });
    model.advance(30 * MINUTE);
    expect((await restore('from-copy', copyArn)).DBCluster?.Status).toBe('creating');
    expect((await restore('from-shared', partner)).DBCluster?.Status).toBe('creating');
    model.advance(model.durations.restoreMinutes * MINUTE);
    const out = await rds.send(
      new DeleteDBClusterCommand({ DBClusterIdentifier: 'from-copy', FinalDBSnapshotIdentifier: 'from-copy-final' }),
    );
    expect(out.DBCluster?.Status).toBe('deleting');
    const final = (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'from-copy-final' })))
      .DBClusterSnapshots?.[0];
    expect(final).toMatchObject({ DBClusterIdentifier: 'from-copy', SnapshotType: 'manual', Status: 'creating' });
  });

  it('a cluster restored with DeletionProtection cannot be deleted (InvalidParameterCombination)', async () => {
    const { rds, model } = await open(base());
    await rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: 'kept',
        SnapshotIdentifier: 'catalog-nightly',
        Engine: 'docdb',
        DeletionProtection: true,
      }),
    );
    model.advance(model.durations.restoreMinutes * MINUTE);
    expect(await failure(rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'kept', SkipFinalSnapshot: true })))).toEqual({
      name: 'InvalidParameterCombination',
      status: 400,
    });
  });
});

describe('a world makes restores and deletes fail', () => {
  it('(a) at once, with the error a fault names, as often as its count says', async () => {
    const { elastic, rds, nightly } = await open(
      base({
        faults: [
          { operation: 'RestoreClusterFromSnapshot', error: 'ServiceQuotaExceededException', count: 1 },
          { operation: 'RestoreDBClusterFromSnapshot', error: 'KMSKeyNotAccessibleFault', count: 1 },
          { operation: 'RestoreDBClusterFromSnapshot', error: 'InvalidSubnet', count: 1 },
        ],
      }),
    );
    const elasticRestore = () => elastic.send(new RestoreClusterFromSnapshotCommand({ snapshotArn: nightly, clusterName: 'drill' }));
    expect(await failure(elasticRestore())).toEqual({ name: 'ServiceQuotaExceededException', status: 402 });
    expect((await elasticRestore()).cluster?.status).toBe('CREATING');
    const rdsRestore = () =>
      rds.send(
        new RestoreDBClusterFromSnapshotCommand({ DBClusterIdentifier: 'drill', SnapshotIdentifier: 'catalog-nightly', Engine: 'docdb' }),
      );
    expect(await failure(rdsRestore())).toEqual({ name: 'KMSKeyNotAccessibleFault', status: 400 });
    expect(await failure(rdsRestore())).toEqual({ name: 'InvalidSubnet', status: 400 });
    expect((await rdsRestore()).DBCluster?.Status).toBe('creating');
  });

  it('(b) part-way: the cluster or instance ends in the fault’s endStatus (or the service’s failed status), half-way through', async () => {
    const { elastic, rds, model, nightly } = await open(
      base({
        durations: { restoreMinutes: 30, instanceCreateMinutes: 10 },
        faults: [
          { operation: 'RestoreClusterFromSnapshot', target: 'subnet', failMidway: true, endStatus: 'INVALID_SUBNET_ID' },
          { operation: 'RestoreClusterFromSnapshot', target: 'default', failMidway: true },
          {
            operation: 'RestoreDBClusterFromSnapshot',
            target: 'keyless',
            failMidway: true,
            endStatus: 'inaccessible-encryption-credentials',
          },
          { operation: 'RestoreDBClusterFromSnapshot', target: 'plain', failMidway: true },
          { operation: 'CreateDBInstance', target: 'no-room', failMidway: true, endStatus: 'insufficient-capacity' },
        ],
      }),
    );
    const arns: Record<string, string> = {};
    for (const name of ['subnet', 'default', 'healthy']) {
      arns[name] =
        (await elastic.send(new RestoreClusterFromSnapshotCommand({ snapshotArn: nightly, clusterName: name }))).cluster?.clusterArn ?? '';
    }
    // a key the account cannot use: the restore starts, the cluster ends INACCESSIBLE_ENCRYPTION_CREDS
    arns.badkey =
      (await elastic.send(new RestoreClusterFromSnapshotCommand({ snapshotArn: nightly, clusterName: 'badkey', kmsKeyId: `${KEY}-gone` })))
        .cluster?.clusterArn ?? '';
    for (const id of ['keyless', 'plain', 'healthy-rds']) {
      await rds.send(
        new RestoreDBClusterFromSnapshotCommand({ DBClusterIdentifier: id, SnapshotIdentifier: 'catalog-nightly', Engine: 'docdb' }),
      );
    }
    const elasticStatuses = async () =>
      Object.fromEntries(
        await Promise.all(
          Object.entries(arns).map(async ([k, arn]) => [
            k,
            (await elastic.send(new GetClusterCommand({ clusterArn: arn }))).cluster?.status,
          ]),
        ),
      );
    const rdsStatuses = async () =>
      Object.fromEntries(
        ((await rds.send(new DescribeDBClustersCommand({}))).DBClusters ?? []).map((c) => [c.DBClusterIdentifier, c.Status]),
      );
    model.advance(14 * MINUTE);
    expect(await elasticStatuses()).toEqual({ subnet: 'CREATING', default: 'CREATING', healthy: 'CREATING', badkey: 'CREATING' });
    expect(await rdsStatuses()).toEqual({ keyless: 'creating', plain: 'creating', 'healthy-rds': 'creating' });
    model.advance(MINUTE);
    expect(await elasticStatuses()).toEqual({
      subnet: 'INVALID_SUBNET_ID',
      default: 'INACCESSIBLE_ENCRYPTION_CREDS',
      healthy: 'CREATING',
      badkey: 'INACCESSIBLE_ENCRYPTION_CREDS',
    });
    expect(await rdsStatuses()).toEqual({ keyless: 'inaccessible-encryption-credentials', plain: 'failed', 'healthy-rds': 'creating' });
    // a failed cluster takes no instance, and can be deleted without a final snapshot
    const instance = (id: string, cluster: string) =>
      rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          DBClusterIdentifier: cluster,
          DBInstanceClass: 'db.t3.medium',
          Engine: 'docdb',
        }),
      );
    expect(await failure(instance('x', 'plain'))).toEqual({ name: 'InvalidDBClusterStateFault', status: 400 });
    expect(
      await failure(rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'plain', FinalDBSnapshotIdentifier: 'plain-final' }))),
    ).toEqual({ name: 'InvalidDBClusterStateFault', status: 400 });
    expect((await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'plain', SkipFinalSnapshot: true }))).DBCluster?.Status).toBe(
      'deleting',
    );
    model.advance(15 * MINUTE);
    await instance('no-room', 'healthy-rds');
    model.advance(5 * MINUTE);
    const inst = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'no-room' }))).DBInstances?.[0];
    expect(inst?.DBInstanceStatus).toBe('insufficient-capacity');
    // a failed instance can be deleted, and then the cluster
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'no-room' }));
    expect(
      (await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'healthy-rds', SkipFinalSnapshot: true }))).DBCluster?.Status,
    ).toBe('deleting');
  });

  it('(c) stuck: the restore never leaves CREATING/creating, and cannot be deleted', async () => {
    const { elastic, rds, model, nightly } = await open(
      base({
        faults: [
          { operation: 'RestoreClusterFromSnapshot', stuck: true },
          { operation: 'RestoreDBClusterFromSnapshot', stuck: true },
        ],
      }),
    );
    const arn = (await elastic.send(new RestoreClusterFromSnapshotCommand({ snapshotArn: nightly, clusterName: 'hung' }))).cluster
      ?.clusterArn;
    await rds.send(
      new RestoreDBClusterFromSnapshotCommand({ DBClusterIdentifier: 'hung', SnapshotIdentifier: 'catalog-nightly', Engine: 'docdb' }),
    );
    model.advance(7 * 24 * 60 * MINUTE);
    expect((await elastic.send(new GetClusterCommand({ clusterArn: arn }))).cluster?.status).toBe('CREATING');
    expect((await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'hung' }))).DBClusters?.[0]?.Status).toBe('creating');
    expect(await failure(elastic.send(new DeleteClusterCommand({ clusterArn: arn })))).toEqual({ name: 'ConflictException', status: 409 });
    expect(await failure(rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'hung', SkipFinalSnapshot: true })))).toEqual({
      name: 'InvalidDBClusterStateFault',
      status: 400,
    });
  });

  it('(d) a delete fails with the fault’s error (count times), or hangs in DELETING/deleting (stuck)', async () => {
    const { elastic, rds, model, nightly } = await open(
      base({
        faults: [
          { operation: 'DeleteCluster', error: 'AccessDeniedException', count: 1 },
          { operation: 'DeleteDBCluster', target: 'refused', error: 'InvalidDBClusterStateFault', count: 2 },
          { operation: 'DeleteCluster', target: 'hung', stuck: true },
          { operation: 'DeleteDBCluster', target: 'hung', stuck: true },
        ],
      }),
    );
    const arns: string[] = [];
    for (const name of ['drill', 'hung']) {
      arns.push(
        (await elastic.send(new RestoreClusterFromSnapshotCommand({ snapshotArn: nightly, clusterName: name }))).cluster?.clusterArn ?? '',
      );
    }
    for (const id of ['refused', 'hung']) {
      await rds.send(
        new RestoreDBClusterFromSnapshotCommand({ DBClusterIdentifier: id, SnapshotIdentifier: 'catalog-nightly', Engine: 'docdb' }),
      );
    }
    model.advance(model.durations.restoreMinutes * MINUTE);
    const [drill, hung] = arns;
    expect(await failure(elastic.send(new DeleteClusterCommand({ clusterArn: drill })))).toEqual({
      name: 'AccessDeniedException',
      status: 403,
    });
    expect((await elastic.send(new DeleteClusterCommand({ clusterArn: drill }))).cluster?.status).toBe('DELETING');
    const deleteRds = (id: string) => rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: id, SkipFinalSnapshot: true }));
    expect(await failure(deleteRds('refused'))).toEqual({ name: 'InvalidDBClusterStateFault', status: 400 });
    expect(await failure(deleteRds('refused'))).toEqual({ name: 'InvalidDBClusterStateFault', status: 400 });
    expect((await deleteRds('refused')).DBCluster?.Status).toBe('deleting');
    await elastic.send(new DeleteClusterCommand({ clusterArn: hung }));
    await deleteRds('hung');
    model.advance(7 * 24 * 60 * MINUTE);
    expect(await failure(elastic.send(new GetClusterCommand({ clusterArn: drill })))).toMatchObject({ name: 'ResourceNotFoundException' });
    expect((await elastic.send(new GetClusterCommand({ clusterArn: hung }))).cluster?.status).toBe('DELETING');
    expect((await rds.send(new DescribeDBClustersCommand({}))).DBClusters?.map((c) => [c.DBClusterIdentifier, c.Status])).toEqual([
      ['hung', 'deleting'],
    ]);
  });

  it('world files take endStatus only with failMidway on a restore or CreateDBInstance, and only a status of what it makes', () => {
    expect(() =>
      parseWorld(base({ faults: [{ operation: 'RestoreClusterFromSnapshot', endStatus: 'INVALID_SUBNET_ID', stuck: true }] })),
    ).toThrow(/faults\.0\.endStatus: endStatus goes with failMidway/);
    expect(() => parseWorld(base({ faults: [{ operation: 'CopyDBClusterSnapshot', failMidway: true, endStatus: 'failed' }] }))).toThrow(
      /faults\.0\.endStatus/,
    );
    expect(() =>
      parseWorld(base({ faults: [{ operation: 'RestoreClusterFromSnapshot', failMidway: true, endStatus: 'failed' }] })),
    ).toThrow(/endStatus must be a status of what the operation makes/);
    expect(() =>
      parseWorld(
        base({
          faults: [{ operation: 'RestoreDBClusterFromSnapshot', failMidway: true, endStatus: 'inaccessible-encryption-credentials' }],
        }),
      ),
    ).not.toThrow();
  });
});

describe('saved worlds with restores in flight', () => {
  it('carry on exactly: remaining times, failures with their end status, deletes, instances and the restore fields', async () => {
    const { elastic, rds, model, nightly } = await open(
      base({
        durations: { restoreMinutes: 30, instanceCreateMinutes: 10, clusterDeleteMinutes: 10 },
        dbSubnetGroups: ['drill-subnets'],
        faults: [
          { operation: 'RestoreClusterFromSnapshot', target: 'failing', failMidway: true, endStatus: 'INVALID_SECURITY_GROUP_ID' },
          {
            operation: 'RestoreDBClusterFromSnapshot',
            target: 'failing',
            failMidway: true,
            endStatus: 'inaccessible-encryption-credentials',
          },
        ],
      }),
    );
    const restoreElastic = async (name: string) =>
      (
        await elastic.send(
          new RestoreClusterFromSnapshotCommand({
            snapshotArn: nightly,
            clusterName: name,
            subnetIds: ['subnet-x'],
            tags: { drill: name },
          }),
        )
      ).cluster?.clusterArn ?? '';
    const restoreRds = (id: string) =>
      rds.send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: id,
          SnapshotIdentifier: 'catalog-nightly',
          Engine: 'docdb',
          DBSubnetGroupName: 'drill-subnets',
          KmsKeyId: KEY,
          Tags: [{ Key: 'drill', Value: id }],
        }),
      );
    const done = await restoreElastic('done');
    await restoreRds('with-instance');
    model.advance(30 * MINUTE);
    const going = await restoreElastic('going');
    const failing = await restoreElastic('failing');
    await restoreRds('creating');
    await restoreRds('failing');
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'with-instance-1',
        DBClusterIdentifier: 'with-instance',
        DBInstanceClass: 'db.r6g.large',
        Engine: 'docdb',
      }),
    );
    await elastic.send(new DeleteClusterCommand({ clusterArn: done }));
    model.advance(10 * MINUTE);
    const saved = model.toWorld();
    const byName = Object.fromEntries(saved.elasticClusters.map((c) => [c.name, c]));
    expect(byName.going).toMatchObject({
      status: 'CREATING',
      remainingMinutes: 20,
      restoredFrom: nightly,
      subnetIds: ['subnet-x'],
      tags: { drill: 'going' },
    });
    expect(byName.failing).toMatchObject({ status: 'CREATING', failInMinutes: 5, endStatus: 'INVALID_SECURITY_GROUP_ID' });
    expect(byName.done).toBeUndefined(); // deleted after 10 minutes, no snapshots of it left
    const dbById = Object.fromEntries(saved.dbClusters.map((c) => [c.id, c]));
    expect(dbById.creating).toMatchObject({
      status: 'creating',
      remainingMinutes: 20,
      encrypted: true,
      kmsKeyId: KEY,
      dbSubnetGroupName: 'drill-subnets',
    });
    expect(dbById.failing).toMatchObject({ status: 'creating', failInMinutes: 5, endStatus: 'inaccessible-encryption-credentials' });
    expect(dbById['with-instance']).toMatchObject({
      status: 'available',
      instances: [{ id: 'with-instance-1', status: 'available', instanceClass: 'db.r6g.large' }],
    });
    // the faults were used up; the saved world is valid and reloads where it stopped
    const again = new Model(parseWorld(JSON.parse(JSON.stringify(saved))));
    const statuses = () => ({
      elastic: Object.fromEntries([...again.clusters.values()].map((c) => [c.name, again.elasticClusterStatus(c)])),
      rds: Object.fromEntries([...again.dbClusters.values()].map((c) => [c.id, again.dbStatus(c)])),
    });
    expect(statuses()).toEqual({
      elastic: { orders: 'ACTIVE', going: 'CREATING', failing: 'CREATING' },
      rds: { 'with-instance': 'available', creating: 'creating', failing: 'creating' },
    });
    again.advance(5 * MINUTE);
    expect(statuses()).toEqual({
      elastic: { orders: 'ACTIVE', going: 'CREATING', failing: 'INVALID_SECURITY_GROUP_ID' },
      rds: { 'with-instance': 'available', creating: 'creating', failing: 'inaccessible-encryption-credentials' },
    });
    again.advance(15 * MINUTE);
    expect(statuses()).toEqual({
      elastic: { orders: 'ACTIVE', going: 'ACTIVE', failing: 'INVALID_SECURITY_GROUP_ID' },
      rds: { 'with-instance': 'available', creating: 'available', failing: 'inaccessible-encryption-credentials' },
    });
    const going2 = again.clusters.get(going);
    expect([going2?.restoredFrom, going2?.subnetIds, going2?.shardCount]).toEqual([nightly, ['subnet-x'], 3]);
    expect(again.clusters.get(failing)?.tags).toEqual({ drill: 'failing' });
    expect(again.dbInstances.get('with-instance-1')?.clusterId).toBe('with-instance');
  });

  it('a delete in flight reloads as in flight: DELETING/deleting, then gone', () => {
    const m = new Model(
      parseWorld(
        base({
          elasticClusters: [{ name: 'leaving', status: 'DELETING', remainingMinutes: 3 }],
          dbClusters: [
            {
              id: 'leaving',
              status: 'deleting',
              remainingMinutes: 3,
              instances: [{ id: 'leaving-1', status: 'deleting', remainingMinutes: 1 }],
            },
          ],
        }),
      ),
    );
    const arn = m.elasticArn('cluster', 'leaving');
    expect(m.toWorld().elasticClusters[0]).toMatchObject({ status: 'DELETING', remainingMinutes: 3 });
    m.advance(MINUTE);
    m.purge();
    expect(m.dbInstances.size).toBe(0);
    expect(m.dbStatus(m.dbClusters.get('leaving') as never)).toBe('deleting');
    m.advance(2 * MINUTE);
    m.purge();
    expect([m.clusters.has(arn), m.dbClusters.size]).toEqual([false, 0]);
  });

  it('durations default to 30 minutes to restore, 10 to delete, 15 for an instance; worlds reject duplicate DB cluster and instance ids', () => {
    expect(parseWorld(base()).durations).toMatchObject({ restoreMinutes: 30, clusterDeleteMinutes: 10, instanceCreateMinutes: 15 });
    expect(parseWorld(base({ durations: { createMinutes: 5 } })).durations).toMatchObject({ createMinutes: 5, restoreMinutes: 30 });
    expect(() => parseWorld(base({ dbClusters: [{ id: 'a' }, { id: 'A' }] }))).toThrow(/dbClusters\.1\.id: duplicate DB cluster id "A"/);
    expect(() =>
      parseWorld(
        base({
          dbClusters: [
            { id: 'a', instances: [{ id: 'i' }] },
            { id: 'b', instances: [{ id: 'I' }] },
          ],
        }),
      ),
    ).toThrow(/dbClusters\.1\.instances\.0\.id: duplicate DB instance id/);
  });
});
