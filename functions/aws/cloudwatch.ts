/**
 * CloudWatch: the one read the product makes (GetMetricData, through the SDK's paginator).
 */
import { type CloudWatchClient, type MetricDataQuery, paginateGetMetricData } from '@aws-sdk/client-cloudwatch';

/** GetMetricData takes at most 500 queries per call. */
const MAX_QUERIES = 500;

/** The newest value of each query between `start` and `end`, by query Id (queries with no data are absent). */
export async function latestValues(
  cloudwatch: CloudWatchClient,
  queries: readonly (MetricDataQuery & { Id: string })[],
  start: Date,
  end: Date,
): Promise<Map<string, number>> {
  const latest = new Map<string, number>();
  for (let i = 0; i < queries.length; i += MAX_QUERIES) {
    const pages = paginateGetMetricData(
      { client: cloudwatch },
      { MetricDataQueries: queries.slice(i, i + MAX_QUERIES), StartTime: start, EndTime: end, ScanBy: 'TimestampDescending' },
    );
    for await (const page of pages) {
      for (const r of page.MetricDataResults ?? []) {
        const v = r.Values?.[0];
        if (r.Id && v !== undefined && !latest.has(r.Id)) latest.set(r.Id, v);
      }
    }
  }
  return latest;
}
