/**
 * The policy file (policies.yml): the single source of truth for schedules and policies.
 * Parsed and validated with zod when `serverless package` runs and when a Lambda starts.
 */
import { LineCounter, parseDocument } from 'yaml';
import * as z from 'zod';
import { type CalendarDuration, parseDuration, subtractDuration } from './duration.js';
import { RUN_BUDGET_SECONDS } from './limits.js';
import { parseSchedule } from './schedule.js';
import { ValidationError } from './errors.js';
import type { RetentionSettings } from './decide.js';
import { isEmptyRules, type RetentionRules } from './retention.js';
import { DRILLED_KEYS, MAX_TAGS_PER_RESOURCE, OWNERSHIP_KEYS, policyTagProblems, RESERVED_TAGS_ON_COPY } from './tags.js';

export const ENGINES = ['docdb', 'aurora-mysql', 'aurora-postgresql'] as const;
export const ELASTIC_CLUSTER_ARN_RE = /^arn:aws[a-z-]*:docdb-elastic:([a-z0-9-]+):(\d{12}):cluster\/[A-Za-z0-9-]+$/;
/** A KMS key ARN: the only form an IAM policy can grant (KMS authorises on the key's ARN). */
const KMS_KEY_ARN_RE = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const KMS_KEY_MESSAGE =
  'must be a key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab: ' +
  'the IAM policy that lets the copy use the key must name the key ARN (an alias or a bare key id grants nothing, ' +
  'because KMS authorises on the key ARN); find it with aws kms describe-key --key-id alias/<name> --query KeyMetadata.Arn';
const POLICY_NAME_RE = /^[a-zA-Z][a-zA-Z0-9-]{0,39}$/;

