/**
 * Restore drills, pure: which targets a drill run restores and from which snapshot, the drill cluster's
 * name and tags, what its status means, the monthly cluster-hour cap, and where the drill loop goes next.
 * The AWS side is functions/workflow/drills.ts.
 */
import { createHash } from 'node:crypto';
import { shortHash, slug, timeToken } from './naming.js';
import { grownWait, type Policy } from './policy.js';
import type { Failure } from './run.js';
import { DRILL_KEYS, DRILLED_KEYS, MANAGED_BY_VALUE, OWNERSHIP_KEYS, type TagMap } from './tags.js';

export type DrillSettings = NonNullable<Policy['restoreDrill']>;
export type DrillKind = 'elastic' | 'copy';

/** A drill run, fixed when it starts. */
export interface DrillRun {
  /** The execution name. */
  id: string;
  policy: string;
  startedAt: string;
  dryRun: boolean;
  /** When given: only these targets (elastic cluster ARNs or `<account>:<source cluster>`). */
  targets?: string[];
  accountId: string;
  region: string;
}

/** One drill: a target's snapshot restored into a drill cluster, timed, validated and deleted. */
export interface Drill {
  target: string;
  /** Cluster name (elastic) or `<account>:<source cluster>` (copies), for people. */
  of: string;
  kind: DrillKind;
  /** The snapshot's engine (copies: RestoreDBClusterFromSnapshot needs it). */
  engine?: string;
  /** What the restore call takes: the elastic snapshot ARN, or the RDS snapshot identifier. */
  snapshot: string;
  snapshotArn: string;
  /** The point in time the snapshot holds (ISO). */
  snapshotTime: string;
  /** The drill cluster's name (elastic clusterName / RDS DBClusterIdentifier). */
  cluster: string;
  clusterArn?: string;
  endpoint?: string;
  /** The instance a validated copy drill adds (RDS clusters are not reachable without one). */
  instance?: string;
  phase: 'queued' | 'restoring' | 'instance' | 'validating' | 'deleting' | 'done';
  requestedAt?: string;
  /** Request to ACTIVE/available, in seconds. */
  restoreSeconds?: number;
  result?: 'passed' | 'failed';
  code?: Failure['code'];
  message?: string;
  /** The drill cluster could not be deleted: reported, and deleted by the next drill run's sweep. */
  leaked?: boolean;
}

export interface SweptCluster {
  cluster: string;
  kind: DrillKind;
  /** Hours since the drill started. */
  ageHours: number;
  /** Delete started (false: it could not be deleted: still alive). */
  deleted: boolean;
  message?: string;
}

export type DrillNext = 'wait' | 'validate' | 'report';

/** The state between the drill workflow's steps. */
export interface DrillState {
  run: DrillRun;
  progress: DrillProgress;
}

export interface DrillProgress {
  next: DrillNext;
  iteration: number;
  waitSeconds: number;
  /** At most `sample` (≤ 20) drills: the payload stays small. */
  drills: Drill[];
  /** Targets left out, with why (cap reached, no snapshot, ...): at most 20 listed, all counted. */
  skipped: { target: string; reason: string }[];
  skippedCount: number;
  /** Leaked drill clusters the sweep found (first 20) and how many. */
  swept: SweptCluster[];
  sweptCount: number;
  /** Live drill clusters of this policy from other runs (they count against maxConcurrent). */
  othersAlive: number;
  /** Drill clusters of this policy alive at the end that should not be (delete failed, or past their lifetime). */
  aliveAtEnd?: number;
  /** Drills whose cluster is ready to validate: the Map state invokes the validation function for each. */
  toValidate: ValidationRequest[];
  /** Cluster-hours of this policy's drills this month before this run, and this run's estimate. */
  clusterHours: { usedThisMonth: number; estimate: number; cap: number };
  /** The first failures, as in a backup run. */
  failures: Failure[];
}

/** What the validation function is invoked with (and, through the Map state, what comes back). */
export interface ValidationRequest {
  functionArn: string;
  payload: {
    cluster: string;
    clusterArn?: string;
    endpoint?: string;
    kind: DrillKind;
    snapshotArn: string;
    snapshotTime: string;
    target: string;
    policy: string;
    secretArn: string;
  };
}

/** The validation function's answer (its Payload), or the error the Map caught. */
export interface ValidationResult {
  cluster: string;
  passed?: boolean;
  message?: string;
  error?: string;
}

export const MAX_DRILL_LISTED = 20;

/** The drill cluster's name: `drill-<policy>-<target hash>-<start time>`, unique per run and target, valid for both APIs. */
export function drillClusterName(policy: string, target: string, runStartedAt: Date): string {
  return ['drill', slug(policy, 16), shortHash(policy, target), timeToken(runStartedAt)].join('-');
}

/** True for a name the orchestrator's drills use (a cheap filter before tags are read; the tags decide). */
export const looksLikeDrillCluster = (name: string | undefined): boolean => /^drill-[a-z0-9-]+-[0-9a-z]{6}-\d{12}$/.test(name ?? '');

/** Tags of a drill cluster; `drill` is the tag IAM's delete permission requires. */
export function drillClusterTags(
  policy: string,
  run: Pick<DrillRun, 'id'>,
  drill: Pick<Drill, 'snapshotArn' | 'target'>,
  startedAt: Date,
): TagMap {
  return {
    [OWNERSHIP_KEYS.managedBy]: MANAGED_BY_VALUE,
    [DRILL_KEYS.drill]: policy,
    [DRILL_KEYS.run]: run.id,
    [DRILL_KEYS.snapshot]: drill.snapshotArn.slice(0, 256),
    [DRILL_KEYS.target]: drill.target.slice(0, 256),
    [DRILL_KEYS.startedAt]: startedAt.toISOString(),
  };
}

