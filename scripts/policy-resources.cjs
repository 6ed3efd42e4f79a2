// Reads and validates the policy file at `serverless package` time (an invalid file fails the package),
// checks what would fail at or after deploy (deadlines and loop bounds that cannot fit in a run, ARNs of
// another region, names past AWS's limits: functions/domain/deploy.ts), and derives from it what
// serverless.yml needs: names, schedules, each function's least-privilege IAM statements, the state
// machine's role and logging, alarms and the dashboard.
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const tsx = require('tsx/cjs/api');

const { parsePolicyYaml } = tsx.require('../functions/domain/policy.ts', __filename);
const { OWNERSHIP_KEYS, MANAGED_BY_VALUE, DRILL_KEYS } = tsx.require('../functions/domain/tags.ts', __filename);
const { METRICS, DIMENSIONS, SERVICE } = tsx.require('../functions/runtime/telemetry.ts', __filename);
const { deployProblems, generatedNames, FUNCTION_KEYS } = tsx.require('../functions/domain/deploy.ts', __filename);

/** A trust policy for an AWS service acting for this account only (confused-deputy guard). */
function assumedBy(service) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ],
  };
}

function load() {
  const path = resolve(__dirname, '..', process.env.POLICY_FILE || 'policies.yml');
  try {
    return parsePolicyYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`invalid policy file ${path}: ${err.message}`);
  }
}

async function deployContext(resolveVariable) {
  return {
    service: String(await resolveVariable('self:service')),
    stage: String(await resolveVariable('sls:stage')),
    region: String(await resolveVariable('self:provider.region')),
    roleNamePrefix: String(await resolveVariable("param:roleNamePrefix, ''")),
  };
}

/** The policy file, checked for what would fail at or after deploy; the names the stack uses. */
async function checked(resolveVariable) {
  const file = load();
  const ctx = await deployContext(resolveVariable);
  const problems = deployProblems(file, ctx);
  if (problems.length > 0) throw new Error(`the policy file cannot be deployed:\n  - ${problems.join('\n  - ')}`);
  return { file, ctx, names: generatedNames(file, ctx) };
}

/** Names of the stack's functions, roles and state machine (shortened where AWS's limits need it). */
module.exports.names = async ({ resolveVariable }) => (await checked(resolveVariable)).names;

/** The time of packaging: a policy no run has reported on yet counts from its first scheduled run after it. */
module.exports.packagedAt = () => new Date().toISOString();

/** Tags on every resource of the stack: `--param stackTags=team=platform,cost-center=42`. */
module.exports.stackTags = async ({ resolveVariable }) => {
  const raw = String(await resolveVariable("param:stackTags, ''"));
  const tags = {};
  for (const pair of raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [k, ...v] = pair.split('=');
    if (!k || v.length === 0) throw new Error(`--param stackTags: "${pair}" is not key=value (write team=platform,cost-center=42)`);
    tags[k.trim()] = v.join('=').trim();
  }
  return tags;
};

const logicalId = (text) => text.replace(/[^A-Za-z0-9]/g, '');

