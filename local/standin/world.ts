/**
 * The world file: what the stand-in holds at the start of a rehearsal, and what it writes back.
 * Validated with zod; `npm run world-schema` publishes the same rules as JSON Schema.
 */
import { z } from 'zod';

const iso = z.iso.datetime({ offset: true });
const account = z.string().regex(/^\d{12}$/, 'must be a 12-digit account id');
const tags = z.record(z.string(), z.string()).default({});

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
  'StartExecution',
  'DescribeExecution',
  'GetExecutionHistory',
] as const;

export const faultSchema = z
  .strictObject({
    operation: z
      .enum(FAULT_OPERATIONS)
      .describe('API operation the fault applies to (RDS ListTagsForResource: "ListTagsForResource.rds")'),
    target: z.string().optional().describe('Only requests naming this cluster, snapshot or ARN (substring match)'),
    error: z
      .string()
      .optional()
      .describe('Error code to answer with, e.g. ThrottlingException, Throttling, SnapshotQuotaExceeded'),
    count: z.number().int().min(1).optional().describe('How many matching requests the fault hits (default: all)'),
    latencyMs: z.number().int().min(0).max(120_000).optional().describe('Added latency before answering'),
    retryAfterSeconds: z.number().int().min(0).max(3600).optional().describe('With a 429: the Retry-After header (the SDK waits that long, in real time)'),
    reset: z.boolean().optional().describe('Drop the connection instead of answering'),
    dropResponse: z.boolean().optional().describe('Perform the operation, then drop the connection before answering (a lost response)'),
    stuck: z.boolean().optional().describe('Create/Copy: the snapshot never leaves creating/copying'),
    failMidway: z.boolean().optional().describe('Create/Copy: the operation fails half-way through'),
  })
  .refine(
    (f) => f.error || f.latencyMs !== undefined || f.reset || f.dropResponse || f.stuck || f.failMidway,
    'a fault needs error, latencyMs, reset, dropResponse, stuck or failMidway',
  );

const elasticSnapshotSchema = z.strictObject({
  name: z.string().min(1).max(63),
  arn: z.string().optional(),
  type: z.enum(['manual', 'automated']).default('manual'),
  status: z.enum(['ACTIVE', 'CREATING', 'DELETING']).default('ACTIVE'),
  createdAt: iso,
  tags,
});

const elasticClusterSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'must be a valid elastic cluster name'),
  arn: z.string().optional(),
  status: z.string().default('ACTIVE'),
  tags,
  createMinutes: z
    .number()
    .min(0)
    .optional()
    .describe('How long a snapshot of this cluster takes (default durations.createMinutes)'),
  snapshots: z.array(elasticSnapshotSchema).default([]),
});

const clusterSnapshotSchema = z.strictObject({
  id: z.string().min(1).max(255),
  clusterId: z.string().min(1),
  engine: z.string().default('docdb'),
  type: z.enum(['manual', 'automated']).default('manual'),
  status: z.enum(['available', 'creating', 'copying']).default('available'),
  createdAt: iso,
  encrypted: z.boolean().default(false),
  kmsKeyId: z.string().optional(),
  tags,
});

const sharedSnapshotSchema = z.strictObject({
  ownerAccount: account,
  id: z.string().min(1).max(255),
  clusterId: z.string().min(1),
  engine: z.string().default('docdb'),
  encrypted: z.boolean().default(false),
  kmsKeyId: z.string().optional(),
  createdAt: iso,
  tags,
  copyMinutes: z
    .number()
    .min(0)
    .optional()
    .describe('How long a copy of this snapshot takes (default durations.copyMinutes)'),
});

export const worldSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  accountId: account,
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region'),
  now: iso.describe('Virtual time at the start'),
  durations: z
    .strictObject({ createMinutes: z.number().min(0).default(20), copyMinutes: z.number().min(0).default(30) })
    .default({ createMinutes: 20, copyMinutes: 30 }),
  quotas: z
    .strictObject({
      manualClusterSnapshots: z.number().int().min(0).default(100),
      elasticSnapshots: z.number().int().min(0).default(1000),
      concurrentCopies: z.number().int().min(1).default(5),
    })
    .default({ manualClusterSnapshots: 100, elasticSnapshots: 1000, concurrentCopies: 5 }),
  kmsKeys: z.array(z.string()).default([]).describe('KMS key ARNs or aliases this account may use'),
  elasticClusters: z.array(elasticClusterSchema).default([]),
  clusterSnapshots: z
    .array(clusterSnapshotSchema)
    .default([])
    .describe('Cluster snapshots owned by this account (RDS API)'),
  sharedSnapshots: z
    .array(sharedSnapshotSchema)
    .default([])
    .describe('Cluster snapshots other accounts share with this one'),
  faults: z.array(faultSchema).default([]),
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
    throw new WorldError(
      `${source}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return r.data;
}
