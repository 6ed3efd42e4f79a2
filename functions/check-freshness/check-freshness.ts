/**
 * Check Freshness: keeps each policy's recovery point age current between runs. Runs every 15 minutes
 * (its own schedule). Each run's parts record, when they finish, the time of their stalest current
 * target's newest recovery point (the RecoveryPointTimestamp metric); this reads the newest of those per
 * policy and part back from CloudWatch, and emits the age as it is now: RecoveryPointAgeHours, which the
 * freshness alarm watches. So the alarm fires within one period of a target passing its RPO, not when
 * the next run reports; it covers the current targets only (a run measures only those); a target that
 * never had a recovery point counts from its first scheduled run; and a policy no run has reported on yet
 * counts from its first scheduled run after the deployment, so a new stack does not alarm.
 */
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { latestValues } from '../aws/cloudwatch.js';
import type { Deps } from '../runtime/deps.js';
import type { Policy } from '../domain/policy.js';
import { firstSlotAfter } from '../domain/schedule.js';
import { DIMENSIONS, freshnessCheckDocuments, METRICS, SERVICE } from '../runtime/telemetry.js';

/** How far back a part's last report is looked for. */
export const LOOKBACK_DAYS = 60;

export interface PolicyFreshness {
  policy: string;
  ageHours: number;
  /** Per part: the stalest recovery point time it reported, or the first scheduled run it counts from. */
  parts: { part: 'elastic' | 'copies'; since: string; reported: boolean }[];
}

/** Policies the freshness alarm covers: an RPO and an enabled schedule (only those are expected to run). */
export const watched = (policies: readonly Policy[]) =>
  policies.filter((p) => p.rpoHours !== undefined && p.schedules.some((s) => s.enabled));
const partsOf = (p: Policy) => [...(p.elastic ? (['elastic'] as const) : []), ...(p.copy ? (['copies'] as const) : [])];

export async function checkFreshness(deps: Deps, deployedAt: Date): Promise<PolicyFreshness[]> {
  const now = deps.now();
  const policies = watched(deps.config.policyFile.policies);
  const queries: (MetricDataQuery & { Id: string })[] = [];
  policies.forEach((p, i) => {
    for (const part of partsOf(p)) {
      queries.push({
        Id: `p${i}_${part}`,
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: deps.config.metricsNamespace,
            MetricName: METRICS.stalest,
            Dimensions: [
              { Name: DIMENSIONS.service, Value: SERVICE },
              { Name: DIMENSIONS.policy, Value: p.name },
              { Name: DIMENSIONS.part, Value: part },
            ],
          },
          Period: 3600,
          Stat: 'Maximum',
        },
      });
    }
  });
  const latest = await latestValues(deps.clients.cloudwatch, queries, new Date(now.getTime() - LOOKBACK_DAYS * 86_400_000), now);
  const out: PolicyFreshness[] = [];
  policies.forEach((p, i) => {
    const firstRun = firstSlotAfter(p.schedules, deployedAt) ?? deployedAt;
    const parts = partsOf(p).map((part) => {
      const v = latest.get(`p${i}_${part}`);
      return { part, since: (v !== undefined ? new Date(v * 1000) : firstRun).toISOString(), reported: v !== undefined };
    });
    const ageHours = Math.max(0, ...parts.map((x) => (now.getTime() - Date.parse(x.since)) / 3_600_000));
    out.push({ policy: p.name, ageHours, parts });
  });
  for (const line of freshnessCheckDocuments(deps.config.metricsNamespace, out)) deps.emit(line);
  return out;
}