const cronOrRate = z.string().superRefine((s, ctx) => {
  try {
    parseSchedule(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as Europe/Berlin or UTC');

const count = z.number().int('must be an integer').min(-1, 'must be -1 (unlimited) or more');
/**
 * Durations stop at 100 years, so no rule reaches outside the dates JavaScript can hold. Calendar parts
 * have no fixed length, so "100 years" is measured by the calendar itself: a duration fits when, taken
 * back from 2100-01-01, it ends no earlier than 100y does (2000-01-01). So 100y, 1200m, 99y12m and 36525d
 * fit; 100y1h, 1201m and 36526d do not.
 */
const DURATION_REFERENCE = new Date(Date.UTC(2100, 0, 1));
const DURATION_BOUND = Date.UTC(2000, 0, 1);
const withinBound = (d: CalendarDuration) => subtractDuration(DURATION_REFERENCE, d).getTime() >= DURATION_BOUND;
const duration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, 'must be a duration like 14d, 3m, 1y2m3d4h (y, m=months, d, h)')
  .transform((s) => parseDuration(s) as CalendarDuration)
  .refine(withinBound, 'must be at most 100 years (100y, 1200m or 36525d)');

const tagMap = z.record(z.string(), z.string());

/** One issue per problem with a tag (see policyTagProblems: a reason both APIs share is reported once). */
function tagMapProblems(tags: Record<string, string>, ctx: z.RefinementCtx, path: (string | number)[]) {
  for (const [k, v] of Object.entries(tags)) {
    for (const message of policyTagProblems(k, v)) ctx.addIssue({ code: 'custom', path: [...path, k], message });
  }
}

const scheduleSchema = z.strictObject({
  expression: cronOrRate.describe(
    'EventBridge Scheduler expression: cron(minutes hours day-of-month month day-of-week year) or rate(n unit)',
  ),
  timezone: timeZone
    .default('UTC')
    .describe('IANA time zone of the cron expression, such as Europe/Berlin; Scheduler handles daylight saving'),
  enabled: z
    .boolean()
    .default(true)
    .describe('Only enabled schedules are deployed (one EventBridge Scheduler schedule each); a disabled one starts no runs'),
});

const elasticSchema = z.strictObject({
  clusterArns: z
    .array(z.string().regex(ELASTIC_CLUSTER_ARN_RE, 'must be an elastic cluster ARN'))
    .default([])
    .describe('Elastic cluster ARNs to snapshot (explicit targets)'),
  selector: tagMap.default({}).describe('Snapshot every elastic cluster carrying all of these tags'),
  exclude: z
    .array(z.string().regex(ELASTIC_CLUSTER_ARN_RE, 'must be an elastic cluster ARN'))
    .default([])
    .describe('Elastic cluster ARNs never targeted, even when listed or selected'),
});

const copySchema = z.strictObject({
  sourceAccounts: z
    .array(z.string().regex(/^\d{12}$/, 'must be a 12-digit account id'))
    .min(1, 'list at least one account')
    .describe('12-digit ids of the accounts whose shared snapshots are copied; a snapshot shared by any other account is never copied'),
  clusterPattern: z
    .string()
    .refine((s) => {
      try {
        new RegExp(s);
        return true;
      } catch {
        return false;
      }
    }, 'must be a valid regular expression')
    .optional()
    .describe('Regular expression on the source DBClusterIdentifier: only matching clusters are copied'),
  engines: z.array(z.enum(ENGINES)).min(1).default(['docdb']).describe('Engines of the shared snapshots to copy'),
  select: z
    .enum(['newest', 'all'])
    .default('newest')
    .describe('newest: the newest shared snapshot per source cluster; all: every one retention would keep (docs/policies.md, Copies)'),
  kmsKeyId: z
    .string()
    .regex(KMS_KEY_ARN_RE, KMS_KEY_MESSAGE)
    .optional()
    .describe(
      'KMS key ARN (in the deploy region) for copies of encrypted sources; required to copy them, never passed for unencrypted ones',
    ),
  targetPrefix: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,15}$/, 'must start with a letter, then letters, digits, hyphens; 16 at most')
    .optional()
    .describe(
      'Prefix of copy names: letter first, letters, digits, hyphens, 16 at most; default the first 11 characters of the policy name plus -copy; unique across policies',
    ),
});

const retentionSchema = z.strictObject({
  keepLast: count.optional().describe('restic: keep the n newest snapshots (-1: all)'),
  keepHourly: count.optional().describe('restic: keep the newest snapshot of each of the last n hours that have one (-1: all)'),
  keepDaily: count.optional().describe('restic: keep the newest snapshot of each of the last n days that have one (-1: all)'),
  keepWeekly: count.optional().describe('restic: keep the newest snapshot of each of the last n ISO weeks that have one (-1: all)'),
  keepMonthly: count.optional().describe('restic: keep the newest snapshot of each of the last n months that have one (-1: all)'),
  keepYearly: count.optional().describe('restic: keep the newest snapshot of each of the last n years that have one (-1: all)'),
  keepWithin: duration
    .optional()
    .describe('restic: keep every snapshot newer than the newest one minus this duration, such as 14d, 3m, 1y2m3d4h (m = months)'),
  keepWithinHourly: duration
    .optional()
    .describe('restic: inside this duration (from the newest snapshot), the newest snapshot of each hour'),
  keepWithinDaily: duration.optional().describe('restic: inside this duration, the newest snapshot of each day'),
  keepWithinWeekly: duration.optional().describe('restic: inside this duration, the newest snapshot of each ISO week'),
  keepWithinMonthly: duration.optional().describe('restic: inside this duration, the newest snapshot of each month'),
  keepWithinYearly: duration.optional().describe('restic: inside this duration, the newest snapshot of each year'),
  keepTags: z
    .array(z.array(z.string().regex(/^[^=]+(=.*)?$/, 'must be key or key=value')).min(1))
    .optional()
    .describe('Keep snapshots carrying all tags (key or key=value) of any one of these lists'),
  minKeep: z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .default(1)
    .describe('The floor: never fewer available snapshots per target than this (the newest is always kept)'),
});

const tagsSchema = z.strictObject({
  static: tagMap.default({}).describe("Tags added to every snapshot and copy (checked against both APIs' tag rules when the file loads)"),
  copySourceTags: z
    .boolean()
    .default(false)
    .describe("Put the cluster's tags on its snapshots; for copies, the source's tags as this account sees them"),
  required: z
    .array(z.string().min(1))
    .default([])
    .describe('Tag keys every snapshot must carry (from static or the source tags); a snapshot lacking one is reported'),
});

/** A deadline in minutes: 5 minutes to a week. */
const deadline = (dflt: number) =>
  z
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .default(dflt);

const deadlinesSchema = z.strictObject({
  createMinutes: deadline(6 * 60).describe('Minutes a snapshot create may take; past it the create is reported DEADLINE_EXCEEDED'),
  copyMinutes: deadline(12 * 60).describe(
    'Minutes a copy may take; past it the copy is cancelled (its target deleted) and reported DEADLINE_EXCEEDED',
  ),
});

const SUBNET_RE = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_RE = /^sg-[0-9a-f]{8,17}$/;
const subnetIds = z.array(z.string().regex(SUBNET_RE, 'must be a subnet id such as subnet-0a1b2c3d')).min(1).max(16);
const securityGroupIds = z.array(z.string().regex(SECURITY_GROUP_RE, 'must be a security group id such as sg-0a1b2c3d')).min(1).max(5);

/** Restore drills (opt-in): restore a recent snapshot of each target on a schedule, time it, validate it, delete it. */
const restoreDrillSchema = z
  .strictObject({
    schedules: z
      .array(scheduleSchema)
      .min(1, 'give at least one schedule (drills run on their own schedule, such as weekly)')
      .describe('When drills run: their own schedule, separate from the backups (for example cron(0 5 ? * SUN *))'),
    select: z
      .enum(['latest', 'random'])
      .default('latest')
      .describe(
        'latest: the newest available owned snapshot of each target; random: a random one within windowDays (like AWS Backup restore testing)',
      ),
    windowDays: z.number().int().min(1).max(365).default(7).describe('How far back select: random may reach, in days'),
    sample: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(1)
      .describe('How many targets one drill run restores (chosen at random among the targets, a different few each time)'),
    maxConcurrent: z.number().int().min(1).max(5).default(1).describe('Drill clusters of this policy alive at once at most'),
    monthlyClusterHours: z
      .number()
      .min(1)
      .max(10_000)
      .default(48)
      .describe('Cap on drill cluster-hours per calendar month (UTC); a drill that would pass it is skipped and reported'),
    deadlineMinutes: z
      .number()
      .int()
      .min(10)
      .max(24 * 60)
      .default(180)
      .describe('Minutes a restore (and its validation) may take; past it the drill fails and its cluster is deleted'),
    rtoMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .optional()
      .describe('Recovery-time objective: a restore slower than this fails the drill and raises the restore-time alarm'),
    maxLifetimeHours: z
      .number()
      .min(1)
      .max(72)
      .default(8)
      .describe('A drill cluster older than this is a leak: every drill run deletes such clusters first and reports them'),
    elastic: z
      .strictObject({
        subnetIds: subnetIds.describe('Subnets for the drill cluster (the console uses three)'),
        vpcSecurityGroupIds: securityGroupIds.describe('Security groups of the drill cluster: a locked-down one'),
        shardCapacity: z
          .union([z.literal(2), z.literal(4), z.literal(8), z.literal(16), z.literal(32), z.literal(64)])
          .default(2)
          .describe('vCPUs per shard of the drill cluster (2, 4, 8, 16, 32 or 64): the smallest restores cheapest'),
        shardInstanceCount: z.number().int().min(1).max(16).default(1).describe('Instances per shard (1: no replicas)'),
        kmsKeyId: z
          .string()
          .regex(KMS_KEY_ARN_RE, KMS_KEY_MESSAGE)
          .optional()
          .describe("KMS key ARN for the drill cluster (default: the account's default key)"),
      })
      .optional()
      .describe('How elastic targets are restored (RestoreClusterFromSnapshot); required when the policy has elastic targets'),
    copies: z
      .strictObject({
        dbSubnetGroupName: z
          .string()
          .regex(/^[a-zA-Z0-9 ._-]{1,255}$/, 'must be a DB subnet group name')
          .describe('DB subnet group of the drill cluster'),
        vpcSecurityGroupIds: securityGroupIds.describe('Security groups of the drill cluster: a locked-down one'),
        kmsKeyId: z.string().regex(KMS_KEY_ARN_RE, KMS_KEY_MESSAGE).optional().describe("KMS key ARN (default: the snapshot's key)"),
        instanceClass: z
          .string()
          .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an instance class such as db.t4g.medium')
          .default('db.t4g.medium')
          .describe('Instance class of the one instance a validated drill adds (a cluster without an instance cannot be queried)'),
      })
      .optional()
      .describe('How copies are restored (RestoreDBClusterFromSnapshot); required when the policy has copy rules'),
    validation: z
      .strictObject({
        functionArn: z
          .string()
          .regex(
            /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9-_]{1,64}(:[A-Za-z0-9-_$]+)?$/,
            'must be a Lambda function ARN',
          )
          .describe(
            'Your validation function: invoked with the drill cluster (ARN, endpoint), the snapshot and the policy; answers {"passed": true|false, "message"}',
          ),
        secretArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, 'must be a Secrets Manager secret ARN')
          .describe('Secret holding the admin credentials the restored cluster keeps from the snapshot; passed to the validation function'),
      })
      .optional()
      .describe('Optional validation of each restored cluster'),
  })
  .describe('Restore drills: prove the snapshots restore (opt-in)');