/** AWS::Scheduler::Schedule per enabled policy schedule (retry policy, dead-letter queue), and the freshness check's. */
module.exports.schedules = async ({ resolveVariable }) => {
  const { file, names } = await checked(resolveVariable);
  const resources = {};
  // A run of a state machine per enabled schedule: its retry policy and the dead-letter queue.
  const startsRun = (name, description, s, machine, input) => ({
    Type: 'AWS::Scheduler::Schedule',
    Properties: {
      Name: name,
      Description: description,
      ScheduleExpression: s.expression,
      ScheduleExpressionTimezone: s.timezone,
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { Ref: machine },
        RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
        Input: JSON.stringify(input),
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'Arn'] } },
      },
    },
  });
  for (const policy of file.policies) {
    policy.schedules.forEach((s, i) => {
      if (!s.enabled) return;
      resources[`Schedule${logicalId(policy.name)}${i + 1}`] = startsRun(
        names.schedules[`${policy.name}-${i + 1}`],
        `backup-orchestrator policy ${policy.name}, schedule ${i + 1}`,
        s,
        'BackupStateMachine',
        // The scheduled time makes a retried or duplicated start land on the same slot: no duplicates.
        { policy: policy.name, scheduledTime: '<aws.scheduler.scheduled-time>' },
      );
    });
    (policy.restoreDrill?.schedules ?? []).forEach((s, i) => {
      if (!s.enabled) return;
      resources[`ScheduleDrill${logicalId(policy.name)}${i + 1}`] = startsRun(
        names.schedules[`drill-${policy.name}-${i + 1}`],
        `backup-orchestrator restore drill of policy ${policy.name}, schedule ${i + 1}`,
        s,
        'DrillStateMachine',
        { policy: policy.name },
      );
    });
  }
  resources.ScheduleCoverageAudit = {
    Type: 'AWS::Scheduler::Schedule',
    Properties: {
      Name: names.schedules['coverage-audit'],
      Description: 'backup-orchestrator: classifies every cluster as protected, excluded, allowed or unprotected',
      ScheduleExpression: 'rate(1 day)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
      Target: {
        Arn: { 'Fn::GetAtt': ['AuditCoverageLambdaFunction', 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 3 },
      },
    },
  };
  resources.ScheduleFreshnessCheck = {
    Type: 'AWS::Scheduler::Schedule',
    Properties: {
      Name: names.schedules['freshness-check'],
      Description: 'backup-orchestrator: keeps each policy recovery point age current between runs',
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': ['CheckFreshnessLambdaFunction', 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
        RetryPolicy: { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 3 },
      },
    },
  };
  return resources;
};

/**
 * The roles that are not a function's own: the scheduler's, and the state machine's (its own, so its
 * name carries the prefix and its boundary is set like every other role's). The state machine's log
 * delivery permissions must be on "*": CloudWatch Logs' vended log delivery has no resource-level
 * permission (Step Functions developer guide, "Logging using CloudWatch Logs").
 */
