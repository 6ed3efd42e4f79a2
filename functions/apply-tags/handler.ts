import type { Deps } from '../runtime/deps.js';
import { makeHandler, policyOf } from '../runtime/handler.js';
import type { Progress, RunState } from '../domain/run.js';
import { applyTags } from './apply-tags.js';

export async function core(event: RunState, deps: Deps): Promise<Progress> {
  return applyTags(event, policyOf(deps, event.run), deps);
}

export const handler = makeHandler(core);
