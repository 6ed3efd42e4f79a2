/**
 * Start Drills: checks the drill input, deletes this policy's leaked drill clusters (the leak guard),
 * picks a sample of the policy's targets and for each a snapshot (newest, or random within the window),
 * keeps the month within its cluster-hour cap, and starts as many restores as the policy allows at once.
 */
import * as z from 'zod';
import { sumOf } from '../aws/cloudwatch.js';
import {
  chooseSnapshot,
  clusterHoursPerDrill,
  type Drill,
  drillClusterName,
  type DrillProgress,
  drillRoute,
  type DrillRun,
  type DrillState,
  MAX_DRILL_LISTED,
  monthStart,
  sampleTargets,
  seeded,
} from '../domain/drill.js';
import { ValidationError } from '../domain/errors.js';
import { findPolicy, type Policy } from '../domain/policy.js';
import type { Deps } from '../runtime/deps.js';
import { DIMENSIONS, METRICS, SERVICE } from '../runtime/telemetry.js';
import { drillTargets, ownedElasticSnapshot, startQueued, sweep } from '../workflow/drills.js';

export const drillInputSchema = z.strictObject({
  policy: z.string().min(1, 'is required').max(40),
  dryRun: z.boolean().optional(),
  targets: z.array(z.string().min(1).max(2048)).max(100).optional(),
});

export interface DrillEvent {
  input: unknown;
  execution: { name: string; startTime: string };
}

/** The drill run an execution is, or a ValidationError naming the field. */
export function validateDrill(event: DrillEvent, ctx: { deps: Deps; accountId: string }): { run: DrillRun; policy: Policy } {
  const parsed = drillInputSchema.safeParse(event.input);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((i) => `input.${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  const policy = findPolicy(ctx.deps.config.policyFile, parsed.data.policy);
  if (!policy) throw new ValidationError(`input.policy: unknown policy "${parsed.data.policy}"`);
  if (!policy.restoreDrill) throw new ValidationError(`input.policy: policy "${policy.name}" has no restoreDrill settings`);
  return {
    policy,
    run: {
      id: event.execution.name,
      policy: policy.name,
      startedAt: new Date(event.execution.startTime).toISOString(),
      dryRun: parsed.data.dryRun ?? policy.dryRun,
      ...(parsed.data.targets ? { targets: parsed.data.targets } : {}),
      accountId: ctx.accountId,
      region: ctx.deps.config.region,
    },
  };
}

export async function startDrills(event: DrillEvent, deps: Deps, accountId: string): Promise<DrillState> {
  const { run, policy } = validateDrill(event, { deps, accountId });
  const s = policy.restoreDrill as NonNullable<Policy['restoreDrill']>;
  const now = deps.now();
  const { swept, alive } = await sweep(deps, run, policy, now);

  const usedThisMonth = run.dryRun
    ? 0
    : await sumOf(
        deps.clients.cloudwatch,
        {
          namespace: deps.config.metricsNamespace,
          name: METRICS.drillClusterHours,
          dimensions: { [DIMENSIONS.service]: SERVICE, [DIMENSIONS.policy]: policy.name },
        },
        monthStart(now),
        now,
      );
  const estimate = clusterHoursPerDrill(s);
  const affordable = Math.max(0, Math.floor((s.monthlyClusterHours - usedThisMonth) / estimate));

  const random = seeded(run.id, policy.name);
  const targets = sampleTargets(await drillTargets(deps, run, policy), s.sample, random);
  const drills: Drill[] = [];
  const skipped: { target: string; reason: string }[] = [];
  for (const t of targets) {
    const snap = chooseSnapshot(t.snapshots, s, now, random);
    if (!snap) {
      skipped.push({ target: t.target, reason: 'no available snapshot of the orchestrator to restore' });
      continue;
    }
    if (t.kind === 'elastic' && !(await ownedElasticSnapshot(deps, policy, snap.arn))) {
      skipped.push({ target: t.target, reason: `${snap.arn} is named like ours but not tagged as ours: not restored` });
      continue;
    }
    if (drills.length >= affordable) {
      skipped.push({
        target: t.target,
        reason: `monthly cap: ${usedThisMonth.toFixed(1)} of ${s.monthlyClusterHours} drill cluster-hours used this month; a drill may take ${estimate} h`,
      });
      continue;
    }
    drills.push({
      target: t.target,
      of: t.of,
      kind: t.kind,
      ...(t.engine ? { engine: t.engine } : {}),
      snapshot: snap.id,
      snapshotArn: snap.arn,
      snapshotTime: snap.time.toISOString(),
      cluster: drillClusterName(policy.name, t.target, new Date(run.startedAt)),
      phase: run.dryRun ? 'done' : 'queued',
    });
  }
  const base: DrillProgress = {
    next: 'wait',
    iteration: 0,
    waitSeconds: 0,
    drills,
    skipped: skipped.slice(0, MAX_DRILL_LISTED),
    skippedCount: skipped.length,
    swept: swept.slice(0, MAX_DRILL_LISTED),
    sweptCount: swept.length,
    othersAlive: alive,
    toValidate: [],
    clusterHours: {
      usedThisMonth: Math.round(usedThisMonth * 100) / 100,
      estimate: Math.round(estimate * drills.length * 100) / 100,
      cap: s.monthlyClusterHours,
    },
    failures: [],
  };
  for (const d of skipped) deps.logger.info('drill skipped', { target: d.target, operation: 'StartDrills', reason: d.reason });
  const started = await startQueued(deps, run, policy, base, now);
  return { run, progress: drillRoute(started, deps.config.policyFile.settings.poll) };
}
