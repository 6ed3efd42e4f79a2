/**
 * The world file: what the stand-in holds at the start of a rehearsal, and what it writes back.
 * Validated with zod; `npm run world-schema` publishes the same rules as JSON Schema.
 * Work in flight (a snapshot creating, copying or deleting) is saved with the time it still needs, so a
 * saved world carries on exactly where it stopped.
 */
import * as z from 'zod';
import { paceSchema } from './pace-schema.js';

const iso = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with a time zone, such as 2026-11-22T02:00:00Z' });
const account = z.string().regex(/^\d{12}$/, 'must be a 12-digit account id');
const tags = z.record(z.string(), z.string()).default({});

/** docdb-elastic's `Status` enum (service model 2022-11-28): clusters, shards and snapshots share it. */
export const ELASTIC_STATUSES = [
  'CREATING',
  'ACTIVE',
  'DELETING',
  'UPDATING',
  'VPC_ENDPOINT_LIMIT_EXCEEDED',
  'IP_ADDRESS_LIMIT_EXCEEDED',
  'INVALID_SECURITY_GROUP_ID',
  'INVALID_SUBNET_ID',
  'INACCESSIBLE_ENCRYPTION_CREDS',
  'INACCESSIBLE_SECRET_ARN',
  'INACCESSIBLE_VPC_ENDPOINT',
  'INCOMPATIBLE_NETWORK',
  'MERGING',
  'MODIFYING',
  'SPLITTING',
  'COPYING',
  'STARTING',
  'STOPPING',
  'STOPPED',
  'MAINTENANCE',
  'INACCESSIBLE_ENCRYPTION_CREDENTIALS_RECOVERABLE',
] as const;

/** The statuses an RDS-API cluster snapshot takes (the model documents the first three; the waiters add the rest). */
export const RDS_SNAPSHOT_STATUSES = ['available', 'creating', 'copying', 'deleting', 'failed'] as const;

/**
 * The statuses an RDS-API DB cluster takes: the Aurora user guide's "Viewing DB cluster status" list (the model leaves
 * `Status` a plain string) and the failure states of the RDS waiters (`failed`, `incompatible-*`).
 */
export const RDS_CLUSTER_STATUSES = [
  'available',
  'creating',
  'deleting',
  'failed',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'incompatible-parameters',
  'incompatible-restore',
  'backing-up',
  'maintenance',
  'modifying',
  'rebooting',
  'resetting-master-credentials',
  'starting',
  'stopped',
  'stopping',
  'upgrading',
] as const;

/** The statuses an RDS-API DB instance takes (RDS user guide "Viewing DB instance status"; the waiters' failure states). */
export const RDS_INSTANCE_STATUSES = [
  'available',
  'creating',
  'deleting',
  'failed',
  'inaccessible-encryption-credentials',
  'incompatible-network',
  'incompatible-parameters',
  'incompatible-restore',
  'insufficient-capacity',
  'backing-up',
  'maintenance',
  'modifying',
  'rebooting',
  'starting',
  'stopped',
  'stopping',
  'storage-full',
  'upgrading',
] as const;

/** Operations whose new resource can be made to fail part-way with a chosen end status (`failMidway` + `endStatus`). */
const END_STATUS_OPERATIONS: Record<string, readonly string[]> = {
  RestoreClusterFromSnapshot: ELASTIC_STATUSES,
  RestoreDBClusterFromSnapshot: RDS_CLUSTER_STATUSES,
  CreateDBInstance: RDS_INSTANCE_STATUSES,
};

export const FAULT_OPERATIONS = [
  'ListClusters',
  'GetCluster',
  'CreateClusterSnapshot',
  'GetClusterSnapshot',
  'ListClusterSnapshots',
  'DeleteClusterSnapshot',
  'CopyClusterSnapshot',
  'TagResource',
  'UntagResource',
  'ListTagsForResource',
  'DescribeDBClusterSnapshots',
  'CopyDBClusterSnapshot',
  'DeleteDBClusterSnapshot',
  'AddTagsToResource',
  'RemoveTagsFromResource',
  'ListTagsForResource.rds',
  'RestoreClusterFromSnapshot',
  'DeleteCluster',
  'RestoreDBClusterFromSnapshot',
  'DescribeDBClusters',
  'DeleteDBCluster',
  'CreateDBInstance',
  'DescribeDBInstances',
  'DeleteDBInstance',
  'StartExecution',
  'DescribeExecution',
  'GetExecutionHistory',
] as const;

