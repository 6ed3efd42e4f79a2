import type { Deps } from '../runtime/deps.js';
import { makeHandler } from '../runtime/handler.js';
import { runMetricDocuments } from '../runtime/telemetry.js';
import { buildReport, type ReportInput, type ResultEnvelope, runFigures } from './report.js';

export function core(event: ReportInput, deps: Deps): Promise<ResultEnvelope> {
  const now = deps.now();
  const envelope = buildReport(event, now);
  const { data } = envelope;
  for (const line of runMetricDocuments(deps.config.metricsNamespace, runFigures(event, envelope, now))) deps.emit(line);
  for (const f of data.failures)
    deps.logger.warn('target failed', { target: f.target, operation: 'Report', code: f.code, reason: f.message });
  deps.logger.info('run finished', { target: 'all', operation: 'Report', status: data.status, summary: data.summary });
  return Promise.resolve(envelope);
}

export const handler = makeHandler(core);
