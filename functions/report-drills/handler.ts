import type { DrillState } from '../domain/drill.js';
import type { Deps } from '../runtime/deps.js';
import { makeHandler } from '../runtime/handler.js';
import { drillMetricDocuments } from '../runtime/telemetry.js';
import { buildDrillReport, clusterHoursOf, type DrillEnvelope } from './report-drills.js';

export function core(event: DrillState, deps: Deps): Promise<DrillEnvelope> {
  const now = deps.now();
  const envelope = buildDrillReport(event, now);
  const d = envelope.data;
  if (!d.dryRun) {
    const alive = (event.progress.aliveAtEnd ?? 0) + d.swept.filter((s) => !s.deleted).length + d.summary.leaked;
    const restoreSeconds = event.progress.drills.flatMap((x) => (x.restoreSeconds !== undefined ? [x.restoreSeconds] : []));
    const clusterHours = clusterHoursOf(event.progress.drills, now);
    for (const doc of drillMetricDocuments(deps.config.metricsNamespace, {
      policy: d.policy,
      succeeded: d.summary.passed,
      failed: d.summary.failed,
      restoreSeconds,
      alive,
      clusterHours,
    }))
      deps.emit(doc);
  }
  for (const x of d.drills) deps.logger.info('drill', { ...x, operation: 'RestoreDrill' });
  deps.logger.info('drills finished', { target: 'all', operation: 'ReportDrills', status: d.status, summary: d.summary });
  return Promise.resolve(envelope);
}

export const handler = makeHandler(core);
