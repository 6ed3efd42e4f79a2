import type { Deps } from '../runtime/deps.js';
import { makeHandler } from '../runtime/handler.js';
import { checkFreshness, type PolicyFreshness } from './check-freshness.js';

export async function core(_event: unknown, deps: Deps): Promise<PolicyFreshness[]> {
  return checkFreshness(deps, deps.config.deployedAt);
}

export const handler = makeHandler(core);
