import type { Context } from 'aws-lambda';
import type { DrillProgress } from '../domain/drill.js';
import { findPolicy } from '../domain/policy.js';
import type { Deps } from '../runtime/deps.js';
import { accountIdOf, makeHandler } from '../runtime/handler.js';
import { type CleanUpEvent, cleanUpDrills, runOf } from './clean-up-drills.js';

export function core(event: CleanUpEvent, deps: Deps, context: Context): Promise<DrillProgress> {
  const run = runOf(event, deps, accountIdOf(context));
  return cleanUpDrills(event, run ? findPolicy(deps.config.policyFile, run.policy) : undefined, run, deps);
}

export const handler = makeHandler(core);
