/**
 * The run: what travels between the states. Kept small on purpose: per-target detail stays in AWS
 * (deterministic names and tags); the payload holds counters, cursors, at most a few bounded lists, and
 * the deletions decided but not yet done (written ahead, so a retried step counts each deletion once).
 * Every step returns a new state and never changes its input.
 */
import * as z from 'zod';
import type { ErrorCode } from './errors.js';

export const SKIPPABLE = ['create', 'copy', 'retention'] as const;
export type Skippable = (typeof SKIPPABLE)[number];

export interface Run {
  /** The execution name: unique per execution, set on everything the run makes (`run-id` tag). */
  id: string;
  policy: string;
  /** The scheduled slot (minute precision): names derive from it, so a re-run of a slot is idempotent. */
  slot: string;
  startedAt: string;
  dryRun: boolean;
  skip: Skippable[];
  /** Subset of elastic cluster ARNs and shared snapshot ARNs, when the start named some. */
  targets?: string[];
  accountId: string;
  region: string;
  /** Creates still running then are reported DEADLINE_EXCEEDED. */
  createDeadline: string;
  /** The check loop ends here at the latest, leaving the state machine's margin for tags, retention and the report. */
  runDeadline: string;
}

export interface Failure {
  /** The cluster ARN (elastic) or the source snapshot ARN (copies); the message names it too. */
  target: string;
  code: ErrorCode;
  message: string;
}

/** Most failures kept in the payload; the count and the count per code are always exact. */
export const MAX_FAILURES_KEPT = 50;

export interface FailureLog {
  failures: Failure[];
  failureCount: number;
  failuresByCode: Partial<Record<ErrorCode, number>>;
}

export const emptyFailureLog = (): FailureLog => ({ failures: [], failureCount: 0, failuresByCode: {} });

export function withFailures(log: FailureLog, added: readonly Failure[]): FailureLog {
  if (added.length === 0) return log;
  const byCode = { ...log.failuresByCode };
  for (const f of added) byCode[f.code] = (byCode[f.code] ?? 0) + 1;
  return {
    failures: [...log.failures, ...added].slice(0, MAX_FAILURES_KEPT),
    failureCount: log.failureCount + added.length,
    failuresByCode: byCode,
  };
}

/** A snapshot as the reports show it: name, what it belongs to, the time it holds, why. */
export interface SnapshotLine {
  /** Elastic snapshot ARN or RDS snapshot ARN. */
  arn: string;
  name: string;
  /** Cluster name (elastic) or `<owner account>:<source cluster>` (copies). */
  of: string;
  /** The point in time it holds (ISO). */
  time: string;
  reasons?: string[];
}

/** What happened to one snapshot in a run (or, in a dry run, would happen). */
export type SnapshotAction =
  'created' | 'would-create' | 'copied' | 'would-copy' | 'declined' | 'left-to-other-run' | 'deleted' | 'would-delete' | 'kept';

/**
 * One snapshot's outcome with its reasons. The run state keeps only the first MAX_LISTED of each kind
 * (the counts are exact); every one is recorded through `Deps.record`: a log line in Lambda, the full
 * lists of `npm start --json` and `plan`.
 */
export interface SnapshotRecord extends SnapshotLine {
  action: SnapshotAction;
  part: PartName;
}

/** Creates kept to try again at most (busy or throttled clusters); past it, new creates wait for the next check. */
export const MAX_RETRY = 100;

/** Entries of each list kept in the state; the counts are exact, the rest is in the logs. */
export const MAX_LISTED = 20;

/** Clusters the elastic part watches (a uniform sample of its creates) to tell when its creates are done. */
export const WATCH_SIZE = 20;

/** Clusters the elastic retention walk holds at most while their slot snapshot is still creating. */
export const MAX_PENDING = 50;

/** A retention plan stops growing at this many bytes (and at MAX_PLAN deletions): the state stays small. */
export const PLAN_BYTES = 32 * 1024;

/**
 * The whole state stays under this (Step Functions' limit is 256 KiB; the target is 64 KiB): past it, the
 * informational lists (the first snapshots and failures, whose counts are exact) give way, never work.
 */
export const STATE_BYTES = 60 * 1024;

