// Reads and validates the policy file at `serverless package` time (an invalid file fails the package),
// and derives from it what serverless.yml needs: one EventBridge Scheduler schedule per policy schedule,
// and each function's least-privilege IAM statements (source accounts and KMS keys come from the policies).
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const tsx = require('tsx/cjs/api');

const { parsePolicyYaml } = tsx.require('../functions/shared/policy.ts', __filename);
const { OWNERSHIP_KEYS, MANAGED_BY_VALUE } = tsx.require('../functions/shared/tags.ts', __filename);
const { METRICS, DIMENSIONS, SERVICE } = tsx.require('../functions/shared/telemetry.ts', __filename);

function load() {
  const path = resolve(__dirname, '..', process.env.POLICY_FILE || 'policies.yml');
  try {
    return parsePolicyYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`invalid policy file ${path}: ${err.message}`);
  }
}

const logicalId = (text) => text.replace(/[^A-Za-z0-9]/g, '');

/** AWS::Scheduler::Schedule per enabled policy schedule: retry policy and a dead-letter queue included. */
module.exports.schedules = async () => {
  const file = load();
  const resources = {};
  for (const policy of file.policies) {
    policy.schedules.forEach((s, i) => {
      if (!s.enabled) return;
      resources[`Schedule${logicalId(policy.name)}${i + 1}`] = {
        Type: 'AWS::Scheduler::Schedule',
        Properties: {
          Name: { 'Fn::Sub': `\${AWS::StackName}-${policy.name}-${i + 1}` },
          Description: `backup-orchestrator policy ${policy.name}, schedule ${i + 1}`,
          ScheduleExpression: s.expression,
          ScheduleExpressionTimezone: s.timezone,
          State: 'ENABLED',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: {
            Arn: { Ref: 'BackupStateMachine' },
            RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
            // The scheduled time makes a retried or duplicated start land on the same slot: no duplicates.
            Input: JSON.stringify({ policy: policy.name, scheduledTime: '<aws.scheduler.scheduled-time>' }),
            RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'Arn'] } },
          },
        },
      };
    });
  }
  return resources;
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
        Resource: [
          ...sources.map((a) => sub(`arn:\${AWS::Partition}:rds:${region}:${a}:cluster-snapshot:*`)),
          ownSnapshots,
        ],
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

/** Per-function IAM statements (serverless-iam-roles-per-function). */
module.exports.iam = async ({ resolveVariable }) => {
  const file = load();
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
    applyRetention: [
      READ_ELASTIC,
      READ_RDS,
      ELASTIC_TAGS_READ,
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
  const file = load();
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
        AlarmDescription: `backup-orchestrator: ${meaning}. See README "Operating".`,
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
      AlarmDescription: 'backup-orchestrator: a run completed PARTIAL: some targets failed (see the run output). See README "Operating".',
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
      AlarmDescription: 'backup-orchestrator: EventBridge Scheduler could not start a run after its retries (see the dead-letter queue). See README "Operating".',
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
    const periods = Math.ceil(policy.rpoHours);
    resources[`AlarmFreshness${logicalId(policy.name)}`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: stack(`Freshness-${policy.name}`),
        AlarmDescription: `backup-orchestrator: policy ${policy.name} has a target whose newest snapshot is older than ${policy.rpoHours} h, or no run reported for ${policy.rpoHours} h. See README "Operating".`,
        Namespace: namespace,
        MetricName: METRICS.age,
        Dimensions: [
          { Name: DIMENSIONS.service, Value: SERVICE },
          { Name: DIMENSIONS.policy, Value: policy.name },
        ],
        Statistic: 'Maximum',
        Period: 3600,
        // Every hour of the RPO window must breach: an hour without a report counts as breaching, so a
        // silent orchestrator alarms once a whole RPO passes without a fresh figure.
        EvaluationPeriods: periods,
        DatapointsToAlarm: periods,
        Threshold: policy.rpoHours,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'breaching',
        ...actions,
      },
    };
  }
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
  const perPolicy = (name) => file.policies.map((p) => [namespace, name, DIMENSIONS.service, SERVICE, DIMENSIONS.policy, p.name, { label: `${name} ${p.name}` }]);
  return {
    widgets: [
      widget(
        0,
        0,
        'Executions by status',
        ['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'ExecutionThrottled'].map((m) => ['AWS/States', m, 'StateMachineArn', sm]),
      ),
      widget(12, 0, 'Snapshots created, copied and deleted per run', [...perPolicy(METRICS.created), ...perPolicy(METRICS.copied), ...perPolicy(METRICS.deleted)], {
        view: 'bar',
      }),
      widget(0, 6, 'Failed targets by error code', [
        [{ expression: `SEARCH('{${namespace},${DIMENSIONS.service},${DIMENSIONS.policy},${DIMENSIONS.code}} MetricName="${METRICS.failed}"', 'Sum', 3600)`, id: 'byCode', label: '' }],
      ]),
      widget(12, 6, 'Recovery point age per policy (hours)', perPolicy(METRICS.age), {
        stat: 'Maximum',
        annotations: {
          horizontal: freshnessPolicies(file).map((p) => ({ label: `RPO ${p.name}`, value: p.rpoHours })),
        },
      }),
    ],
  };
}
