/**
 * Where a run goes next. Every step returns a new progress whose `next` names the step after it; the
 * state machine's Choice only follows it. One loop carries both parts; each part finishes (tags,
 * retention, freshness, its report) as soon as its own operations are done, without waiting for the other.
 */
import type { Policy } from './policy.js';
import { emptyFailureLog, emptyRetention, MAX_RETRY, type PartStage, type Progress, type Run } from './run.js';
import { fitProgress } from './scale.js';

export function initialProgress(run: Run, policy: Policy): Progress {
  const elasticOn =
    !!policy.elastic && !run.skip.includes('create') && (!run.targets || run.targets.some((t) => t.includes(':docdb-elastic:')));
  const copiesOn = !!policy.copy && !run.skip.includes('copy') && (!run.targets || run.targets.some((t) => t.includes(':rds:')));
  const stage = (on: boolean): PartStage => (on ? 'active' : 'off');
  return {
    next: 'wait',
    iteration: 0,
    waitSeconds: 0,
    elastic: {
      stage: stage(elasticOn),
      cursor: '',
      retry: [],
      targets: 0,
      created: 0,
      adopted: 0,
      pending: 0,
      wouldCreate: 0,
      listedCreated: [],
    },
    copies: {
      stage: stage(copiesOn),
      inFlight: [],
      planned: 0,
      started: 0,
      copied: 0,
      queued: 0,
      leftToOthers: 0,
      declined: 0,
      held: 0,
      wouldCopy: 0,
      listedCopied: [],
      listedLeft: [],
    },
    retention: { elastic: emptyRetention(), copies: emptyRetention() },
    tagged: 0,
    log: emptyFailureLog(),
  };
}

/**
 * The next step: a part whose operations are done goes through tags (copies) and retention first; then
 * creates still to start; then the wait before the next check; the report once everything is done.
 * The result is always within the state's byte bound (scale.ts).
 */
export function route(p: Progress, run: Run, now: Date): Progress {
  return fitProgress(next(p, run, now));
}

function next(p: Progress, run: Run, now: Date): Progress {
  for (const part of ['elastic', 'copies'] as const) {
    const stage = p[part].stage;
    if (stage === 'tags') return { ...p, next: 'tag', part };
    // Retention also runs when the run skips it or the policy has none: it measures freshness and counts what is
    // kept. A retention that waits for snapshots still creating goes on after the next check.
    if (stage === 'retention' && !p.retention[part].waiting) return { ...p, next: 'retain', part };
  }
  // Creates left because the time budget ran out go on at once; a full retry list (throttling) waits for the next check.
  if (
    p.elastic.stage === 'active' &&
    p.elastic.cursor !== undefined &&
    p.elastic.retry.length < MAX_RETRY &&
    now.getTime() < Date.parse(run.createDeadline)
  ) {
    return { ...p, next: 'create', part: undefined };
  }
  const waiting = (part: 'elastic' | 'copies') => p[part].stage === 'retention' && p.retention[part].waiting === true;
  if (p.elastic.stage === 'active' || p.copies.stage === 'active' || waiting('elastic') || waiting('copies')) {
    return { ...p, next: 'wait', part: undefined };
  }
  return { ...p, next: 'report', part: undefined };
}