const policySchema = z
  .strictObject({
    name: z
      .string()
      .regex(POLICY_NAME_RE, 'must start with a letter, then letters, digits, hyphens; 40 at most')
      .describe('The policy: letter first, letters, digits, hyphens, 40 at most; part of snapshot names and the policy ownership tag'),
    description: z.string().max(256).optional().describe('Free text'),
    schedules: z.array(scheduleSchema).default([]).describe('When runs start'),
    elastic: elasticSchema.optional().describe('Elastic clusters to snapshot'),
    copy: copySchema.optional().describe('Cluster snapshots shared by other accounts to copy into this account'),
    retention: retentionSchema
      .optional()
      .describe('Which snapshots the orchestrator made to keep (restic forget rules plus the floor); omit to keep all'),
    tags: tagsSchema.default({ static: {}, copySourceTags: false, required: [] }).describe('Tags on snapshots and copies'),
    deadlines: deadlinesSchema.default({ createMinutes: 360, copyMinutes: 720 }).describe('How long operations may take'),
    dryRun: z.boolean().default(false).describe('Plan and report, change nothing'),
    restoreDrill: restoreDrillSchema.optional(),
    rpoHours: z
      .number()
      .min(1, 'must be at least 1')
      .max(168, 'must be at most 168 (CloudWatch evaluates 7 days at most)')
      .optional()
      .describe(
        'Freshness alarm threshold: the newest available snapshot of every target must be younger (alarms only for policies with an enabled schedule)',
      ),
  })
  .superRefine((p, ctx) => {
    if (!p.elastic && !p.copy) {
      ctx.addIssue({
        code: 'custom',
        path: ['elastic'],
        message: 'a policy needs elastic targets, copy rules or both',
      });
    }
    if (p.elastic && p.elastic.clusterArns.length === 0 && Object.keys(p.elastic.selector).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['elastic'], message: 'give clusterArns, a tag selector or both' });
    }
    if (p.restoreDrill && p.elastic && !p.restoreDrill.elastic) {
      ctx.addIssue({
        code: 'custom',
        path: ['restoreDrill', 'elastic'],
        message: 'the policy has elastic targets: say where drills restore them (subnetIds, vpcSecurityGroupIds)',
      });
    }
    if (p.restoreDrill && p.copy && !p.restoreDrill.copies) {
      ctx.addIssue({
        code: 'custom',
        path: ['restoreDrill', 'copies'],
        message: 'the policy copies snapshots: say where drills restore them (dbSubnetGroupName, vpcSecurityGroupIds)',
      });
    }
    if (p.restoreDrill?.rtoMinutes !== undefined && p.restoreDrill.rtoMinutes > p.restoreDrill.deadlineMinutes) {
      ctx.addIssue({
        code: 'custom',
        path: ['restoreDrill', 'rtoMinutes'],
        message: `must be at most deadlineMinutes (${p.restoreDrill.deadlineMinutes}): a drill ends at its deadline`,
      });
    }
    tagMapProblems(p.tags.static, ctx, ['tags', 'static']);
    const reserved =
      (p.copy ? RESERVED_TAGS_ON_COPY : Object.keys(OWNERSHIP_KEYS).length + 1) + (p.restoreDrill ? Object.keys(DRILLED_KEYS).length : 0);
    const fixed = reserved + Object.keys(p.tags.static).length;
    if (fixed > MAX_TAGS_PER_RESOURCE) {
      ctx.addIssue({
        code: 'custom',
        path: ['tags', 'static'],
        message: `the orchestrator's ${reserved} tags and the static tags come to ${fixed}, over the ${MAX_TAGS_PER_RESOURCE}-tag limit`,
      });
    }
    for (const key of p.tags.required) {
      if (!(key in p.tags.static) && !p.tags.copySourceTags) {
        ctx.addIssue({
          code: 'custom',
          path: ['tags', 'required'],
          message: `required key "${key}" has no source: add it to tags.static or set copySourceTags`,
        });
      }
    }
    if (p.retention && isEmptyRules(p.retention)) {
      ctx.addIssue({ code: 'custom', path: ['retention'], message: 'set at least one keep rule, or omit retention' });
    }
  });

