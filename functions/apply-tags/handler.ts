import type { Deps } from '../shared/clients.js';
import { makeHandler, policyOf } from '../shared/lambda.js';
import type { Progress, RunState } from '../shared/run.js';
import { applyTags } from './apply-tags.js';

export async function core(event: RunState, deps: Deps): Promise<Progress> {
  return applyTags(event, policyOf(deps, event.run), deps);
}

export const handler = makeHandler(core);
