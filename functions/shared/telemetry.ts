/**
 * Metrics (CloudWatch EMF through Powertools Metrics), the logger, and the tracer. The metric names
 * here are the only ones the orchestrator emits; serverless.yml's alarms and dashboard use them.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ErrorCode } from './errors.js';

export const SERVICE = 'backup-orchestrator';

export const METRICS = {
  created: 'SnapshotsCreated',
  copied: 'SnapshotsCopied',
  deleted: 'SnapshotsDeleted',
  failed: 'TargetsFailed',
  duration: 'RunDurationSeconds',
  age: 'RecoveryPointAgeHours',
} as const;
export const DIMENSIONS = { service: 'service', policy: 'Policy', code: 'ErrorCode' } as const;

export interface RunFigures {
  policy: string;
  created: number;
  copied: number;
  deleted: number;
  failed: number;
  failedByCode: Partial<Record<ErrorCode, number>>;
  durationSeconds: number;
  /** Age of the newest available owned snapshot, worst target; undefined when the policy has none. */
  recoveryPointAgeHours?: number;
}

/**
 * The EMF documents of one run: per policy {service, Policy}, the account-wide failure count {service}
 * for the TargetsFailed alarm, and failures per code {service, Policy, ErrorCode} for the dashboard.
 */
export function runMetricDocuments(namespace: string, f: RunFigures): string[] {
  const docs: string[] = [];
  const doc = (dims: Record<string, string>, add: (m: Metrics) => void) => {
    const m = new Metrics({ namespace, serviceName: SERVICE });
    for (const [k, v] of Object.entries(dims)) m.addDimension(k, v);
    add(m);
    docs.push(JSON.stringify(m.serializeMetrics()));
  };
  doc({ [DIMENSIONS.policy]: f.policy }, (m) => {
    m.addMetric(METRICS.created, MetricUnit.Count, f.created);
    m.addMetric(METRICS.copied, MetricUnit.Count, f.copied);
    m.addMetric(METRICS.deleted, MetricUnit.Count, f.deleted);
    m.addMetric(METRICS.failed, MetricUnit.Count, f.failed);
    m.addMetric(METRICS.duration, MetricUnit.Seconds, f.durationSeconds);
    if (f.recoveryPointAgeHours !== undefined) m.addMetric(METRICS.age, MetricUnit.NoUnit, round2(f.recoveryPointAgeHours));
  });
  doc({}, (m) => m.addMetric(METRICS.failed, MetricUnit.Count, f.failed));
  for (const [code, n] of Object.entries(f.failedByCode)) {
    doc({ [DIMENSIONS.policy]: f.policy, [DIMENSIONS.code]: code }, (m) => m.addMetric(METRICS.failed, MetricUnit.Count, n ?? 0));
  }
  return docs;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function createLogger(logLevel: string): Logger {
  return new Logger({ serviceName: SERVICE, logLevel: logLevel as 'INFO' });
}
