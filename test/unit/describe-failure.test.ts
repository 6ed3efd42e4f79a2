/**
 * Describe Failure must work when nothing else does: an invalid policy file or environment fails every
 * other step, and this step is what turns that into the failure envelope.
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler as failureHandler } from '../../functions/describe-failure/handler.js';

describe('describeFailure handler', () => {
  it('needs no configuration: it works with an unreadable policy file', async () => {
    process.env.POLICY_FILE = 'does-not-exist.yml';
    const cause = JSON.stringify({
      errorType: 'ValidationError',
      errorMessage: 'policy "daily": retention.keepDaily: must be an integer',
      trace: [],
    });
    const out = await failureHandler({ error: { Error: 'ValidationError', Cause: cause } }, {} as Context);
    expect(out).toEqual({
      error: 'ValidationError',
      cause: JSON.stringify({
        success: false,
        error: { code: 'VALIDATION_ERROR', message: 'policy "daily": retention.keepDaily: must be an integer' },
      }),
    });
  });
});