module.exports.roles = async ({ resolveVariable }) => {
  const { file, names } = await checked(resolveVariable);
  const boundary = String(await resolveVariable("param:permissionsBoundary, ''"));
  const withBoundary = boundary ? { PermissionsBoundary: boundary } : {};
  const fn = (key) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${names.functions[key]}` });
  const workflowFunctions = FUNCTION_KEYS.filter((k) => k !== 'checkFreshness' && k !== 'auditCoverage');
  // The drill workflow invokes each policy's own validation function (lambda:invoke), and only those.
  const validators = [
    ...new Set(file.policies.flatMap((p) => (p.restoreDrill?.validation ? [p.restoreDrill.validation.functionArn] : []))),
  ];
  return {
    SchedulerRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: names.roles.scheduler,
        ...withBoundary,
        AssumeRolePolicyDocument: assumedBy('scheduler.amazonaws.com'),
        Policies: [
          {
            PolicyName: 'start-backup-runs',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'states:StartExecution',
                  Resource: [{ Ref: 'BackupStateMachine' }, { Ref: 'DrillStateMachine' }],
                },
                { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'Arn'] } },
                { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [fn('checkFreshness'), fn('auditCoverage')] },
              ],
            },
          },
        ],
      },
    },
    StateMachineRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: names.roles.stateMachine,
        ...withBoundary,
        AssumeRolePolicyDocument: assumedBy('states.amazonaws.com'),
        Policies: [
          {
            PolicyName: 'run-backups',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'lambda:InvokeFunction',
                  // the functions, and their versions and aliases
                  Resource: [...workflowFunctions.flatMap((k) => [fn(k), { 'Fn::Join': [':', [fn(k), '*']] }]), ...validators],
                },
                {
                  Effect: 'Allow',
                  Action: [
                    'logs:CreateLogDelivery',
                    'logs:GetLogDelivery',
                    'logs:UpdateLogDelivery',
                    'logs:DeleteLogDelivery',
                    'logs:ListLogDeliveries',
                    'logs:PutResourcePolicy',
                    'logs:DescribeResourcePolicies',
                    'logs:DescribeLogGroups',
                  ],
                  Resource: '*',
                },
              ],
            },
          },
        ],
      },
    },
  };
};

const region = '${AWS::Region}';
const account = '${AWS::AccountId}';
const sub = (s) => ({ 'Fn::Sub': s });
const ownSnapshots = sub(`arn:\${AWS::Partition}:rds:${region}:${account}:cluster-snapshot:*`);
const elasticSnapshots = sub(`arn:\${AWS::Partition}:docdb-elastic:${region}:${account}:cluster-snapshot/*`);
const elasticClusters = sub(`arn:\${AWS::Partition}:docdb-elastic:${region}:${account}:cluster/*`);
const managedResource = { StringEquals: { [`aws:ResourceTag/${OWNERSHIP_KEYS.managedBy}`]: MANAGED_BY_VALUE } };
const managedRequest = { StringEquals: { [`aws:RequestTag/${OWNERSHIP_KEYS.managedBy}`]: MANAGED_BY_VALUE } };

// List and describe calls have no resource-level permission in these APIs: they are the only `*`.
const READ_ELASTIC = {
  Effect: 'Allow',
  Action: ['docdb-elastic:ListClusters', 'docdb-elastic:ListClusterSnapshots'],
  Resource: '*',
};
const READ_RDS = { Effect: 'Allow', Action: ['rds:DescribeDBClusterSnapshots'], Resource: '*' };
const ELASTIC_TAGS_READ = {
  Effect: 'Allow',
  Action: ['docdb-elastic:ListTagsForResource'],
  Resource: [elasticClusters, elasticSnapshots],
};

function operationStatements(file) {
  const sources = [...new Set(file.policies.flatMap((p) => (p.copy ? p.copy.sourceAccounts : [])))];
  const keys = [...new Set(file.policies.flatMap((p) => (p.copy?.kmsKeyId ? [p.copy.kmsKeyId] : [])))];
  const statements = [
    READ_ELASTIC,
    READ_RDS,
    ELASTIC_TAGS_READ,
    {
      // Create a snapshot of any cluster in this account/region; the new snapshot must carry the ownership tag.
      Effect: 'Allow',
      Action: ['docdb-elastic:CreateClusterSnapshot'],
      Resource: [elasticClusters, elasticSnapshots],
    },
    { Effect: 'Allow', Action: ['docdb-elastic:TagResource'], Resource: [elasticSnapshots], Condition: managedRequest },
  ];
  if (sources.length > 0) {
    statements.push(
      {
        Effect: 'Allow',
        Action: ['rds:CopyDBClusterSnapshot'],
        Resource: [...sources.map((a) => sub(`arn:\${AWS::Partition}:rds:${region}:${a}:cluster-snapshot:*`)), ownSnapshots],
      },
      { Effect: 'Allow', Action: ['rds:AddTagsToResource'], Resource: [ownSnapshots], Condition: managedRequest },
      // Cancelling an overdue copy deletes its target: only snapshots the orchestrator tagged as its own.
      {
        Effect: 'Allow',
        Action: ['rds:DeleteDBClusterSnapshot'],
        Resource: [ownSnapshots],
        Condition: managedResource,
      },
    );
  }
  if (keys.length > 0) {
    statements.push({
      Effect: 'Allow',
      Action: ['kms:CreateGrant', 'kms:DescribeKey'],
      Resource: [...keys, ...sources.map((a) => sub(`arn:\${AWS::Partition}:kms:${region}:${a}:key/*`))],
      Condition: { StringEquals: { 'kms:ViaService': sub(`rds.${region}.amazonaws.com`) } },
    });
  }
  return statements;
}

const rdsArn = (type) => sub(`arn:\${AWS::Partition}:rds:${region}:${account}:${type}:*`);
const drillPolicies = (file) => file.policies.filter((p) => p.restoreDrill);
/** Deleting a cluster or instance is allowed only when it carries a drill tag of one of the policies. */
const drillResource = (file) => ({ StringEquals: { [`aws:ResourceTag/${DRILL_KEYS.drill}`]: drillPolicies(file).map((p) => p.name) } });
const drillRequest = (file) => ({ StringEquals: { [`aws:RequestTag/${DRILL_KEYS.drill}`]: drillPolicies(file).map((p) => p.name) } });
const DRILL_READS = [
  { Effect: 'Allow', Action: ['docdb-elastic:GetCluster'], Resource: [elasticClusters] },
  // Describe calls have no resource-level permission for listing every cluster and instance.
  { Effect: 'Allow', Action: ['rds:DescribeDBClusters', 'rds:DescribeDBInstances'], Resource: '*' },
];

/** Deleting drill clusters: only with the drill tag (a production cluster, untagged, can never be deleted). */
function drillDeleteStatements(file) {
  if (drillPolicies(file).length === 0) return [];
  return [
    ...DRILL_READS,
    { Effect: 'Allow', Action: ['docdb-elastic:DeleteCluster'], Resource: [elasticClusters], Condition: drillResource(file) },
    {
      Effect: 'Allow',
      Action: ['rds:DeleteDBCluster', 'rds:DeleteDBInstance'],
      Resource: [rdsArn('cluster'), rdsArn('db')],
      Condition: drillResource(file),
    },
  ];
}

/** Starting restores: the new cluster (and instance) must carry the drill tag; the snapshot restored is the orchestrator's. */
function drillRestoreStatements(file) {
  const drills = drillPolicies(file);
  if (drills.length === 0) return [];
  const keys = [
    ...new Set(
      drills.flatMap((p) => [p.restoreDrill.elastic?.kmsKeyId, p.restoreDrill.copies?.kmsKeyId, p.copy?.kmsKeyId].filter(Boolean)),
    ),
  ];
  const subnets = [...new Set(drills.flatMap((p) => p.restoreDrill.elastic?.subnetIds ?? []))];
  const groups = [...new Set(drills.flatMap((p) => p.restoreDrill.elastic?.vpcSecurityGroupIds ?? []))];
  const ec2 = (type, id) => sub(`arn:\${AWS::Partition}:ec2:${region}:${account}:${type}/${id}`);
  const statements = [
    ...drillDeleteStatements(file),
    // The snapshot a drill restores is tagged drill-until first (retention keeps it), then its result.
    { Effect: 'Allow', Action: ['docdb-elastic:TagResource'], Resource: [elasticSnapshots], Condition: managedResource },
    { Effect: 'Allow', Action: ['rds:AddTagsToResource'], Resource: [ownSnapshots], Condition: managedResource },
    {
      // RestoreClusterFromSnapshot also authorizes CreateCluster and TagResource (Service Authorization Reference).
      Effect: 'Allow',
      Action: ['docdb-elastic:RestoreClusterFromSnapshot', 'docdb-elastic:CreateCluster', 'docdb-elastic:TagResource'],
      Resource: [elasticClusters, elasticSnapshots],
      Condition: drillRequest(file),
    },
    {
      Effect: 'Allow',
      Action: ['rds:RestoreDBClusterFromSnapshot', 'rds:CreateDBInstance', 'rds:AddTagsToResource'],
      Resource: [rdsArn('cluster'), rdsArn('db'), ownSnapshots, rdsArn('subgrp'), rdsArn('cluster-pg'), rdsArn('og')],
      Condition: drillRequest(file),
    },
  ];
  if (subnets.length > 0) {
    statements.push(
      {
        // An elastic cluster's network endpoints: created in the configured subnets and security groups only.
        Effect: 'Allow',
        Action: ['ec2:CreateVpcEndpoint'],
        Resource: [
          ...subnets.map((s) => ec2('subnet', s)),
          ...groups.map((g) => ec2('security-group', g)),
          ec2('vpc', '*'),
          ec2('vpc-endpoint', '*'),
        ],
      },
      // Tags only on the endpoints the restore creates; no EC2 delete or modify permission is granted.
      {
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: [ec2('vpc-endpoint', '*')],
        Condition: { StringEquals: { 'ec2:CreateAction': 'CreateVpcEndpoint' } },
      },
      {
        // EC2's Describe actions have no resource-level permission.
        Effect: 'Allow',
        Action: [
          'ec2:DescribeSubnets',
          'ec2:DescribeVpcs',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeVpcEndpoints',
          'ec2:DescribeAvailabilityZones',
          'ec2:DescribeVpcAttribute',
        ],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: ['iam:CreateServiceLinkedRole'],
        Resource: sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/docdb-elastic.amazonaws.com/*'),
        Condition: { StringEquals: { 'iam:AWSServiceName': 'docdb-elastic.amazonaws.com' } },
      },
    );
  }
  if (keys.length > 0) {
    statements.push({
      Effect: 'Allow',
      Action: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: keys,
      Condition: { StringEquals: { 'kms:ViaService': [sub(`rds.${region}.amazonaws.com`), sub(`docdb-elastic.${region}.amazonaws.com`)] } },
    });
  }
  return statements;
}

/** Per-function IAM statements (serverless-iam-roles-per-function). */
module.exports.iam = async ({ resolveVariable }) => {
  const { file } = await checked(resolveVariable);
  const tracing = String(await resolveVariable("param:tracing, 'false'")) === 'true';
  // X-Ray has no resource-level permissions: with tracing on, every function may send its segments.
  const xray = tracing ? [{ Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' }] : [];
  const withXray = (statements) => [...statements, ...xray];
  return Object.fromEntries(Object.entries(statementsByFunction(file)).map(([fn, s]) => [fn, withXray(s)]));
};

function statementsByFunction(file) {
  return {
    // Validation and reporting touch no AWS API; the log permissions come with the role.
    validateInput: [],
    report: [],
    describeFailure: [],
    // GetMetricData has no resource-level permission: it must be "*" (reads the run's own metrics back).
    checkFreshness: [{ Effect: 'Allow', Action: ['cloudwatch:GetMetricData'], Resource: '*' }],
    startOperations: operationStatements(file),
    checkOperations: operationStatements(file),
    applyTags: [
      READ_RDS,
      ELASTIC_TAGS_READ,
      { Effect: 'Allow', Action: ['rds:AddTagsToResource'], Resource: [ownSnapshots], Condition: managedResource },
      {
        Effect: 'Allow',
        Action: ['docdb-elastic:TagResource'],
        Resource: [elasticSnapshots],
        Condition: managedResource,
      },
    ],
    startDrills: [
      READ_ELASTIC,
      READ_RDS,
      ELASTIC_TAGS_READ,
      // The monthly cluster-hour cap reads the drills' own metric back; GetMetricData has no resource-level permission.
      { Effect: 'Allow', Action: ['cloudwatch:GetMetricData'], Resource: '*' },
      ...drillRestoreStatements(file),
    ],
    checkDrills: [READ_ELASTIC, READ_RDS, ELASTIC_TAGS_READ, ...drillRestoreStatements(file)],
    cleanUpDrills: [READ_ELASTIC, ELASTIC_TAGS_READ, ...drillDeleteStatements(file)],
    reportDrills: [],
    auditCoverage: [READ_ELASTIC, READ_RDS, ELASTIC_TAGS_READ],
    applyRetention: [
      READ_ELASTIC,
      READ_RDS,
      ELASTIC_TAGS_READ,
      // A target with no recovery point counts from its first scheduled run after the cluster was created,
      // and a dry run reads the status of a cluster named by ARN: both ask GetCluster.
      { Effect: 'Allow', Action: ['docdb-elastic:GetCluster'], Resource: [elasticClusters] },
      // A delete that meets a conflict looks at the snapshot (being deleted, or gone?) before reporting it.
      { Effect: 'Allow', Action: ['docdb-elastic:GetClusterSnapshot'], Resource: [elasticSnapshots] },
      {
        Effect: 'Allow',
        Action: ['docdb-elastic:DeleteClusterSnapshot'],
        Resource: [elasticSnapshots],
        Condition: managedResource,
      },
      {
        Effect: 'Allow',
        Action: ['rds:DeleteDBClusterSnapshot'],
        Resource: [ownSnapshots],
        Condition: managedResource,
      },
    ],
  };
}

const STATES_ALARMS = [
  ['ExecutionsFailed', 'a run failed: invalid input, or a step failed after its retries'],
  ['ExecutionsTimedOut', 'a run exceeded the state machine timeout'],
  ['ExecutionsAborted', 'a run was stopped by hand or by a redeploy'],
  ['ExecutionThrottled', 'Step Functions throttled state transitions of the workflow'],
];

/**
 * Alarms, the alarm topic and the dashboard. `param`s: alarmTopicArn (use an existing topic),
 * alarmEmail (subscribe an address), metricsNamespace.
 */
module.exports.monitoring = async ({ resolveVariable }) => {
  const { file } = await checked(resolveVariable);
  const namespace = await resolveVariable("param:metricsNamespace, 'BackupOrchestrator'");
  const existingTopic = await resolveVariable("param:alarmTopicArn, ''");
  const email = await resolveVariable("param:alarmEmail, ''");
  const resources = {};
  const topic = existingTopic || { Ref: 'AlarmTopic' };
  if (!existingTopic) {
    resources.AlarmTopic = { Type: 'AWS::SNS::Topic', Properties: { DisplayName: 'backup-orchestrator alarms' } };
    if (email) {
      resources.AlarmEmailSubscription = {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: email },
      };
    }
  }
  const actions = { AlarmActions: [topic], OKActions: [topic] };
  const stack = (suffix) => ({ 'Fn::Sub': `\${AWS::StackName}-${suffix}` });
  for (const [metric, meaning] of STATES_ALARMS) {
    resources[`Alarm${metric}`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: stack(metric),
        AlarmDescription: `backup-orchestrator: ${meaning}. See docs/operations.md, Alarms.`,
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'BackupStateMachine' } }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        ...actions,
      },
    };
  }
  resources.AlarmTargetsFailed = {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: stack('TargetsFailed'),
      AlarmDescription:
        'backup-orchestrator: a run completed PARTIAL: some targets failed (see the run output). See docs/operations.md, Alarms.',
      Namespace: namespace,
      MetricName: METRICS.failed,
      Dimensions: [{ Name: DIMENSIONS.service, Value: SERVICE }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ...actions,
    },
  };
  resources.AlarmScheduleDeadLetters = {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: stack('ScheduleDeadLetters'),
      AlarmDescription:
        'backup-orchestrator: EventBridge Scheduler could not start a run after its retries (see the dead-letter queue). See docs/operations.md, Alarms.',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ...actions,
    },
  };
  for (const policy of freshnessPolicies(file)) {
    resources[`AlarmFreshness${logicalId(policy.name)}`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: stack(`Freshness-${policy.name}`),
        AlarmDescription: `backup-orchestrator: policy ${policy.name} has a current target whose newest recovery point is older than ${policy.rpoHours} h (or, with none, whose first scheduled run is). See docs/operations.md, Alarms.`,
        Namespace: namespace,
        MetricName: METRICS.age,
        Dimensions: [
          { Name: DIMENSIONS.service, Value: SERVICE },
          { Name: DIMENSIONS.policy, Value: policy.name },
        ],
        Statistic: 'Maximum',
        // The freshness check emits the age every 15 minutes: the alarm fires within one period of a
        // target passing its RPO. A period without a figure keeps the alarm as it was; the check's own
        // silence has its alarm below.
        Period: 900,
        EvaluationPeriods: 1,
        Threshold: policy.rpoHours,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'ignore',
        ...actions,
      },
    };
  }
  if (freshnessPolicies(file).length > 0) {
    resources.AlarmFreshnessCheckSilent = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: stack('FreshnessCheckSilent'),
        AlarmDescription:
          'backup-orchestrator: the freshness check has not reported for 45 minutes (its schedule, its function or its permissions are broken), so the freshness alarms see nothing new. See docs/operations.md, Alarms.',
        Namespace: namespace,
        MetricName: METRICS.checked,
        Dimensions: [{ Name: DIMENSIONS.service, Value: SERVICE }],
        Statistic: 'Sum',
        Period: 900,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        ...actions,
      },
    };
  }
  for (const [metric, meaning] of STATES_ALARMS.filter(([m]) => m === 'ExecutionsFailed' || m === 'ExecutionsTimedOut')) {
    resources[`AlarmDrill${metric}`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: stack(`Drill${metric}`),
        AlarmDescription: `backup-orchestrator restore drills: ${meaning.replace('a run', 'a drill run')}. See docs/operations.md, Alarms.`,
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'DrillStateMachine' } }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        ...actions,
      },
    };
  }
  const policyDims = (p) => [
    { Name: DIMENSIONS.service, Value: SERVICE },
    { Name: DIMENSIONS.policy, Value: p.name },
  ];
  for (const p of file.policies.filter((x) => x.restoreDrill)) {
    const id = logicalId(p.name);
    const alarm = (name, description, props) => ({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: stack(`${name}-${p.name}`),
        AlarmDescription: `backup-orchestrator: ${description}. See docs/operations.md, Alarms.`,
        Namespace: namespace,
        Dimensions: policyDims(p),
        Period: 3600,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        ...props,
        ...actions,
      },
    });
    resources[`AlarmDrillFailed${id}`] = alarm(
      'DrillFailed',
      `a restore drill of policy ${p.name} failed (the drill run's output says which snapshot and why)`,
      {
        MetricName: METRICS.drillFailed,
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    );
    resources[`AlarmDrillClusterLeaked${id}`] = alarm(
      'DrillClusterLeaked',
      `a drill cluster of policy ${p.name} is alive past its time (a delete failed, or the sweep found one older than ${p.restoreDrill.maxLifetimeHours} h)`,
      {
        MetricName: METRICS.drillClustersAlive,
        Statistic: 'Maximum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    );
    if (p.restoreDrill.rtoMinutes !== undefined) {
      resources[`AlarmRestoreTime${id}`] = alarm(
        'RestoreTime',
        `a restore drill of policy ${p.name} took longer than its ${p.restoreDrill.rtoMinutes}-minute RTO`,
        {
          MetricName: METRICS.restoreTime,
          Statistic: 'Maximum',
          Threshold: p.restoreDrill.rtoMinutes * 60,
          ComparisonOperator: 'GreaterThanThreshold',
        },
      );
    }
  }
  resources.AlarmUnprotectedTargets = {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: stack('UnprotectedTargets'),
      AlarmDescription:
        'backup-orchestrator: the coverage audit found clusters no policy protects and no rule leaves out (backup-orchestrator audit lists them). See docs/operations.md, Alarms.',
      Namespace: namespace,
      MetricName: METRICS.unprotected,
      Dimensions: [{ Name: DIMENSIONS.service, Value: SERVICE }],
      Statistic: 'Maximum',
      Period: 86400,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ...actions,
    },
  };
  resources.Dashboard = {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: {
      DashboardName: stack('dashboard'),
      DashboardBody: { 'Fn::Sub': JSON.stringify(dashboard(file, namespace)) },
    },
  };
  return resources;
};

