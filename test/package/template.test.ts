/**
 * Assertions on the CloudFormation template that `serverless package` generated
 * (npm run test:package runs the package first).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../functions/runtime/config.js';
import { DRILL_KEYS, OWNERSHIP_KEYS } from '../../functions/domain/tags.js';
import { METRICS, SERVICE } from '../../functions/runtime/telemetry.js';

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
  'cloudwatch:GetMetricData': "the freshness check and the drills' monthly cap read the product's own metrics back",
  'rds:DescribeDBClusters': 'read-only: restore drills follow their clusters and find leaked ones',
  'rds:DescribeDBInstances': 'read-only: a validated copy drill follows its instance',
  'ec2:DescribeSubnets': 'read-only: an elastic restore looks up the drill subnets (a dependent action of RestoreClusterFromSnapshot)',
  'ec2:DescribeVpcs': 'read-only: a dependent action of RestoreClusterFromSnapshot',
  'ec2:DescribeSecurityGroups': 'read-only: a dependent action of RestoreClusterFromSnapshot',
  'ec2:DescribeVpcEndpoints': 'read-only: a dependent action of RestoreClusterFromSnapshot',
  'ec2:DescribeAvailabilityZones': 'read-only: a dependent action of RestoreClusterFromSnapshot',
  'ec2:DescribeVpcAttribute': 'read-only: a dependent action of RestoreClusterFromSnapshot',
  'xray:PutTraceSegments': 'X-Ray tracing (only with --param tracing=true)',
  'xray:PutTelemetryRecords': 'X-Ray tracing (only with --param tracing=true)',
  // The state machine's logging: CloudWatch Logs vended log delivery has no resource-level permission
  // (Step Functions developer guide, "Logging using CloudWatch Logs": these eight on "*").
  'logs:CreateLogDelivery': 'state machine logging (AWS requires *)',
  'logs:GetLogDelivery': 'state machine logging (AWS requires *)',
  'logs:UpdateLogDelivery': 'state machine logging (AWS requires *)',
  'logs:DeleteLogDelivery': 'state machine logging (AWS requires *)',
  'logs:ListLogDeliveries': 'state machine logging (AWS requires *)',
  'logs:PutResourcePolicy': 'state machine logging (AWS requires *)',
  'logs:DescribeResourcePolicies': 'state machine logging (AWS requires *)',
  'logs:DescribeLogGroups': 'state machine logging (AWS requires *)',
};
/** Writes that AWS requires on "*" (none may be another's). */
const STAR_WRITES = new Set(['logs:CreateLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:PutResourcePolicy']);
const WRITE = /:(Create|Copy|Delete|Add|Remove|Tag|Untag|Put|Start|Modify)/;

