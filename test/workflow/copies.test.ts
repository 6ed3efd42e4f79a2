/**
 * Copies of shared snapshots hold their source's point in time: retention dates them by it, copy
 * planning agrees with retention, and a source is copied once. The real workflow against the stand-in.
 */
import { describe, expect, it } from 'vitest';
import { copySnapshotName } from '../../functions/domain/naming.js';
import { COPY_KEYS, OWNERSHIP_KEYS, ownershipTags } from '../../functions/domain/tags.js';
import { runWorkflow } from '../../local/runner.js';
import { type StandIn, startStandIn } from '../../local/standin/server.js';
import type { WorldInput } from '../../local/standin/world.js';
import { type Envelope, policies, world } from './helpers.js';

const PARTNER = '111122223333';
const NOW = new Date('2026-11-22T02:00:00Z');
const DAY = 86_400_000;
const source = (id: string, daysAgo: number, cluster = 'catalog') => ({
  ownerAccount: PARTNER,
  id,
  clusterId: cluster,
  createdAt: new Date(NOW.getTime() - daysAgo * DAY - 3_600_000).toISOString(),
});
const policyWith = (retention: string, select = 'all') =>
  policies(`
settings: { poll: { initialSeconds: 600, backoff: 2, maxSeconds: 1800, maxIterations: 40 } }
policies:
  - name: partner
    copy: { sourceAccounts: ['${PARTNER}'], select: ${select}, targetPrefix: partner }
    retention: ${retention}
`);
const base = (extra: Partial<WorldInput>): WorldInput => ({
  accountId: '123456789012',
  region: 'us-east-1',
  now: NOW.toISOString(),
  durations: { createMinutes: 10, copyMinutes: 20 },
  ...extra,
});
const copiesOf = (standIn: StandIn) =>
  [...standIn.model.clusterSnapshots.values()].filter((s) => s.tags[OWNERSHIP_KEYS.policy] === 'partner');
const heldSources = (standIn: StandIn) =>
  copiesOf(standIn)
    .map((c) => c.source?.split(':').pop())
    .sort();
async function day(standIn: StandIn, policyFile: ReturnType<typeof policies>, n: number) {
  standIn.model.nowMs = Math.max(standIn.model.nowMs, NOW.getTime() + n * DAY);
  const r = await runWorkflow({
    standIn,
    policyFile,
    input: { policy: 'partner', scheduledTime: new Date(NOW.getTime() + n * DAY).toISOString() },
  });
  expect(r.status, `${r.error} ${r.cause}`).toBe('SUCCEEDED');
  return (r.output as Envelope).data;
}

