/**
 * The thin-handler glue: middy, the dependencies (built once) and the account id from the context.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Deps, defaultDeps } from './clients.js';
import { toOrchestratorError, ValidationError } from './errors.js';
import { findPolicy, type Policy } from './policy.js';
import type { Run } from './run.js';

export type DepsSource = Deps | (() => Promise<Deps>);

/** An invocation stops starting new work after this long (the target: none over 300 s of its 900). */
export const WORK_BUDGET_MS = 240_000;
/** ...and always this long before the function's own timeout. */
export const TIMEOUT_MARGIN_MS = 60_000;

export async function resolveDeps(src: DepsSource): Promise<Deps> {
  return typeof src === 'function' ? src() : src;
}

/** Account id from the invoked function ARN (arn:aws:lambda:region:account:function:name). */
export function accountIdOf(context: Pick<Context, 'invokedFunctionArn'>): string {
  const account = context.invokedFunctionArn?.split(':')[4];
  if (!account || !/^\d{12}$/.test(account)) throw new Error('cannot read the account id from the Lambda context');
  return account;
}

export function policyOf(deps: Deps, run: Run): Policy {
  const policy = findPolicy(deps.config.policyFile, run.policy);
  if (!policy) throw new ValidationError(`input.policy: unknown policy "${run.policy}"`);
  return policy;
}

/**
 * Wraps a core as a middy handler; `deps` defaults to the production dependencies. Every log line of
 * the invocation carries the run id and policy (targets and operations are added where they are known).
 */
export function makeHandler<E, R>(
  core: (event: E, deps: Deps, context: Context) => Promise<R>,
  deps: DepsSource = defaultDeps,
) {
  return middy<E, R>().handler(async (event, context) => {
    const d = await resolveDeps(deps);
    const run = (event as { run?: Run } | undefined)?.run;
    const logger = d.logger.createChild();
    logger.appendKeys({ runId: run?.id ?? '-', policy: run?.policy ?? '-' });
    if (context?.functionName) logger.addContext(context);
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : WORK_BUDGET_MS + TIMEOUT_MARGIN_MS;
    const endsAt = d.now().getTime() + Math.max(0, Math.min(WORK_BUDGET_MS, remaining - TIMEOUT_MARGIN_MS));
    try {
      return await core(event, { ...d, logger, budgetEndsAt: () => endsAt }, context);
    } catch (err) {
      // Whatever escapes a core leaves with a stable name the state machine's Retry/Catch match on.
      const e = toOrchestratorError(err);
      logger.error('step failed', { target: 'all', operation: context?.functionName ?? 'step', code: e.code, reason: e.message });
      throw e;
    }
  });
}