describe('packaged CloudFormation template', () => {
  it('holds the Standard state machines with the definitions from statemachine/', () => {
    const sm = ofType('AWS::StepFunctions::StateMachine');
    expect(sm.map(([name]) => name).sort()).toEqual(['BackupStateMachine', 'DrillStateMachine']);
    const drills = JSON.stringify((template.Resources.DrillStateMachine as Resource).Properties.DefinitionString);
    for (const state of ['Start Drills', 'Check Drills', 'Validate Drill Clusters', 'Clean Up Drills', 'Report Drills'])
      expect(drills).toContain(state);
    expect(template.Outputs.DrillStateMachineArn).toBeDefined();
    const machine = template.Resources.BackupStateMachine as Resource;
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
    const schedules = ofType('AWS::Scheduler::Schedule')
      .filter(([name]) => !['ScheduleFreshnessCheck', 'ScheduleCoverageAudit'].includes(name) && !name.startsWith('ScheduleDrill'))
      .map(([, r]) => r.Properties);
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
    expect(fns.length).toBe(13);
    const roleNames = new Set<string>();
    for (const [name, fn] of fns) {
      expect(fn.Properties.Runtime, name).toBe('nodejs22.x');
      const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(role, name).not.toBe('IamRoleLambdaExecution');
      roleNames.add(role);
    }
    expect(roleNames.size).toBe(fns.length);
    for (const [name, lg] of ofType('AWS::Logs::LogGroup')) expect(lg.Properties.RetentionInDays, name).toBeGreaterThan(0);
  });

  it('has no * action anywhere', () => {
    for (const { role, s } of allStatements) for (const a of asList(s.Action)) expect(a, role).not.toMatch(/\*/);
  });

  it('uses a * resource only for read-only list actions without resource-level permissions', () => {
    for (const { role, s } of allStatements) {
      if (!asList(s.Resource).includes('*')) continue;
      for (const a of asList(s.Action)) {
        expect(STAR_ALLOWED[a], `${role}: ${a} on *`).toBeDefined();
        if (!a.startsWith('xray:') && !STAR_WRITES.has(a)) expect(a).not.toMatch(WRITE);
      }
    }
  });

  it('conditions every snapshot delete on the ownership tag', () => {
    const deletes = allStatements.filter(({ s }) => asList(s.Action).some((a) => /^(rds|docdb-elastic):Delete.*Snapshot$/.test(a)));
    expect(deletes.length).toBeGreaterThanOrEqual(2);
    for (const { role, s } of deletes) {
      expect(s.Condition?.StringEquals?.[`aws:ResourceTag/${OWNERSHIP_KEYS.managedBy}`], role).toBe('backup-orchestrator');
    }
  });

  it('lets no role delete a cluster or an instance without the drill tag of a policy that drills', () => {
    const drillPolicies = policies.policies.filter((p) => p.restoreDrill).map((p) => p.name);
    expect(drillPolicies.length).toBeGreaterThan(0);
    const isClusterDelete = (a: string) => /^(docdb-elastic:DeleteCluster|rds:DeleteDBCluster|rds:DeleteDBInstance)$/.test(a);
    const clusterDeletes = allStatements.filter(({ s }) => asList(s.Action).some(isClusterDelete));
    expect(clusterDeletes.length).toBeGreaterThanOrEqual(2);
    for (const { role, s } of clusterDeletes) {
      // the delete actions share a statement with nothing else, and that statement requires the drill tag
      for (const a of asList(s.Action)) expect(isClusterDelete(a), `${role}: ${a}`).toBe(true);
      expect(s.Condition?.StringEquals?.[`aws:ResourceTag/${DRILL_KEYS.drill}`], role).toEqual(drillPolicies);
      expect(Object.keys(s.Condition ?? {}), role).toEqual(['StringEquals']);
    }
    // no EC2 delete at all, and no other statement names a cluster or instance delete
    for (const { role, s } of allStatements) for (const a of asList(s.Action)) expect(a, role).not.toMatch(/^ec2:(Delete|Modify)/);
  });

  it('creates drill clusters and instances only with the drill tag in the request', () => {
    const creates = allStatements.filter(({ s }) =>
      asList(s.Action).some((a) =>
        /^(docdb-elastic:(RestoreClusterFromSnapshot|CreateCluster)|rds:(RestoreDBClusterFromSnapshot|CreateDBInstance))$/.test(a),
      ),
    );
    expect(creates.length).toBeGreaterThan(0);
    for (const { role, s } of creates) expect(s.Condition?.StringEquals?.[`aws:RequestTag/${DRILL_KEYS.drill}`], role).toBeDefined();
  });

  it("limits KMS to the configured keys (key ARNs) and the allowed source accounts' keys, through RDS (and DocumentDB elastic for drills)", () => {
    const kms = allStatements.filter(({ s }) => asList(s.Action).some((a) => a.startsWith('kms:')));
    const keys = policies.policies.flatMap((p) => (p.copy?.kmsKeyId ? [p.copy.kmsKeyId] : []));
    expect(kms.length).toBeGreaterThan(0);
    for (const k of keys) expect(k).toMatch(/^arn:aws:kms:[a-z0-9-]+:\d{12}:key\/[a-f0-9-]+$/);
    const via = (service: string) => JSON.stringify({ 'Fn::Sub': `${service}.\${AWS::Region}.amazonaws.com` });
    for (const { role, s } of kms) {
      expect(s.Condition?.StringEquals?.['kms:ViaService']).toBeDefined();
      const services = asList(s.Condition?.StringEquals?.['kms:ViaService']).map((v) => JSON.stringify(v));
      // only the drill steps restore into elastic clusters, and only they may decrypt and make data keys
      const drill = /^(StartDrills|CheckDrills)IamRole/.test(role);
      expect(services.sort(), role).toEqual(drill ? [via('docdb-elastic'), via('rds')] : [via('rds')]);
      if (!drill) expect(asList(s.Action).sort(), role).toEqual(['kms:CreateGrant', 'kms:DescribeKey']);
      for (const r of asList(s.Resource)) {
        const text = JSON.stringify(r);
        const ok = keys.some((k) => text.includes(k)) || /:kms:\$\{AWS::Region\}:\d{12}:key\/\*/.test(text);
        expect(ok, text).toBe(true);
        expect(text).not.toContain(':${AWS::AccountId}:key/*');
        expect(text).not.toContain(':alias/');
      }
    }
  });

  it('creates and copies only in this account and region, copies only from the listed accounts, and tags only with the ownership tag in the request', () => {
    const sources = [...new Set(policies.policies.flatMap((p) => p.copy?.sourceAccounts ?? []))];
    for (const fn of ['StartOperationsIamRoleLambdaExecution', 'CheckOperationsIamRoleLambdaExecution']) {
      const st = statementsOf(template.Resources[fn] as Resource);
      const create = st.find((s) => asList(s.Action).includes('docdb-elastic:CreateClusterSnapshot'));
      for (const r of asList(create?.Resource)) expect(JSON.stringify(r)).toMatch(/:docdb-elastic:\$\{AWS::Region\}:\$\{AWS::AccountId\}:/);
      const copy = st.find((s) => asList(s.Action).includes('rds:CopyDBClusterSnapshot'));
      const copyResources = asList(copy?.Resource).map((r) => JSON.stringify(r));
      // the target: this account and region; the sources: the listed accounts, this region
      expect(copyResources).toContain(
        JSON.stringify({ 'Fn::Sub': 'arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster-snapshot:*' }),
      );
      expect(copyResources.filter((r) => !r.includes('${AWS::AccountId}')).sort()).toEqual(
        sources.map((a) => JSON.stringify({ 'Fn::Sub': `arn:\${AWS::Partition}:rds:\${AWS::Region}:${a}:cluster-snapshot:*` })).sort(),
      );
      // AWS authorises the tags of a create or copy as TagResource / AddTagsToResource: they need the ownership tag
      for (const action of ['docdb-elastic:TagResource', 'rds:AddTagsToResource']) {
        const tagging = st.filter((s) => asList(s.Action).includes(action));
        expect(tagging.length, action).toBeGreaterThan(0);
        for (const t of tagging)
          expect(t.Condition?.StringEquals?.[`aws:RequestTag/${OWNERSHIP_KEYS.managedBy}`], `${fn} ${action}`).toBe('backup-orchestrator');
      }
    }
  });

  it("lets the state machine invoke only this service's workflow functions, and log", () => {
    const role = template.Resources.StateMachineRole as Resource;
    expect((template.Resources.BackupStateMachine as Resource).Properties.RoleArn).toEqual({ 'Fn::GetAtt': ['StateMachineRole', 'Arn'] });
    const statements = statementsOf(role);
    const invoke = statements.filter((s) => asList(s.Action).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    const validators = policies.policies.flatMap((p) => (p.restoreDrill?.validation ? [p.restoreDrill.validation.functionArn] : []));
    for (const r of asList(invoke[0]?.Resource)) {
      if (typeof r === 'string' && validators.includes(r)) continue; // a policy's own drill validation function
      expect(JSON.stringify(r)).toMatch(
        /:function:backup-orchestrator-test-(validateInput|startOperations|checkOperations|applyTags|applyRetention|report|describeFailure|startDrills|checkDrills|cleanUpDrills|reportDrills)"/,
      );
    }
    for (const s of statements.filter((x) => x !== invoke[0])) for (const a of asList(s.Action)) expect(a).toMatch(/^logs:/);
  });

  it("lets the scheduler start only this stack's state machines, the freshness check and the coverage audit", () => {
    const role = template.Resources.SchedulerRole as Resource;
    const start = statementsOf(role).find((s) => asList(s.Action).includes('states:StartExecution'));
    expect(start?.Resource).toEqual([{ Ref: 'BackupStateMachine' }, { Ref: 'DrillStateMachine' }]);
    const invoke = statementsOf(role).find((s) => asList(s.Action).includes('lambda:InvokeFunction'));
    const targets = asList(invoke?.Resource).map((r) => JSON.stringify(r));
    expect(targets).toHaveLength(2);
    expect(targets[0]).toMatch(/:function:backup-orchestrator-test-checkFreshness"/);
    expect(targets[1]).toMatch(/:function:backup-orchestrator-test-auditCoverage"/);
  });

  it('audits coverage daily, and alarms on unprotected clusters, failed drills, slow restores and leaked drill clusters', () => {
    const audit = (template.Resources.ScheduleCoverageAudit as Resource).Properties;
    expect(audit.ScheduleExpression).toBe('rate(1 day)');
    expect(JSON.stringify(audit.Target)).toContain('AuditCoverageLambdaFunction');
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    const metricOf = (name: string) => alarms.filter((a) => a.MetricName === name);
    expect(metricOf(METRICS.unprotected)).toHaveLength(1);
    for (const p of policies.policies.filter((x) => x.restoreDrill)) {
      const dims = (a: Record<string, unknown>) => JSON.stringify(a.Dimensions);
      expect(
        metricOf(METRICS.drillFailed).filter((a) => dims(a).includes(`"${p.name}"`)),
        p.name,
      ).toHaveLength(1);
      expect(
        metricOf(METRICS.drillClustersAlive).filter((a) => dims(a).includes(`"${p.name}"`)),
        p.name,
      ).toHaveLength(1);
      const rto = metricOf(METRICS.restoreTime).filter((a) => dims(a).includes(`"${p.name}"`));
      if (p.restoreDrill?.rtoMinutes !== undefined) expect(rto.map((a) => a.Threshold)).toEqual([p.restoreDrill.rtoMinutes * 60]);
    }
    // drill schedules: only enabled ones are deployed (the shipped policy's drill schedule is off)
    const drillSchedules = ofType('AWS::Scheduler::Schedule').filter(([name]) => name.startsWith('ScheduleDrill'));
    const enabled = policies.policies.flatMap((p) => (p.restoreDrill?.schedules ?? []).filter((s) => s.enabled));
    expect(drillSchedules).toHaveLength(enabled.length);
  });

  it("logs each state machine's errors to its own log group with retention, without execution data by default", () => {
    const machines = ofType('AWS::StepFunctions::StateMachine').map(([name]) => name);
    expect(machines.sort()).toEqual(['BackupStateMachine', 'DrillStateMachine']);
    for (const [sm, logGroup, name] of [
      ['BackupStateMachine', 'StateMachineLogGroup', 'backup-orchestrator-test'],
      ['DrillStateMachine', 'DrillStateMachineLogGroup', 'backup-orchestrator-test-drills'],
    ] as const) {
      expect((template.Resources[sm] as Resource).Properties.LoggingConfiguration, sm).toEqual({
        Level: 'ERROR',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroup, 'Arn'] } } }],
      });
      const lg = template.Resources[logGroup] as Resource;
      expect(lg.Type, logGroup).toBe('AWS::Logs::LogGroup');
      expect(lg.Properties.LogGroupName, logGroup).toBe(`/aws/vendedlogs/states/${name}`);
      // the same retention as the functions' logs (logRetentionDays)
      expect(lg.Properties.RetentionInDays, logGroup).toBeGreaterThan(0);
      expect(lg.Properties.RetentionInDays, logGroup).toBe(
        (template.Resources.ValidateInputLogGroup as Resource).Properties.RetentionInDays,
      );
    }
  });

  it('checks freshness every 15 minutes', () => {
    const check = ofType('AWS::Scheduler::Schedule').find(([name]) => name === 'ScheduleFreshnessCheck')?.[1].Properties;
    expect(check).toMatchObject({
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Target: { Arn: { 'Fn::GetAtt': ['CheckFreshnessLambdaFunction', 'Arn'] } },
    });
  });

  it('tells the freshness check and Apply Retention when the stack was packaged (a new target counts from its first run after)', () => {
    for (const fn of ['CheckFreshnessLambdaFunction', 'ApplyRetentionLambdaFunction']) {
      const at = (resources.find(([name]) => name === fn)?.[1].Properties as { Environment?: { Variables?: Record<string, string> } })
        ?.Environment?.Variables?.DEPLOYED_AT;
      expect(at, fn).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(Math.abs(Date.parse(at as string) - Date.now()), fn).toBeLessThan(86_400_000);
    }
  });
});

