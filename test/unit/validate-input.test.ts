import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../functions/runtime/config.js';
import { validateRun } from '../../functions/validate-input/validate-input.js';

const ctx = { policyFile: loadPolicyFile('policies.yml'), accountId: '123456789012', region: 'us-east-1' };
const execution = { name: 'exec-1', startTime: '2026-11-22T02:00:07.123Z' };
const fail = (input: unknown) => {
  try {
    validateRun({ input, execution }, ctx);
  } catch (err) {
    expect((err as Error).name).toBe('ValidationError');
    return (err as Error).message;
  }
  throw new Error('expected a validation error');
};

describe('validate input', () => {
  it('fixes id, slot (minute), deadlines and the policy dry-run default', () => {
    const run = validateRun({ input: { policy: 'daily' }, execution }, ctx);
    expect(run).toMatchObject({
      id: 'exec-1',
      policy: 'daily',
      slot: '2026-11-22T02:00:00.000Z',
      dryRun: false,
      skip: [],
    });
    expect(run.createDeadline).toBe('2026-11-22T08:00:07.123Z');
  });
  it('uses the scheduled time as the slot', () => {
    const run = validateRun({ input: { policy: 'daily', scheduledTime: '2026-11-22T03:00:00Z', skip: ['copy', 'copy'] }, execution }, ctx);
    expect(run.slot).toBe('2026-11-22T03:00:00.000Z');
    expect(run.skip).toEqual(['copy']);
  });
  it.each([
    [null, 'input: must be a JSON object'],
    [[1], 'input: must be a JSON object'],
    ['daily', 'input: must be a JSON object'],
    [{}, 'input.policy:'],
    [{ policy: 7 }, 'input.policy:'],
    [{ policy: 'nope' }, 'input.policy: unknown policy "nope" (known: daily, monthly-archive)'],
    [{ policy: 'daily', extra: true }, 'Unrecognized key'],
    [{ policy: 'daily', dryRun: 'yes' }, 'input.dryRun:'],
    [{ policy: 'daily', skip: ['everything'] }, 'input.skip.0:'],
    [{ policy: 'x'.repeat(1_000_000) }, 'input: 1000'],
    [{ policy: 'daily', targets: ['arn:aws:docdb-elastic:eu-west-1:123456789012:cluster/a'] }, 'input.targets.0: cluster is in eu-west-1'],
    [
      { policy: 'daily', targets: ['arn:aws:docdb-elastic:us-east-1:999999999999:cluster/a'] },
      'input.targets.0: cluster belongs to account 999999999999',
    ],
    [{ policy: 'daily', targets: ['arn:aws:rds:us-east-1:999999999999:cluster-snapshot:s'] }, 'not an allowed source'],
    [
      { policy: 'daily', targets: ['arn:aws:s3:::bucket'] },
      'input.targets.0: must be an elastic cluster ARN or a shared cluster snapshot ARN',
    ],
    [{ policy: 'monthly-archive', targets: ['arn:aws:rds:us-east-1:111122223333:cluster-snapshot:s'] }, 'not an allowed source'],
  ])('rejects %j', (input, message) => {
    expect(fail(input)).toContain(message);
  });
});