/** Policies with an RPO and an enabled schedule: only those can be expected to report. */
function freshnessPolicies(file) {
  return file.policies.filter((p) => p.rpoHours !== undefined && p.schedules.some((s) => s.enabled));
}

function dashboard(file, namespace) {
  const sm = '${BackupStateMachine}';
  const region = '${AWS::Region}';
  const widget = (x, y, title, metrics, extra = {}) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, view: 'timeSeries', stat: 'Sum', period: 3600, metrics, ...extra },
  });
  const perPolicy = (name) =>
    file.policies.map((p) => [namespace, name, DIMENSIONS.service, SERVICE, DIMENSIONS.policy, p.name, { label: `${name} ${p.name}` }]);
  return {
    widgets: [
      widget(
        0,
        0,
        'Executions by status',
        ['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'ExecutionThrottled'].map((m) => [
          'AWS/States',
          m,
          'StateMachineArn',
          sm,
        ]),
      ),
      widget(
        12,
        0,
        'Snapshots created, copied and deleted per run',
        [...perPolicy(METRICS.created), ...perPolicy(METRICS.copied), ...perPolicy(METRICS.deleted)],
        {
          view: 'bar',
        },
      ),
      widget(0, 6, 'Failed targets by error code', [
        [
          {
            expression: `SEARCH('{${namespace},${DIMENSIONS.service},${DIMENSIONS.policy},${DIMENSIONS.code}} MetricName="${METRICS.failed}"', 'Sum', 3600)`,
            id: 'byCode',
            label: '',
          },
        ],
      ]),
      widget(0, 12, 'Restore time per policy (seconds, restore drills)', perPolicy(METRICS.restoreTime), {
        stat: 'Maximum',
        period: 86400,
      }),
      widget(
        12,
        12,
        'Drills and unprotected clusters',
        [
          ...perPolicy(METRICS.drillSucceeded),
          ...perPolicy(METRICS.drillFailed),
          [namespace, METRICS.unprotected, DIMENSIONS.service, SERVICE, { label: 'UnprotectedTargets', stat: 'Maximum' }],
        ],
        { period: 86400 },
      ),
      widget(12, 6, 'Recovery point age per policy (hours)', perPolicy(METRICS.age), {
        stat: 'Maximum',
        annotations: {
          horizontal: freshnessPolicies(file).map((p) => ({ label: `RPO ${p.name}`, value: p.rpoHours })),
        },
      }),
    ],
  };
}
