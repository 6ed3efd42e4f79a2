import type { Deps } from '../shared/clients.js';
import { makeHandler, policyOf } from '../shared/lambda.js';
import type { Progress, RunState } from '../shared/run.js';

/** The first invocation has no progress yet; later ones (creates left to start) do. */
type StartState = Omit<RunState, 'progress'> & { progress?: Progress };
import { startOperations } from './start-operations.js';

export async function core(event: StartState, deps: Deps): Promise<Progress> {
  return startOperations(event, policyOf(deps, event.run), deps);
}

export const handler = makeHandler(core);
