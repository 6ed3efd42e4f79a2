/** What `serverless package` refuses before anything reaches AWS, as pure functions. */
import { describe, expect, it } from 'vitest';
import { deployProblems, fitName, generatedNames, NAME_LIMITS } from '../../functions/domain/deploy.js';
import { RUN_BUDGET_SECONDS } from '../../functions/domain/limits.js';
import { parsePolicyFile } from '../../functions/domain/policy.js';

const file = (policy: Record<string, unknown> = {}, settings: Record<string, unknown> = {}) =>
  parsePolicyFile({
    settings,
    policies: [
      {
        name: 'daily',
        schedules: [{ expression: 'cron(0 3 * * ? *)', timezone: 'UTC' }, { expression: 'rate(12 hours)' }],
        elastic: { clusterArns: ['arn:aws:docdb-elastic:us-east-1:123456789012:cluster/abc'] },
        retention: { keepLast: 3 },
        ...policy,
      },
    ],
  });
const ctx = { service: 'backup-orchestrator', stage: 'prod', region: 'us-east-1' };

describe('fitName', () => {
  it('keeps a name that fits and shortens one that does not, keeping it unique', () => {
    expect(fitName('short', 10)).toBe('short');
    const a = fitName(`${'x'.repeat(70)}-a`, 64);
    const b = fitName(`${'x'.repeat(70)}-b`, 64);
    expect(a).toHaveLength(64);
    expect(a).not.toBe(b);
    expect(a.startsWith('x'.repeat(28))).toBe(true);
    // the end that tells names apart stays readable: what the name is for, before the hash
    const role = fitName(`backup-orchestrator-${'feature-'.repeat(6)}check-operations-eu-west-1`, 64);
    expect(role.length).toBeLessThanOrEqual(64);
    expect(role).toMatch(/^backup-orchestrator-feature-.*-check-operations-eu-west-1-[0-9a-z]{6}$/);
  });
});

describe('generatedNames', () => {
  it('fits every name to its AWS limit, even with a long stage and role prefix', () => {
    const names = generatedNames(file(), { ...ctx, stage: 'feature-'.repeat(6), roleNamePrefix: 'org-platform-team-' });
    for (const n of Object.values(names.functions)) expect(n.length).toBeLessThanOrEqual(NAME_LIMITS.function);
    for (const n of Object.values(names.roles)) expect(n.length).toBeLessThanOrEqual(NAME_LIMITS.role);
    // the longest prefix allowed stays whole at the start of every role name (boundaries and SCPs match on it)
    const prefix = 'org-platform-team-roles-prefix-x';
    expect(prefix).toHaveLength(32);
    const long = generatedNames(file(), { ...ctx, stage: 'feature-'.repeat(6), roleNamePrefix: prefix });
    for (const n of Object.values(long.roles)) {
      expect(n.startsWith(prefix), n).toBe(true);
      expect(n.length).toBeLessThanOrEqual(NAME_LIMITS.role);
    }
    expect(new Set(Object.values(long.roles)).size).toBe(Object.keys(long.roles).length);
    for (const n of Object.values(names.schedules)) expect(n.length).toBeLessThanOrEqual(NAME_LIMITS.schedule);
    expect(Object.keys(names.schedules).sort()).toEqual(['coverage-audit', 'daily-1', 'daily-2', 'freshness-check']);
    expect(new Set(Object.values(names.roles)).size).toBe(Object.values(names.roles).length);
    expect(names.roles.report.startsWith('org-platform-team-')).toBe(true);
  });
});

describe('deployProblems', () => {
  it('finds nothing wrong with a plain policy', () => {
    expect(deployProblems(file(), ctx)).toEqual([]);
  });

  it('refuses an ARN in another region, a bad stage, a bad role prefix and a too-long stack', () => {
    const f = file({
      elastic: { clusterArns: ['arn:aws:docdb-elastic:eu-west-1:123456789012:cluster/abc'] },
      copy: { sourceAccounts: ['111122223333'], kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/k' },
    });
    const problems = deployProblems(f, { ...ctx, stage: 'prod_1', roleNamePrefix: 'bad prefix' });
    expect(problems).toEqual([
      expect.stringMatching(/^stage "prod_1": use letters/),
      expect.stringMatching(/^roleNamePrefix "bad prefix"/),
      expect.stringMatching(/elastic\.clusterArns\.0: .* is in eu-west-1, but the stack deploys to us-east-1/),
      expect.stringMatching(/copy\.kmsKeyId: .* is in eu-west-1/),
    ]);
    expect(deployProblems(file(), { ...ctx, stage: 'x'.repeat(120) })).toEqual([expect.stringMatching(/CloudFormation allows 128/)]);
  });

  it('refuses deadlines and check loops that cannot fit in a run', () => {
    const minutes = Math.floor(RUN_BUDGET_SECONDS / 60);
    const f = file({ deadlines: { createMinutes: minutes + 1 } }, { poll: { initialSeconds: 3600, maxSeconds: 3600, maxIterations: 100 } });
    expect(deployProblems(f, ctx)).toEqual([
      expect.stringMatching(/^settings\.poll: 100 checks \(maxIterations\) wait up to 100 h/),
      expect.stringMatching(new RegExp(`deadlines\\.createMinutes: ${minutes + 1} minutes cannot be kept.*at most ${minutes}$`)),
    ]);
  });
});
