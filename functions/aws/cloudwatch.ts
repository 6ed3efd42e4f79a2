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

/** The sum of one metric over [start, end] (hourly periods: data older than 15 days keeps only those). */
export async function sumOf(
  cloudwatch: CloudWatchClient,
  metric: { namespace: string; name: string; dimensions: Record<string, string> },
  start: Date,
  end: Date,
): Promise<number> {
  let sum = 0;
  const query: MetricDataQuery & { Id: string } = {
    Id: 'm',
    MetricStat: {
      Metric: {
        Namespace: metric.namespace,
        MetricName: metric.name,
        Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: 3600,
      Stat: 'Sum',
    },
  };
  for await (const page of paginateGetMetricData({ client: cloudwatch }, { MetricDataQueries: [query], StartTime: start, EndTime: end })) {
    for (const r of page.MetricDataResults ?? []) for (const v of r.Values ?? []) sum += v;
  }
  return sum;
}
