import type { Context } from 'aws-lambda';
import type { Deps } from '../shared/clients.js';
import { accountIdOf, makeHandler } from '../shared/lambda.js';
import type { Run } from '../shared/run.js';
import { type ValidateEvent, validateRun } from './validate-input.js';

export async function core(event: ValidateEvent, deps: Deps, context: Context): Promise<{ run: Run; interrupted: number }> {
  const run = validateRun(event, {
    policyFile: deps.config.policyFile,
    accountId: accountIdOf(context),
    region: deps.config.region,
  });
  return { run, interrupted: 0 };
}

export const handler = makeHandler(core);
