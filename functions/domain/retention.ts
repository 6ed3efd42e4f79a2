/**
 * Retention decisions, identical to restic's `forget` rules (internal/data/snapshot_policy.go),
 * plus the orchestrator's own floor. Pure: no clock, no I/O.
 */
import { type CalendarDuration, formatDuration, isZeroDuration, subtractDuration } from './duration.js';

export interface RetentionRules {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: CalendarDuration;
  keepWithinHourly?: CalendarDuration;
  keepWithinDaily?: CalendarDuration;
  keepWithinWeekly?: CalendarDuration;
  keepWithinMonthly?: CalendarDuration;
  keepWithinYearly?: CalendarDuration;
  /** OR of ANDs: keep a snapshot carrying every tag of at least one list. */
  keepTags?: string[][];
}

export interface RetentionSnapshot {
  id: string;
  time: Date;
  tags: readonly string[];
}

export interface ResticDecision<S extends RetentionSnapshot = RetentionSnapshot> {
  snapshot: S;
  keep: boolean;
  /** The rules that keep it, e.g. `daily 2026-11-20`, `within 14d`. */
  reasons: string[];
  /** For each configured rule that does not keep it, why not, e.g. `daily 2026-11-20: a newer snapshot holds it`. */
  missed: string[];
}

type Bucker = (t: Date, nr: number) => string;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const ymd = (t: Date) => `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;

export function isoWeek(t: Date): { year: number; week: number } {
  const d = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
  const day = d.getUTCDay() || 7; // Monday=1 .. Sunday=7
  d.setUTCDate(d.getUTCDate() + 4 - day); // Thursday of this week decides the year
  const year = d.getUTCFullYear();
  const week = Math.ceil(((d.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return { year, week };
}

const BUCKERS = {
  last: (_t: Date, nr: number) => `#${nr}`,
  hourly: (t: Date) => `${ymd(t)}T${pad(t.getUTCHours())}`,
  daily: (t: Date) => ymd(t),
  weekly: (t: Date) => {
    const w = isoWeek(t);
    return `${w.year}-W${pad(w.week)}`;
  },
  monthly: (t: Date) => `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}`,
  yearly: (t: Date) => `${t.getUTCFullYear()}`,
} satisfies Record<string, Bucker>;
type BucketName = keyof typeof BUCKERS;

const COUNTED: [BucketName, keyof RetentionRules][] = [
  ['last', 'keepLast'],
  ['hourly', 'keepHourly'],
  ['daily', 'keepDaily'],
  ['weekly', 'keepWeekly'],
  ['monthly', 'keepMonthly'],
  ['yearly', 'keepYearly'],
];
const WITHIN: [BucketName, keyof RetentionRules][] = [
  ['hourly', 'keepWithinHourly'],
  ['daily', 'keepWithinDaily'],
  ['weekly', 'keepWithinWeekly'],
  ['monthly', 'keepWithinMonthly'],
  ['yearly', 'keepWithinYearly'],
];

/** True when no rule is set: restic keeps nothing then; the orchestrator skips retention. */
export function isEmptyRules(r: RetentionRules): boolean {
  return (
    COUNTED.every(([, k]) => !r[k]) &&
    [...WITHIN.map(([, k]) => k), 'keepWithin' as const].every((k) => {
      const d = r[k] as CalendarDuration | undefined;
      return !d || isZeroDuration(d);
    }) &&
    !(r.keepTags && r.keepTags.length > 0)
  );
}

function hasTags(tags: readonly string[], list: readonly string[]): boolean {
  for (const tag of list) {
    if (tag === '' && tags.length === 0) return true;
    if (!tags.includes(tag)) return false;
  }
  return true;
}

/** restic's reference time: the newest snapshot not after `now`, else `now`. */
export function referenceTime(snapshots: readonly RetentionSnapshot[], now: Date): Date {
  let latest: Date | undefined;
  for (const s of snapshots) {
    if (s.time.getTime() > now.getTime()) continue;
    if (!latest || s.time.getTime() > latest.getTime()) latest = s.time;
  }
  return latest ?? now;
}

/**
 * Applies restic's rules. Returns decisions newest first (stable for equal times).
 */
export function applyRestic<S extends RetentionSnapshot>(snapshots: readonly S[], rules: RetentionRules, now: Date): ResticDecision<S>[] {
  const list = snapshots
    .map((s, i) => ({ s, i }))
    .sort((a, b) => b.s.time.getTime() - a.s.time.getTime() || a.i - b.i)
    .map(({ s }) => s);
  const latest = referenceTime(list, now);
  const counted = COUNTED.map(([name, key]) => ({
    name,
    total: (rules[key] as number | undefined) ?? 0,
    count: (rules[key] as number | undefined) ?? 0,
    last: undefined as string | undefined,
  }));
  const within = WITHIN.flatMap(([name, key]) => {
    const d = rules[key] as CalendarDuration | undefined;
    return d && !isZeroDuration(d) ? [{ name, d, cutoff: subtractDuration(latest, d), last: undefined as string | undefined }] : [];
  });
  const withinAll =
    rules.keepWithin && !isZeroDuration(rules.keepWithin)
      ? { d: rules.keepWithin, cutoff: subtractDuration(latest, rules.keepWithin) }
      : undefined;

  const day = (t: Date) => t.toISOString().slice(0, 16).replace('T', ' ');
  return list.map((cur, nr) => {
    const reasons: string[] = [];
    const missed: string[] = [];
    const oldest = nr === list.length - 1;
    if (rules.keepTags && rules.keepTags.length > 0) {
      const match = rules.keepTags.find((l) => hasTags(cur.tags, l));
      if (match) reasons.push(`tags ${match.join(',') || '(none)'}`);
      else missed.push(`tags: carries none of ${rules.keepTags.map((l) => l.join('+') || '(no tags)').join(' | ')}`);
    }
    if (withinAll) {
      if (cur.time.getTime() > withinAll.cutoff.getTime()) reasons.push(`within ${formatDuration(withinAll.d)}`);
      else missed.push(`within ${formatDuration(withinAll.d)}: older than ${day(withinAll.cutoff)}`);
    }
    for (const b of counted) {
      if (b.count === 0) {
        if (b.total !== 0)
          missed.push(b.name === 'last' ? `last: the ${b.total} newest are kept` : `${b.name}: all ${b.total} kept by newer snapshots`);
        continue;
      }
      const val = BUCKERS[b.name](cur.time, nr);
      if (val !== b.last || oldest) {
        reasons.push(b.name === 'last' ? `last ${val}` : `${b.name} ${val}${val === b.last ? ' (oldest)' : ''}`);
        b.last = val;
        if (b.count > 0) b.count--;
      } else {
        missed.push(`${b.name} ${val}: a newer snapshot holds it`);
      }
    }
    for (const b of within) {
      if (cur.time.getTime() <= b.cutoff.getTime()) {
        missed.push(`within-${b.name} ${formatDuration(b.d)}: older than ${day(b.cutoff)}`);
        continue;
      }
      const val = BUCKERS[b.name](cur.time, nr);
      if (val !== b.last || oldest) {
        reasons.push(`within-${b.name} ${formatDuration(b.d)} ${val}`);
        b.last = val;
      } else {
        missed.push(`within-${b.name} ${val}: a newer snapshot holds it`);
      }
    }
    return { snapshot: cur, keep: reasons.length > 0, reasons, missed };
  });
}
