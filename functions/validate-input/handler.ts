import type { Context } from 'aws-lambda';
import type { Deps } from '../runtime/deps.js';
import { accountIdOf, makeHandler } from '../runtime/handler.js';
import type { Run } from '../domain/run.js';
import { type ValidateEvent, validateRun } from './validate-input.js';

export function core(event: ValidateEvent, deps: Deps, context: Context): Promise<{ run: Run; interrupted: number }> {
  const run = validateRun(event, {
    policyFile: deps.config.policyFile,
    accountId: accountIdOf(context),
    region: deps.config.region,
  });
  return Promise.resolve({ run, interrupted: 0 });
}

export const handler = makeHandler(core);
