import type { Deps } from '../shared/clients.js';
import { makeHandler, policyOf } from '../shared/lambda.js';
import type { RetentionOutcome, Run } from '../shared/run.js';
import { applyRetention } from './apply-retention.js';

export async function core(event: { run: Run }, deps: Deps): Promise<RetentionOutcome> {
  return applyRetention(event.run, policyOf(deps, event.run), deps);
}

export const handler = makeHandler(core);
