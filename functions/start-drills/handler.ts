import type { Context } from 'aws-lambda';
import type { Deps } from '../runtime/deps.js';
import { accountIdOf, makeHandler } from '../runtime/handler.js';
import type { DrillState } from '../domain/drill.js';
import { type DrillEvent, startDrills } from './start-drills.js';

export function core(event: DrillEvent, deps: Deps, context: Context): Promise<DrillState> {
  return startDrills(event, deps, accountIdOf(context));
}

export const handler = makeHandler(core);
