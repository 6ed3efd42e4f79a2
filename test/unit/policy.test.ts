import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../functions/runtime/config.js';
import { ValidationError } from '../../functions/domain/errors.js';
import { parsePolicyYaml } from '../../functions/domain/policy.js';

const errorOf = (yaml: string) => {
  try {
    parsePolicyYaml(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('expected a validation error');
};

const ARN = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/abc';

describe('policy file', () => {
  it('accepts the shipped policies.yml with defaults filled in', () => {
    const file = loadPolicyFile('policies.yml');
    expect(file.policies.map((p) => p.name)).toEqual(['daily', 'monthly-archive']);
    const monthly = file.policies[1];
    expect(monthly?.dryRun).toBe(false);
    expect(monthly?.deadlines).toEqual({ createMinutes: 360, copyMinutes: 720 });
    expect(monthly?.retention?.minKeep).toBe(1);
    expect(file.policies[0]?.retention?.keepDaily).toBe(7);
  });

  it.each([
    [
      'retention rule',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, retention: {keepDaily: 1.5}}]`,
      'policy "daily": retention.keepDaily: must be an integer',
    ],
    [
      'duration',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, retention: {keepWithin: 2w}}]`,
      'policy "daily": retention.keepWithin: must be a duration',
    ],
    [
      'schedule',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, schedules: [{expression: 'cron(0 3 * *)'}]}]`,
      'policy "daily": schedules.0.expression: "cron(0 3 * *)" has 4 fields; cron needs 6',
    ],
    [
      'time zone',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, schedules: [{expression: 'rate(1 day)', timezone: Mars/Olympus}]}]`,
      'policy "daily": schedules.0.timezone: must be an IANA time zone',
    ],
    [
      'arn',
      `policies: [{name: daily, elastic: {clusterArns: ['arn:aws:rds:us-east-1:1:cluster:x']}}]`,
      'policy "daily": elastic.clusterArns.0: must be an elastic cluster ARN',
    ],
    [
      'source accounts',
      `policies: [{name: daily, copy: {sourceAccounts: []}}]`,
      'policy "daily": copy.sourceAccounts: list at least one account',
    ],
    ['engine', `policies: [{name: daily, copy: {sourceAccounts: ['111122223333'], engines: [mysql]}}]`, 'policy "daily": copy.engines.0:'],
    [
      'reserved tag',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, tags: {static: {'backup-orchestrator:x': y}}}]`,
      'policy "daily": tags.static."backup-orchestrator:x": the key prefix backup-orchestrator: is reserved for the tags the orchestrator sets itself: rename the key',
    ],
    [
      'aws tag',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, tags: {static: {'aws:x': y}}}]`,
      'policy "daily": tags.static."aws:x": the tag key must not start with "aws:" (AWS reserves the prefixes aws: and rds: for its own tags): rename the key',
    ],
    [
      'required tag',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, tags: {required: [team]}}]`,
      'policy "daily": tags.required: required key "team" has no source',
    ],
    [
      'unknown field',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, retension: {}}]`,
      'policy "daily": unknown field "retension": did you mean "retention"?',
    ],
    ['no targets', 'policies: [{name: daily}]', 'policy "daily": elastic: a policy needs elastic targets, copy rules or both'],
    [
      'empty retention',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, retention: {minKeep: 2}}]`,
      'policy "daily": retention: set at least one keep rule',
    ],
    [
      'duplicate',
      `policies: [{name: a, elastic: {clusterArns: ['${ARN}']}}, {name: a, elastic: {clusterArns: ['${ARN}']}}]`,
      'policy "a": name: duplicate name',
    ],
    ['bad name', `policies: [{name: 1st, elastic: {clusterArns: ['${ARN}']}}]`, 'policy "1st": name: must start with a letter'],
    ['no policies', 'policies: []', 'policy file: policies: define at least one policy'],
    ['not yaml', 'policies: [', 'policy file: YAML syntax error at line 1, column 12: '],
  ])('names the policy, field and rule: %s', (_what, yaml, expected) => {
    expect(errorOf(yaml)).toContain(expected);
  });
});
