/**
 * Clean Up Drills: the catch path of the drill workflow. Whatever the state holds, it deletes every drill
 * cluster this run made (found by their tags) and records the error on each drill not finished, so the
 * report shows what happened and no drill cluster is left behind.
 */
import type { DrillProgress, DrillRun } from '../domain/drill.js';
import type { Policy } from '../domain/policy.js';
import type { Deps } from '../runtime/deps.js';
import { cleanUpRun } from '../workflow/drills.js';

export interface CleanUpEvent {
  run?: DrillRun;
  progress?: DrillProgress;
  input?: { policy?: string };
  execution?: { name: string; startTime: string };
  lastError?: { Error?: string; Cause?: string };
}

const emptyProgress = (): DrillProgress => ({
  next: 'report',
  iteration: 0,
  waitSeconds: 0,
  drills: [],
  skipped: [],
  skippedCount: 0,
  swept: [],
  sweptCount: 0,
  othersAlive: 0,
  toValidate: [],
  clusterHours: { usedThisMonth: 0, estimate: 0, cap: 0 },
  failures: [],
});

/** The run the event belongs to: from the state, or rebuilt from the execution when Start Drills failed early. */
export function runOf(event: CleanUpEvent, deps: Deps, accountId: string): DrillRun | undefined {
  if (event.run) return event.run;
  const policy = event.input?.policy;
  if (typeof policy !== 'string' || !event.execution) return undefined;
  return {
    id: event.execution.name,
    policy,
    startedAt: event.execution.startTime,
    dryRun: false,
    accountId,
    region: deps.config.region,
  };
}

export async function cleanUpDrills(
  event: CleanUpEvent,
  policy: Policy | undefined,
  run: DrillRun | undefined,
  deps: Deps,
): Promise<DrillProgress> {
  const error = `${event.lastError?.Error ?? 'States.Runtime'}: ${(event.lastError?.Cause ?? '').slice(0, 300)}`;
  const progress = event.progress ?? emptyProgress();
  const { deleted, leaked } = policy && run ? await cleanUpRun(deps, run, policy) : { deleted: [], leaked: [] };
  for (const name of deleted)
    deps.logger.warn('drill cluster deleted after an error', { target: name, operation: 'CleanUpDrills', reason: error });
  const leakedNames = new Set(leaked.map((l) => l.split(':')[0]));
  return {
    ...progress,
    next: 'report',
    toValidate: [],
    drills: progress.drills.map((d) =>
      d.phase === 'done'
        ? d
        : {
            ...d,
            phase: 'done',
            result: 'failed',
            code: 'INTERNAL_ERROR',
            message: `the drill run stopped on ${error}`.slice(0, 400),
            leaked: leakedNames.has(d.cluster),
          },
    ),
    failures: [
      ...progress.failures,
      {
        target: run?.policy ?? 'drill',
        code: 'INTERNAL_ERROR' as const,
        message: `the drill run stopped on ${error}; its drill clusters were deleted`,
      },
      ...leaked.map((l) => ({
        target: l.split(':')[0] ?? l,
        code: 'INTERNAL_ERROR' as const,
        message: `drill cluster could not be deleted: ${l}`,
      })),
    ].slice(0, 50),
    aliveAtEnd: (progress.aliveAtEnd ?? 0) + leaked.length,
  };
}
