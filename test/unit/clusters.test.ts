/** Which elastic clusters a policy covers, and what their statuses mean, as pure rules. */
import { describe, expect, it } from 'vitest';
import {
  CLUSTER_RULE_MESSAGES,
  clusterRule,
  elasticSnapshotPhase,
  inRunSubset,
  matchesPolicy,
  needsClusterTags,
  slotSnapshotName,
  slotSnapshots,
} from '../../functions/domain/clusters.js';
import { parsePolicyFile, type Policy } from '../../functions/domain/policy.js';
import { DRILL_KEYS } from '../../functions/domain/tags.js';
import { RUN } from '../fixtures/run.js';

const A = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/aaaa';
const B = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/bbbb';
const policy = (elastic: Record<string, unknown>): Policy =>
  parsePolicyFile({ policies: [{ name: 'daily', elastic, retention: { keepLast: 3 } }] }).policies[0] as Policy;

describe('clusters a policy covers', () => {
  it('by explicit ARN or by every selector tag; never a drill cluster', () => {
    const byArn = policy({ clusterArns: [A] });
    expect(matchesPolicy(byArn, A, {})).toBe(true);
    expect(matchesPolicy(byArn, B, { backup: 'daily' })).toBe(false);
    const bySelector = policy({ selector: { backup: 'daily', tier: 'prod' } });
    expect(matchesPolicy(bySelector, B, { backup: 'daily', tier: 'prod' })).toBe(true);
    expect(matchesPolicy(bySelector, B, { backup: 'daily' })).toBe(false);
    expect(matchesPolicy(bySelector, B, { backup: 'daily', tier: 'prod', [DRILL_KEYS.drill]: 'daily' })).toBe(false);
    expect(needsClusterTags(bySelector)).toBe(true);
    expect(needsClusterTags(byArn)).toBe(false);
  });

  it("within the run's subset of targets", () => {
    expect(inRunSubset(RUN, A)).toBe(true);
    expect(inRunSubset({ ...RUN, targets: [B] }, A)).toBe(false);
    expect(inRunSubset({ ...RUN, targets: [B] }, B)).toBe(true);
  });
});

describe('statuses', () => {
  it('snapshot an ACTIVE cluster, wait for one changing, skip one being deleted, report the rest', () => {
    expect(clusterRule('ACTIVE')).toBe('snapshot');
    for (const s of ['CREATING', 'UPDATING', 'MODIFYING', 'MERGING', 'SPLITTING', 'COPYING', 'STARTING', 'MAINTENANCE'])
      expect(clusterRule(s), s).toBe('wait');
    expect(clusterRule('DELETING')).toBe('skip');
    expect(clusterRule('STOPPED')).toBe('conflict');
    expect(clusterRule(undefined)).toBe('conflict');
    expect(CLUSTER_RULE_MESSAGES.conflict('STOPPED')).toMatch(/start it, or exclude it/);
    expect(CLUSTER_RULE_MESSAGES.conflict('INACCESSIBLE_ENCRYPTION_CREDS')).toMatch(/needs attention/);
    expect(CLUSTER_RULE_MESSAGES.wait('UPDATING')).toMatch(/waits/);
    expect(CLUSTER_RULE_MESSAGES.skip('DELETING')).toMatch(/skipped/);
  });

  it("read a snapshot's status by the model's enum", () => {
    expect(elasticSnapshotPhase('ACTIVE')).toBe('available');
    expect(elasticSnapshotPhase('CREATING')).toBe('in-flight');
    expect(elasticSnapshotPhase('DELETING')).toBe('deleting');
    expect(elasticSnapshotPhase('INACCESSIBLE_ENCRYPTION_CREDS')).toBe('failed');
  });
});

describe("the slot's snapshots", () => {
  it("are found by the slot's name, bound to policy and cluster, within the run's subset", () => {
    const p = policy({ selector: { backup: 'daily' } });
    const mine = slotSnapshotName(RUN, p, { arn: A, name: 'alpha' });
    const other = slotSnapshotName(RUN, p, { arn: B, name: 'beta' });
    const earlier = slotSnapshotName({ ...RUN, slot: '2026-11-21T03:00:00.000Z' }, p, { arn: A, name: 'alpha' });
    const list = [
      { snapshotName: mine, clusterArn: A },
      { snapshotName: other, clusterArn: B },
      { snapshotName: earlier, clusterArn: A },
      { snapshotName: mine, clusterArn: B }, // the name of another cluster's slot: not B's
    ];
    expect(slotSnapshots(list, RUN, p).map((s) => s.snapshotName)).toEqual([mine, other]);
    expect(slotSnapshots(list, { ...RUN, targets: [B] }, p).map((s) => s.clusterArn)).toEqual([B]);
  });
});