const pollSchema = z
  .strictObject({
    initialSeconds: z.number().int().min(1).max(3600).default(600).describe('Seconds of the first wait after operations start'),
    maxSeconds: z.number().int().min(1).max(3600).default(3600).describe('The longest wait between checks'),
    backoff: z.number().min(1).max(4).default(2).describe('Each wait is this many times the last, up to maxSeconds'),
    maxIterations: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe(
        'Bound on checks per run; default as many as fit in a run (66 h) at the shortest wait (initialSeconds, which the loop keeps while copies queue), at most 1000; what is still pending then is reported DEADLINE_EXCEEDED',
      ),
  })
  // Without maxIterations, the loop may check as often as its shortest waits fit in a run.
  .transform((p) => ({ ...p, maxIterations: p.maxIterations ?? checksThatFit(p), iterationsSet: p.maxIterations !== undefined }));

/** The wait after one of `previous` seconds: `backoff` times longer, between initialSeconds and maxSeconds. */
export function grownWait(poll: { initialSeconds: number; maxSeconds: number; backoff: number }, previous: number): number {
  return Math.min(poll.maxSeconds, Math.max(poll.initialSeconds, Math.round(previous * poll.backoff)));
}

/**
 * The most checks a run can hold: waits grow by `backoff`, but while copies queue for a free slot the loop
 * waits only initialSeconds (so a freed slot is used within one short wait), so a run may be all short waits.
 * At most 1000 (about 9,000 history events, well inside Step Functions' 25,000).
 */