/** A deletion decided and written ahead: the next invocation carries it out. */
export interface PlannedDeletion extends Omit<SnapshotLine, 'arn'> {
  kind: 'elastic' | 'copy';
  /** Elastic ARN or RDS identifier: what the delete call takes. */
  id: string;
  /** The snapshot's ARN where it is not `id` (a copy's); kept out of the state where it is. */
  arn?: string;
  target: string;
  /** A delete was sent before (it met a transient error): one of those attempts may have landed. */
  tried?: boolean;
}

export type PartName = 'elastic' | 'copies';

/** Freshness of a part's current targets: the stalest target decides. */
export interface Freshness {
  targets: number;
  /** Targets with no recovery point at all (they count from their first scheduled run). */
  withoutRecoveryPoint: number;
  /** The stalest target's newest recovery point (or its first scheduled run), ISO. */
  stalest?: string;
  stalestTarget?: string;
}

export interface RetentionProgress {
  /** Deletions decided by the last invocation, done by the next (at most a chunk). */
  plan: PlannedDeletion[];
  /** The value of `interrupted` when the plan was written: a higher one means it may have run before. */
  planIssuedAt: number;
  /** Targets up to here (in sorted order) are decided. */
  cursor?: string;
  /** True once every target is decided and every decided deletion carried out. */
  done: boolean;
  /** Rounds that met transient errors in a row (backoff, bounded). */
  retries: number;
  /** Snapshots deleted (each counted once, whatever was retried). */
  deleted: number;
  /** Owned, available snapshots the rules keep. */
  kept: number;
  /** In a dry run: the snapshots retention would delete. */
  wouldDelete: number;
  /** The first deleted (or, in a dry run, to be deleted) snapshots with their reasons. */
  listed: SnapshotLine[];
  /** How fresh the part's targets are once every target is decided. */
  freshness: Freshness;
  /** Elastic: the walk over the account's clusters (each cluster's snapshots listed on their own). */
  walk?: ElasticWalk;
  /** Elastic: clusters ([ARN, name]) whose slot snapshot was still creating when walked (at most MAX_PENDING), decided once it is done. */
  pending?: [string, string][];
  /** Elastic: the walk waits for the next check (a snapshot it waits for is still creating). */
  waiting?: boolean;
}

export const emptyRetention = (): RetentionProgress => ({
  plan: [],
  planIssuedAt: 0,
  done: false,
  retries: 0,
  deleted: 0,
  kept: 0,
  wouldDelete: 0,
  listed: [],
  freshness: { targets: 0, withoutRecoveryPoint: 0 },
});

export type PartStage = 'off' | 'active' | 'tags' | 'retention' | 'done';

/** Where a part is: off (not in this run), active (operations), tags, retention, done. */
export interface ElasticProgress {
  stage: PartStage;
  /** Creates: clusters (sorted by ARN) up to this one were tried; '' before the first round; absent once all were. */
  cursor?: string;
  /** Clusters whose create must be tried again (busy or throttled) as [ARN, name], retried at each check until the deadline. */
  retry: [string, string][];
  /** Targets tried so far. */
  targets: number;
  /** Snapshots this run's creates made (told apart by their run-id tag). */
  created: number;
  /** Snapshots an earlier execution of the same slot made, found by name and taken over. */
  adopted: number;
  /** This run's snapshots still creating at the last check. */
  pending: number;
  /** In a dry run: the creates a real run would start. */
  wouldCreate: number;
  /** The first MAX_LISTED created snapshots, for the report. */
  listedCreated: SnapshotLine[];
  /** When the part finished creating (its freshness follows within one poll interval). */
  doneAt?: string;
  /** When the part's freshness metrics were emitted (once per run). */
  reportedAt?: string;
  /**
   * A uniform sample (at most WATCH_SIZE, by hash) of the clusters this run snapshotted: the checks follow
   * these; once none is creating, retention walks every cluster and waits for any still creating.
   */
  watch?: string[];
}

