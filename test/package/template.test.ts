/**
 * Assertions on the CloudFormation template that `serverless package` generated
 * (npm run test:package runs the package first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../functions/shared/config.js';
import { OWNERSHIP_KEYS } from '../../functions/shared/tags.js';
import { METRICS, SERVICE } from '../../functions/shared/telemetry.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
const template = JSON.parse(
  readFileSync(new URL('../../.serverless/cloudformation-template-update-stack.json', import.meta.url), 'utf8'),
) as { Resources: Record<string, Resource>; Outputs: Record<string, unknown> };
const resources = Object.entries(template.Resources);
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
const policies = loadPolicyFile(new URL('../../policies.yml', import.meta.url).pathname);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const asList = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
const statementsOf = (role: Resource): Statement[] =>
  ((role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? []).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
const roles = ofType('AWS::IAM::Role');
const allStatements = roles.flatMap(([name, r]) => statementsOf(r).map((s) => ({ role: name, s })));

/** Actions that AWS offers no resource-level permission for, each with why the orchestrator needs it. */
const STAR_ALLOWED: Record<string, string> = {
  'docdb-elastic:ListClusters': 'read-only listing of the clusters to resolve tag selectors',
  'docdb-elastic:ListClusterSnapshots': 'read-only listing of snapshots to poll and to apply retention',
  'rds:DescribeDBClusterSnapshots': 'read-only listing of shared and owned cluster snapshots',
  'xray:PutTraceSegments': 'X-Ray tracing (only with --param tracing=true)',
  'xray:PutTelemetryRecords': 'X-Ray tracing (only with --param tracing=true)',
};
const WRITE = /:(Create|Copy|Delete|Add|Remove|Tag|Untag|Put|Start|Modify)/;

describe('packaged CloudFormation template', () => {
  it('holds the Standard state machine with the definition from statemachine/', () => {
    const sm = ofType('AWS::StepFunctions::StateMachine');
    expect(sm).toHaveLength(1);
    const [, machine] = sm[0] as [string, Resource];
    expect(machine.Properties.StateMachineType ?? 'STANDARD').toBe('STANDARD');
    const def = JSON.stringify(machine.Properties.DefinitionString);
    for (const state of [
      'Validate Input',
      'Start Operations',
      'Wait For Operations',
      'Check Operations',
      'Apply Tags',
      'Apply Retention',
      'Report',
    ]) {
      expect(def).toContain(state);
    }
    expect(template.Outputs.StateMachineArn).toBeDefined();
  });

  it('has one EventBridge Scheduler schedule per enabled policy schedule', () => {
    const all = policies.policies.flatMap((p) => p.schedules.map((s) => ({ policy: p.name, ...s })));
    const expected = all.filter((s) => s.enabled);
    expect(all.length).toBeGreaterThan(expected.length); // policies.yml has a disabled schedule too
    const schedules = ofType('AWS::Scheduler::Schedule').map(([, r]) => r.Properties);
    expect(schedules).toHaveLength(expected.length);
    for (const want of expected) {
      const got = schedules.find((s) => JSON.parse((s.Target as { Input: string }).Input).policy === want.policy);
      expect(got, want.policy).toBeDefined();
      expect(got?.ScheduleExpression).toBe(want.expression);
      expect(got?.ScheduleExpressionTimezone).toBe(want.timezone);
      expect(got?.State).toBe('ENABLED');
      const target = got?.Target as { Input: string; RetryPolicy: unknown; DeadLetterConfig: unknown; Arn: unknown };
      expect(JSON.parse(target.Input).scheduledTime).toBe('<aws.scheduler.scheduled-time>');
      expect(target.RetryPolicy).toBeDefined();
      expect(target.DeadLetterConfig).toBeDefined();
      expect(target.Arn).toEqual({ Ref: 'BackupStateMachine' });
    }
  });

  it('runs every function on nodejs22.x with its own role and a log group with retention', () => {
    const fns = ofType('AWS::Lambda::Function');
    expect(fns.length).toBe(7);
    const roleNames = new Set<string>();
    for (const [name, fn] of fns) {
      expect(fn.Properties.Runtime, name).toBe('nodejs22.x');
      const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(role, name).not.toBe('IamRoleLambdaExecution');
      roleNames.add(role);
    }
    expect(roleNames.size).toBe(fns.length);
    for (const [name, lg] of ofType('AWS::Logs::LogGroup'))
      expect(lg.Properties.RetentionInDays, name).toBeGreaterThan(0);
  });

  it('has no * action anywhere', () => {
    for (const { role, s } of allStatements) for (const a of asList(s.Action)) expect(a, role).not.toMatch(/\*/);
  });

  it('uses a * resource only for read-only list actions without resource-level permissions', () => {
    for (const { role, s } of allStatements) {
      if (!asList(s.Resource).includes('*')) continue;
      for (const a of asList(s.Action)) {
        expect(STAR_ALLOWED[a], `${role}: ${a} on *`).toBeDefined();
        if (!a.startsWith('xray:')) expect(a).not.toMatch(WRITE);
      }
    }
  });

  it('conditions every delete on the ownership tag', () => {
    const deletes = allStatements.filter(({ s }) => asList(s.Action).some((a) => /:Delete/.test(a)));
    expect(deletes.length).toBeGreaterThanOrEqual(2);
    for (const { role, s } of deletes) {
      expect(s.Condition?.StringEquals?.[`aws:ResourceTag/${OWNERSHIP_KEYS.managedBy}`], role).toBe(
        'backup-orchestrator',
      );
    }
  });

  it('limits KMS to the configured keys (and allowed source accounts) through RDS only', () => {
    const kms = allStatements.filter(({ s }) => asList(s.Action).some((a) => a.startsWith('kms:')));
    const keys = policies.policies.flatMap((p) => (p.copy?.kmsKeyId ? [p.copy.kmsKeyId] : []));
    expect(kms.length).toBeGreaterThan(0);
    for (const { s } of kms) {
      expect(s.Condition?.StringEquals?.['kms:ViaService']).toBeDefined();
      for (const r of asList(s.Resource)) {
        const text = JSON.stringify(r);
        const ok = keys.some((k) => text.includes(k)) || /:kms:\$\{AWS::Region\}:\d{12}:key\/\*/.test(text);
        expect(ok, text).toBe(true);
        expect(text).not.toContain(':${AWS::AccountId}:key/*');
      }
    }
  });

  it('lets the state machine invoke only this service functions', () => {
    const role = template.Resources.BackupStateMachineRole as Resource;
    const invokes = statementsOf(role);
    for (const s of invokes) {
      expect(asList(s.Action)).toEqual(['lambda:InvokeFunction']);
      for (const r of asList(s.Resource)) expect(JSON.stringify(r)).toMatch(/LambdaFunction/);
    }
  });

  it('lets the scheduler start only this state machine', () => {
    const role = template.Resources.SchedulerRole as Resource;
    const start = statementsOf(role).find((s) => asList(s.Action).includes('states:StartExecution'));
    expect(start?.Resource).toEqual({ Ref: 'BackupStateMachine' });
  });
});

