/**
 * Report: the run's result envelope (seed 000 format), and the failure envelope for a run that
 * could not go on. A run with failed targets SUCCEEDS as an execution with status PARTIAL.
 */
import type { RunFigures } from '../runtime/telemetry.js';
import { type Failure, type Freshness, MAX_FAILURES_KEPT, type Progress, type Run, type SnapshotLine } from '../domain/run.js';

export interface ReportInput {
  run: Run;
  progress: Progress;
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

export interface PartReport {
  doneAt?: string;
  reportedAt?: string;
  deleted: number;
  kept: number;
  freshness: Freshness;
}

export interface ResultEnvelope {
  success: true;
  data: {
    id: string;
    /** When the run started, and when it reported (virtual times in the rehearsal). */
    created_at: string;
    finished_at: string;
    status: 'SUCCEEDED' | 'PARTIAL';
    policy: string;
    slot: string;
    dryRun: boolean;
    summary: Summary;
    parts: {
      elastic: PartReport & { targets: number; created: number; adopted: number };
      copies: PartReport & { planned: number; started: number; copied: number; held: number; leftToOtherRuns: number; declined: number };
    };
    failures: Failure[];
    failuresOmitted: number;
    /** The first snapshots of each kind, with the count of those left out (every one is in the logs). */
    created: SnapshotLine[];
    copied: SnapshotLine[];
    deleted: SnapshotLine[];
    leftToOtherRuns: SnapshotLine[];
    omitted: { created: number; copied: number; deleted: number; leftToOtherRuns: number };
    plan?: { create: number; copy: number; delete: number };
  };
}

export function buildReport(input: ReportInput, now: Date): ResultEnvelope {
  const { run, progress: p } = input;
  const { elastic: re, copies: rc } = p.retention;
  const log = p.log;
  const deleted = [...re.listed, ...rc.listed];
  const deletedCount = run.dryRun ? re.wouldDelete + rc.wouldDelete : re.deleted + rc.deleted;
  return {
    success: true,
    data: {
      id: run.id,
      created_at: run.startedAt,
      finished_at: now.toISOString(),
      status: log.failureCount === 0 ? 'SUCCEEDED' : 'PARTIAL',
      policy: run.policy,
      slot: run.slot,
      dryRun: run.dryRun,
      summary: {
        created: p.elastic.created,
        copied: p.copies.copied,
        deleted: run.dryRun ? 0 : deletedCount,
        kept: re.kept + rc.kept,
        tagged: run.dryRun ? 0 : p.tagged,
        skipped: p.elastic.adopted + p.copies.held + p.copies.leftToOthers + p.copies.declined,
        failed: log.failureCount,
      },
      parts: {
        elastic: {
          targets: p.elastic.targets,
          created: p.elastic.created,
          adopted: p.elastic.adopted,
          doneAt: p.elastic.doneAt,
          reportedAt: p.elastic.reportedAt,
          deleted: re.deleted,
          kept: re.kept,
          freshness: re.freshness,
        },
        copies: {
          planned: p.copies.planned,
          started: p.copies.started,
          copied: p.copies.copied,
          held: p.copies.held,
          leftToOtherRuns: p.copies.leftToOthers,
          declined: p.copies.declined,
          doneAt: p.copies.doneAt,
          reportedAt: p.copies.reportedAt,
          deleted: rc.deleted,
          kept: rc.kept,
          freshness: rc.freshness,
        },
      },
      failures: log.failures.slice(0, MAX_FAILURES_KEPT),
      failuresOmitted: log.failureCount - Math.min(log.failures.length, MAX_FAILURES_KEPT),
      created: p.elastic.listedCreated,
      copied: p.copies.listedCopied,
      deleted,
      leftToOtherRuns: p.copies.listedLeft,
      omitted: {
        created: Math.max(0, (run.dryRun ? p.elastic.wouldCreate : p.elastic.created) - p.elastic.listedCreated.length),
        copied: Math.max(0, (run.dryRun ? p.copies.wouldCopy : p.copies.copied) - p.copies.listedCopied.length),
        deleted: Math.max(0, deletedCount - deleted.length),
        leftToOtherRuns: Math.max(0, p.copies.leftToOthers - p.copies.listedLeft.length),
      },
      ...(run.dryRun ? { plan: { create: p.elastic.wouldCreate, copy: p.copies.wouldCopy, delete: deletedCount } } : {}),
    },
  };
}

/** The figures a run's metrics report. Dry runs change nothing, so they count nothing. */
export function runFigures(input: ReportInput, envelope: ResultEnvelope, now: Date): RunFigures {
  const { data } = envelope;
  return {
    policy: data.policy,
    created: data.summary.created,
    copied: data.summary.copied,
    deleted: data.summary.deleted,
    failed: data.summary.failed,
    failedByCode: { ...input.progress.log.failuresByCode },
    durationSeconds: Math.max(0, (now.getTime() - Date.parse(input.run.startedAt)) / 1000),
  };
}
