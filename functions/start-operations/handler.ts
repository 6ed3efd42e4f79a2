import type { Deps } from '../shared/clients.js';
import { makeHandler, policyOf } from '../shared/lambda.js';
import type { Progress, Run } from '../shared/run.js';
import { startOperations } from './start-operations.js';

export async function core(event: { run: Run }, deps: Deps): Promise<Progress> {
  return startOperations(event.run, policyOf(deps, event.run), deps);
}

export const handler = makeHandler(core);
