import type { Deps } from '../shared/clients.js';
import { makeHandler, policyOf } from '../shared/lambda.js';
import type { Progress, RunState } from '../shared/run.js';
import { applyRetention } from './apply-retention.js';

export async function core(event: RunState, deps: Deps): Promise<Progress> {
  return applyRetention(event, policyOf(deps, event.run), deps);
}

export const handler = makeHandler(core);
