/**
 * The copy plan, pure: which shared snapshots a policy copies, what each copy holds, and the queue
 * (newest source first) with a reason for every source. Copy planning runs the same retention
 * decision as Apply Retention over the copies held plus the sources not copied yet, so a run never
 * starts a copy its own retention would delete (docs/policies.md, Copies).
 */
import { parseRdsSnapshotArn } from './arns.js';
import { type Candidate, decideTarget } from './decide.js';
import { copySnapshotName, timeToken } from './naming.js';
import { copyPrefix, type Policy, retentionSettings } from './policy.js';
import type { Run } from './run.js';
import { COPY_KEYS, composeTags, fromTagList, isOwnedBy, OWNERSHIP_KEYS, ownershipTags, type TagMap } from './tags.js';

/**
 * The fields of an RDS cluster snapshot (DescribeDBClusterSnapshots) the plan reads. The SDK's
 * DBClusterSnapshot fits it; the domain does not import the SDK.
 */
export interface ClusterSnapshotRecord {
  DBClusterSnapshotIdentifier?: string | undefined;
  DBClusterSnapshotArn?: string | undefined;
  DBClusterIdentifier?: string | undefined;
  SnapshotCreateTime?: Date | undefined;
  SnapshotType?: string | undefined;
  Status?: string | undefined;
  Engine?: string | undefined;
  StorageEncrypted?: boolean | undefined;
  SourceDBClusterSnapshotArn?: string | undefined;
  TagList?: { Key?: string | undefined; Value?: string | undefined }[] | undefined;
}

/** A shared snapshot the policy could copy. */
export interface Source {
  arn: string;
  owner: string;
  clusterId: string;
  time: Date;
  encrypted: boolean;
  /** The source's tags as this account sees them (AWS does not document that a sharer's tags are visible). */
  tags: TagMap;
  /** `<owner account>:<source cluster>`: the copy's retention target. */
  target: string;
  /** The copy's name. */
  name: string;
}

/** A copy of this policy, as the owned listing shows it. */
export interface HeldCopy {
  id: string;
  arn: string;
  status: string;
  target: string;
  sourceArn?: string;
  /** The point in time it holds: its source-time tag; else the time in its name (to the minute); else its own creation. */
  time: Date;
  /** How `time` was found: `tag`, `name` (copies made before the source tags existed), or `created` (last resort). */
  timeFrom: 'tag' | 'name' | 'created';
  runId?: string;
  startedAt?: Date;
  tags: TagMap;
}

export type QueueState = 'copy' | 'decline' | 'held' | 'in-flight-other' | 'in-flight-ours';

export interface QueueEntry {
  source: Source;
  /** Queue order: newest source first, then by ARN. */
  key: string;
  state: QueueState;
  reasons: string[];
  /** The copy holding it, when one exists. */
  copy?: HeldCopy;
}

export interface CopyPlan {
  queue: QueueEntry[];
  /** This policy's copies by target. */
  held: Map<string, HeldCopy[]>;
  /** Snapshots that carry a name the plan would use but are not this policy's. */
  foreignNames: Set<string>;
}

/** Queue key: later keys come later in the queue (newest source first). */
export function queueKey(time: Date, arn: string): string {
  return `${String(9_999_999_999_999 - time.getTime()).padStart(13, '0')}|${arn}`;
}

const NAME_TIME_RE = /-(\d{12})-[0-9a-z]{6}$/;

/** The source time a copy's name holds (`...-yyyymmddhhmm-hash`), to the minute. */
export function nameTime(id: string): Date | undefined {
  const m = NAME_TIME_RE.exec(id);
  if (!m) return undefined;
  const t = m[1] as string;
  const d = new Date(Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(8, 10), +t.slice(10, 12)));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A policy's copy from the owned listing, or undefined when the snapshot is not this policy's. */
