import type { Deps } from '../shared/clients.js';
import { makeHandler } from '../shared/lambda.js';
import { buildReport, describeFailure, type FailureInput, type ReportInput, type ResultEnvelope } from './report.js';

export async function core(event: ReportInput, deps: Deps): Promise<ResultEnvelope> {
  return buildReport(event, deps.now());
}

export async function failureCore(event: FailureInput): Promise<{ error: string; cause: string }> {
  return describeFailure(event);
}

export const handler = makeHandler(core);
export const failureHandler = makeHandler(failureCore);
