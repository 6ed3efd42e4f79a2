import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ThrottlingError } from '../../functions/domain/errors.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { makeHandler } from '../../functions/runtime/handler.js';
import { createLogger } from '../../functions/runtime/telemetry.js';

const context = {
  functionName: 'backup-orchestrator-test-report',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:backup-orchestrator-test-report',
  awsRequestId: 'req-1',
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;

function capture() {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return {
    spy,
    logs: () =>
      lines
        .flatMap((l) => l.split('\n'))
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('makeHandler (Powertools middlewares)', () => {
  afterEach(() => vi.restoreAllMocks());
  const deps = () => ({ logger: createLogger('INFO'), now: () => new Date('2026-11-22T00:00:00Z') }) as unknown as Deps;

  it('adds the Lambda context and the run to every log line, and resets the run keys after each invocation', async () => {
    const c = capture();
    const h = makeHandler((_e: unknown, d: Deps) => {
      d.logger.info('working');
      return Promise.resolve('ok');
    }, deps());
    await h({ run: { id: 'exec-1', policy: 'daily' } }, context);
    await h({}, context);
    const [first, second] = c.logs();
    expect(first).toMatchObject({
      message: 'working',
      runId: 'exec-1',
      policy: 'daily',
      function_name: context.functionName,
      function_request_id: 'req-1',
    });
    expect(second).toMatchObject({ message: 'working', runId: '-', policy: '-' });
  });

  it('gives the core a time budget that ends before the function times out', async () => {
    let budget = 0;
    const d = deps();
    const h = makeHandler((_e: unknown, inner: Deps) => {
      budget = inner.budgetEndsAt() - d.now().getTime();
      return Promise.resolve(null);
    }, d);
    await h({}, { ...context, getRemainingTimeInMillis: () => 200_000 });
    expect(budget).toBe(140_000);
    await h({}, context);
    expect(budget).toBe(240_000);
  });

  it('lets a named error leave as it is and maps anything else onto one', async () => {
    capture();
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const throwing = (err: unknown) => makeHandler(() => Promise.reject(err as Error), deps());
    await expect(throwing(new ThrottlingError('slow down'))({}, context)).rejects.toMatchObject({ name: 'ThrottlingError' });
    const sdk = Object.assign(new Error('no'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    await expect(throwing(sdk)({}, context)).rejects.toMatchObject({ name: 'AccessDeniedError', code: 'ACCESS_DENIED', cause: sdk });
  });
});
