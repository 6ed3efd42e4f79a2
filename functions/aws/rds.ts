/**
 * RDS (cluster snapshots of Aurora and instance-based DocumentDB): the reads the product makes, through
 * the SDK's own paginator with the largest page the API allows (100). Each snapshot comes with its TagList.
 */
import {
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBClusterSnapshots,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { unlessNotFound } from './errors.js';
import { collect } from './paging.js';

/** DescribeDBClusterSnapshots for one snapshot type, all pages. TagList comes with each snapshot. */
export function describeClusterSnapshots(rds: RDSClient, snapshotType: 'manual' | 'shared'): Promise<DBClusterSnapshot[]> {
  return collect(
    paginateDescribeDBClusterSnapshots(
      { client: rds, pageSize: 100 },
      { SnapshotType: snapshotType, IncludeShared: snapshotType === 'shared' ? true : undefined },
    ),
    (p) => p.DBClusterSnapshots,
  );
}

/** DescribeDBClusters, all pages (drill clusters are told apart by their TagList). */
export function describeDbClusters(rds: RDSClient): Promise<DBCluster[]> {
  return collect(paginateDescribeDBClusters({ client: rds, pageSize: 100 }, {}), (p) => p.DBClusters);
}

/** One cluster, or undefined when it does not exist (any more). */
export async function describeDbCluster(rds: RDSClient, id: string): Promise<DBCluster | undefined> {
  return (await unlessNotFound(rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))))?.DBClusters?.[0];
}

/** One instance, or undefined when it does not exist (any more). */
export async function describeDbInstance(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  return (await unlessNotFound(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))))?.DBInstances?.[0];
}
