/**
 * Paged reads of the two APIs through the SDK's own paginators. Every list is read with the largest
 * page the API allows, so a fleet costs pages, not calls per snapshot.
 */
import {
  type ClusterInList,
  type ClusterSnapshotInList,
  type DocDBElasticClient,
  GetClusterCommand,
  ListTagsForResourceCommand,
  paginateListClusterSnapshots,
  paginateListClusters,
} from '@aws-sdk/client-docdb-elastic';
import { type DBClusterSnapshot, paginateDescribeDBClusterSnapshots, type RDSClient } from '@aws-sdk/client-rds';
import type { TagMap } from './tags.js';

async function collect<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...(items(page) ?? []));
  return out;
}

export function listClusters(elastic: DocDBElasticClient): Promise<ClusterInList[]> {
  return collect(paginateListClusters({ client: elastic, pageSize: 100 }, {}), (p) => p.clusters);
}

/** Manual elastic snapshots of the account (all clusters unless `clusterArn`). */
export function listElasticSnapshots(elastic: DocDBElasticClient, clusterArn?: string): Promise<ClusterSnapshotInList[]> {
  return collect(
    paginateListClusterSnapshots({ client: elastic, pageSize: 100 }, { clusterArn, snapshotType: 'manual' }),
    (p) => p.snapshots,
  );
}

export async function elasticTags(elastic: DocDBElasticClient, arn: string): Promise<TagMap> {
  const res = await elastic.send(new ListTagsForResourceCommand({ resourceArn: arn }));
  return res.tags ?? {};
}

/** When an elastic cluster was created (GetCluster). */
export async function clusterCreateTime(elastic: DocDBElasticClient, arn: string): Promise<Date | undefined> {
  const res = await elastic.send(new GetClusterCommand({ clusterArn: arn }));
  const t = Date.parse(res.cluster?.createTime ?? '');
  return Number.isNaN(t) ? undefined : new Date(t);
}

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

/** Account id and cluster identifier of an RDS cluster snapshot ARN (`arn:aws:rds:r:acct:cluster-snapshot:id`). */
export function parseRdsSnapshotArn(arn: string): { region: string; account: string; id: string } | undefined {
  const m = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):(\d{12}):cluster-snapshot:(.+)$/.exec(arn);
  return m ? { region: m[1] as string, account: m[2] as string, id: m[3] as string } : undefined;
}

/** How many attempts the SDK made for a call that failed (more than one: an earlier attempt may have landed). */
export function sdkAttempts(err: unknown): number {
  const md = (err as { $metadata?: { attempts?: number } } | undefined)?.$metadata;
  return md?.attempts ?? 1;
}
