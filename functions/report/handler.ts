import middy from '@middy/core';
import type { Deps } from '../shared/clients.js';
import { makeHandler } from '../shared/lambda.js';
import { runMetricDocuments } from '../shared/telemetry.js';
import { buildReport, describeFailure, type FailureInput, type ReportInput, type ResultEnvelope, runFigures } from './report.js';

export async function core(event: ReportInput, deps: Deps): Promise<ResultEnvelope> {
  const now = deps.now();
  const envelope = buildReport(event, now);
  const { data } = envelope;
  for (const line of runMetricDocuments(deps.config.metricsNamespace, runFigures(event, envelope, now))) deps.emit(line);
  for (const f of data.failures) deps.logger.warn('target failed', { target: f.target, operation: 'Report', code: f.code, reason: f.message });
  deps.logger.info('run finished', { target: 'all', operation: 'Report', status: data.status, summary: data.summary });
  return envelope;
}

export async function failureCore(event: FailureInput): Promise<{ error: string; cause: string }> {
  return describeFailure(event);
}

export const handler = makeHandler(core);
/**
 * Built without the usual dependencies: when the policy file or the environment is invalid every other
 * step fails on them, and this step must still turn that failure into the envelope.
 */
export const failureHandler = middy<FailureInput, { error: string; cause: string }>().handler(failureCore);
