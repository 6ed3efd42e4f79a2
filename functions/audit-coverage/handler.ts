import type { Context } from 'aws-lambda';
import type { Deps } from '../runtime/deps.js';
import { accountIdOf, makeHandler } from '../runtime/handler.js';
import { auditMetricDocuments } from '../runtime/telemetry.js';
import { type AuditReport, auditCoverage } from './audit-coverage.js';

export async function core(_event: unknown, deps: Deps, context: Context): Promise<AuditReport> {
  const report = await auditCoverage(deps, accountIdOf(context));
  for (const doc of auditMetricDocuments(deps.config.metricsNamespace, report.counts.unprotected)) deps.emit(doc);
  for (const c of report.clusters.filter((x) => x.class === 'unprotected'))
    deps.logger.warn('unprotected cluster', {
      target: c.id,
      operation: 'AuditCoverage',
      reason: 'no policy protects it and no rule leaves it out',
    });
  return report;
}

export const handler = makeHandler(core);
