/**
 * Report: the run's result envelope (seed 000 format), and the failure envelope for a run that
 * could not go on. A run with failed targets SUCCEEDS as an execution with status PARTIAL.
 */
import { ERROR_CODES, ERROR_NAMES, type ErrorCode, type FailureEnvelope } from '../shared/errors.js';
import type { RunFigures } from '../shared/telemetry.js';
import {
  emptyFailureLog,
  type Failure,
  MAX_FAILURES_KEPT,
  type Progress,
  type RetentionOutcome,
  type Run,
  type StepOutcome,
} from '../shared/run.js';

export interface ReportInput {
  run: Run;
  progress: Progress;
  tagging?: StepOutcome;
  retention?: RetentionOutcome;
}

export interface Summary {
  created: number;
  copied: number;
  deleted: number;
  kept: number;
  tagged: number;
  skipped: number;
  failed: number;
}

export interface ResultEnvelope {
  success: true;
  data: {
    id: string;
    created_at: string;
    status: 'SUCCEEDED' | 'PARTIAL';
    policy: string;
    slot: string;
    dryRun: boolean;
    summary: Summary;
    failures: Failure[];
    failuresOmitted: number;
    deleted: RetentionOutcome['deleted'];
    plan?: { create: number; copy: number; delete: number };
  };
}

export function buildReport(input: ReportInput, now: Date): ResultEnvelope {
  const { run, progress } = input;
  const tagging = input.tagging ?? { count: 0, ...emptyFailureLog() };
  const retention = input.retention ?? { count: 0, kept: 0, deleted: [], wouldDelete: 0, ...emptyFailureLog() };
  const all = [...progress.failures, ...tagging.failures, ...retention.failures];
  const failed = progress.failureCount + tagging.failureCount + retention.failureCount;
  const failures = all.slice(0, MAX_FAILURES_KEPT);
  return {
    success: true,
    data: {
      id: run.id,
      created_at: now.toISOString(),
      status: failed === 0 ? 'SUCCEEDED' : 'PARTIAL',
      policy: run.policy,
      slot: run.slot,
      dryRun: run.dryRun,
      summary: {
        created: progress.created,
        copied: progress.copied,
        deleted: retention.count,
        kept: retention.kept,
        tagged: tagging.count,
        skipped: progress.skipped + progress.adopted,
        failed,
      },
      failures,
      failuresOmitted: failed - failures.length,
      deleted: retention.deleted,
      ...(run.dryRun
        ? { plan: { create: progress.wouldCreate, copy: progress.wouldCopy, delete: retention.wouldDelete } }
        : {}),
    },
  };
}

/** The figures a run's metrics report. Dry runs change nothing, so they count nothing but freshness. */
export function runFigures(input: ReportInput, envelope: ResultEnvelope, now: Date): RunFigures {
  const { data } = envelope;
  const failedByCode: RunFigures['failedByCode'] = {};
  for (const log of [input.progress, input.tagging, input.retention]) {
    for (const [code, n] of Object.entries(log?.failuresByCode ?? {}) as [ErrorCode, number][]) {
      failedByCode[code] = (failedByCode[code] ?? 0) + n;
    }
  }
  return {
    policy: data.policy,
    created: data.summary.created,
    copied: data.summary.copied,
    deleted: data.summary.deleted,
    failed: data.summary.failed,
    failedByCode,
    durationSeconds: Math.max(0, (now.getTime() - Date.parse(input.run.startedAt)) / 1000),
    recoveryPointAgeHours: input.retention?.recoveryPointAgeHours,
  };
}

export interface FailureInput {
  error?: { Error?: string; Cause?: string };
}

const CODE_BY_NAME = new Map(ERROR_CODES.map((c) => [ERROR_NAMES[c], c] as const));

/**
 * Turns a caught error (as Step Functions hands it over) into `{error, cause}` for the Fail state:
 * the error name stays stable for alarms and callers, the cause is the failure envelope as JSON.
 */
export function describeFailure(input: FailureInput): { error: string; cause: string } {
  const name = input.error?.Error ?? 'States.Runtime';
  let message = input.error?.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (parsed && typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // not a Lambda error payload: keep the text as it is
  }
  let code: ErrorCode = CODE_BY_NAME.get(name) ?? 'INTERNAL_ERROR';
  if (name === 'States.Timeout') code = 'DEADLINE_EXCEEDED';
  const envelope: FailureEnvelope = { success: false, error: { code, message: message || name } };
  return { error: CODE_BY_NAME.has(name) ? name : ERROR_NAMES[code], cause: JSON.stringify(envelope) };
}
