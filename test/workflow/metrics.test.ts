/**
 * The EMF output of a run: what CloudWatch would extract, checked against the envelope.
 */
import { describe, expect, it } from 'vitest';
import { DIMENSIONS, METRICS } from '../../functions/runtime/telemetry.js';
import { startStandIn } from '../../local/standin/server.js';
import { examplePolicies, exampleWorld, run } from './helpers.js';

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [k: string]: unknown;
}
/** What CloudWatch extracts from EMF documents: one value per (metric, dimension values). */
function extract(lines: string[]) {
  return lines.flatMap((line) => {
    const doc = JSON.parse(line) as Emf;
    return doc._aws.CloudWatchMetrics.flatMap((d) =>
      d.Dimensions.flatMap((set) =>
        d.Metrics.map((m) => ({
          namespace: d.Namespace,
          name: m.Name,
          unit: m.Unit,
          dims: Object.fromEntries(set.map((k) => [k, doc[k] as string])),
          value: doc[m.Name] as number,
        })),
      ),
    );
  });
}

describe('metrics of a run', () => {
  it('match the envelope: created, copied, deleted, failures by code, duration and recovery point age', async () => {
    const w = exampleWorld();
    w.faults.push({ operation: 'CopyDBClusterSnapshot', target: 'partner-billing', error: 'KMSKeyNotAccessibleFault' });
    const standIn = await startStandIn(w);
    try {
      const r = await run({ world: w, policyFile: examplePolicies(), input: { policy: 'daily' }, standIn });
      const s = r.envelope.data.summary;
      expect(r.envelope.data.status).toBe('PARTIAL');
      const points = extract(r.emf);
      const perPolicy = (name: string) =>
        points.find(
          (p) => p.name === name && JSON.stringify(p.dims) === JSON.stringify({ service: 'backup-orchestrator', Policy: 'daily' }),
        );
      expect(points.every((p) => p.namespace === 'BackupOrchestrator')).toBe(true);
      expect(perPolicy(METRICS.created)?.value).toBe(s.created);
      expect(perPolicy(METRICS.copied)?.value).toBe(s.copied);
      expect(perPolicy(METRICS.deleted)?.value).toBe(s.deleted);
      expect(perPolicy(METRICS.failed)?.value).toBe(1);
      expect(perPolicy(METRICS.duration)).toMatchObject({ unit: 'Seconds', value: r.virtualSeconds });
      // Freshness, per part when it finishes: every elastic target got a snapshot this run (its age is under
      // the run's duration); a copy is as old as its source (the partner's newest is a day old).
      const stalest = (part: string) => points.find((p) => p.name === METRICS.stalest && p.dims.Part === part)?.value ?? Number.NaN;
      const elasticStalest = stalest('elastic') * 1000;
      expect(elasticStalest).toBeGreaterThanOrEqual(Date.parse(w.now));
      expect(stalest('copies') * 1000).toBe(Date.parse('2026-11-21T02:00:00.000Z'));
      const ages = points.filter((p) => p.name === METRICS.age).map((p) => p.value);
      expect(ages).toHaveLength(2);
      expect(Math.min(...ages)).toBeLessThan(r.virtualSeconds / 3600 + 0.01);
      expect(Math.max(...ages)).toBeGreaterThan(24);
      // account-wide total for the alarm, and per code for the dashboard
      expect(
        points.find((p) => p.name === METRICS.failed && JSON.stringify(p.dims) === JSON.stringify({ service: 'backup-orchestrator' }))
          ?.value,
      ).toBe(1);
      expect(points.find((p) => p.dims[DIMENSIONS.code] === 'KMS_KEY_NOT_ACCESSIBLE')).toMatchObject({ name: METRICS.failed, value: 1 });
      // a backup run emits every backup metric (drills, the audit and the freshness check's heartbeat come from their own workflows)
      const backupMetrics = [
        METRICS.created,
        METRICS.copied,
        METRICS.deleted,
        METRICS.failed,
        METRICS.duration,
        METRICS.age,
        METRICS.stalest,
      ];
      expect(new Set(points.map((p) => p.name))).toEqual(new Set(backupMetrics));
    } finally {
      await standIn.close();
    }
  });

  it('reports the age of the worst target when a backup fails', async () => {
    const w = exampleWorld();
    w.faults = [{ operation: 'CreateClusterSnapshot', target: '1a2b3c4d-0002', error: 'ServiceQuotaExceededException' }];
    const standIn = await startStandIn(w);
    try {
      const r = await run({ world: w, policyFile: examplePolicies(), input: { policy: 'daily' }, standIn });
      // payments-prod's newest snapshot is yesterday's (02:01): the elastic part is that old
      const stalest = extract(r.emf).find((p) => p.name === METRICS.stalest && p.dims.Part === 'elastic')?.value ?? 0;
      expect(new Date(stalest * 1000).toISOString()).toBe('2026-11-21T02:01:00.000Z');
      expect(r.envelope.data.parts.elastic.freshness).toMatchObject({
        targets: 2,
        withoutRecoveryPoint: 0,
        stalestTarget: expect.stringContaining('1a2b3c4d-0002'),
      });
    } finally {
      await standIn.close();
    }
  });
});
