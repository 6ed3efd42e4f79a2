/** Restore drills and the coverage audit, as pure rules. */
import { describe, expect, it } from 'vitest';
import { auditCounts, classifyElastic, classifySource } from '../../functions/domain/audit.js';
import { decideTarget } from '../../functions/domain/decide.js';
import {
  chooseSnapshot,
  drillClusterName,
  drillClusterOf,
  drillClusterPhase,
  drillClusterTags,
  drilledTags,
  drillHold,
  drillRoute,
  lastDrillOf,
  looksLikeDrillCluster,
  monthStart,
  sampleTargets,
  seeded,
} from '../../functions/domain/drill.js';
import { parsePolicyFile } from '../../functions/domain/policy.js';
import { DRILLED_KEYS, OWNERSHIP_KEYS } from '../../functions/domain/tags.js';

const NOW = new Date('2026-11-22T05:00:00Z');
const C1 = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';

const file = (extra: Record<string, unknown> = {}, settings: Record<string, unknown> = {}) =>
  parsePolicyFile({
    settings,
    policies: [
      {
        name: 'daily',
        elastic: { selector: { backup: 'daily' }, exclude: ['arn:aws:docdb-elastic:us-east-1:123456789012:cluster/excluded'] },
        copy: { sourceAccounts: ['111122223333'], engines: ['docdb'], clusterPattern: '^cat' },
        retention: { keepLast: 1 },
        restoreDrill: {
          schedules: [{ expression: 'cron(0 5 ? * SUN *)' }],
          elastic: { subnetIds: ['subnet-0a1b2c3d'], vpcSecurityGroupIds: ['sg-0a1b2c3d'] },
          copies: { dbSubnetGroupName: 'drills', vpcSecurityGroupIds: ['sg-0a1b2c3d'] },
        },
        ...extra,
      },
    ],
  });

describe('drill policy', () => {
  it('needs where to restore each part the policy has, and an RTO within the deadline', () => {
    expect(() => file({ restoreDrill: { schedules: [{ expression: 'rate(7 days)' }] } })).toThrow(
      /restoreDrill\.elastic: the policy has elastic targets: say where drills restore them/,
    );
    expect(() =>
      file({
        restoreDrill: {
          schedules: [{ expression: 'rate(7 days)' }],
          deadlineMinutes: 60,
          rtoMinutes: 90,
          elastic: { subnetIds: ['subnet-0a1b2c3d'], vpcSecurityGroupIds: ['sg-0a1b2c3d'] },
          copies: { dbSubnetGroupName: 'd', vpcSecurityGroupIds: ['sg-0a1b2c3d'] },
        },
      }),
    ).toThrow(/rtoMinutes: must be at most deadlineMinutes \(60\)/);
    expect(file().policies[0]?.restoreDrill).toMatchObject({ select: 'latest', sample: 1, maxConcurrent: 1, monthlyClusterHours: 48 });
  });
});

describe('drill clusters', () => {
  it('are named per policy, target and run start, within both APIs rules, and recognised by name and tags', () => {
    const name = drillClusterName('daily', C1, NOW);
    expect(name).toMatch(/^drill-daily-[0-9a-z]{6}-202611220500$/);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(looksLikeDrillCluster(name)).toBe(true);
    expect(looksLikeDrillCluster('orders-prod')).toBe(false);
    expect(drillClusterName('daily', `${C1}x`, NOW)).not.toBe(name);
    const tags = drillClusterTags('daily', { id: 'exec-1' }, { snapshotArn: 'arn:snap', target: C1 }, NOW);
    expect(drillClusterOf(tags, 'daily')).toEqual({ run: 'exec-1', startedAt: NOW });
    expect(drillClusterOf(tags, 'other')).toBeUndefined();
    // a production cluster named like a drill but without the tags is not one
    expect(drillClusterOf({}, 'daily')).toBeUndefined();
    expect(drillClusterOf({ ...tags, [OWNERSHIP_KEYS.managedBy]: 'someone' }, 'daily')).toBeUndefined();
  });

  it('read their status by the models: elastic enum and RDS statuses', () => {
    expect(drillClusterPhase('elastic', 'CREATING')).toBe('creating');
    expect(drillClusterPhase('elastic', 'ACTIVE')).toBe('ready');
    expect(drillClusterPhase('elastic', 'INACCESSIBLE_ENCRYPTION_CREDS')).toBe('failed');
    expect(drillClusterPhase('elastic', 'DELETING')).toBe('deleting');
    expect(drillClusterPhase('copy', 'available')).toBe('ready');
    expect(drillClusterPhase('copy', 'inaccessible-encryption-credentials')).toBe('failed');
    expect(drillClusterPhase('copy', undefined)).toBe('gone');
  });
});