describe("cfn-lint (AWS's CloudFormation linter)", () => {
  const which = spawnSync('sh', ['-c', 'command -v cfn-lint'], { encoding: 'utf8' });
  const cfnLint = which.status === 0 ? which.stdout.trim() : '';
  if (!cfnLint && process.env.BO_REQUIRE_SECOND_OPINIONS) throw new Error('cfn-lint is not on PATH, and .ci/run requires it');
  if (!cfnLint) console.log('cfn-lint: skipped: cfn-lint is not installed (pip install cfn-lint; .ci/run requires it)');
  /**
   * Warnings left, each with its reason:
   * - W3005 "dependency already enforced by a GetAtt": serverless-iam-roles-per-function writes a DependsOn
   *   on each function's role that its Role GetAtt already implies. Redundant, harmless, not ours to write.
   */
  const EXPLAINED = new Set(['W3005']);

  it.skipIf(!cfnLint)(
    'finds no error in the packaged template, and only explained warnings',
    () => {
      const file = join(mkdtempSync(join(tmpdir(), 'bo-cfn-')), 'template.json');
      writeFileSync(file, JSON.stringify(template));
      const r = spawnSync(cfnLint, ['--format', 'parseable', file], { encoding: 'utf8', timeout: 120_000 });
      const rules = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => /:([EWI]\d{4}):/.exec(l)?.[1] ?? l);
      expect(
        rules.filter((x) => x.startsWith('E')),
        r.stdout,
      ).toEqual([]);
      expect(
        rules.filter((x) => !EXPLAINED.has(x)),
        r.stdout,
      ).toEqual([]);
      expect(r.status === 0 || rules.length > 0, r.stderr).toBe(true);
    },
    120_000,
  );
});

