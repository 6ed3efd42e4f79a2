/**
 * Check Drills: one poll of this run's drills. Records each restore time and validation answer, asks
 * for validations (the Map state invokes the function), deletes the drill clusters that are finished,
 * and starts queued drills as drill clusters free up.
 */
import {
  type Drill,
  type DrillProgress,
  drillRoute,
  type DrillState,
  type ValidationRequest,
  type ValidationResult,
} from '../domain/drill.js';
import type { Policy } from '../domain/policy.js';
import type { Deps } from '../runtime/deps.js';
import { mapPool } from '../runtime/pool.js';
import { followDrill, startQueued } from '../workflow/drills.js';

/** What the Map state hands back: per cluster, the function's answer or the error it ended with. */
export type MapResult = { cluster: string; answer?: { passed?: unknown; message?: unknown }; error?: string; cause?: string };

export function validationResults(results: readonly MapResult[] | undefined): ValidationResult[] {
  return (results ?? []).map((r) => ({
    cluster: r.cluster,
    ...(r.answer && typeof r.answer === 'object' ? { passed: r.answer.passed === true } : {}),
    ...(typeof r.answer?.message === 'string' ? { message: r.answer.message } : {}),
    ...(r.error ? { error: `${r.error}${r.cause ? `: ${r.cause.slice(0, 200)}` : ''}` } : {}),
  }));
}

export async function checkDrills(state: DrillState & { validations?: MapResult[] }, policy: Policy, deps: Deps): Promise<DrillProgress> {
  const now = deps.now();
  const validations = validationResults(state.validations);
  const toValidate: ValidationRequest[] = [];
  const drills = await mapPool(state.progress.drills, deps.config.policyFile.settings.concurrency, async (d): Promise<Drill> => {
    if (d.phase === 'queued' || d.phase === 'done') return d;
    // An answer already asked for and not back yet (the Map state runs before this step): keep waiting.
    const out = await followDrill(deps, policy, d, now, validations);
    if (out.validate) toValidate.push(out.validate);
    return out.drill;
  });
  const next = await startQueued(deps, state.run, policy, { ...state.progress, drills, toValidate: [] }, now);
  // A drill that just reached `deleting` is deleted in this same check, not one poll later.
  const settled = await mapPool(next.drills, deps.config.policyFile.settings.concurrency, async (d) =>
    d.phase === 'deleting' ? (await followDrill(deps, policy, d, now, validations)).drill : d,
  );
  return drillRoute({ ...next, drills: settled, toValidate, iteration: next.iteration + 1 }, deps.config.policyFile.settings.poll);
}
