import middy from '@middy/core';
import { describeFailure, type FailureInput } from './describe-failure.js';

export function core(event: FailureInput): Promise<{ error: string; cause: string }> {
  return Promise.resolve(describeFailure(event));
}

/**
 * Built without the usual dependencies: when the policy file or the environment is invalid every other
 * step fails on them, and this step must still turn that failure into the envelope.
 */
export const handler = middy<FailureInput, { error: string; cause: string }>().handler(core);
