import type { Deps } from '../shared/clients.js';
import { makeHandler, policyOf } from '../shared/lambda.js';
import type { Progress, Run } from '../shared/run.js';
import { checkOperations } from './check-operations.js';

export async function core(event: { run: Run; progress: Progress }, deps: Deps): Promise<Progress> {
  return checkOperations(event.run, policyOf(deps, event.run), event.progress, deps);
}

export const handler = makeHandler(core);