describe('choosing what to drill', () => {
  const snaps = [1, 2, 3, 10, 20].map((d) => ({ id: `s${d}`, time: new Date(NOW.getTime() - d * 86_400_000) }));
  it('latest takes the newest; random takes one within the window, the same one for the same run', () => {
    expect(chooseSnapshot(snaps, { select: 'latest', windowDays: 7 }, NOW, Math.random)?.id).toBe('s1');
    const pick = (run: string) => chooseSnapshot(snaps, { select: 'random', windowDays: 7 }, NOW, seeded(run, 'daily'))?.id;
    expect(['s1', 's2', 's3']).toContain(pick('exec-1'));
    expect(pick('exec-1')).toBe(pick('exec-1'));
    const picks = new Set(Array.from({ length: 30 }, (_, i) => pick(`exec-${i}`)));
    expect(picks.size).toBe(3); // all three within the window get drilled over time; never the older ones
    expect(chooseSnapshot([], { select: 'latest', windowDays: 7 }, NOW, Math.random)).toBeUndefined();
  });

  it('samples n targets, stable within a run and varying between runs', () => {
    const targets = Array.from({ length: 10 }, (_, i) => ({ target: `t${i}` }));
    const a = sampleTargets(targets, 2, seeded('exec-1'));
    expect(a).toHaveLength(2);
    expect(sampleTargets(targets, 2, seeded('exec-1'))).toEqual(a);
    expect(new Set(Array.from({ length: 20 }, (_, i) => sampleTargets(targets, 1, seeded(`r${i}`))[0]?.target)).size).toBeGreaterThan(3);
    expect(sampleTargets(targets, 50, seeded('x'))).toHaveLength(10);
  });

  it('counts the month from its first day (UTC)', () => {
    expect(monthStart(NOW).toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });
});

describe('retention and drills', () => {
  it('keeps a snapshot a drill is restoring from until the drill deadline, then decides it as usual', () => {
    const tags = (until?: string) => ({
      [OWNERSHIP_KEYS.managedBy]: 'backup-orchestrator',
      ...(until ? { [DRILLED_KEYS.until]: until } : {}),
    });
    const candidates = [
      {
        id: 'new',
        time: new Date('2026-11-21T00:00:00Z'),
        state: 'available' as const,
        ownership: 'verified' as const,
        tags: tags(),
        ref: 1,
      },
      {
        id: 'old',
        time: new Date('2026-11-20T00:00:00Z'),
        state: 'available' as const,
        ownership: 'verified' as const,
        tags: tags('2026-11-22T08:00:00.000Z'),
        ref: 2,
      },
    ];
    const during = decideTarget(candidates, { rules: { keepLast: 1 }, minKeep: 1 }, NOW).decisions;
    expect(during.map((d) => [d.candidate.id, d.verdict, d.reasons[0]])).toEqual([
      ['new', 'keep', 'last #0'],
      ['old', 'keep', 'restore drill until 2026-11-22T08:00:00.000Z'],
    ]);
    const after = decideTarget(candidates, { rules: { keepLast: 1 }, minKeep: 1 }, new Date('2026-11-22T09:00:00Z')).decisions;
    expect(after[1]?.verdict).toBe('delete');
    expect(drillHold(undefined, NOW)).toBeUndefined();
  });

  it('records the last drill on the snapshot, within the tag value limit', () => {
    const tags = drilledTags(
      {
        target: C1,
        of: 'orders',
        kind: 'elastic',
        snapshot: 's',
        snapshotArn: 's',
        snapshotTime: '',
        cluster: 'c',
        phase: 'done',
        result: 'failed',
        code: 'INTERNAL_ERROR',
        message: 'x'.repeat(500),
        restoreSeconds: 612,
      },
      NOW,
    );
    for (const v of Object.values(tags)) expect(v.length).toBeLessThanOrEqual(256);
    expect(lastDrillOf(tags)).toEqual({
      result: expect.stringMatching(/^failed: INTERNAL_ERROR x+/),
      at: NOW.toISOString(),
      restoreSeconds: 612,
    });
  });
});

describe('the drill loop', () => {
  const base = {
    iteration: 1,
    waitSeconds: 300,
    skipped: [],
    skippedCount: 0,
    swept: [],
    sweptCount: 0,
    othersAlive: 0,
    clusterHours: { usedThisMonth: 0, estimate: 0, cap: 1 },
    failures: [],
  };
  const poll = { initialSeconds: 300, backoff: 2, maxSeconds: 3600 };
  const drill = (phase: 'restoring' | 'done') => ({
    target: 't',
    of: 't',
    kind: 'elastic' as const,
    snapshot: 's',
    snapshotArn: 's',
    snapshotTime: '',
    cluster: 'c',
    phase,
  });
  it('validates when a cluster is ready, waits while drills run (at most 15 minutes), reports when all are done', () => {
    const v = {
      functionArn: 'f',
      payload: { cluster: 'c', kind: 'elastic' as const, snapshotArn: 's', snapshotTime: '', target: 't', policy: 'daily', secretArn: 'x' },
    };
    expect(drillRoute({ ...base, next: 'wait', drills: [drill('restoring')], toValidate: [v] }, poll).next).toBe('validate');
    const waiting = drillRoute({ ...base, next: 'wait', drills: [drill('restoring')], toValidate: [] }, poll);
    expect(waiting).toMatchObject({ next: 'wait', waitSeconds: 600 });
    expect(drillRoute({ ...waiting, waitSeconds: 3000 }, poll).waitSeconds).toBe(900);
    expect(drillRoute({ ...base, next: 'wait', drills: [drill('done')], toValidate: [] }, poll).next).toBe('report');
  });
});

describe('coverage audit', () => {
  const f = file({}, { audit: { allow: ['arn:aws:docdb-elastic:us-east-1:123456789012:cluster/lab', '999999999999:scratch'] } });
  it('classifies elastic clusters: protected, excluded by a named rule, allowed, unprotected', () => {
    const rows = [
      { arn: C1, name: 'orders', tags: { backup: 'daily' } },
      { arn: 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/excluded', name: 'ex', tags: { backup: 'daily' } },
      { arn: 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/lab', name: 'lab', tags: {} },
      { arn: 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/new', name: 'new', tags: { backup: 'weekly' } },
    ].map((c) => classifyElastic(c as { arn: string; name: string; tags: Record<string, string> }, f));
    expect(rows).toEqual([
      { class: 'protected', policies: ['daily'] },
      { class: 'excluded', policies: [], rule: 'policy "daily": elastic.exclude' },
      { class: 'allowed', policies: [], rule: 'settings.audit.allow' },
      { class: 'unprotected', policies: [] },
    ]);
    expect(auditCounts(rows.map((r) => ({ kind: 'elastic' as const, id: '', name: '', ...r })))).toEqual({
      protected: 1,
      excluded: 1,
      allowed: 1,
      unprotected: 1,
    });
  });

  it('classifies source clusters behind shared snapshots by sharer, engine and pattern', () => {
    expect(classifySource({ account: '111122223333', clusterId: 'catalog', engines: ['docdb'] }, f)).toEqual({
      class: 'protected',
      policies: ['daily'],
    });
    expect(classifySource({ account: '111122223333', clusterId: 'billing', engines: ['docdb'] }, f).rule).toBe(
      'policy "daily": copy.clusterPattern',
    );
    expect(classifySource({ account: '111122223333', clusterId: 'catalog', engines: ['aurora-mysql'] }, f).rule).toMatch(/copy\.engines/);
    expect(classifySource({ account: '999999999999', clusterId: 'scratch', engines: ['docdb'] }, f).class).toBe('allowed');
    expect(classifySource({ account: '444455556666', clusterId: 'x', engines: ['docdb'] }, f).class).toBe('unprotected');
  });
});
