import { RUN, startProgress } from '../fixtures/run.js';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../functions/report/report.js';
import { describeFailure } from '../../functions/describe-failure/describe-failure.js';
import { ERROR_CODES, ERROR_NAMES, errorFor, OrchestratorError, ValidationError } from '../../functions/domain/errors.js';
import { toOrchestratorError } from '../../functions/aws/errors.js';
import { emptyRetention, withFailures } from '../../functions/domain/run.js';

const awsError = (name: string, status?: number) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

describe('error mapping', () => {
  it.each([
    ['ValidationException', 'VALIDATION_ERROR'],
    ['AccessDeniedException', 'ACCESS_DENIED'],
    ['ResourceNotFoundException', 'NOT_FOUND'],
    ['ConflictException', 'CONFLICT'],
    ['ServiceQuotaExceededException', 'SERVICE_QUOTA_EXCEEDED'],
    ['ThrottlingException', 'THROTTLING'],
    ['InternalServerException', 'INTERNAL_ERROR'],
    ['DBClusterSnapshotAlreadyExistsFault', 'CONFLICT'],
    ['DBClusterSnapshotNotFoundFault', 'NOT_FOUND'],
    ['InvalidDBClusterSnapshotStateFault', 'CONFLICT'],
    ['SnapshotQuotaExceededFault', 'SERVICE_QUOTA_EXCEEDED'],
    ['KMSKeyNotAccessibleFault', 'KMS_KEY_NOT_ACCESSIBLE'],
    ['Throttling', 'THROTTLING'],
  ])('%s -> %s', (name, code) => {
    const e = toOrchestratorError(awsError(name), 'CreateClusterSnapshot x');
    expect(e.code).toBe(code);
    expect(e.message).toBe(`CreateClusterSnapshot x: ${name}: ${name} happened`);
  });
  it('falls back on the HTTP status, then INTERNAL_ERROR', () => {
    expect(toOrchestratorError(awsError('Weird', 429)).code).toBe('THROTTLING');
    expect(toOrchestratorError(awsError('Weird', 402)).code).toBe('SERVICE_QUOTA_EXCEEDED');
    expect(toOrchestratorError(awsError('Weird', 503)).code).toBe('INTERNAL_ERROR');
    expect(toOrchestratorError('boom').code).toBe('INTERNAL_ERROR');
  });
  it('gives every code a distinct stable error name', () => {
    const errors = ERROR_CODES.map((c) => errorFor(c, 'x', { cause: new Error('under') }));
    expect(new Set(errors.map((e) => e.name)).size).toBe(ERROR_CODES.length);
    for (const [i, e] of errors.entries()) {
      expect(e).toBeInstanceOf(OrchestratorError);
      expect(e.code).toBe(ERROR_CODES[i]);
      expect(e.name).toBe(ERROR_NAMES[e.code]);
      expect((e.cause as Error).message).toBe('under');
      // the name survives a trip through JSON, which is what Lambda reports as errorType
      expect(e.constructor.name).toBe(e.name);
    }
    expect(new ValidationError('x').name).toBe('ValidationError');
  });
});

describe('report', () => {
  it('builds the seed envelope with start and finish times; failures make it PARTIAL', () => {
    const base = startProgress();
    const progress = { ...base, elastic: { ...base.elastic, created: 3, adopted: 1 }, copies: { ...base.copies, copied: 1 } };
    const ok = buildReport({ run: RUN, progress }, new Date('2026-11-22T05:00:00Z'));
    expect(ok).toMatchObject({
      success: true,
      data: {
        id: 'exec-1',
        created_at: RUN.startedAt,
        finished_at: '2026-11-22T05:00:00.000Z',
        status: 'SUCCEEDED',
        summary: { created: 3, copied: 1, skipped: 1, failed: 0 },
      },
    });
    const failure = { target: 'arn:x', code: 'THROTTLING' as const, message: 'arn:x: slow down' };
    const partial = buildReport(
      {
        run: RUN,
        progress: {
          ...progress,
          retention: { elastic: { ...emptyRetention(), deleted: 2, kept: 5 }, copies: { ...emptyRetention(), deleted: 1, kept: 2 } },
          log: withFailures(progress.log, [failure]),
        },
      },
      new Date('2026-11-22T05:00:00Z'),
    );
    expect(partial.data).toMatchObject({
      status: 'PARTIAL',
      summary: { deleted: 3, kept: 7, failed: 1 },
      failures: [failure],
      failuresOmitted: 0,
    });
  });
  it('counts every failure, lists the first 50, and says how many were left out', () => {
    const many = Array.from({ length: 70 }, (_, i) => ({ target: `arn:${i}`, code: 'NOT_FOUND' as const, message: `arn:${i} gone` }));
    const r = buildReport({ run: RUN, progress: { ...startProgress(), log: withFailures(startProgress().log, many) } }, new Date());
    expect(r.data.summary.failed).toBe(70);
    expect(r.data.failures).toHaveLength(50);
    expect(r.data.failuresOmitted).toBe(20);
  });
  it('turns a caught Lambda error into a stable name and the failure envelope', () => {
    const cause = JSON.stringify({
      errorType: 'ValidationError',
      errorMessage: 'input.policy: unknown policy "x"',
      trace: [],
    });
    expect(describeFailure({ error: { Error: 'ValidationError', Cause: cause } })).toEqual({
      error: 'ValidationError',
      cause: JSON.stringify({
        success: false,
        error: { code: 'VALIDATION_ERROR', message: 'input.policy: unknown policy "x"' },
      }),
    });
    const timeout = describeFailure({ error: { Error: 'States.Timeout', Cause: 'Task timed out' } });
    expect(timeout.error).toBe('DeadlineExceededError');
    expect(JSON.parse(timeout.cause).error).toEqual({ code: 'DEADLINE_EXCEEDED', message: 'Task timed out' });
  });
});
