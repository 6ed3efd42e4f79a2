/**
 * Metrics (CloudWatch EMF through Powertools Metrics), the logger, and the tracer. The metric names
 * here are the only ones the orchestrator emits; serverless.yml's alarms and dashboard use them.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ErrorCode } from '../domain/errors.js';

export const SERVICE = 'backup-orchestrator';

export const METRICS = {
  created: 'SnapshotsCreated',
  copied: 'SnapshotsCopied',
  deleted: 'SnapshotsDeleted',
  failed: 'TargetsFailed',
  duration: 'RunDurationSeconds',
  age: 'RecoveryPointAgeHours',
  /** The stalest current target's newest recovery point (epoch seconds), per part: the freshness check reads it back. */
  stalest: 'RecoveryPointTimestamp',
  /** 1 each time the freshness check ran: its silence alarms. */
  checked: 'FreshnessChecked',
  /** Restore drills, per policy (per-target detail goes to the logs: a metric per target costs money each month). */
  drillSucceeded: 'DrillSucceeded',
  drillFailed: 'DrillFailed',
  restoreTime: 'RestoreTimeSeconds',
  /** Drill clusters of the policy alive when they should not be: a delete failed, or the sweep found one past its lifetime. */
  drillClustersAlive: 'DrillClustersAlive',
  /** Cluster-hours drills used: the monthly cap reads the sum back. */
  drillClusterHours: 'DrillClusterHours',
  /** Clusters no policy protects and no rule leaves out (the coverage audit). */
  unprotected: 'UnprotectedTargets',
} as const;
export const DIMENSIONS = { service: 'service', policy: 'Policy', code: 'ErrorCode', part: 'Part' } as const;

export interface RunFigures {
  policy: string;
  created: number;
  copied: number;
  deleted: number;
  failed: number;
  failedByCode: Partial<Record<ErrorCode, number>>;
  durationSeconds: number;
}

/**
 * The EMF documents of one run: per policy {service, Policy}, the account-wide failure count {service}
 * for the TargetsFailed alarm, and failures per code {service, Policy, ErrorCode} for the dashboard.
 */
export function runMetricDocuments(namespace: string, f: RunFigures): string[] {
  const doc = emfDocument(namespace);
  const docs: string[] = [];
  docs.push(
    doc({ [DIMENSIONS.policy]: f.policy }, (m) => {
      m.addMetric(METRICS.created, MetricUnit.Count, f.created);
      m.addMetric(METRICS.copied, MetricUnit.Count, f.copied);
      m.addMetric(METRICS.deleted, MetricUnit.Count, f.deleted);
      m.addMetric(METRICS.failed, MetricUnit.Count, f.failed);
      m.addMetric(METRICS.duration, MetricUnit.Seconds, f.durationSeconds);
    }),
  );
  docs.push(doc({}, (m) => m.addMetric(METRICS.failed, MetricUnit.Count, f.failed)));
  for (const [code, n] of Object.entries(f.failedByCode)) {
    docs.push(
      doc({ [DIMENSIONS.policy]: f.policy, [DIMENSIONS.code]: code }, (m) => m.addMetric(METRICS.failed, MetricUnit.Count, n ?? 0)),
    );
  }
  return docs;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The freshness of a part when it finishes: the age of its stalest current target's newest recovery
 * point {service, Policy}, and that point in time {service, Policy, Part} for the freshness check that
 * keeps the age current between runs. Emitting these twice (a retried step) changes nothing.
 */
export function runFreshnessDocuments(namespace: string, f: { policy: string; part: string; stalest: Date; now: Date }): string[] {
  const doc = emfDocument(namespace);
  return [
    doc({ [DIMENSIONS.policy]: f.policy }, (m) =>
      m.addMetric(METRICS.age, MetricUnit.NoUnit, round2(Math.max(0, f.now.getTime() - f.stalest.getTime()) / 3_600_000)),
    ),
    doc({ [DIMENSIONS.policy]: f.policy, [DIMENSIONS.part]: f.part }, (m) =>
      m.addMetric(METRICS.stalest, MetricUnit.Seconds, Math.floor(f.stalest.getTime() / 1000)),
    ),
  ];
}

/** What the freshness check emits: each watched policy's age now {service, Policy}, and its own heartbeat {service}. */
export function freshnessCheckDocuments(namespace: string, policies: readonly { policy: string; ageHours: number }[]): string[] {
  const doc = emfDocument(namespace);
  return [
    ...policies.map((p) => doc({ [DIMENSIONS.policy]: p.policy }, (m) => m.addMetric(METRICS.age, MetricUnit.NoUnit, round2(p.ageHours)))),
    doc({}, (m) => m.addMetric(METRICS.checked, MetricUnit.Count, 1)),
  ];
}

export interface DrillFigures {
  policy: string;
  succeeded: number;
  failed: number;
  /** Each drill's restore time (request to ACTIVE/available). */
  restoreSeconds: number[];
  alive: number;
  clusterHours: number;
}

/** The EMF document of a drill run, per policy {service, Policy}. */
export function drillMetricDocuments(namespace: string, f: DrillFigures): string[] {
  const doc = emfDocument(namespace);
  return [
    doc({ [DIMENSIONS.policy]: f.policy }, (m) => {
      m.addMetric(METRICS.drillSucceeded, MetricUnit.Count, f.succeeded);
      m.addMetric(METRICS.drillFailed, MetricUnit.Count, f.failed);
      for (const s of f.restoreSeconds) m.addMetric(METRICS.restoreTime, MetricUnit.Seconds, s);
      m.addMetric(METRICS.drillClustersAlive, MetricUnit.Count, f.alive);
      m.addMetric(METRICS.drillClusterHours, MetricUnit.NoUnit, Math.round(f.clusterHours * 100) / 100);
    }),
  ];
}

/** The coverage audit's document {service}: clusters no policy protects. */
export function auditMetricDocuments(namespace: string, unprotected: number): string[] {
  return [emfDocument(namespace)({}, (m) => m.addMetric(METRICS.unprotected, MetricUnit.Count, unprotected))];
}

/** One EMF document per call: the namespace, the service dimension and the given ones. */
function emfDocument(namespace: string) {
  return (dims: Record<string, string>, add: (m: Metrics) => void): string => {
    const m = new Metrics({ namespace, serviceName: SERVICE });
    for (const [k, v] of Object.entries(dims)) m.addDimension(k, v);
    add(m);
    return JSON.stringify(m.serializeMetrics());
  };
}

export function createLogger(logLevel: string): Logger {
  return new Logger({ serviceName: SERVICE, logLevel: logLevel as 'INFO' });
}
