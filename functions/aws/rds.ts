/**
 * RDS (cluster snapshots of Aurora and instance-based DocumentDB): the reads the product makes, through
 * the SDK's own paginator with the largest page the API allows (100). Each snapshot comes with its TagList.
 */
import { type DBClusterSnapshot, paginateDescribeDBClusterSnapshots, type RDSClient } from '@aws-sdk/client-rds';
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
