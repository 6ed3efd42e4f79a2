import type { Deps } from '../runtime/deps.js';
import { makeHandler, policyOf } from '../runtime/handler.js';
import type { Progress, RunState } from '../domain/run.js';

/** The first invocation has no progress yet; later ones (creates left to start) do. */
type StartState = Omit<RunState, 'progress'> & { progress?: Progress };
import { startOperations } from './start-operations.js';

export async function core(event: StartState, deps: Deps): Promise<Progress> {
  return startOperations(event, policyOf(deps, event.run), deps);
}

export const handler = makeHandler(core);