describe('serverless package', () => {
  it('fails on an invalid policy file, naming the policy, field and rule', () => {
    const r = spawnSync('npx', ['serverless', 'package', '--stage', 'bad', '--package', mkdtempSync(join(tmpdir(), 'bo-pkg-'))], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, POLICY_FILE: 'test/fixtures/invalid-policies.yml' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain('policy "daily": retention.keepDaily:');
  }, 120_000);
});

describe('monitoring in the packaged template', () => {
  const alarms = Object.fromEntries(ofType('AWS::CloudWatch::Alarm').map(([name, r]) => [name, r.Properties]));
  const topic = { Ref: 'AlarmTopic' };

  it('alarms on failed, timed-out, aborted and throttled executions of this state machine', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'ExecutionThrottled']) {
      expect(alarms[`Alarm${metric}`], metric).toMatchObject({
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'BackupStateMachine' } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
        OKActions: [topic],
      });
    }
  });

  it('alarms when the scheduler could not start a run', () => {
    expect(alarms.AlarmScheduleDeadLetters).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic],
    });
  });

  it('alarms when any target failed', () => {
    expect(alarms.AlarmTargetsFailed).toMatchObject({
      Namespace: 'BackupOrchestrator',
      MetricName: METRICS.failed,
      Dimensions: [{ Name: 'service', Value: SERVICE }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic],
    });
  });

  it('alarms per scheduled policy when backups are older than its RPO, treating silence as breaching', () => {
    const expected = policies.policies.filter((p) => p.rpoHours !== undefined && p.schedules.some((s) => s.enabled));
    const freshness = Object.entries(alarms).filter(([name]) => name.startsWith('AlarmFreshness'));
    expect(freshness).toHaveLength(expected.length);
    expect(expected.length).toBeGreaterThan(0);
    for (const p of expected) {
      const a = freshness.find(([, x]) => (x.Dimensions as { Value: string }[])[1]?.Value === p.name)?.[1];
      expect(a, p.name).toMatchObject({
        Namespace: 'BackupOrchestrator',
        MetricName: METRICS.age,
        Dimensions: [
          { Name: 'service', Value: SERVICE },
          { Name: 'Policy', Value: p.name },
        ],
        Statistic: 'Maximum',
        Threshold: p.rpoHours,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [topic],
      });
      expect((a?.Period as number) * (a?.EvaluationPeriods as number)).toBeLessThanOrEqual(604_800);
      expect((a?.Period as number) * (a?.EvaluationPeriods as number)).toBeGreaterThanOrEqual((p.rpoHours ?? 0) * 3600);
    }
  });

  it('has a dashboard whose body is valid JSON and names only metrics that are emitted', () => {
    const [, dash] = ofType('AWS::CloudWatch::Dashboard')[0] as [string, Resource];
    const body = (dash.Properties.DashboardBody as { 'Fn::Sub': string })['Fn::Sub']
      .replaceAll('${BackupStateMachine}', 'arn:aws:states:us-east-1:123456789012:stateMachine:x')
      .replaceAll('${AWS::Region}', 'us-east-1');
    const parsed = JSON.parse(body) as { widgets: { properties: { metrics: unknown[][] } }[] };
    expect(parsed.widgets.length).toBe(4);
    const named = new Set<string>();
    for (const w of parsed.widgets) {
      for (const m of w.properties.metrics) {
        if (typeof m[0] === 'string') {
          named.add(`${m[0]}/${m[1]}`);
          continue;
        }
        const expression = (m[0] as { expression: string }).expression;
        const search = /^SEARCH\('\{([^,]+),[^}]*\} MetricName="([^"]+)"/.exec(expression);
        named.add(search ? `${search[1]}/${search[2]}` : `unparsed: ${expression}`);
      }
    }
    const emitted = new Set([
      ...Object.values(METRICS).map((n) => `BackupOrchestrator/${n}`),
      ...['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'ExecutionThrottled'].map((n) => `AWS/States/${n}`),
    ]);
    for (const n of named) expect(emitted.has(n), n).toBe(true);
    expect([...named]).toEqual(expect.arrayContaining(['BackupOrchestrator/RecoveryPointAgeHours', 'BackupOrchestrator/TargetsFailed', 'AWS/States/ExecutionsFailed']));
  });
});
