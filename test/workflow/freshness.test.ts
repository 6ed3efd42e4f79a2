/**
 * Freshness in virtual time: daily runs of the real workflow against the stand-in emit their parts'
 * recovery point times; the freshness check (every 15 minutes) reads them back and emits the age; the
 * alarm is evaluated as CloudWatch does (Maximum per 15-minute period above the RPO). CloudWatch itself
 * is not part of the stand-in: its GetMetricData is answered from the EMF documents the runs emitted.
 */
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { checkFreshness } from '../../functions/check-freshness/check-freshness.js';
import { createClients } from '../../functions/aws/clients.js';
import { type Deps } from '../../functions/runtime/deps.js';
import { elasticSnapshotName } from '../../functions/domain/naming.js';
import { ownershipTags } from '../../functions/domain/tags.js';
import { METRICS } from '../../functions/runtime/telemetry.js';
import { createLogger } from '../../functions/runtime/telemetry.js';
import { runWorkflow } from '../../local/runner.js';
import { startStandIn } from '../../local/standin/server.js';
import { clusterArn, policies, world } from './helpers.js';

const cw = mockClient(CloudWatchClient);
afterAll(() => cw.restore());

const C1 = clusterArn('00000000-0000-4000-8000-0000000000f1');
const C2 = clusterArn('00000000-0000-4000-8000-0000000000f2');
const DEPLOYED = new Date('2026-11-20T12:00:00Z');
const FIRST_SLOT = new Date('2026-11-21T03:00:00Z');
const RPO = 26;
const policyFile = policies(`
policies:
  - name: daily
    schedules: [{ expression: 'cron(0 3 * * ? *)', timezone: UTC }]
    elastic: { selector: { backup: daily } }
    retention: { keepDaily: 3 }
    rpoHours: ${RPO}
`);

