/**
 * Report Drills: the drill run's envelope and its metrics (per policy: succeeded, failed, each restore
 * time, drill clusters alive that should not be, cluster-hours used).
 */
import type { Drill, DrillState } from '../domain/drill.js';
import type { Failure } from '../domain/run.js';

export interface DrillLine {
  target: string;
  of: string;
  snapshot: string;
  snapshotTime: string;
  cluster: string;
  result: 'passed' | 'failed' | 'planned';
  restoreSeconds?: number;
  code?: Failure['code'];
  message?: string;
  leaked?: boolean;
}

export interface DrillEnvelope {
  success: true;
  data: {
    id: string;
    policy: string;
    created_at: string;
    finished_at: string;
    status: 'SUCCEEDED' | 'PARTIAL';
    dryRun: boolean;
    summary: { drills: number; passed: number; failed: number; leaked: number; swept: number; skipped: number };
    drills: DrillLine[];
    swept: DrillState['progress']['swept'];
    skipped: DrillState['progress']['skipped'];
    clusterHours: { usedThisMonth: number; thisRun: number; cap: number };
    failures: Failure[];
  };
}

const line = (d: Drill, dryRun: boolean): DrillLine => ({
  target: d.target,
  of: d.of,
  snapshot: d.snapshotArn,
  snapshotTime: d.snapshotTime,
  cluster: d.cluster,
  result: dryRun ? 'planned' : (d.result ?? 'failed'),
  ...(d.restoreSeconds !== undefined ? { restoreSeconds: d.restoreSeconds } : {}),
  ...(d.code ? { code: d.code } : {}),
  ...(d.message ? { message: d.message } : {}),
  ...(d.leaked ? { leaked: true } : {}),
});

/** Cluster-hours this run's drills used: from each restore request to now (a deleted cluster stops costing soon after). */
export const clusterHoursOf = (drills: readonly Drill[], now: Date): number =>
  drills.reduce((h, d) => (d.requestedAt ? h + Math.max(0, now.getTime() - Date.parse(d.requestedAt)) / 3_600_000 : h), 0);

export function buildDrillReport(state: DrillState, now: Date): DrillEnvelope {
  const { run, progress: p } = state;
  const drills = p.drills.map((d) => line(d, run.dryRun));
  const passed = drills.filter((d) => d.result === 'passed').length;
  const failed = drills.filter((d) => d.result === 'failed').length;
  const leaked = drills.filter((d) => d.leaked).length;
  const failures: Failure[] = [
    ...p.failures,
    ...p.drills
      .filter((d) => d.result === 'failed')
      .map((d) => ({ target: d.target, code: d.code ?? 'INTERNAL_ERROR', message: `drill of ${d.snapshotArn}: ${d.message ?? 'failed'}` })),
  ];
  return {
    success: true,
    data: {
      id: run.id,
      policy: run.policy,
      created_at: run.startedAt,
      finished_at: now.toISOString(),
      status: failed > 0 || leaked > 0 || (p.aliveAtEnd ?? 0) > 0 ? 'PARTIAL' : 'SUCCEEDED',
      dryRun: run.dryRun,
      summary: { drills: drills.length, passed, failed, leaked, swept: p.sweptCount, skipped: p.skippedCount },
      drills,
      swept: p.swept,
      skipped: p.skipped,
      clusterHours: {
        usedThisMonth: p.clusterHours.usedThisMonth,
        thisRun: Math.round(clusterHoursOf(p.drills, now) * 100) / 100,
        cap: p.clusterHours.cap,
      },
      failures: failures.slice(0, 50),
    },
  };
}
