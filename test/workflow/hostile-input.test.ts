/**
 * Hostile and malformed input to a console start: each gets VALIDATION_ERROR naming the field, fails
 * the execution at its first state, and makes no AWS call.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlane } from '../../local/standin/services/sfn.js';
import { type StandIn, startStandIn } from '../../local/standin/server.js';
import { examplePolicies, exampleWorld, run } from './helpers.js';

const MB = 'x'.repeat(1024 * 1024);
// A JSON null input is covered by the unit tests of validateRun: the local interpreter cannot apply
// Parameters to a null input (States.Runtime), so it never reaches the first Lambda here.
const CASES: [string, unknown, RegExp][] = [
  ['empty object', {}, /^input\.policy: /],
  ['not an object', 'daily', /^input: must be a JSON object/],
  ['an array', [{ policy: 'daily' }], /^input: must be a JSON object/],
  ['wrong type: policy', { policy: 42 }, /^input\.policy: /],
  ['wrong type: dryRun', { policy: 'daily', dryRun: 'yes' }, /^input\.dryRun: /],
  ['wrong type: targets', { policy: 'daily', targets: 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/a' }, /^input\.targets: /],
  ['unknown policy', { policy: 'weekly' }, /^input\.policy: unknown policy "weekly"/],
  ['unknown field', { policy: 'daily', retention: { keepLast: 0 } }, /^input\.\(root\): Unrecognized key: "retention"/],
  ['tag key starting with aws:', { policy: 'daily', tags: { 'aws:createdBy': 'me' } }, /Unrecognized key: "tags"/],
  ['1 MB policy name', { policy: MB }, /^input: \d+ bytes, over the 262144-byte limit/],
  ['1 MB target', { policy: 'daily', targets: [MB] }, /^input: \d+ bytes/],
  ['name over 63 characters', { policy: 'd'.repeat(64) }, /^input\.policy: must be at most 40 characters/],
  [
    'ARN of another account',
    { policy: 'daily', targets: ['arn:aws:docdb-elastic:us-east-1:999999999999:cluster/a'] },
    /^input\.targets\.0: cluster belongs to account 999999999999/,
  ],
  [
    'ARN of another region',
    { policy: 'daily', targets: ['arn:aws:docdb-elastic:eu-west-1:123456789012:cluster/a'] },
    /^input\.targets\.0: cluster is in eu-west-1/,
  ],
  [
    'ARN of another service',
    { policy: 'daily', targets: ['arn:aws:rds:us-east-1:123456789012:cluster:a'] },
    /^input\.targets\.0: must be an elastic cluster ARN or a shared cluster snapshot ARN/,
  ],
  [
    'shared snapshot of an account not allowed',
    { policy: 'daily', targets: ['arn:aws:rds:us-east-1:999988887777:cluster-snapshot:s'] },
    /^input\.targets\.0: account 999988887777 is not an allowed source/,
  ],
  ['bad skip', { policy: 'daily', skip: ['create', 'everything'] }, /^input\.skip\.1: /],
  ['bad scheduled time', { policy: 'daily', scheduledTime: 'tomorrow' }, /^input\.scheduledTime: /],
];

describe('hostile input to a console start', () => {
  let standIn: StandIn;
  beforeAll(async () => {
    standIn = await startStandIn(exampleWorld());
  });
  afterAll(async () => standIn.close());

  it.each(CASES)('%s', async (_name, input, message) => {
    const r = await run({ world: exampleWorld(), policyFile: examplePolicies(), input, standIn });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('ValidationError');
    const cause = JSON.parse(r.cause ?? '{}') as { success: boolean; error: { code: string; message: string } };
    expect(cause.success).toBe(false);
    expect(cause.error.code).toBe('VALIDATION_ERROR');
    expect(cause.error.message).toMatch(message);
    expect(cause.error.message.length).toBeLessThan(2_000);
    // failed at the first state, before any AWS call
    expect(r.events.filter((e) => e.type === 'StateEntered').map((e) => e.state)).toEqual([
      'Validate Input',
      'Describe Failure',
      'Run Failed',
    ]);
    expect(standIn.model.calls).toEqual({});
  });
});

describe('non-JSON input', () => {
  it('is refused by StartExecution itself', async () => {
    const holder: { si?: StandIn } = {};
    const control = controlPlane({ policyFile: examplePolicies(), stackName: 'bo', standIn: () => holder.si as StandIn });
    holder.si = await startStandIn(exampleWorld(), control);
    try {
      const sfn = new SFNClient({ region: 'us-east-1', endpoint: holder.si.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      const err = await sfn
        .send(new StartExecutionCommand({ stateMachineArn: control.stateMachineArn(), input: '{policy: daily' }))
        .catch((e: Error) => e);
      expect((err as Error).name).toBe('InvalidExecutionInput');
      expect(control.executions.size).toBe(0);
    } finally {
      await holder.si.close();
    }
  });
});