export const faultSchema = z
  .strictObject({
    operation: z.enum(FAULT_OPERATIONS).describe('API operation the fault applies to (RDS ListTagsForResource: "ListTagsForResource.rds")'),
    target: z.string().optional().describe('Only requests naming this cluster, snapshot or ARN (substring match)'),
    error: z.string().optional().describe('Error code to answer with, e.g. ThrottlingException, Throttling, SnapshotQuotaExceeded'),
    count: z.number().int().min(1).optional().describe('How many matching requests the fault hits (default: all)'),
    latencyMs: z.number().int().min(0).max(120_000).optional().describe('Added latency (real time) before answering'),
    retryAfterSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .optional()
      .describe('With a 429: the Retry-After header (the SDK waits that long, in real time)'),
    reset: z.boolean().optional().describe('Drop the connection instead of answering'),
    dropResponse: z.boolean().optional().describe('Perform the operation, then drop the connection before answering (a lost response)'),
    stuck: z
      .boolean()
      .optional()
      .describe(
        'Create/Copy/Restore/CreateDBInstance: the new snapshot, cluster or instance never leaves creating/copying; DeleteCluster/DeleteDBCluster/DeleteDBInstance: it stays deleting',
      ),
    failMidway: z
      .boolean()
      .optional()
      .describe('Create/Copy/Restore/CreateDBInstance: the work fails half-way through (the snapshot, cluster or instance ends failed)'),
    endStatus: z
      .string()
      .optional()
      .describe(
        'With failMidway on RestoreClusterFromSnapshot (an elastic status, default INACCESSIBLE_ENCRYPTION_CREDS), RestoreDBClusterFromSnapshot (a DB cluster status, default failed) or CreateDBInstance (a DB instance status, default failed): the status it ends in',
      ),
  })
  .refine(
    (f) => f.error || f.latencyMs !== undefined || f.reset || f.dropResponse || f.stuck || f.failMidway,
    'a fault needs error, latencyMs, reset, dropResponse, stuck or failMidway',
  )
  .refine((f) => f.endStatus === undefined || (f.failMidway && f.operation in END_STATUS_OPERATIONS), {
    message: `endStatus goes with failMidway on ${Object.keys(END_STATUS_OPERATIONS).join(', ')}`,
    path: ['endStatus'],
  })
  .refine(
    (f) => f.endStatus === undefined || !END_STATUS_OPERATIONS[f.operation] || END_STATUS_OPERATIONS[f.operation]?.includes(f.endStatus),
    {
      message:
        'endStatus must be a status of what the operation makes (an elastic cluster status, or an RDS DB cluster or instance status)',
      path: ['endStatus'],
    },
  );

const minutes = z.number().min(0);
const remaining = minutes
  .optional()
  .describe(
    'Work in flight: virtual minutes until it ends (CREATING/copying becomes available, DELETING disappears). Absent: it never ends (stuck).',
  );
const failIn = minutes.optional().describe('Work in flight that fails: virtual minutes until it ends failed');

const elasticSnapshotSchema = z.strictObject({
  name: z.string().min(1).max(63),
  arn: z.string().optional(),
  type: z.enum(['manual', 'automated']).default('manual'),
  status: z.enum(ELASTIC_STATUSES).default('ACTIVE'),
  createdAt: iso,
  tags,
  remainingMinutes: remaining,
  failInMinutes: failIn,
});

const subnetIds = z.array(z.string()).optional();

const elasticClusterSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'must be a valid elastic cluster name'),
  arn: z.string().optional(),
  status: z
    .enum(ELASTIC_STATUSES)
    .default('ACTIVE')
    .describe('CREATING and DELETING are work in flight (remainingMinutes, failInMinutes); any other status stays as it is'),
  createdAt: iso.optional().describe("When the cluster was created (GetCluster createTime; default: the world's now)"),
  tags,
  createMinutes: minutes.optional().describe('How long a snapshot of this cluster takes (default durations.createMinutes)'),
  remainingMinutes: remaining,
  failInMinutes: failIn,
  endStatus: z
    .enum(ELASTIC_STATUSES)
    .optional()
    .describe('With failInMinutes: the status the cluster ends in (default INACCESSIBLE_ENCRYPTION_CREDS)'),
  deleted: z
    .boolean()
    .optional()
    .describe('Deleted: not listed and not found any more; kept only because manual snapshots of it remain (AWS keeps those)'),
  restoredFrom: z.string().optional().describe('The snapshot ARN the cluster was restored from (RestoreClusterFromSnapshot)'),
  kmsKeyId: z.string().optional().describe('GetCluster kmsKeyId (default AWS_OWNED_KMS_KEY)'),
  subnetIds: subnetIds.describe('GetCluster subnetIds (default: one stand-in subnet)'),
  vpcSecurityGroupIds: subnetIds.describe('GetCluster vpcSecurityGroupIds (default: one stand-in security group)'),
  shardCapacity: z.number().int().optional().describe('vCPUs per shard (default 2)'),
  shardCount: z.number().int().min(1).optional().describe('Shards (default 1)'),
  shardInstanceCount: z.number().int().min(1).max(16).optional().describe('Instances per shard (default: not reported)'),
  snapshots: z.array(elasticSnapshotSchema).default([]),
});