export function checksThatFit(p: { initialSeconds: number }): number {
  return Math.max(1, Math.min(1000, Math.floor(RUN_BUDGET_SECONDS / p.initialSeconds)));
}

const settingsSchema = z.strictObject({
  maxCopiesInFlight: z
    .number()
    .int()
    .min(1)
    .max(5)
    .default(5)
    .describe('Copies in flight in the account and region at once, counted across all runs (AWS allows 5); further copies queue'),
  poll: pollSchema.prefault({}).describe('How the run waits between checks of its operations'),
  concurrency: z.number().int().min(1).max(50).default(10).describe('AWS calls in flight per Lambda'),
  audit: z
    .strictObject({
      allow: z
        .array(z.string().min(1))
        .default([])
        .describe(
          'Clusters deliberately left out of every policy: elastic cluster ARNs, or <account>:<cluster id> of a source cluster behind shared snapshots; the coverage audit lists them as allowed, not unprotected',
        ),
    })
    .prefault({})
    .describe('The coverage audit: which clusters no policy protects'),
});

export const fileSchema = z
  .strictObject({
    settings: settingsSchema.prefault({}).describe('Settings for all policies'),
    policies: z.array(policySchema).min(1, 'define at least one policy').describe('The backup policies'),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    const prefixes = new Map<string, string>();
    f.policies.forEach((p, i) => {
      if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: ['policies', i, 'name'], message: 'duplicate name' });
      seen.add(p.name);
      if (!p.copy) return;
      // Copies are named <prefix>-<cluster>-<time>-<hash>: two policies with one prefix would claim each other's copies.
      const prefix = copyPrefix(p).toLowerCase();
      const other = prefixes.get(prefix);
      if (other) {
        ctx.addIssue({
          code: 'custom',
          path: ['policies', i, 'copy', 'targetPrefix'],
          message: `copies would be named like policy "${other}"'s (prefix "${prefix}"): set a different copy.targetPrefix`,
        });
      } else prefixes.set(prefix, p.name);
    });
  });

