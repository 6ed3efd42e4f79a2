// Reads and validates the policy file at `serverless package` time (an invalid file fails the package),
// and derives from it what serverless.yml needs: one EventBridge Scheduler schedule per policy schedule,
// and each function's least-privilege IAM statements (source accounts and KMS keys come from the policies).
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const tsx = require('tsx/cjs/api');

const { parsePolicyYaml } = tsx.require('../functions/shared/policy.ts', __filename);
const { OWNERSHIP_KEYS, MANAGED_BY_VALUE } = tsx.require('../functions/shared/tags.ts', __filename);

function load() {
  const path = resolve(__dirname, '..', process.env.POLICY_FILE || 'policies.yml');
  try {
    return parsePolicyYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`invalid policy file ${path}: ${err.message}`);
  }
}

const logicalId = (text) => text.replace(/[^A-Za-z0-9]/g, '');

/** AWS::Scheduler::Schedule per policy schedule: retry policy and a dead-letter queue included. */
module.exports.schedules = async () => {
  const file = load();
  const resources = {};
  for (const policy of file.policies) {
    policy.schedules.forEach((s, i) => {
      resources[`Schedule${logicalId(policy.name)}${i + 1}`] = {
        Type: 'AWS::Scheduler::Schedule',
        Properties: {
          Name: { 'Fn::Sub': `\${AWS::StackName}-${policy.name}-${i + 1}` },
          Description: `backup-orchestrator policy ${policy.name}, schedule ${i + 1}`,
          ScheduleExpression: s.expression,
          ScheduleExpressionTimezone: s.timezone,
          State: s.enabled ? 'ENABLED' : 'DISABLED',
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
module.exports.iam = async () => {
  const file = load();
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
};
