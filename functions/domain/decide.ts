/**
 * The one deletion decision: for one target's snapshots, the policy's retention and the time, keep or
 * delete for each, with every reason. Apply Retention, copy planning, `plan` and the reports all use it.
 * Pure: no clock, no I/O. Ownership that is not yet known is asked for, never assumed.
 */
import { applyRestic, type RetentionRules } from './retention.js';
import { drillHold } from './drill.js';
import type { TagMap } from './tags.js';

/** What is known of a snapshot's owner: verified by its tags, proven foreign, or not read yet. */
export type Ownership = 'verified' | 'unknown' | 'foreign';
/** Where a snapshot stands: only available snapshots are retention candidates. */
export type SnapshotState = 'available' | 'in-flight' | 'deleting' | 'failed';

export interface Candidate<R = unknown> {
  /** Unique per snapshot (elastic ARN, RDS identifier, or a source key for a copy not made yet). */
  id: string;
  /** The point in time it holds: creation time, or for a copy its source's creation time. */
  time: Date;
  state: SnapshotState;
  ownership: Ownership;
  /** Its tags, when known (keepTags needs them). */
  tags?: TagMap;
  /** Another run still waiting for it (not deleted while that run may need it). */
  awaitedBy?: string;
  /** A copy that does not exist yet (copy planning asks what retention would do with it). */
  hypothetical?: boolean;
  /** The caller's own record, carried through. */
  ref: R;
}

/**
 * keep: owned, available, kept (counted in `kept`). delete: owned (verified), available, no rule keeps it.
 * leave: not a candidate (not ours, in flight, being deleted, failed): untouched and not counted.
 */
export type Verdict = 'keep' | 'delete' | 'leave';

export interface Decision<R = unknown> {
  candidate: Candidate<R>;
  verdict: Verdict;
  reasons: string[];
}

export interface TargetDecision<R = unknown> {
  /** Newest first. */
  decisions: Decision<R>[];
  /**
   * Snapshots whose ownership must be read before the decision is final: every deletion, and the
   * newest ones the floor needs. Read their tags, set `ownership`, and decide again.
   */
  needOwnership: Candidate<R>[];
}

export interface RetentionSettings {
  rules: RetentionRules;
  /** The floor: never fewer than this many verified, available snapshots (at least 1: the newest). */
  minKeep: number;
}

const LEAVE_REASON: Record<Exclude<SnapshotState, 'available'>, string> = {
  'in-flight': 'in flight: not available yet',
  deleting: 'being deleted',
  failed: 'failed: not a recovery point',
};

/** restic matches plain tags; a snapshot's tags match as `key` and as `key=value`. */
export const tagStrings = (tags: TagMap | undefined): string[] => Object.entries(tags ?? {}).flatMap(([k, v]) => [k, `${k}=${v}`]);

/**
 * Decides one target. Without retention settings every owned available snapshot is kept.
 *
 * Rules, in order: snapshots that are not ours, in flight, being deleted or failed are left alone;
 * restic's rules run over the owned available ones (by `time`); a snapshot another run awaits is kept;
 * the floor keeps the newest verified snapshot and tops the verified ones up to `minKeep`, newest first;
 * a deletion needs verified ownership. A look-alike (named like ours, not tagged as ours) is found out
 * when its tags are read and then counts for nothing.
 */
