/**
 * The thin-handler glue: a middy handler built from Powertools' own middlewares (injectLambdaContext
 * for the logger, captureLambdaHandler for X-Ray when tracing is on), the dependencies built once, and
 * the time budget of the invocation.
 *
 * Metrics do not use Powertools' logMetrics middleware: a run's figures are known only at the end of
 * the run, not of each invocation, so the cores build their EMF documents with Powertools Metrics
 * (runtime/telemetry.ts) and write them through `deps.emit`, which the rehearsal and the tests read.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { toOrchestratorError } from '../aws/errors.js';
import { ValidationError } from '../domain/errors.js';
import { findPolicy, type Policy } from '../domain/policy.js';
import type { Run, SnapshotRecord } from '../domain/run.js';
import { type Deps, defaultDeps, runtimeLogger } from './deps.js';
import { recordLog } from './records.js';
import { tracingMiddleware } from './tracing.js';

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
 * the invocation carries the Lambda context, the run id and the policy (targets and operations are
 * added where they are known); the keys are reset after each invocation.
 */
export function makeHandler<E, R>(core: (event: E, deps: Deps, context: Context) => Promise<R>, deps: DepsSource = defaultDeps) {
  const logger = typeof deps === 'function' ? runtimeLogger() : deps.logger;
  return middy<E, R>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(tracingMiddleware())
    .handler(async (event, context) => {
      const run = (event as { run?: Run } | undefined)?.run;
      logger.appendKeys({ runId: run?.id ?? '-', policy: run?.policy ?? '-' });
      try {
        const d = await resolveDeps(deps);
        const remaining =
          typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : WORK_BUDGET_MS + TIMEOUT_MARGIN_MS;
        const endsAt = d.now().getTime() + Math.max(0, Math.min(WORK_BUDGET_MS, remaining - TIMEOUT_MARGIN_MS));
        const records = d.record ? undefined : recordLog((message, fields) => logger.info(message, fields));
        const record = d.record ?? ((r: SnapshotRecord) => records?.record(r));
        try {
          return await core(event, { ...d, logger, record, budgetEndsAt: () => endsAt }, context);
        } finally {
          records?.flush();
        }
      } catch (err) {
        // Whatever escapes a core leaves with a stable name the state machine's Retry/Catch match on.
        const e = toOrchestratorError(err);
        logger.error('step failed', { target: 'all', operation: context?.functionName ?? 'step', code: e.code, reason: e.message });
        throw e;
      }
    });
}