describe('copies hold their source time', () => {
  it.each([5, 10])(
    'a backlog of %i daily sources copied in one run under keepDaily 7 keeps min(N, 7), and later runs change nothing',
    async (n) => {
      const standIn = await startStandIn(world(base({ sharedSnapshots: Array.from({ length: n }, (_, i) => source(`cat-${i}`, i)) })));
      try {
        const p = policyWith('{ keepDaily: 7 }');
        const first = await day(standIn, p, 0);
        expect(first.summary).toMatchObject({ copied: Math.min(n, 7), deleted: 0, failed: 0 });
        expect(first.parts.copies.declined).toBe(Math.max(0, n - 7));
        expect(heldSources(standIn)).toEqual(Array.from({ length: Math.min(n, 7) }, (_, i) => `cat-${i}`).sort());
        // every copy carries the source it holds
        for (const c of copiesOf(standIn)) {
          expect(c.tags[COPY_KEYS.sourceArn]).toBe(c.source);
          expect(Date.parse(c.tags[COPY_KEYS.sourceTime] ?? '')).toBe(
            Date.parse(standIn.model.shared.get(c.source ?? '')?.createdAt ?? ''),
          );
        }
        const again = await day(standIn, p, 0);
        expect(again.summary).toMatchObject({ copied: 0, deleted: 0 });
        expect(standIn.model.calls.CopyDBClusterSnapshot).toBe(Math.min(n, 7));
      } finally {
        await standIn.close();
      }
    },
  );

  it('keepLast 1 with select: all keeps the copy of the newest source; later runs copy nothing more and delete nothing more', async () => {
    const standIn = await startStandIn(
      world(base({ sharedSnapshots: [source('cat-old', 3), source('cat-mid', 2), source('cat-new', 1)] })),
    );
    try {
      const p = policyWith('{ keepLast: 1 }');
      const first = await day(standIn, p, 0);
      expect(first.summary).toMatchObject({ copied: 1, deleted: 0 });
      expect(heldSources(standIn)).toEqual(['cat-new']);
      for (const n of [1, 2, 3]) expect((await day(standIn, p, n)).summary).toMatchObject({ copied: 0, deleted: 0, failed: 0 });
      expect(standIn.model.calls.CopyDBClusterSnapshot).toBe(1);
    } finally {
      await standIn.close();
    }
  });

  it('never copies again a source whose copy retention deleted: 20 days of daily shares that stay shared', async () => {
    const standIn = await startStandIn(world(base({ sharedSnapshots: [source('cat-d0', 0)] })));
    const copied = new Map<string, number>();
    try {
      const p = policyWith('{ keepDaily: 3, keepWeekly: 2 }');
      for (let n = 0; n < 20; n++) {
        if (n > 0) {
          const id = `cat-d${n}`;
          const arn = standIn.model.rdsArn(PARTNER, id);
          standIn.model.shared.set(arn, {
            arn,
            owner: PARTNER,
            id,
            clusterId: 'catalog',
            engine: 'docdb',
            encrypted: false,
            createdAt: new Date(NOW.getTime() + n * DAY - 3_600_000).toISOString(),
            tags: {},
          });
        }
        const before = standIn.model.audit.length;
        await day(standIn, p, n);
        for (const e of standIn.model.audit.slice(before))
          if (e.op === 'copy') copied.set(e.source ?? '', (copied.get(e.source ?? '') ?? 0) + 1);
      }
      expect([...copied.values()].every((c) => c === 1)).toBe(true);
      expect(copied.size).toBe(20);
      // what is held is what retention keeps over the source times: 3 daily + the weekly ones
      expect(copiesOf(standIn).length).toBeLessThanOrEqual(5);
    } finally {
      await standIn.close();
    }
  });

  it('a partner that re-shares under a reused identifier with a newer time has shared a new source', async () => {
    const standIn = await startStandIn(world(base({ sharedSnapshots: [source('cat-latest', 1)] })));
    try {
      const p = policyWith('{ keepLast: 2 }', 'newest');
      expect((await day(standIn, p, 0)).summary.copied).toBe(1);
      const arn = standIn.model.rdsArn(PARTNER, 'cat-latest');
      const reshared = standIn.model.shared.get(arn);
      if (!reshared) throw new Error('no source');
      reshared.createdAt = new Date(NOW.getTime() + DAY - 3_600_000).toISOString();
      expect((await day(standIn, p, 1)).summary.copied).toBe(1);
      expect(copiesOf(standIn)).toHaveLength(2);
    } finally {
      await standIn.close();
    }
  });

  it('copies made before the source tags existed are dated by the time in their name, and get the tags back', async () => {
    const oldSource = `arn:aws:rds:us-east-1:${PARTNER}:cluster-snapshot:cat-old`;
    const legacy = (daysAgo: number, copiedDaysAgo: number) => {
      const t = new Date(NOW.getTime() - daysAgo * DAY - 3_600_000);
      return {
        id: copySnapshotName('partner', oldSource.replace('cat-old', `cat-${daysAgo}`), 'catalog', t),
        clusterId: 'catalog',
        createdAt: new Date(NOW.getTime() - copiedDaysAgo * DAY).toISOString(),
        source: oldSource.replace('cat-old', `cat-${daysAgo}`),
        tags: ownershipTags({
          policy: 'partner',
          target: `${PARTNER}:catalog`,
          runId: 'r0',
          createdAt: new Date(NOW.getTime() - copiedDaysAgo * DAY),
        }),
      };
    };
    // copied in the wrong order: the copy of the newest source was made first
    const standIn = await startStandIn(world(base({ clusterSnapshots: [legacy(9, 1), legacy(8, 5)], sharedSnapshots: [] })));
    try {
      const r = await day(standIn, policyWith('{ keepLast: 1 }'), 0);
      // both copies got the source tags they lacked; then retention, dating them by their names, kept the newer source
      expect(r.summary).toMatchObject({ deleted: 1, kept: 1, tagged: 2 });
      const left = copiesOf(standIn);
      expect(left.map((c) => c.source)).toEqual([oldSource.replace('cat-old', 'cat-8')]);
      expect(left[0]?.tags[COPY_KEYS.sourceTime]).toBe(new Date(NOW.getTime() - 8 * DAY - 3_600_000).toISOString());
      expect(left[0]?.tags[COPY_KEYS.sourceArn]).toBe(oldSource.replace('cat-old', 'cat-8'));
    } finally {
      await standIn.close();
    }
  });

  it('a dry run shows the sources it would copy and those retention would delete at once, with the reasons', async () => {
    const standIn = await startStandIn(world(base({ sharedSnapshots: [source('cat-a', 0), source('cat-b', 1), source('cat-c', 2)] })));
    try {
      const r = await runWorkflow({ standIn, policyFile: policyWith('{ keepLast: 2 }'), input: { policy: 'partner', dryRun: true } });
      const d = (r.output as Envelope).data;
      expect(d.plan).toMatchObject({ copy: 2 });
      expect(d.parts.copies.declined).toBe(1);
      expect(d.copied.map((c) => c.reasons?.[0])).toEqual(['last #0', 'last #1']);
      expect(standIn.model.calls.CopyDBClusterSnapshot).toBeUndefined();
    } finally {
      await standIn.close();
    }
  });
});

