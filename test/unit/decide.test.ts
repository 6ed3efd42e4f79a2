/**
 * The one deletion decision (functions/domain/decide.ts): what it leaves alone, what the floor counts,
 * which ownership it asks for, and the reasons users read.
 */
import { describe, expect, it } from 'vitest';
import { type Candidate, decideTarget, decideVerified, type Ownership, type SnapshotState } from '../../functions/domain/decide.js';
import { parsePolicyYaml } from '../../functions/domain/policy.js';

const NOW = new Date('2026-11-22T04:00:00Z');
const day = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
const snap = (
  id: string,
  daysAgo: number,
  ownership: Ownership = 'verified',
  state: SnapshotState = 'available',
  extra: Partial<Candidate<null>> = {},
): Candidate<null> => ({
  id,
  time: day(daysAgo),
  state,
  ownership,
  ref: null,
  ...extra,
});
const verdicts = (r: ReturnType<typeof decideTarget<null>>) => Object.fromEntries(r.decisions.map((d) => [d.candidate.id, d.verdict]));

describe('decideTarget', () => {
  it('leaves alone what is not ours, in flight, being deleted or failed, and counts none of it', () => {
    const r = decideTarget(
      [
        snap('mine', 1),
        snap('foreign', 0, 'foreign'),
        snap('copying', 0, 'verified', 'in-flight'),
        snap('going', 2, 'verified', 'deleting'),
        snap('broken', 3, 'verified', 'failed'),
      ],
      { rules: { keepLast: 1 }, minKeep: 1 },
      NOW,
    );
    expect(verdicts(r)).toEqual({ mine: 'keep', foreign: 'leave', copying: 'leave', going: 'leave', broken: 'leave' });
    const reasons = Object.fromEntries(r.decisions.map((d) => [d.candidate.id, d.reasons[0]]));
    expect(reasons).toMatchObject({
      foreign: 'not ours: no ownership tags',
      copying: 'in flight: not available yet',
      going: 'being deleted',
      broken: 'failed: not a recovery point',
    });
  });

  it('asks for the ownership of every deletion and of the newest the floor needs, and deletes nothing unverified', () => {
    const r = decideTarget(
      [snap('a', 0, 'unknown'), snap('b', 1, 'unknown'), snap('c', 2, 'unknown')],
      { rules: { keepLast: 1 }, minKeep: 2 },
      NOW,
    );
    expect(r.needOwnership.map((c) => c.id).sort()).toEqual(['a', 'b', 'c']);
  });

  it('a look-alike never counts for the floor or as the newest: the owned ones stay at minKeep', async () => {
    const list = [
      snap('lookalike-new', 0, 'unknown'),
      snap('ours-1', 1, 'unknown'),
      snap('ours-2', 2, 'unknown'),
      snap('ours-3', 3, 'unknown'),
    ];
    const tags = new Map<string, Record<string, string>>([
      ['lookalike-new', { owner: 'someone' }],
      ['ours-1', { 'backup-orchestrator:managed-by': 'backup-orchestrator', 'backup-orchestrator:policy': 'p' }],
      ['ours-2', { 'backup-orchestrator:managed-by': 'backup-orchestrator', 'backup-orchestrator:policy': 'p' }],
      ['ours-3', { 'backup-orchestrator:managed-by': 'backup-orchestrator', 'backup-orchestrator:policy': 'p' }],
    ]);
    const read: string[] = [];
    const decisions = await decideVerified(
      list,
      { rules: { keepLast: 1 }, minKeep: 2 },
      NOW,
      async (need) => {
        read.push(...need.map((c) => c.id));
        return new Map(need.map((c) => [c.id, tags.get(c.id)]));
      },
      (t) => t['backup-orchestrator:policy'] === 'p',
    );
    const v = Object.fromEntries(decisions.map((d) => [d.candidate.id, d.verdict]));
    expect(v).toEqual({ 'lookalike-new': 'leave', 'ours-1': 'keep', 'ours-2': 'keep', 'ours-3': 'delete' });
    // each snapshot's tags are read once at most
    expect(new Set(read).size).toBe(read.length);
  });

  it('keeps a snapshot another run still awaits', () => {
    const r = decideTarget(
      [snap('new', 0), snap('awaited', 1, 'verified', 'available', { awaitedBy: 'run-7' })],
      { rules: { keepLast: 1 }, minKeep: 1 },
      NOW,
    );
    expect(r.decisions.find((d) => d.candidate.id === 'awaited')).toMatchObject({ verdict: 'keep', reasons: ['awaited by run run-7'] });
  });

  it('says why a deletion is one, rule by rule', () => {
    const r = decideTarget(
      [snap('a', 0), snap('b', 0.5), snap('c', 30)],
      { rules: { keepDaily: 1, keepWithin: { years: 0, months: 0, days: 7, hours: 0 } }, minKeep: 1 },
      NOW,
    );
    const c = r.decisions.find((d) => d.candidate.id === 'c');
    expect(c?.verdict).toBe('delete');
    expect(c?.reasons).toEqual(['within 7d: older than 2026-11-15 04:00', 'daily: all 1 kept by newer snapshots']);
  });

  it('a snapshot taken exactly at the reference time is inside every within window', () => {
    const within = { years: 0, months: 0, days: 0, hours: 1 };
    const r = decideTarget(
      [snap('at-ref', 0), snap('older', 1)],
      { rules: { keepWithin: within, keepWithinDaily: within, keepWithinHourly: within }, minKeep: 1 },
      NOW,
    );
    const atRef = r.decisions.find((d) => d.candidate.id === 'at-ref');
    expect(atRef?.verdict).toBe('keep');
    expect(atRef?.reasons).toEqual(['within 1h', 'within-hourly 1h 2026-11-22T04', 'within-daily 1h 2026-11-22']);
  });
});

describe('retention durations', () => {
  const file = (d: string) => `
policies:
  - name: p
    elastic: { clusterArns: ['arn:aws:docdb-elastic:us-east-1:123456789012:cluster/x'] }
    retention: { keepWithin: ${d} }
`;
  it('accept 100 years and reject longer ones with VALIDATION_ERROR naming the field', () => {
    expect(() => parsePolicyYaml(file('100y'))).not.toThrow();
    expect(() => parsePolicyYaml(file('101y'))).toThrow(/policy "p": retention\.keepWithin: must be at most 100 years/);
    expect(() => parsePolicyYaml(file('99999999y'))).toThrow(/retention\.keepWithin: must be at most 100 years/);
    expect(() => parsePolicyYaml(file('1300m'))).toThrow(/must be at most 100 years/);
    // the calendar measures it: the same 100 years in any of its parts fit, a step past them does not
    for (const fits of ['1200m', '99y12m', '36525d', '99y365d', '876600h', '50y600m'])
      expect(() => parsePolicyYaml(file(fits)), fits).not.toThrow();
    for (const past of ['100y1h', '1201m', '36526d', '99y12m1d', '876601h'])
      expect(() => parsePolicyYaml(file(past)), past).toThrow(/retention\.keepWithin: must be at most 100 years/);
    // a stable code the state machine and the CLI match on
    try {
      parsePolicyYaml(file('101y'));
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ name: 'ValidationError', code: 'VALIDATION_ERROR' });
    }
  });
});