/** A drill cluster of this policy, by its tags (undefined: not a drill cluster of this policy). */
export function drillClusterOf(tags: TagMap, policy: string): { run: string; startedAt: Date | undefined } | undefined {
  if (tags[DRILL_KEYS.drill] !== policy || tags[OWNERSHIP_KEYS.managedBy] !== MANAGED_BY_VALUE) return undefined;
  const t = Date.parse(tags[DRILL_KEYS.startedAt] ?? '');
  return { run: tags[DRILL_KEYS.run] ?? '', startedAt: Number.isNaN(t) ? undefined : new Date(t) };
}

/** True when a cluster is any policy's drill cluster: never backed up, audited or drilled. */
export const isDrillCluster = (tags: TagMap): boolean => tags[DRILL_KEYS.drill] !== undefined;

/** Retention keeps a snapshot a drill is restoring from until the drill's deadline has passed. */
export function drillHold(tags: TagMap | undefined, now: Date): string | undefined {
  const until = Date.parse(tags?.[DRILLED_KEYS.until] ?? '');
  return !Number.isNaN(until) && until > now.getTime() ? `restore drill until ${new Date(until).toISOString()}` : undefined;
}

/** The last drill of a snapshot, from its tags. */
export function lastDrillOf(tags: TagMap): { result: string; at: string; restoreSeconds?: number } | undefined {
  const result = tags[DRILLED_KEYS.result];
  const at = tags[DRILLED_KEYS.at];
  if (!result || !at) return undefined;
  const seconds = Number(tags[DRILLED_KEYS.restoreSeconds]);
  return { result, at, ...(Number.isFinite(seconds) ? { restoreSeconds: seconds } : {}) };
}

/** The outcome tags a drill leaves on its snapshot (each value within AWS's 256 characters). */
export function drilledTags(drill: Drill, at: Date): TagMap {
  const result = drill.result === 'passed' ? 'passed' : `failed: ${drill.code ?? ''} ${drill.message ?? ''}`.trim();
  return {
    [DRILLED_KEYS.result]: result.slice(0, 256),
    [DRILLED_KEYS.at]: at.toISOString(),
    ...(drill.restoreSeconds !== undefined ? { [DRILLED_KEYS.restoreSeconds]: String(drill.restoreSeconds) } : {}),
    [DRILLED_KEYS.until]: at.toISOString(),
  };
}

/** A number in [0, 1) from text: the same run chooses the same targets and snapshots when a step is retried. */
export function seeded(...parts: string[]): () => number {
  let counter = 0;
  return () => {
    const h = createHash('sha256')
      .update(`${parts.join('\u0000')}\u0000${counter++}`)
      .digest();
    return h.readUInt32BE(0) / 2 ** 32;
  };
}

/** `n` of the targets, chosen at random by the run (the whole list in its order when n covers it). */
export function sampleTargets<T extends { target: string }>(targets: readonly T[], n: number, random: () => number): T[] {
  const sorted = [...targets].sort((a, b) => a.target.localeCompare(b.target));
  if (n >= sorted.length) return sorted;
  for (let i = sorted.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sorted[i], sorted[j]] = [sorted[j] as T, sorted[i] as T];
  }
  return sorted.slice(0, n);
}

/** The snapshot a drill restores: the newest, or one at random among those within the window (newest when none is). */
export function chooseSnapshot<S extends { time: Date }>(
  snapshots: readonly S[],
  settings: Pick<DrillSettings, 'select' | 'windowDays'>,
  now: Date,
  random: () => number,
): S | undefined {
  const newest = [...snapshots].sort((a, b) => b.time.getTime() - a.time.getTime());
  if (settings.select === 'latest' || newest.length === 0) return newest[0];
  const since = now.getTime() - settings.windowDays * 86_400_000;
  const inWindow = newest.filter((s) => s.time.getTime() >= since);
  if (inWindow.length === 0) return newest[0];
  return inWindow[Math.floor(random() * inWindow.length)];
}

/** The most cluster-hours one drill can cost: it is deleted at its deadline at the latest (plus the delete). */
export const clusterHoursPerDrill = (settings: Pick<DrillSettings, 'deadlineMinutes'>): number => settings.deadlineMinutes / 60 + 0.5;

/** The first instant of the month (UTC) of `now`: the cap counts from there. */
export const monthStart = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

/** How a drill cluster's status reads. Elastic (model's Status enum) and RDS statuses. */
export function drillClusterPhase(kind: DrillKind, status: string | undefined): 'creating' | 'ready' | 'deleting' | 'failed' | 'gone' {
  if (status === undefined) return 'gone';
  if (kind === 'elastic') {
    if (status === 'ACTIVE') return 'ready';
    if (status === 'CREATING' || status === 'UPDATING' || status === 'MODIFYING') return 'creating';
    if (status === 'DELETING') return 'deleting';
    return 'failed';
  }
  if (status === 'available') return 'ready';
  if (['creating', 'backing-up', 'modifying', 'resetting-master-credentials', 'upgrading', 'migrating', 'renaming'].includes(status))
    return 'creating';
  if (status === 'deleting') return 'deleting';
  return 'failed';
}

/** The next step of the drill loop, and the next wait (grows like the backup loop's, never past the deadline). */
export function drillRoute(p: DrillProgress, poll: { initialSeconds: number; backoff: number; maxSeconds: number }): DrillProgress {
  if (p.toValidate.length > 0) return { ...p, next: 'validate' };
  if (p.drills.every((d) => d.phase === 'done')) return { ...p, next: 'report' };
  const wait = p.iteration === 0 ? poll.initialSeconds : grownWait(poll, p.waitSeconds);
  return { ...p, next: 'wait', waitSeconds: Math.min(wait, 900) };
}