export function heldCopy(s: ClusterSnapshotRecord, policy: Policy): HeldCopy | undefined {
  const tags = fromTagList(s.TagList);
  if (!isOwnedBy(tags, policy.name) || s.SnapshotType !== 'manual') return undefined;
  const id = (s.DBClusterSnapshotIdentifier ?? '').toLowerCase();
  const sourceArn = tags[COPY_KEYS.sourceArn] ?? s.SourceDBClusterSnapshotArn ?? undefined;
  const source = parseRdsSnapshotArn(sourceArn ?? '');
  const tagTime = Date.parse(tags[COPY_KEYS.sourceTime] ?? '');
  const fromName = nameTime(id);
  const created = s.SnapshotCreateTime ? new Date(s.SnapshotCreateTime) : new Date(0);
  const [time, timeFrom] = !Number.isNaN(tagTime)
    ? [new Date(tagTime), 'tag' as const]
    : fromName
      ? [fromName, 'name' as const]
      : [created, 'created' as const];
  const startedAt = Date.parse(tags[OWNERSHIP_KEYS.createdAt] ?? '');
  return {
    id,
    arn: s.DBClusterSnapshotArn ?? '',
    status: s.Status ?? '',
    target: tags[OWNERSHIP_KEYS.target] ?? (source && s.DBClusterIdentifier ? `${source.account}:${s.DBClusterIdentifier}` : ''),
    sourceArn,
    time,
    timeFrom,
    runId: tags[OWNERSHIP_KEYS.runId],
    startedAt: Number.isNaN(startedAt) ? created : new Date(startedAt),
    tags,
  };
}

/** True when the copy holds this source: the same ARN and the same point in time (to the minute for names). */
export function holds(copy: HeldCopy, source: Pick<Source, 'arn' | 'time'>): boolean {
  if (copy.sourceArn !== source.arn) return false;
  if (copy.timeFrom === 'tag') return copy.time.getTime() === source.time.getTime();
  if (copy.timeFrom === 'name') return timeToken(copy.time) === timeToken(source.time);
  return true;
}

/** How a copy's status reads for the product. */
export function copyPhase(status: string | undefined): 'available' | 'in-flight' | 'deleting' | 'failed' {
  if (status === 'available') return 'available';
  if (status === 'copying' || status === 'creating') return 'in-flight';
  if (status === 'deleting' || status === 'deleted') return 'deleting';
  return 'failed';
}

/** The shared snapshots the policy copies: allowed sharers, engines, pattern, the run's subset; newest per cluster unless `select: all`. */
export function eligibleSources(policy: Policy, run: Run, shared: readonly ClusterSnapshotRecord[]): Source[] {
  const rules = policy.copy;
  if (!rules) return [];
  const pattern = rules.clusterPattern ? new RegExp(rules.clusterPattern) : undefined;
  const subset = run.targets?.filter((t) => t.includes(':rds:'));
  const all = shared
    .flatMap((s): Source[] => {
      const arn = s.DBClusterSnapshotArn ?? '';
      const parsed = parseRdsSnapshotArn(arn);
      // The listing asked for SnapshotType=shared; its items are not told apart by their SnapshotType field
      // (moto says manual; AWS is believed to say shared): only the sharer's account in the ARN counts.
      if (!parsed || !s.SnapshotCreateTime || s.Status !== 'available') return [];
      if (!rules.sourceAccounts.includes(parsed.account)) return [];
      if (!(rules.engines as readonly string[]).includes(s.Engine ?? '')) return [];
      const clusterId = s.DBClusterIdentifier ?? '';
      if (pattern && !pattern.test(clusterId)) return [];
      if (run.targets && !subset?.includes(arn)) return [];
      const time = new Date(s.SnapshotCreateTime);
      return [
        {
          arn,
          owner: parsed.account,
          clusterId,
          time,
          encrypted: s.StorageEncrypted === true,
          tags: fromTagList(s.TagList),
          target: `${parsed.account}:${clusterId}`,
          name: copySnapshotName(copyPrefix(policy), arn, clusterId, time),
        },
      ];
    })
    .sort((a, b) => queueKey(a.time, a.arn).localeCompare(queueKey(b.time, b.arn)));
  if (rules.select === 'all') return all;
  const seen = new Set<string>();
  return all.filter((s) => (seen.has(s.target) ? false : (seen.add(s.target), true)));
}