export type PolicyFile = z.output<typeof fileSchema>;
export type Policy = PolicyFile['policies'][number];
export type Retention = NonNullable<Policy['retention']>;

/** The object schema a path of the file leads to (through lists, optionals, defaults and transforms), if any. */
function schemaAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): z.core.$ZodType | undefined {
  const unwrap = (s: z.core.$ZodType): z.core.$ZodType => {
    const def = s._zod.def as { innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    const inner = def.innerType ?? def.in;
    return inner ? unwrap(inner) : s;
  };
  let at: z.core.$ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    const def = at._zod.def as { shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType };
    const next: z.core.$ZodType | undefined = typeof segment === 'number' ? def.element : def.shape?.[String(segment)];
    if (!next) return undefined;
    at = unwrap(next);
  }
  return at;
}

/** Fields the object at a path of the file knows, in the schema's order. */
function knownFields(path: readonly PropertyKey[]): string[] {
  const at = schemaAt(fileSchema, path);
  return Object.keys((at?._zod.def as { shape?: Record<string, unknown> } | undefined)?.shape ?? {});
}

/** Optimal string alignment distance, ignoring case: insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const [s, t] = [a.toLowerCase(), b.toLowerCase()];
  // d[i][j]: the distance between the first i characters of s and the first j of t.
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : i)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[s.length] as number[])[t.length] as number;
}

/** The known field closest to a misspelt one, when it is close: at most 2 edits, and no more than a third of its length (1 for short words). */
export function closestField(unknown: string, known: readonly string[]): string | undefined {
  const limit = Math.min(2, Math.max(1, Math.floor(unknown.length / 3)));
  let best: { field: string; distance: number } | undefined;
  for (const field of known) {
    const distance = editDistance(unknown, field);
    if (distance <= limit && (!best || distance < best.distance)) best = { field, distance };
  }
  return best?.field;
}

/** A path as a user reads it: `tags.static."cost center"`, `schedules.0.expression` (keys other than plain words quoted). */
function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' || /^[A-Za-z_][A-Za-z0-9_-]*$/.test(String(p)) ? String(p) : JSON.stringify(String(p))))
    .join('.');
}