const clusterSnapshotSchema = z.strictObject({
  id: z.string().min(1).max(255),
  clusterId: z.string().min(1),
  engine: z.string().default('docdb'),
  type: z.enum(['manual', 'automated']).default('manual'),
  status: z.enum(RDS_SNAPSHOT_STATUSES).default('available'),
  createdAt: iso.describe('SnapshotCreateTime: when the snapshot (or, for a copy, the copy) was made'),
  encrypted: z.boolean().default(false),
  kmsKeyId: z.string().optional(),
  source: z.string().optional().describe('For a copy: the source snapshot ARN (SourceDBClusterSnapshotArn)'),
  tags,
  remainingMinutes: remaining,
  failInMinutes: failIn,
});

const rdsIdentifier = z
  .string()
  .regex(/^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}$/, 'must be 1-63 letters, digits or hyphens, start with a letter, no --')
  .refine((id) => !id.endsWith('-'), 'must not end with a hyphen');

const dbInstanceSchema = z.strictObject({
  id: rdsIdentifier.describe('DBInstanceIdentifier (stored lower case)'),
  instanceClass: z.string().default('db.t3.medium'),
  status: z
    .enum(RDS_INSTANCE_STATUSES)
    .default('available')
    .describe('creating and deleting are work in flight (remainingMinutes, failInMinutes); any other status stays as it is'),
  createdAt: iso.optional().describe("InstanceCreateTime (default: the world's now)"),
  tags,
  remainingMinutes: remaining,
  failInMinutes: failIn,
  endStatus: z.enum(RDS_INSTANCE_STATUSES).optional().describe('With failInMinutes: the status the instance ends in (default failed)'),
});

const dbClusterSchema = z.strictObject({
  id: rdsIdentifier.describe('DBClusterIdentifier (stored lower case)'),
  engine: z.string().default('docdb'),
  status: z
    .enum(RDS_CLUSTER_STATUSES)
    .default('available')
    .describe('creating and deleting are work in flight (remainingMinutes, failInMinutes); any other status stays as it is'),
  createdAt: iso.optional().describe("ClusterCreateTime (default: the world's now)"),
  restoredFrom: z.string().optional().describe('The snapshot ARN the cluster was restored from (RestoreDBClusterFromSnapshot)'),
  dbSubnetGroupName: z.string().optional().describe('DBSubnetGroup (default: "default")'),
  vpcSecurityGroupIds: z.array(z.string()).default([]).describe('VpcSecurityGroups (empty: the VPC default security group)'),
  encrypted: z.boolean().default(false),
  kmsKeyId: z.string().optional(),
  deletionProtection: z.boolean().default(false).describe('DeleteDBCluster fails while it is on'),
  tags,
  remainingMinutes: remaining,
  failInMinutes: failIn,
  endStatus: z.enum(RDS_CLUSTER_STATUSES).optional().describe('With failInMinutes: the status the cluster ends in (default failed)'),
  instances: z.array(dbInstanceSchema).default([]).describe('Its DB instances (CreateDBInstance with this DBClusterIdentifier)'),
});

const sharedSnapshotSchema = z.strictObject({
  ownerAccount: account,
  id: z.string().min(1).max(255),
  clusterId: z.string().min(1),
  engine: z.string().default('docdb'),
  encrypted: z.boolean().default(false),
  kmsKeyId: z.string().optional(),
  createdAt: iso,
  tags: tags.describe("The owner's tags: not visible to this account (DescribeDBClusterSnapshots returns none for a shared snapshot)"),
  copyMinutes: minutes.optional().describe('How long a copy of this snapshot takes (default durations.copyMinutes)'),
});