/** The tags a copy of `source` gets when it starts: ownership, source, static and (when asked) the source's visible tags. */
export function copyTags(policy: Policy, run: Run, source: Source, startedAt: Date): { tags: TagMap; dropped: string[] } {
  return composeTags('rds', {
    ownership: {
      ...ownershipTags({ policy: policy.name, target: source.target, runId: run.id, createdAt: startedAt }),
      [COPY_KEYS.sourceArn]: source.arn,
      [COPY_KEYS.sourceTime]: source.time.toISOString(),
    },
    static: policy.tags.static,
    source: policy.tags.copySourceTags ? source.tags : undefined,
  });
}

/**
 * The copy plan: every eligible source in queue order, with what to do about it. Sources held by a copy
 * are skipped; a source whose copy retention would delete at once (given the copies held and the other
 * sources not copied yet) is declined with retention's reasons.
 */
export function planCopies(
  policy: Policy,
  run: Run,
  shared: readonly ClusterSnapshotRecord[],
  owned: readonly ClusterSnapshotRecord[],
  now: Date,
): CopyPlan {
  const held = new Map<string, HeldCopy[]>();
  const ownedNames = new Map<string, ClusterSnapshotRecord>();
  for (const s of owned) {
    ownedNames.set((s.DBClusterSnapshotIdentifier ?? '').toLowerCase(), s);
    const c = heldCopy(s, policy);
    if (c) held.set(c.target, [...(held.get(c.target) ?? []), c]);
  }
  const sources = eligibleSources(policy, run, shared);
  const foreignNames = new Set<string>();
  const entries: QueueEntry[] = sources.map((source) => {
    const key = queueKey(source.time, source.arn);
    const copy = (held.get(source.target) ?? []).find(
      (c) => holds(c, source) && copyPhase(c.status) !== 'failed' && copyPhase(c.status) !== 'deleting',
    );
    if (copy) {
      const state: QueueState =
        copyPhase(copy.status) === 'available' ? 'held' : copy.runId === run.id ? 'in-flight-ours' : 'in-flight-other';
      const reasons =
        state === 'held'
          ? [`held by ${copy.id}`]
          : state === 'in-flight-other'
            ? [`run ${copy.runId} is copying it (${copy.id})`]
            : [`this run is copying it (${copy.id})`];
      return { source, key, state, reasons, copy };
    }
    const clash = ownedNames.get(source.name);
    if (clash && !heldCopy(clash, policy)) foreignNames.add(source.name);
    return { source, key, state: 'copy' as QueueState, reasons: [] };
  });

  // Retention over what each target would hold: the copies held (in flight counts as done) plus every
  // source still to copy. A source whose copy would be deleted is declined, with retention's reasons.
  const settings = retentionSettings(policy, run);
  if (!settings) return { queue: entries, held, foreignNames };
  const verdicts = new Map<string, { reasons: string[]; decline: boolean }>();
  const byTarget = new Map<string, QueueEntry[]>();
  for (const e of entries) if (e.state === 'copy') byTarget.set(e.source.target, [...(byTarget.get(e.source.target) ?? []), e]);
  for (const [target, wanted] of byTarget) {
    const sim: Candidate<string | undefined>[] = [
      ...(held.get(target) ?? [])
        .filter((c) => ['available', 'in-flight'].includes(copyPhase(c.status)))
        .map((c) => ({
          id: c.id,
          time: c.time,
          state: 'available' as const,
          ownership: 'verified' as const,
          tags: c.tags,
          ref: undefined,
        })),
      ...wanted.map((e) => ({
        id: e.key,
        time: e.source.time,
        state: 'available' as const,
        ownership: 'verified' as const,
        tags: copyTags(policy, run, e.source, now).tags,
        hypothetical: true,
        ref: e.key,
      })),
    ];
    for (const d of decideTarget(sim, settings, now).decisions) {
      if (d.candidate.ref !== undefined) verdicts.set(d.candidate.ref, { reasons: d.reasons, decline: d.verdict === 'delete' });
    }
  }
  const queue = entries.map((e): QueueEntry => {
    const v = e.state === 'copy' ? verdicts.get(e.key) : undefined;
    return v ? { ...e, reasons: v.reasons, state: v.decline ? 'decline' : 'copy' } : e;
  });
  return { queue, held, foreignNames };
}
