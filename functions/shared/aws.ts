/**
 * Paged reads of the two APIs. Every list is read with the largest page the API allows, so a
 * fleet costs pages, not calls per snapshot.
 */
import {
  type ClusterInList,
  type ClusterSnapshotInList,
  type DocDBElasticClient,
  ListClusterSnapshotsCommand,
  ListClustersCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-docdb-elastic';
import { type DBClusterSnapshot, DescribeDBClusterSnapshotsCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { TagMap } from './tags.js';

export async function listClusters(elastic: DocDBElasticClient): Promise<ClusterInList[]> {
  const out: ClusterInList[] = [];
  let nextToken: string | undefined;
  do {
    const page = await elastic.send(new ListClustersCommand({ maxResults: 100, nextToken }));
    out.push(...(page.clusters ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/** Manual elastic snapshots of the account (all clusters unless `clusterArn`). */
export async function listElasticSnapshots(
  elastic: DocDBElasticClient,
  clusterArn?: string,
): Promise<ClusterSnapshotInList[]> {
  const out: ClusterSnapshotInList[] = [];
  let nextToken: string | undefined;
  do {
    const page = await elastic.send(
      new ListClusterSnapshotsCommand({ clusterArn, snapshotType: 'manual', maxResults: 100, nextToken }),
    );
    out.push(...(page.snapshots ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

export async function elasticTags(elastic: DocDBElasticClient, arn: string): Promise<TagMap> {
  const res = await elastic.send(new ListTagsForResourceCommand({ resourceArn: arn }));
  return res.tags ?? {};
}

/** DescribeDBClusterSnapshots for one snapshot type, all pages. TagList comes with each snapshot. */
export async function describeClusterSnapshots(
  rds: RDSClient,
  snapshotType: 'manual' | 'shared',
): Promise<DBClusterSnapshot[]> {
  const out: DBClusterSnapshot[] = [];
  let marker: string | undefined;
  do {
    const page = await rds.send(
      new DescribeDBClusterSnapshotsCommand({
        SnapshotType: snapshotType,
        IncludeShared: snapshotType === 'shared' ? true : undefined,
        MaxRecords: 100,
        Marker: marker,
      }),
    );
    out.push(...(page.DBClusterSnapshots ?? []));
    marker = page.Marker;
  } while (marker);
  return out;
}

/** Account id and cluster identifier of an RDS cluster snapshot ARN (`arn:aws:rds:r:acct:cluster-snapshot:id`). */
export function parseRdsSnapshotArn(arn: string): { region: string; account: string; id: string } | undefined {
  const m = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):(\d{12}):cluster-snapshot:(.+)$/.exec(arn);
  return m ? { region: m[1] as string, account: m[2] as string, id: m[3] as string } : undefined;
}
