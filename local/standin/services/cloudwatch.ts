/**
 * CloudWatch GetMetricData (AWS JSON 1.0, target GraniteServiceVersion20100801.GetMetricData), answered
 * from the EMF documents the product emitted in this stand-in's world: the freshness check and the
 * drills' monthly cap read the product's own metrics back, as they do in AWS. Only what the product
 * asks is modelled: MetricStat queries with Sum, Maximum, Minimum, Average or SampleCount per Period.
 */
import type { Model } from '../model.js';

interface EmfDoc {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

const documents = new WeakMap<Model, EmfDoc[]>();

/** Files an EMF document (one line of a Lambda's log) as CloudWatch would. */
export function recordMetrics(model: Model, line: string): void {
  let doc: EmfDoc;
  try {
    doc = JSON.parse(line) as EmfDoc;
  } catch {
    return;
  }
  if (!doc._aws?.CloudWatchMetrics) return;
  const list = documents.get(model) ?? [];
  list.push(doc);
  documents.set(model, list);
}

interface Query {
  Id: string;
  Label?: string;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: string }[] };
    Period: number;
    Stat: string;
  };
}

const STATS: Record<string, (v: number[]) => number> = {
  Sum: (v) => v.reduce((a, b) => a + b, 0),
  Maximum: (v) => Math.max(...v),
  Minimum: (v) => Math.min(...v),
  Average: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  SampleCount: (v) => v.length,
};

/** The values of one metric with exactly these dimensions, with their times (ms). */
function samples(docs: readonly EmfDoc[], q: NonNullable<Query['MetricStat']>): { t: number; v: number }[] {
  const want = new Map((q.Metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
  const out: { t: number; v: number }[] = [];
  for (const doc of docs) {
    for (const set of doc._aws.CloudWatchMetrics) {
      if (set.Namespace !== q.Metric.Namespace || !set.Metrics.some((m) => m.Name === q.Metric.MetricName)) continue;
      for (const dims of set.Dimensions) {
        if (dims.length !== want.size || !dims.every((d) => want.get(d) === doc[d])) continue;
        const raw = doc[q.Metric.MetricName];
        for (const v of Array.isArray(raw) ? raw : [raw]) if (typeof v === 'number') out.push({ t: doc._aws.Timestamp, v });
      }
    }
  }
  return out;
}

export function getMetricData(model: Model, body: Record<string, unknown>): { status: number; body: unknown } {
  const queries = (body.MetricDataQueries ?? []) as Query[];
  if (queries.length > 500) return { status: 400, body: { __type: 'InvalidParameterValue', message: 'at most 500 MetricDataQueries' } };
  const start = Number(body.StartTime) * 1000;
  const end = Number(body.EndTime) * 1000;
  const ascending = body.ScanBy === 'TimestampAscending';
  const docs = documents.get(model) ?? [];
  const results = queries.map((q) => {
    if (!q.MetricStat) return { Id: q.Id, Label: q.Label ?? q.Id, Timestamps: [], Values: [], StatusCode: 'Complete' };
    const period = q.MetricStat.Period * 1000;
    const stat = STATS[q.MetricStat.Stat] ?? STATS.Sum;
    const buckets = new Map<number, number[]>();
    for (const s of samples(docs, q.MetricStat)) {
      if (s.t < start || s.t >= end) continue;
      const b = start + Math.floor((s.t - start) / period) * period;
      buckets.set(b, [...(buckets.get(b) ?? []), s.v]);
    }
    const times = [...buckets.keys()].sort((a, b) => (ascending ? a - b : b - a));
    return {
      Id: q.Id,
      Label: q.Label ?? q.MetricStat.Metric.MetricName,
      Timestamps: times.map((t) => t / 1000),
      Values: times.map((t) => (stat as (v: number[]) => number)(buckets.get(t) as number[])),
      StatusCode: 'Complete',
    };
  });
  return { status: 200, body: { MetricDataResults: results, Messages: [] } };
}
