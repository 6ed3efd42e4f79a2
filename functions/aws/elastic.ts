/**
 * docdb-elastic: the reads the product makes, through the SDK's own paginators with the largest page
 * the API allows (100), so a fleet costs pages, not calls per snapshot.
 */
import {
  type Cluster,
  type ClusterInList,
  type ClusterSnapshotInList,
  type DocDBElasticClient,
  GetClusterCommand,
  ListClustersCommand,
  ListTagsForResourceCommand,
  paginateListClusterSnapshots,
  paginateListClusters,
} from '@aws-sdk/client-docdb-elastic';
import type { TagMap } from '../domain/tags.js';
import { unlessNotFound } from './errors.js';
import { collect } from './paging.js';

/** One page of ListClusters (100 clusters at most), from `nextToken` (absent: the first page). */
export async function listClustersPage(
  elastic: DocDBElasticClient,
  nextToken?: string,
): Promise<{ clusters: ClusterInList[]; nextToken?: string }> {
  const res = await elastic.send(new ListClustersCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
  return { clusters: res.clusters ?? [], ...(res.nextToken ? { nextToken: res.nextToken } : {}) };
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

/** When an elastic cluster was created (GetCluster), or undefined when it is gone or does not say. */
export async function clusterCreateTime(elastic: DocDBElasticClient, arn: string): Promise<Date | undefined> {
  const t = Date.parse((await getCluster(elastic, arn))?.createTime ?? '');
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** One elastic cluster, or undefined when it does not exist (any more). */
export async function getCluster(elastic: DocDBElasticClient, arn: string): Promise<Cluster | undefined> {
  return (await unlessNotFound(elastic.send(new GetClusterCommand({ clusterArn: arn }))))?.cluster;
}
