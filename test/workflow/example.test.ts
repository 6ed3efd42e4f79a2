/**
 * The real definition, handlers and SDK clients against the stand-in, over the shipped example world.
 */
import { describe, expect, it } from 'vitest';
import { OWNERSHIP_KEYS } from '../../functions/domain/tags.js';
import { diffWorlds } from '../../local/diff.js';
import { Model } from '../../local/standin/model.js';
import { startStandIn } from '../../local/standin/server.js';
import { examplePolicies, exampleWorld, run } from './helpers.js';

describe('example world, policy "daily"', () => {
  it('creates, copies and deletes, touching only what the orchestrator owns', async () => {
    // Prepare
    const w = exampleWorld();
    const standIn = await startStandIn(w);
    const before = new Model(structuredClone(w)).toWorld();
    try {
      // Act
      const r = await run({ world: w, policyFile: examplePolicies(), input: { policy: 'daily' }, standIn });
      const after = standIn.model.toWorld();
      const diff = diffWorlds(before, after);
      // Assess: the envelope
      expect(r.status).toBe('SUCCEEDED');
      expect(r.envelope.success).toBe(true);
      expect(r.envelope.data.status).toBe('SUCCEEDED');
      expect(r.envelope.data.id).toBe(r.executionName);
      expect(Date.parse(r.envelope.data.created_at)).not.toBeNaN();
      expect(r.envelope.data.summary).toMatchObject({ created: 2, copied: 2, failed: 0 });
      expect(r.envelope.data.summary.deleted).toBeGreaterThan(0);
      // the diff agrees with the summary
      expect(diff.created).toHaveLength(2);
      expect(diff.copied).toHaveLength(2);
      expect(diff.deleted).toHaveLength(r.envelope.data.summary.deleted);
      // every deletion carries reasons, and only owned snapshots were deleted
      const ownedBefore = new Set(
        [
          ...before.elasticClusters.flatMap((c) => c.snapshots.map((s) => ({ id: s.arn, tags: s.tags }))),
          ...before.clusterSnapshots.map((s) => ({
            id: `arn:aws:rds:us-east-1:123456789012:cluster-snapshot:${s.id}`,
            tags: s.tags,
          })),
        ]
          .filter((s) => s.tags[OWNERSHIP_KEYS.managedBy] === 'backup-orchestrator')
          .map((s) => s.id),
      );
      for (const d of diff.deleted) expect(ownedBefore.has(d), d).toBe(true);
      for (const d of r.envelope.data.deleted) expect(d.reasons?.length).toBeGreaterThan(0);
      // automated and hand-made snapshots are untouched
      const names = after.elasticClusters.flatMap((c) => c.snapshots.map((s) => s.name));
      expect(names).toEqual(expect.arrayContaining(['rds-automated-orders-prod-1', 'orders-prod-before-migration']));
      expect(after.clusterSnapshots.map((s) => s.id)).toContain('hand-made-aurora-snapshot');
      // the excluded-by-tag cluster got no snapshot
      const staging = after.elasticClusters.find((c) => c.name === 'search-staging');
      expect(staging?.snapshots).toHaveLength(0);
    } finally {
      await standIn.close();
    }
  });

  it('tags what it creates and copies, copies only allowed accounts and engines, and passes KmsKeyId only for encrypted sources', async () => {
    const w = exampleWorld();
    const standIn = await startStandIn(w);
    try {
      await run({ world: w, policyFile: examplePolicies(), input: { policy: 'daily' }, standIn });
      const m = standIn.model;
      const copies = [...m.clusterSnapshots.values()].filter((s) => s.source && s.tags[OWNERSHIP_KEYS.runId]?.startsWith('local-'));
      expect(copies.map((c) => c.source).sort()).toEqual([
        'arn:aws:rds:us-east-1:111122223333:cluster-snapshot:partner-billing-2026-11-21',
        'arn:aws:rds:us-east-1:111122223333:cluster-snapshot:partner-catalog-2026-11-21',
      ]);
      for (const c of copies) {
        expect(c.tags).toMatchObject({
          [OWNERSHIP_KEYS.managedBy]: 'backup-orchestrator',
          [OWNERSHIP_KEYS.policy]: 'daily',
          team: 'platform',
        });
        expect(c.tags[OWNERSHIP_KEYS.target]).toBe(`111122223333:${c.clusterId}`);
        expect(c.kmsKeyId === undefined).toBe(!c.encrypted);
      }
      const created = [...m.elasticSnapshots.values()].filter((s) => s.tags[OWNERSHIP_KEYS.runId]?.startsWith('local-'));
      expect(created).toHaveLength(2);
      for (const s of created) {
        expect(s.tags).toMatchObject({
          [OWNERSHIP_KEYS.target]: s.clusterArn,
          team: 'platform',
          'cost-center': '1234',
          backup: 'daily',
        });
        expect(s.name).toMatch(/^daily-[a-z0-9-]+-[0-9a-z]{6}-202611220200$/);
      }
    } finally {
      await standIn.close();
    }
  });

  it('runs the same scheduled slot twice without duplicates', async () => {
    const w = exampleWorld();
    const standIn = await startStandIn(w);
    const input = { policy: 'daily', scheduledTime: '2026-11-22T02:00:00Z' };
    try {
      const first = await run({ world: w, policyFile: examplePolicies(), input, standIn });
      const count = () => [standIn.model.elasticSnapshots.size, standIn.model.clusterSnapshots.size];
      const afterFirst = count();
      standIn.model.advance(600);
      const second = await run({ world: w, policyFile: examplePolicies(), input, standIn });
      expect(first.envelope.data.summary.created).toBe(2);
      expect(second.envelope.data.status).toBe('SUCCEEDED');
      expect(second.envelope.data.summary).toMatchObject({ created: 0, copied: 0, deleted: 0, failed: 0 });
      expect(second.envelope.data.summary.skipped).toBe(4);
      expect(count()).toEqual(afterFirst);
    } finally {
      await standIn.close();
    }
  });

  it('changes nothing in a dry run, and reports what it would do', async () => {
    const w = exampleWorld();
    const standIn = await startStandIn(w);
    const before = standIn.model.toWorld();
    try {
      const r = await run({
        world: w,
        policyFile: examplePolicies(),
        input: { policy: 'daily', dryRun: true },
        standIn,
      });
      const after = standIn.model.toWorld();
      expect(r.envelope.data.status).toBe('SUCCEEDED');
      expect(r.envelope.data.plan).toMatchObject({ create: 2, copy: 2 });
      expect(r.envelope.data.plan?.delete).toBeGreaterThan(0);
      expect(diffWorlds(before, after)).toEqual({ created: [], copied: [], deleted: [], tagged: [] });
      const writes = Object.keys(standIn.model.calls).filter(
        (op) => /Create|Copy|Delete|Tag(Resource|sTo)|AddTags/.test(op) && op !== 'ListTagsForResource' && op !== 'ListTagsForResource.rds',
      );
      expect(writes).toEqual([]);
    } finally {
      await standIn.close();
    }
  });

  it('fails invalid input at the first state with VALIDATION_ERROR and makes no AWS call', async () => {
    const w = exampleWorld();
    const standIn = await startStandIn(w);
    try {
      for (const input of [
        { policy: 'nope' },
        { policy: 'daily', extra: 1 },
        { policy: 'daily', targets: ['arn:aws:docdb-elastic:eu-west-1:123456789012:cluster/x'] },
        {},
      ]) {
        const r = await run({ world: w, policyFile: examplePolicies(), input, standIn });
        expect(r.status).toBe('FAILED');
        expect(r.error).toBe('ValidationError');
        const cause = JSON.parse(r.cause as string);
        expect(cause.success).toBe(false);
        expect(cause.error.code).toBe('VALIDATION_ERROR');
        expect(cause.error.message).toMatch(/^input\./);
      }
      expect(standIn.model.calls).toEqual({});
    } finally {
      await standIn.close();
    }
  });
});
