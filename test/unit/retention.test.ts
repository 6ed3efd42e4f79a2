import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../functions/domain/duration.js';
import { applyRestic, isoWeek, type RetentionRules } from '../../functions/domain/retention.js';
import { decideAll } from '../fixtures/retention.js';

interface VectorCase {
  index: number;
  policy: Record<string, unknown>;
  now: string;
  keep: string[];
}
const vectors = JSON.parse(readFileSync(new URL('../fixtures/vectors/restic-forget-vectors.json', import.meta.url), 'utf8')) as {
  snapshots: { id: string; time: string; tags: string[] }[];
  cases: VectorCase[];
};

const RESTIC_TO_RULES: Record<string, keyof RetentionRules> = {
  last: 'keepLast',
  hourly: 'keepHourly',
  daily: 'keepDaily',
  weekly: 'keepWeekly',
  monthly: 'keepMonthly',
  yearly: 'keepYearly',
  within: 'keepWithin',
  withinHourly: 'keepWithinHourly',
  withinDaily: 'keepWithinDaily',
  withinWeekly: 'keepWithinWeekly',
  withinMonthly: 'keepWithinMonthly',
  withinYearly: 'keepWithinYearly',
  tags: 'keepTags',
};

function toRules(policy: Record<string, unknown>): RetentionRules {
  const rules: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(policy)) {
    const key = RESTIC_TO_RULES[k];
    if (!key) throw new Error(`unmapped restic rule ${k}`);
    rules[key] = typeof v === 'string' ? parseDuration(v) : v;
    if (typeof v === 'string' && !rules[key]) throw new Error(`bad duration ${v}`);
  }
  return rules;
}

const snapshots = vectors.snapshots.map((s) => ({ id: s.id, time: new Date(s.time), tags: s.tags }));

describe('restic forget vectors', () => {
  it('has all 40 cases', () => {
    expect(vectors.cases).toHaveLength(40);
  });
  it.each(vectors.cases.map((c) => [c.index, JSON.stringify(c.policy), c] as const))('case %i %s', (_i, _p, c) => {
    // Prepare
    const rules = toRules(c.policy);
    // Act
    const kept = applyRestic(snapshots, rules, new Date(c.now))
      .filter((d) => d.keep)
      .map((d) => d.snapshot.id);
    // Assess: same ids in the same (newest-first) order
    expect(kept).toEqual(c.keep);
  });
});

describe('orchestrator floor', () => {
  const snaps = [
    { id: 'a', time: new Date('2026-11-20T03:00:00Z'), tags: [] },
    { id: 'b', time: new Date('2026-11-21T03:00:00Z'), tags: [] },
    { id: 'c', time: new Date('2026-11-22T03:00:00Z'), tags: [] },
  ];
  it('keeps the newest even when no rule does', () => {
    const d = decideAll(snaps, { keepTags: [['never']] }, new Date('2026-11-22T04:00:00Z'), 1);
    expect(d.filter((x) => x.keep).map((x) => x.snapshot.id)).toEqual(['c']);
    expect(d[0]?.reasons).toEqual(['floor: newest available']);
    expect(d[2]?.reasons).toEqual(['tags: carries none of never']);
  });
  it('tops up to minKeep newest first', () => {
    const d = decideAll(snaps, { keepTags: [['never']] }, new Date('2026-11-22T04:00:00Z'), 2);
    expect(d.filter((x) => x.keep).map((x) => x.snapshot.id)).toEqual(['c', 'b']);
    expect(d[1]?.reasons).toEqual(['floor: minKeep 2']);
  });
  it('reports bucket reasons', () => {
    const d = decideAll(snaps, { keepDaily: 2 }, new Date('2026-11-22T04:00:00Z'), 1);
    expect(d.map((x) => x.reasons[0])).toEqual(['daily 2026-11-22', 'daily 2026-11-21', 'daily: all 2 kept by newer snapshots']);
  });
  it('computes ISO weeks across year boundaries', () => {
    expect(isoWeek(new Date('2021-01-03T00:00:00Z'))).toEqual({ year: 2020, week: 53 });
    expect(isoWeek(new Date('2024-12-30T00:00:00Z'))).toEqual({ year: 2025, week: 1 });
  });
});