/** Where the elastic retention walk over the account's clusters stands. */
export interface ElasticWalk {
  /** The explicit clusters first (the run's subset, or the policy's clusterArns), then ListClusters' pages. */
  phase: 'explicit' | 'pages' | 'done';
  /** Explicit clusters walked. */
  explicit: number;
  /** The ListClusters page being walked (absent: the first), and the next cluster in it. */
  token?: string;
  index: number;
  /** Clusters of the pages walked so far (to skip them if a page token is refused). */
  walked: number;
  /** The last cluster walked in the current page: the walk resumes just after it (positions move when clusters come and go). */
  last?: string;
}

export interface InFlightCopy {
  /** Copy identifier (lower case). */
  name: string;
  /** The shared source snapshot's ARN. */
  source: string;
  /** `<owner account>:<source cluster>`. */
  target: string;
  /** The source's creation time (ISO): the point in time the copy holds. */
  sourceTime: string;
  /** When this run started the copy (ISO): its deadline counts from here. */
  startedAt: string;
  /** Started, but the answer was lost: the next listing tells whose it is. */
  unconfirmed?: boolean;
  /** The error a retried start ended with, reported if the next listing shows no copy after all. */
  error?: Pick<Failure, 'code' | 'message'>;
}

export interface CopyProgress {
  stage: PartStage;
  /** The last source (queue order) this run tried; later ones are still queued. */
  cursor?: string;
  /** This run's copies still copying (bounded by the account's copies in flight). */
  inFlight: InFlightCopy[];
  /** Copies this run means to make: started + queued + wouldCopy. */
  planned: number;
  /** Copies this run started. */
  started: number;
  /** Copies this run started that reached available. */
  copied: number;
  /** Sources waiting for a free copy slot. */
  queued: number;
  /** Sources a copy of which another run has in flight: left to it. */
  leftToOthers: number;
  /** Sources not copied because retention would delete the copy at once. */
  declined: number;
  /** Sources already held by a copy from an earlier run. */
  held: number;
  /** In a dry run: the copies a real run would start. */
  wouldCopy: number;
  /** The first MAX_LISTED copies made (or, in a dry run, to be made), for the report. */
  listedCopied: SnapshotLine[];
  /** The first MAX_LISTED sources left to other runs or declined, with why. */
  listedLeft: SnapshotLine[];
  /** When the part's copies were all done. */
  doneAt?: string;
  /** When the part's freshness metrics were emitted (once per run). */
  reportedAt?: string;
}

export type NextStep = 'create' | 'wait' | 'tag' | 'retain' | 'retain-later' | 'report';

/**
 * A run's progress: what every step returns (a new value; no step mutates its input) and the state
 * machine's `Next Step?` routes on. It holds counters, cursors and bounded lists, never a fleet.
 */
export interface Progress {
  /** The step to run next (statemachine: the `Next Step?` choice). */
  next: NextStep;
  /** The part `tag`/`retain` works on. */
  part?: PartName;
  /** Checks so far. */
  iteration: number;
  /** The next Wait's length: grows each check (settings.poll), never past the run deadline. */
  waitSeconds: number;
  /** The elastic snapshots part. */
  elastic: ElasticProgress;
  /** The copies of shared snapshots part. */
  copies: CopyProgress;
  /** Retention of each part. */
  retention: Record<PartName, RetentionProgress>;
  /** Snapshots whose tags this run changed. */
  tagged: number;
  /** The failures so far: exact counts, the first MAX_FAILURES_KEPT in full. */
  log: FailureLog;
}

/** The whole state between steps. `interrupted` counts retention invocations the state machine saw die. */
export interface RunState {
  run: Run;
  progress: Progress;
  interrupted?: number;
  /** Apply Retention only: how many times Step Functions retried this visit ($$.State.RetryCount). */
  retryCount?: number;
}

/** Execution input from a schedule, the console or the CLI. Unknown fields are rejected. */
export const runInputSchema = z.strictObject({
  policy: z.string().min(1, 'is required').max(40, 'must be at most 40 characters'),
  dryRun: z.boolean().optional(),
  targets: z.array(z.string().min(1).max(2048)).max(1000, 'at most 1000 targets').optional(),
  skip: z.array(z.enum(SKIPPABLE)).optional(),
  scheduledTime: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 time with a time zone, such as 2026-11-22T03:00:00Z' })
    .optional(),
});
export type RunInput = z.infer<typeof runInputSchema>;