/** The messages for one issue: an unknown field suggests the known one it is closest to, or lists those allowed. */
function issueMessages(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownFields(issue.path);
    return issue.keys.map((key) => {
      const close = closestField(key, known);
      const hint = close ? `did you mean "${close}"?` : known.length > 0 ? `the fields allowed here are ${known.join(', ')}` : 'remove it';
      return `unknown field ${JSON.stringify(key)}: ${hint}`;
    });
  }
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
    const what = issue.expected === 'array' ? 'a list' : `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    return [`is required (${what}): add it`];
  }
  if (issue.code === 'invalid_type' && issue.path.length === 0) {
    const received = / received (\w+)$/.exec(issue.message)?.[1];
    return received === 'null'
      ? ['the file is empty: define a policies: list with at least one policy']
      : [`must be a YAML mapping with a policies: list, not ${received === 'array' ? 'a list' : `a ${received}`}`];
  }
  return [issue.message];
}

/** Formats zod issues as `policy "daily": retention.keepDaily: must be ...`, one message per problem. */
function describeIssues(raw: unknown, issues: readonly z.core.$ZodIssue[]): string {
  const policies = (raw as { policies?: { name?: unknown }[] } | undefined)?.policies;
  return issues
    .flatMap((issue) => {
      const path = [...issue.path];
      let where = 'policy file';
      if (path[0] === 'policies' && typeof path[1] === 'number') {
        const name = policies?.[path[1]]?.name;
        where = typeof name === 'string' ? `policy "${name}"` : `policy #${path[1] + 1}`;
        path.splice(0, 2);
      }
      // An unknown field is named in the message: the path is that of the object holding it.
      let field = path.length > 0 ? `${formatPath(path)}: ` : '';
      if (!field && where !== 'policy file' && issue.code !== 'unrecognized_keys') field = '(whole policy): ';
      return issueMessages(issue).map((message) => `${where}: ${field}${message}`);
    })
    .join('; ');
}

export function parsePolicyFile(raw: unknown): PolicyFile {
  const result = fileSchema.safeParse(raw);
  if (!result.success) throw new ValidationError(describeIssues(raw, result.error.issues));
  return result.data;
}

/** Why a YAML error happened, in one line (the `yaml` package's own advice to call another function is dropped). */
function yamlReason(err: { code: string; message: string }): string {
  if (err.code === 'MULTIPLE_DOCS') return 'the file holds more than one YAML document (a --- line): keep one';
  return err.message.replace(/\s*\n\s*/g, ' ').trim();
}

/** Parses the file's YAML and checks it; a syntax error is reported as `policy file: YAML syntax error at line L, column C: reason`, one line each. */
export function parsePolicyYaml(text: string): PolicyFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    const messages = doc.errors.map((err) => {
      const { line, col } = lines.linePos(err.pos[0]);
      return `policy file: YAML syntax error at line ${line}, column ${col}: ${yamlReason(err)}`;
    });
    throw new ValidationError(messages.join('\n'));
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    throw new ValidationError(`policy file: not valid YAML: ${yamlReason({ code: '', message: (err as Error).message })}`);
  }
  return parsePolicyFile(raw);
}

/** The prefix of a policy's copy names: `copy.targetPrefix`, else the first 11 characters of the policy name plus `-copy`. */
export function copyPrefix(p: { name: string; copy?: { targetPrefix?: string } }): string {
  return p.copy?.targetPrefix ?? `${p.name.slice(0, 11)}-copy`;
}

export function findPolicy(file: PolicyFile, name: string): Policy | undefined {
  return file.policies.find((p) => p.name === name);
}

/** The retention rules as the pure core takes them. */
export function retentionRules(r: Retention): RetentionRules {
  const { minKeep: _minKeep, ...rules } = r;
  return rules;
}

/** The policy's retention for a run, or undefined when it has none or the run skips retention. */
export function retentionSettings(policy: Policy, run: { skip: readonly string[] }): RetentionSettings | undefined {
  if (!policy.retention || run.skip.includes('retention')) return undefined;
  return { rules: retentionRules(policy.retention), minKeep: policy.retention.minKeep };
}