describe('serverless package', () => {
  const ROOT = new URL('../..', import.meta.url).pathname;
  /** Packages with another policy file (and flags) into a folder of its own; resolves with the output and the template. */
  const pkg = (policyFile: string, args: string[] = []) =>
    new Promise<{
      code: number | null;
      out: string;
      template?: typeof template;
      state?: { service: { provider: { stackTags?: Record<string, string> } } };
    }>((done) => {
      const dir = mkdtempSync(join(tmpdir(), 'bo-pkg-'));
      const child = spawn('npx', ['serverless', 'package', '--package', dir, ...args], {
        cwd: ROOT,
        env: { ...process.env, POLICY_FILE: policyFile },
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => {
        const path = join(dir, 'cloudformation-template-update-stack.json');
        const ok = code === 0 && existsSync(path);
        done({
          code,
          out,
          ...(ok
            ? {
                template: JSON.parse(readFileSync(path, 'utf8')) as typeof template,
                state: JSON.parse(readFileSync(join(dir, 'serverless-state.json'), 'utf8')),
              }
            : {}),
        });
      });
    });

  it('fails on an invalid policy file, naming the policy, field and rule', async () => {
    const r = await pkg('test/fixtures/invalid-policies.yml', ['--stage', 'bad']);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('policy "daily": retention.keepDaily:');
  }, 120_000);

  it('refuses, before anything is deployed, what would fail at or after deploy, saying which setting and why', async () => {
    const cases: [string, RegExp][] = [
      [
        'kms-alias.yml',
        /policy "daily": copy\.kmsKeyId: must be a key ARN .*an alias or a bare key id grants nothing, because KMS authorises on the key ARN/,
      ],
      ['other-region.yml', /policy "daily": elastic\.clusterArns\.0: .* is in eu-west-1, but the stack deploys to us-east-1/],
      [
        'kms-other-region.yml',
        /policy "daily": copy\.kmsKeyId: arn:aws:kms:eu-west-1:123456789012:key\/[a-f0-9-]+ is in eu-west-1, but the stack deploys to us-east-1/,
      ],
      ['deadline-too-long.yml', /policy "daily": deadlines\.copyMinutes: 10080 minutes cannot be kept: a run may take 66 h/],
      ['loop-too-long.yml', /settings\.poll: 1000 checks \(maxIterations\) wait up to [\d.]+ h, but a run may take 66 h/],
    ];
    const results = await Promise.all(
      cases.map(([file]) => pkg(`test/fixtures/deploy/${file}`, ['--stage', 'bad', '--region', 'us-east-1'])),
    );
    results.forEach((r, i) => {
      expect(r.code, cases[i]?.[0]).not.toBe(0);
      expect(r.out, cases[i]?.[0]).toMatch(cases[i]?.[1] as RegExp);
    });
  }, 120_000);

  it('logs execution data from both state machines with --param logExecutionData=true', async () => {
    const r = await pkg('policies.yml', ['--stage', 'test', '--region', 'us-east-1', '--param', 'logExecutionData=true']);
    expect(r.code, r.out.slice(-2000)).toBe(0);
    const t = r.template as typeof template;
    for (const sm of ['BackupStateMachine', 'DrillStateMachine'])
      expect((t.Resources[sm] as Resource).Properties.LoggingConfiguration, sm).toMatchObject({
        Level: 'ERROR',
        IncludeExecutionData: true,
      });
  }, 120_000);

  it("fits every generated name in AWS's limits: the longest policy name, a long stage, a role-name prefix; shortened names stay unique", async () => {
    const stage = 'preproduction-europe-central-blue';
    const r = await pkg('test/fixtures/deploy/longest-names.yml', [
      '--stage',
      stage,
      '--region',
      'ap-southeast-2',
      '--param',
      'roleNamePrefix=acme-platform-',
      '--param',
      'permissionsBoundary=arn:aws:iam::123456789012:policy/acme-boundary',
      '--param',
      'stackTags=team=platform,cost-center=42',
    ]);
    expect(r.code, r.out.slice(-2000)).toBe(0);
    const t = r.template as typeof template;
    const res = Object.entries(t.Resources);
    const names = (type: string, prop: string) => res.filter(([, x]) => x.Type === type).map(([, x]) => x.Properties[prop] as string);
    const roles = names('AWS::IAM::Role', 'RoleName');
    const functions = names('AWS::Lambda::Function', 'FunctionName');
    const schedules = names('AWS::Scheduler::Schedule', 'Name');
    expect(roles.length).toBe(16); // 13 functions, the framework's, the scheduler's and the state machines'
    for (const n of roles) {
      expect(n.length, n).toBeLessThanOrEqual(64);
      expect(n.startsWith('acme-platform-'), n).toBe(true);
      expect(n).toMatch(/^[\w+=,.@-]+$/);
    }
    for (const n of functions) expect(n.length, n).toBeLessThanOrEqual(64);
    for (const n of schedules) {
      expect(n.length, n).toBeLessThanOrEqual(64);
      expect(n).toMatch(/^[0-9a-zA-Z-_.]+$/);
    }
    expect(schedules).toHaveLength(5); // two of the policy, its drill's, the freshness check, the coverage audit
    for (const list of [roles, functions, schedules]) expect(new Set(list.map((n) => n.toLowerCase())).size).toBe(list.length);
    for (const sm of ['BackupStateMachine', 'DrillStateMachine'])
      expect(((t.Resources[sm] as Resource).Properties.StateMachineName as string).length, sm).toBeLessThanOrEqual(80);
    // every role carries the boundary; the stack carries the tags (CloudFormation puts them on every resource it can)
    for (const [name, role] of res.filter(([, x]) => x.Type === 'AWS::IAM::Role'))
      expect(role.Properties.PermissionsBoundary, name).toBe('arn:aws:iam::123456789012:policy/acme-boundary');
    expect(r.state?.service.provider.stackTags).toEqual({ team: 'platform', 'cost-center': '42' });
  }, 180_000);
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

  it('alarms per scheduled policy within one 15-minute period of a target passing its RPO, and when the freshness check falls silent', () => {
    const expected = policies.policies.filter((p) => p.rpoHours !== undefined && p.schedules.some((s) => s.enabled));
    const freshness = Object.entries(alarms).filter(([name]) => name.startsWith('AlarmFreshness') && name !== 'AlarmFreshnessCheckSilent');
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
        Period: 900,
        EvaluationPeriods: 1,
        Threshold: p.rpoHours,
        ComparisonOperator: 'GreaterThanThreshold',
        // a new stack has no figure yet: not an alarm (the check counts a new policy from its first scheduled run)
        TreatMissingData: 'ignore',
        AlarmActions: [topic],
      });
    }
    expect(alarms.AlarmFreshnessCheckSilent).toMatchObject({
      MetricName: METRICS.checked,
      Period: 900,
      EvaluationPeriods: 3,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('has a dashboard whose body is valid JSON and names only metrics that are emitted', () => {
    const [, dash] = ofType('AWS::CloudWatch::Dashboard')[0] as [string, Resource];
    const body = (dash.Properties.DashboardBody as { 'Fn::Sub': string })['Fn::Sub']
      .replaceAll('${BackupStateMachine}', 'arn:aws:states:us-east-1:123456789012:stateMachine:x')
      .replaceAll('${AWS::Region}', 'us-east-1');
    const parsed = JSON.parse(body) as { widgets: { properties: { metrics: unknown[][] } }[] };
    expect(parsed.widgets.length).toBe(6);
    const named = new Set<string>();
    for (const w of parsed.widgets) {
      for (const m of w.properties.metrics) {
        if (typeof m[0] === 'string') {
          named.add(`${m[0]}/${String(m[1])}`);
          continue;
        }
        const expression = (m[0] as { expression: string }).expression;
        const search = /^SEARCH\('\{([^,]+),[^}]*\} MetricName="([^"]+)"/.exec(expression);
        named.add(search ? `${search[1]}/${search[2]}` : `unparsed: ${expression}`);
      }
    }
    const emitted = new Set([
      ...Object.values(METRICS).map((n) => `BackupOrchestrator/${n}`),
      ...['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'ExecutionThrottled'].map(
        (n) => `AWS/States/${n}`,
      ),
    ]);
    for (const n of named) expect(emitted.has(n), n).toBe(true);
    expect([...named]).toEqual(
      expect.arrayContaining([
        'BackupOrchestrator/RecoveryPointAgeHours',
        'BackupOrchestrator/TargetsFailed',
        'AWS/States/ExecutionsFailed',
      ]),
    );
  });
});