export const worldSchema = z
  .strictObject({
    $schema: z.string().optional(),
    description: z.string().optional(),
    accountId: account,
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region'),
    now: iso.describe('Virtual time at the start'),
    durations: z
      .strictObject({
        createMinutes: minutes.default(20),
        copyMinutes: minutes.default(30),
        elasticDeleteMinutes: minutes
          .default(0)
          .describe('How long a deleted elastic snapshot stays DELETING before it disappears (0: at once)'),
        restoreMinutes: minutes.default(30).describe('How long a restored cluster (elastic or RDS API) takes to become ACTIVE/available'),
        clusterDeleteMinutes: minutes
          .default(10)
          .describe('How long a deleted cluster (elastic or RDS API) or DB instance stays DELETING/deleting before it disappears'),
        instanceCreateMinutes: minutes.default(15).describe('How long a new DB instance takes to become available'),
      })
      .default({
        createMinutes: 20,
        copyMinutes: 30,
        elasticDeleteMinutes: 0,
        restoreMinutes: 30,
        clusterDeleteMinutes: 10,
        instanceCreateMinutes: 15,
      }),
    quotas: z
      .strictObject({
        manualClusterSnapshots: z.number().int().min(0).default(100),
        elasticSnapshots: z.number().int().min(0).default(1000),
        concurrentCopies: z.number().int().min(1).default(5),
        elasticClusters: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('Elastic clusters the account may hold (RestoreClusterFromSnapshot: ServiceQuotaExceededException); absent: no limit'),
        dbClusters: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe(
            'RDS-API DB clusters the account may hold (RestoreDBClusterFromSnapshot: DBClusterQuotaExceededFault); absent: no limit',
          ),
      })
      .default({ manualClusterSnapshots: 100, elasticSnapshots: 1000, concurrentCopies: 5 }),
    kmsKeys: z.array(z.string()).default([]).describe('KMS key ARNs or aliases this account may use'),
    elasticClusters: z.array(elasticClusterSchema).default([]),
    clusterSnapshots: z.array(clusterSnapshotSchema).default([]).describe('Cluster snapshots owned by this account (RDS API)'),
    sharedSnapshots: z.array(sharedSnapshotSchema).default([]).describe('Cluster snapshots other accounts share with this one'),
    dbClusters: z
      .array(dbClusterSchema)
      .default([])
      .describe('DB clusters of the RDS API (instance-based DocumentDB, Aurora), such as those restored from cluster snapshots'),
    dbSubnetGroups: z
      .array(z.string())
      .optional()
      .describe(
        'DB subnet group names that exist (a restore naming another answers DBSubnetGroupNotFoundFault); absent: any name is accepted',
      ),
    faults: z.array(faultSchema).default([]),
    pace: paceSchema.optional(),
    runs: z
      .array(z.strictObject({ policy: z.string(), slot: iso, execution: z.string() }))
      .default([])
      .describe(
        "Rehearsal runs this world has seen (npm start --save-world records each): loaded again without --now, the next run is the policy's next scheduled slot",
      ),
  })
  .superRefine((w, ctx) => {
    // Identifiers AWS keeps unique must be unique here too; a duplicate names both places.
    const unique = (what: string, entries: [string, (string | number)[]][], fold = false) => {
      const seen = new Map<string, (string | number)[]>();
      for (const [value, path] of entries) {
        const key = fold ? value.toLowerCase() : value;
        const first = seen.get(key);
        if (first) {
          ctx.addIssue({ code: 'custom', path, message: `duplicate ${what} "${value}" (also at ${first.join('.')})` });
        } else seen.set(key, path);
      }
    };
    unique(
      'elastic cluster name',
      w.elasticClusters.flatMap((c, i) => (c.deleted ? [] : [[c.name, ['elasticClusters', i, 'name']]])),
    );
    const arns: [string, (string | number)[]][] = [];
    const names: [string, (string | number)[]][] = [];
    w.elasticClusters.forEach((c, i) => {
      if (c.arn) arns.push([c.arn, ['elasticClusters', i, 'arn']]);
      c.snapshots.forEach((s, j) => {
        if (s.arn) arns.push([s.arn, ['elasticClusters', i, 'snapshots', j, 'arn']]);
        names.push([s.name, ['elasticClusters', i, 'snapshots', j, 'name']]);
      });
    });
    unique('ARN', arns);
    unique('elastic snapshot name', names, true);
    unique(
      'cluster snapshot id',
      w.clusterSnapshots.map((s, i) => [s.id, ['clusterSnapshots', i, 'id']]),
      true,
    );
    unique(
      'shared snapshot',
      w.sharedSnapshots.map((s, i) => [`${s.ownerAccount}:${s.id}`, ['sharedSnapshots', i, 'id']]),
      true,
    );
    unique(
      'DB cluster id',
      w.dbClusters.map((c, i) => [c.id, ['dbClusters', i, 'id']]),
      true,
    );
    unique(
      'DB instance id',
      w.dbClusters.flatMap((c, i) =>
        c.instances.map((d, j): [string, (string | number)[]] => [d.id, ['dbClusters', i, 'instances', j, 'id']]),
      ),
      true,
    );
  });

export type World = z.output<typeof worldSchema>;
export type WorldInput = z.input<typeof worldSchema>;
export type Fault = z.output<typeof faultSchema>;

export class WorldError extends Error {
  override name = 'WorldError';
}

export function parseWorld(raw: unknown, source = 'world'): World {
  const r = worldSchema.safeParse(raw);
  if (!r.success) {
    throw new WorldError(`${source}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return r.data;
}