interface Point {
  name: string;
  dims: Record<string, string>;
  value: number;
  at: number;
}
/** What CloudWatch extracts from EMF documents. */
function points(lines: string[]): Point[] {
  return lines.flatMap((line) => {
    const doc = JSON.parse(line) as Record<string, unknown> & {
      _aws: { Timestamp: number; CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    };
    return doc._aws.CloudWatchMetrics.flatMap((d) =>
      d.Metrics.map((m) => ({
        name: m.Name,
        dims: Object.fromEntries((d.Dimensions[0] ?? []).map((k) => [k, String(doc[k])])),
        value: doc[m.Name] as number,
        at: doc._aws.Timestamp,
      })),
    );
  });
}

describe('freshness', () => {
  it('counts from the first scheduled run on a new stack, saw-tooths below the RPO, and alarms within one period of a target passing it', async () => {
    const w = world({
      accountId: '123456789012',
      region: 'us-east-1',
      now: DEPLOYED.toISOString(),
      durations: { createMinutes: 30, copyMinutes: 30 },
      elasticClusters: [
        { name: 'orders', arn: C1, tags: { backup: 'daily' } },
        { name: 'billing', arn: C2, tags: { backup: 'daily' } },
      ],
    });
    const standIn = await startStandIn(w);
    const m = standIn.model;
    const store: Point[] = [];
    // The freshness check as deployed, with CloudWatch answered from the store.
    cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
        const metric = q.MetricStat?.Metric;
        const dims = Object.fromEntries((metric?.Dimensions ?? []).map((d) => [d.Name, d.Value]));
        const end = (input.EndTime as Date).getTime();
        const values = store
          .filter((p) => p.name === metric?.MetricName && p.at <= end && JSON.stringify(p.dims) === JSON.stringify(dims))
          .sort((a, b) => b.at - a.at)
          .map((p) => p.value);
        return { Id: q.Id, Values: values };
      }),
    }));
    const deps = (now: Date): Deps => ({
      config: {
        region: 'us-east-1',
        logLevel: 'SILENT',
        metricsNamespace: 'BackupOrchestrator',
        tracing: false,
        policyFile,
        policyPath: 'test',
        deployedAt: DEPLOYED,
      },
      clients: { ...createClients('us-east-1'), cloudwatch: new CloudWatchClient({ region: 'us-east-1' }) },
      now: () => now,
      logger: createLogger('SILENT'),
      emit: (line) => store.push(...points([line]).map((p) => ({ ...p, at: now.getTime() }))),
      budgetEndsAt: () => Number.POSITIVE_INFINITY,
    });
    // The alarm: Maximum of RecoveryPointAgeHours per 15-minute period above the RPO.
    const alarmPeriods: number[] = [];
    const check = async (t: number) => {
      const before = store.length;
      await checkFreshness(deps(new Date(t)), DEPLOYED);
      const age = Math.max(
        ...store
          .slice(before)
          .filter((p) => p.name === METRICS.age)
          .map((p) => p.value),
      );
      if (age > RPO) alarmPeriods.push(t);
      return age;
    };
    try {
      // A new stack: nothing reported yet. The age counts from the first scheduled run, so no alarm until
      // that run is an RPO late.
      for (let t = DEPLOYED.getTime(); t < FIRST_SLOT.getTime(); t += 900_000) expect(await check(t)).toBe(0);
      // Three good days, then billing's backups fail (its create is refused from day 3 on).
      let lastGoodBilling = 0;
      for (let day = 0; day < 5; day++) {
        const slot = FIRST_SLOT.getTime() + day * 86_400_000;
        // the checks run every 15 minutes until the slot, then the run
        for (let t = Math.max(m.nowMs, slot - 86_400_000 + 900_000); t < slot; t += 900_000) await check(t);
        if (day === 3)
          m.faults.push({
            operation: 'CreateClusterSnapshot',
            target: '0000000000f2',
            error: 'ServiceQuotaExceededException',
            left: Number.POSITIVE_INFINITY,
          });
        m.nowMs = Math.max(m.nowMs, slot);
        const r = await runWorkflow({ standIn, policyFile, input: { policy: 'daily', scheduledTime: new Date(slot).toISOString() } });
        store.push(...points(r.emf));
        if (day < 3)
          lastGoodBilling = [...m.elasticSnapshots.values()]
            .filter((s) => s.clusterArn === C2)
            .reduce((n, s) => Math.max(n, Date.parse(s.createdAt)), 0);
      }
      // Good days: the age saw-tooths below the RPO; no alarm before billing's last snapshot is an RPO old.
      const due = lastGoodBilling + RPO * 3_600_000;
      expect(alarmPeriods.filter((t) => t < due)).toEqual([]);
      // ...and the alarm is on within one 15-minute period after it.
      for (let t = m.nowMs; t < due + 3_600_000; t += 900_000) await check(t);
      const first = alarmPeriods.find((t) => t >= due);
      expect(first).toBeDefined();
      expect((first ?? 0) - due).toBeLessThanOrEqual(900_000);
    } finally {
      await standIn.close();
    }
  }, 60_000);

  it('covers the current targets only: a cluster taken out of the policy no longer holds the alarm on', async () => {
    const w = world({
      accountId: '123456789012',
      region: 'us-east-1',
      now: FIRST_SLOT.toISOString(),
      durations: { createMinutes: 30, copyMinutes: 30 },
      elasticClusters: [
        { name: 'orders', arn: C1, tags: { backup: 'daily' } },
        // billing has an old snapshot of this policy, and is no longer selected
        {
          name: 'billing',
          arn: C2,
          tags: { backup: 'never' },
          snapshots: [
            {
              name: elasticSnapshotName('daily', C2, 'billing', new Date('2026-01-01T03:00:00Z')),
              createdAt: '2026-01-01T03:00:00Z',
              tags: ownershipTags({ policy: 'daily', target: C2, runId: 'old', createdAt: new Date('2026-01-01T03:00:00Z') }),
            },
          ],
        },
      ],
    });
    const standIn = await startStandIn(w);
    try {
      const r = await runWorkflow({ standIn, policyFile, input: { policy: 'daily' } });
      const stalest = points(r.emf).find((p) => p.name === METRICS.stalest);
      expect(stalest?.value).toBeGreaterThanOrEqual(FIRST_SLOT.getTime() / 1000);
    } finally {
      await standIn.close();
    }
  });
});
