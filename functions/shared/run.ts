/**
 * The run: what travels between the states. Kept small on purpose: per-target detail stays in AWS
 * (deterministic names and ownership tags), so the payload does not grow with the fleet.
 */
import { z } from 'zod';
import { type ErrorCode, isTransient, OrchestratorError } from './errors.js';
import { shortHash } from './naming.js';

export const SKIPPABLE = ['create', 'copy', 'retention'] as const;
export type Skippable = (typeof SKIPPABLE)[number];

export interface Run {
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
  createDeadline: string;
}

export interface Failure {
  target: string;
  code: ErrorCode;
  message: string;
}

/** Most failures kept in the payload; the count is always exact. */
export const MAX_FAILURES_KEPT = 50;

export interface Progress {
  /** Snapshots created by this run (CreateClusterSnapshot succeeded). */
  created: number;
  /** Snapshots of this slot that already existed (an earlier attempt made them). */
  adopted: number;
  /** Elastic snapshots of this run still creating. */
  pendingCreates: number;
  /** Copies started by this run. */
  copiesStarted: number;
  /** Copies of this run that are available. */
  copied: number;
  /** Copies of this run still copying, plus copies waiting for a free slot. */
  pendingCopies: number;
  /** Elastic creates to try again (transient failure), as [clusterArn, clusterName]. */
  retryCreates: [string, string][];
  /** Short hashes of the targets that failed in this run: not tried or reported again, exact beyond the kept failures. */
  failedKeys: string[];
  /** Elastic snapshots adopted from an earlier attempt: their tags get checked. */
  adoptedArns: string[];
  /** Operations the plan held (creates + copies), for progress display. */
  planned: number;
  skipped: number;
  /** Dry run: what a real run would start. */
  wouldCreate: number;
  wouldCopy: number;
  failures: Failure[];
  failureCount: number;
  failuresByCode: Partial<Record<ErrorCode, number>>;
  iteration: number;
  waitSeconds: number;
  /** True while anything is creating, copying or queued. */
  pending: boolean;
}

export interface StepOutcome extends FailureLog {
  count: number;
}

export interface RetentionOutcome extends StepOutcome {
  kept: number;
  /** The deletions with their reasons (the first 20; every deletion is logged with its reasons). */
  deleted: { snapshot: string; target: string; reasons: string[] }[];
  wouldDelete: number;
  /** Age in hours of the newest available owned snapshot, worst target; absent when there is none. */
  recoveryPointAgeHours?: number;
}

/** Failures as every step records them: the first 50 in full, the count and the count per code exact. */
export interface FailureLog {
  failures: Failure[];
  failureCount: number;
  failuresByCode: Partial<Record<ErrorCode, number>>;
  /** Kept by the long-running steps (Plan And Start, Check Operations) to act on each target once. */
  failedKeys?: string[];
}

export const emptyFailureLog = (): FailureLog => ({ failures: [], failureCount: 0, failuresByCode: {} });

export function addFailure(p: FailureLog, f: Failure): void {
  p.failureCount++;
  p.failuresByCode[f.code] = (p.failuresByCode[f.code] ?? 0) + 1;
  if (p.failures.length < MAX_FAILURES_KEPT) p.failures.push(f);
  const key = shortHash(f.target);
  if (p.failedKeys && !p.failedKeys.includes(key)) p.failedKeys.push(key);
}

/**
 * Per-item errors of a step that can simply run again (tags, retention): transient ones are held back and
 * fail the step once the other items are done, so the state machine retries it with backoff; the rest
 * are the item's failure.
 */
export class ItemErrors {
  private readonly transient: OrchestratorError[] = [];
  constructor(private readonly log: FailureLog) {}

  record(target: string, e: OrchestratorError): void {
    if (isTransient(e.code)) this.transient.push(e);
    else addFailure(this.log, { target, code: e.code, message: e.message });
  }

  /** Throws (stable name: ThrottlingError or InternalError) when any item failed transiently. */
  throwIfTransient(): void {
    const first = this.transient[0];
    if (first) throw new OrchestratorError(first.code, `${this.transient.length} items failed transiently, first: ${first.message}`);
  }
}

/** True when the target already failed in this run. */
export function hasFailed(p: FailureLog, target: string): boolean {
  return p.failedKeys ? p.failedKeys.includes(shortHash(target)) : p.failures.some((f) => f.target === target);
}

/** Execution input from a schedule, the console or the CLI. Unknown fields are rejected. */
export const runInputSchema = z.strictObject({
  policy: z.string().min(1, 'is required').max(40, 'must be at most 40 characters'),
  dryRun: z.boolean().optional(),
  targets: z.array(z.string().min(1).max(2048)).max(1000, 'at most 1000 targets').optional(),
  skip: z.array(z.enum(SKIPPABLE)).optional(),
  scheduledTime: z.iso.datetime({ offset: true }).optional(),
});
export type RunInput = z.infer<typeof runInputSchema>;
