/**
 * Property-based tests (fast-check) for retention and naming.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copySnapshotName, elasticSnapshotName, isElasticSnapshotNameOf, isValidSnapshotName } from '../../functions/domain/naming.js';
import { applyRestic, type RetentionRules, type RetentionSnapshot } from '../../functions/domain/retention.js';
import { tagStrings } from '../../functions/domain/decide.js';
import { decideAll, toMap } from '../fixtures/retention.js';

const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);
const count = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 8 }));
const duration = fc.record({
  years: fc.integer({ min: 0, max: 1 }),
  months: fc.integer({ min: 0, max: 3 }),
  days: fc.integer({ min: 0, max: 20 }),
  hours: fc.integer({ min: 0, max: 30 }),
});
const rules: fc.Arbitrary<RetentionRules> = fc.record(
  {
    keepLast: count,
    keepHourly: count,
    keepDaily: count,
    keepWeekly: count,
    keepMonthly: count,
    keepYearly: count,
    keepWithin: duration,
    keepWithinDaily: duration,
    keepWithinWeekly: duration,
    keepTags: fc.array(fc.array(fc.constantFrom('keep', 'team=a', 'team=b', ''), { minLength: 1, maxLength: 2 }), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
/** Snapshots with distinct times (ties are covered separately): up to two years, hours apart or more. */
const snapshots = fc
  .uniqueArray(fc.integer({ min: 0, max: 2 * 365 * 24 }), { maxLength: 60 })
  .chain((hours) =>
    fc.tuple(fc.constant(hours), fc.array(fc.subarray(['keep', 'team', 'team=a']), { minLength: hours.length, maxLength: hours.length })),
  )
  .map(([hours, tags]) =>
    hours.map((h, i): RetentionSnapshot => ({ id: `s${i}`, time: new Date(START + h * 3_600_000), tags: tags[i] ?? [] })),
  );
const minKeep = fc.integer({ min: 1, max: 5 });
const now = (list: RetentionSnapshot[]) => new Date(Math.max(START, ...list.map((s) => s.time.getTime())) + DAY);

describe('retention properties', () => {
  it('keeps a subset of the input, never the newest deleted, never fewer than the floor', () => {
    fc.assert(
      fc.property(snapshots, rules, minKeep, (list, r, k) => {
        const d = decideAll(list, r, now(list), k);
        const ids = new Set(list.map((s) => s.id));
        const kept = d.filter((x) => x.keep);
        expect(d).toHaveLength(list.length);
        for (const x of kept) expect(ids.has(x.snapshot.id)).toBe(true);
        if (list.length > 0) {
          const newest = [...list].sort((a, b) => b.time.getTime() - a.time.getTime())[0];
          expect(kept.map((x) => x.snapshot.id)).toContain(newest?.id);
        }
        expect(kept.length).toBeGreaterThanOrEqual(Math.min(k, list.length));
        for (const x of d) expect(x.reasons.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('equals restic rules plus the floor: the floor only adds the newest ones restic dropped', () => {
    fc.assert(
      fc.property(snapshots, rules, minKeep, (list, r, k) => {
        // the product matches a snapshot's tags as `key` and as `key=value`: restic gets them the same way
        const asProduct = list.map((s) => ({ ...s, tags: tagStrings(toMap(s.tags)) }));
        const restic = new Set(
          applyRestic(asProduct, r, now(list))
            .filter((x) => x.keep)
            .map((x) => x.snapshot.id),
        );
        const ours = decideAll(list, r, now(list), k);
        const newestFirst = [...list].sort((a, b) => b.time.getTime() - a.time.getTime());
        const expected = new Set(restic);
        if (newestFirst[0]) expected.add(newestFirst[0].id);
        for (const s of newestFirst) {
          if (expected.size >= k) break;
          expected.add(s.id);
        }
        expect(new Set(ours.filter((x) => x.keep).map((x) => x.snapshot.id))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic and independent of input order', () => {
    fc.assert(
      fc.property(
        snapshots.chain((list) =>
          fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })),
        ),
        rules,
        minKeep,
        ([list, shuffled], r, k) => {
          const a = decideAll(list, r, now(list), k);
          const b = decideAll(shuffled, r, now(list), k);
          const keep = (d: typeof a) => d.filter((x) => x.keep).map((x) => x.snapshot.id);
          expect(keep(b)).toEqual(keep(a));
          expect(keep(decideAll(list, r, now(list), k))).toEqual(keep(a));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('orders exact ties as restic does: by input order', () => {
    const t = new Date('2026-11-22T03:00:00Z');
    const list = [
      { id: 'first', time: t, tags: [] },
      { id: 'second', time: t, tags: [] },
    ];
    expect(
      applyRestic(list, { keepLast: 1 }, t)
        .filter((x) => x.keep)
        .map((x) => x.snapshot.id),
    ).toEqual(['first']);
    expect(
      applyRestic([...list].reverse(), { keepLast: 1 }, t)
        .filter((x) => x.keep)
        .map((x) => x.snapshot.id),
    ).toEqual(['second']);
    expect(applyRestic(list, { keepDaily: 1 }, t).map((x) => x.snapshot.id)).toEqual(['first', 'second']);
  });
});

const arn = fc.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}$/).map((u) => `arn:aws:docdb-elastic:us-east-1:123456789012:cluster/${u}`);
const policyName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,39}$/);
const anyName = fc.string({ minLength: 0, maxLength: 80 });
const slot = fc.integer({ min: 0, max: 20 * 365 * 24 * 60 }).map((m) => new Date(START + m * 60_000));

describe('naming properties', () => {
  it('always satisfies the API constraints', () => {
    fc.assert(
      fc.property(policyName, arn, anyName, slot, (p, a, n, s) => {
        const name = elasticSnapshotName(p, a, n, s);
        expect(isValidSnapshotName(name), name).toBe(true);
        expect(isElasticSnapshotNameOf(name, p, a)).toBe(true);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,15}$/),
        fc.string({ minLength: 1, maxLength: 300 }),
        anyName,
        slot,
        (prefix, src, cluster, t) => {
          expect(isValidSnapshotName(copySnapshotName(prefix, src, cluster, t))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never collides for distinct targets or slots', () => {
    fc.assert(
      fc.property(
        policyName,
        fc.uniqueArray(arn, { minLength: 2, maxLength: 40 }),
        anyName,
        fc.uniqueArray(slot, { minLength: 1, maxLength: 5, selector: (d) => d.getTime() }),
        (p, arns, n, slots) => {
          const names = arns.flatMap((a) => slots.map((s) => elasticSnapshotName(p, a, n, s)));
          // distinct slots differ in the time token; distinct clusters in the 6-character hash (31 bits)
          expect(new Set(names).size).toBe(names.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
