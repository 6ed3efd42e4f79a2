import type { DrillProgress, DrillState } from '../domain/drill.js';
import { findPolicy, type Policy } from '../domain/policy.js';
import type { Deps } from '../runtime/deps.js';
import { makeHandler } from '../runtime/handler.js';
import { checkDrills, type MapResult } from './check-drills.js';

export function core(event: DrillState & { validations?: MapResult[] }, deps: Deps): Promise<DrillProgress> {
  return checkDrills(event, findPolicy(deps.config.policyFile, event.run.policy) as Policy, deps);
}

export const handler = makeHandler(core);
