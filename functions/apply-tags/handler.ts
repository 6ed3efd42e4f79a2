import type { Deps } from '../shared/clients.js';
import { makeHandler, policyOf } from '../shared/lambda.js';
import type { Progress, Run, StepOutcome } from '../shared/run.js';
import { applyTags } from './apply-tags.js';

export async function core(event: { run: Run; progress: Progress }, deps: Deps): Promise<StepOutcome> {
  return applyTags(event.run, policyOf(deps, event.run), event.progress, deps);
}

export const handler = makeHandler(core);