export function decideTarget<R>(snapshots: readonly Candidate<R>[], settings: RetentionSettings | undefined, now: Date): TargetDecision<R> {
  const sorted = [...snapshots].sort((a, b) => b.time.getTime() - a.time.getTime() || a.id.localeCompare(b.id));
  const out = new Map<Candidate<R>, Decision<R>>();
  const candidates: Candidate<R>[] = [];
  for (const c of sorted) {
    if (c.ownership === 'foreign') out.set(c, { candidate: c, verdict: 'leave', reasons: ['not ours: no ownership tags'] });
    else if (c.state !== 'available') out.set(c, { candidate: c, verdict: 'leave', reasons: [LEAVE_REASON[c.state]] });
    else candidates.push(c);
  }
  const needOwnership: Candidate<R>[] = [];
  if (!settings) {
    for (const c of candidates) out.set(c, { candidate: c, verdict: 'keep', reasons: ['no retention rules'] });
    return { decisions: sorted.map((c) => out.get(c) as Decision<R>), needOwnership };
  }

  // keepTags needs the tags of every candidate: unknown ones are asked for first.
  if ((settings.rules.keepTags?.length ?? 0) > 0) {
    for (const c of candidates) if (c.tags === undefined && !c.hypothetical) needOwnership.push(c);
  }
  const restic = applyRestic(
    candidates.map((c) => ({ id: c.id, time: c.time, tags: tagStrings(c.tags), c })),
    settings.rules,
    now,
  );
  for (const r of restic) {
    const c = r.snapshot.c;
    out.set(
      c,
      r.keep
        ? { candidate: c, verdict: 'keep', reasons: r.reasons }
        : { candidate: c, verdict: 'delete', reasons: r.missed.length > 0 ? r.missed : ['no rule keeps it'] },
    );
  }
  for (const c of candidates) {
    const d = out.get(c) as Decision<R>;
    if (c.awaitedBy && d.verdict === 'delete') out.set(c, { candidate: c, verdict: 'keep', reasons: [`awaited by run ${c.awaitedBy}`] });
    // A restore drill is restoring from it: kept until the drill's deadline (its tags are read before any delete).
    const drill = drillHold(c.tags, now);
    if (drill && (out.get(c) as Decision<R>).verdict === 'delete') out.set(c, { candidate: c, verdict: 'keep', reasons: [drill] });
  }

  // The floor counts verified snapshots only. The newest verified one is kept (unknown ones newer than it
  // are asked for: one of them may be the newest). Then, while fewer than minKeep verified ones are kept,
  // unknown kept ones are asked for (they may count), and after that deletions are kept, newest first.
  const verdictOf = (c: Candidate<R>) => (out.get(c) as Decision<R>).verdict;
  const keep = (c: Candidate<R>, reason: string) => out.set(c, { candidate: c, verdict: 'keep', reasons: [reason] });
  for (const c of candidates) {
    if (c.ownership === 'unknown') {
      if (!needOwnership.includes(c)) needOwnership.push(c);
      continue;
    }
    if (verdictOf(c) === 'delete') keep(c, 'floor: newest available');
    break;
  }
  let verifiedKept = candidates.filter((c) => c.ownership === 'verified' && verdictOf(c) === 'keep').length;
  if (verifiedKept < settings.minKeep) {
    // Newest first, only as many as could make up the difference.
    const unknownKept = candidates.filter((c) => c.ownership === 'unknown' && verdictOf(c) === 'keep');
    for (const c of unknownKept.slice(0, settings.minKeep - verifiedKept)) if (!needOwnership.includes(c)) needOwnership.push(c);
    if (unknownKept.length === 0) {
      for (const c of candidates) {
        if (verifiedKept >= settings.minKeep) break;
        if (c.ownership === 'verified' && verdictOf(c) === 'delete') {
          keep(c, `floor: minKeep ${settings.minKeep}`);
          verifiedKept++;
        }
      }
    }
  }
  // A deletion needs proof of ownership.
  for (const c of candidates) {
    if (out.get(c)?.verdict === 'delete' && c.ownership === 'unknown' && !needOwnership.includes(c)) needOwnership.push(c);
  }
  return { decisions: sorted.map((c) => out.get(c) as Decision<R>), needOwnership };
}

/**
 * Decides a target to the end: reads ownership through `verify` (tags of the given snapshots) until
 * nothing more is needed. Each round reads only what the decision still lacks, newest first.
 */
export async function decideVerified<R>(
  snapshots: readonly Candidate<R>[],
  settings: RetentionSettings | undefined,
  now: Date,
  verify: (need: Candidate<R>[]) => Promise<Map<string, TagMap | undefined>>,
  isOurs: (tags: TagMap) => boolean,
): Promise<Decision<R>[]> {
  let current = [...snapshots];
  for (;;) {
    const { decisions, needOwnership } = decideTarget(current, settings, now);
    if (needOwnership.length === 0) return decisions;
    const read = await verify(needOwnership);
    const asked = new Set(needOwnership.map((c) => c.id));
    current = current.map((c) => {
      if (!asked.has(c.id)) return c;
      const tags = read.get(c.id);
      // A snapshot that vanished while we read it is being deleted by someone: leave it.
      if (tags === undefined) return { ...c, state: 'deleting' as const };
      return { ...c, tags, ownership: isOurs(tags) ? ('verified' as const) : ('foreign' as const) };
    });
  }
}