describe('overlapping runs of one policy', () => {
  it("share the copy limit, never copy a source twice, leave each other's copies alone, and say what was left to the other run", async () => {
    const sources = Array.from({ length: 8 }, (_, i) => ({ ...source(`cat-${i}`, 0, `c${i}`), copyMinutes: 120 }));
    const standIn = await startStandIn(
      world(base({ sharedSnapshots: sources, quotas: { manualClusterSnapshots: 100, elasticSnapshots: 1000, concurrentCopies: 5 } })),
    );
    try {
      const p = policies(`
settings: { maxCopiesInFlight: 3, poll: { initialSeconds: 600, backoff: 1, maxSeconds: 600, maxIterations: 100 } }
policies:
  - name: partner
    copy: { sourceAccounts: ['${PARTNER}'], select: all, targetPrefix: partner }
    retention: { keepLast: 1 }
`);
      const [a, b] = await Promise.all([
        runWorkflow({ standIn, policyFile: p, input: { policy: 'partner', scheduledTime: NOW.toISOString() }, executionName: 'run-a' }),
        runWorkflow({
          standIn,
          policyFile: p,
          input: { policy: 'partner', scheduledTime: new Date(NOW.getTime() + 60_000).toISOString() },
          executionName: 'run-b',
        }),
      ]);
      const da = (a.output as Envelope).data;
      const db = (b.output as Envelope).data;
      expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect(standIn.model.maxCopiesInFlight).toBeLessThanOrEqual(3);
      // one copy per source: the loser of a race for a source meets the winner's copy under the same name
      expect(standIn.model.audit.filter((e) => e.op === 'copy')).toHaveLength(8);
      expect(da.summary.copied + db.summary.copied).toBe(8);
      expect(da.parts.copies.leftToOtherRuns + db.parts.copies.leftToOtherRuns).toBeGreaterThan(0);
      expect([...da.leftToOtherRuns, ...db.leftToOtherRuns].every((l) => /run run-[ab]/.test(l.reasons?.[0] ?? ''))).toBe(true);
      // each target keeps its one copy (keepLast 1 per source cluster); nothing either run waited for was deleted
      expect(copiesOf(standIn)).toHaveLength(8);
      expect(da.summary.failed + db.summary.failed).toBe(0);
    } finally {
      await standIn.close();
    }
  });

  it('keep a copy the other run still awaits, even where retention would delete it, and delete it once nobody waits', async () => {
    // Run "run-a" (started by hand for the older source) is copying it: its copy is in the world, 10
    // minutes from done. This run leaves that source to run-a, copies the newer one, and decides retention
    // 30 minutes later, when run-a's copy is available but run-a may not have seen it yet: keepLast 1 by
    // the sources' times would delete it, and does not.
    const olderArn = `arn:aws:rds:us-east-1:${PARTNER}:cluster-snapshot:cat-old`;
    const older = source('cat-old', 1, 'c');
    const newer = { ...source('cat-new', 0, 'c'), copyMinutes: 10 };
    const copyName = copySnapshotName('partner', olderArn, 'c', new Date(older.createdAt));
    const standIn = await startStandIn(
      world(
        base({
          sharedSnapshots: [older, newer],
          clusterSnapshots: [
            {
              id: copyName,
              clusterId: 'c',
              createdAt: NOW.toISOString(),
              status: 'creating',
              remainingMinutes: 10,
              source: olderArn,
              tags: {
                ...ownershipTags({ policy: 'partner', target: `${PARTNER}:c`, runId: 'run-a', createdAt: NOW }),
                [COPY_KEYS.sourceArn]: olderArn,
                [COPY_KEYS.sourceTime]: older.createdAt,
              },
            },
          ],
        }),
      ),
    );
    try {
      const p = policies(`
settings: { poll: { initialSeconds: 1800, backoff: 1, maxSeconds: 1800, maxIterations: 20 } }
policies:
  - name: partner
    copy: { sourceAccounts: ['${PARTNER}'], select: all, targetPrefix: partner }
    retention: { keepLast: 1 }
`);
      const r = await runWorkflow({ standIn, policyFile: p, input: { policy: 'partner', scheduledTime: NOW.toISOString() } });
      expect(r.status).toBe('SUCCEEDED');
      const d = (r.output as Envelope).data;
      expect(d.parts.copies).toMatchObject({ leftToOtherRuns: 1, copied: 1 });
      expect(d.leftToOtherRuns.map((l) => l.reasons?.[0])).toEqual([`run run-a is copying it (${copyName})`]);
      expect(d.summary).toMatchObject({ copied: 1, failed: 0, deleted: 0 });
      // kept for run-a, and said why
      const keptForA = r.records.filter((x) => x.action === 'kept' && x.reasons?.includes('awaited by run run-a'));
      expect(keptForA.map((x) => x.name)).toEqual([copyName]);
      expect(heldSources(standIn)).toEqual(['cat-new', 'cat-old']);
      // the next run, with nobody waiting, applies keepLast 1 by the sources' times
      const next = await day(standIn, p, 1);
      expect(next.summary).toMatchObject({ deleted: 1, failed: 0, copied: 0 });
      expect(heldSources(standIn)).toEqual(['cat-new']);
    } finally {
      await standIn.close();
    }
  });
});
