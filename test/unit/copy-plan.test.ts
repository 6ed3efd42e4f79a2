/** The copy plan as a pure function: which sources a run copies, and why it leaves the others. */
import { describe, expect, it } from 'vitest';
import { type ClusterSnapshotRecord, eligibleSources, heldCopy, nameTime, planCopies } from '../../functions/domain/copy-plan.js';
import { copySnapshotName } from '../../functions/domain/naming.js';
import { parsePolicyFile, type Policy } from '../../functions/domain/policy.js';
import { toTagList } from '../../functions/domain/tags.js';
import { RUN } from '../fixtures/run.js';

const PARTNER = '111122223333';
const NOW = new Date('2026-11-22T03:00:00Z');

function policyWith(copy: Record<string, unknown>, retention: Record<string, unknown> = { keepLast: 2 }): Policy {
  const file = parsePolicyFile({
    policies: [
      {
        name: 'daily',
        schedules: [{ expression: 'cron(0 3 * * ? *)', timezone: 'UTC' }],
        copy: { sourceAccounts: [PARTNER], engines: ['docdb'], targetPrefix: 'partner', ...copy },
        retention,
      },
    ],
  });
  return file.policies[0] as Policy;
}

const shared = (cluster: string, day: number, extra: Partial<ClusterSnapshotRecord> = {}): ClusterSnapshotRecord => ({
  DBClusterSnapshotIdentifier: `${cluster}-snap-${day}`,
  DBClusterSnapshotArn: `arn:aws:rds:us-east-1:${PARTNER}:cluster-snapshot:${cluster}-snap-${day}`,
  DBClusterIdentifier: cluster,
  SnapshotCreateTime: new Date(Date.UTC(2026, 10, day, 1)),
  SnapshotType: 'shared',
  Status: 'available',
  Engine: 'docdb',
  StorageEncrypted: false,
  ...extra,
});

/** The copy this policy would have made of `source`, as the owned listing shows it. */
function copyOf(policy: Policy, source: ClusterSnapshotRecord, status = 'available'): ClusterSnapshotRecord {
  const [s] = eligibleSources({ ...policy, copy: { ...policy.copy!, select: 'all' } }, { ...RUN, targets: undefined }, [source]);
  if (!s) throw new Error('source not eligible');
  return {
    DBClusterSnapshotIdentifier: s.name,
    DBClusterSnapshotArn: `arn:aws:rds:us-east-1:123456789012:cluster-snapshot:${s.name}`,
    DBClusterIdentifier: source.DBClusterIdentifier,
    SnapshotCreateTime: NOW,
    SnapshotType: 'manual',
    Status: status,
    SourceDBClusterSnapshotArn: source.DBClusterSnapshotArn,
    TagList: toTagList({
      'backup-orchestrator:policy': 'daily',
      'backup-orchestrator:managed-by': 'backup-orchestrator',
      'backup-orchestrator:target': s.target,
      'backup-orchestrator:run-id': 'exec-0',
      'backup-orchestrator:created-at': NOW.toISOString(),
      'backup-orchestrator:source-arn': s.arn,
      'backup-orchestrator:source-time': s.time.toISOString(),
    }),
  };
}

describe('eligibleSources', () => {
  it('keeps only available snapshots of allowed sharers and engines, newest per cluster unless select is all', () => {
    const list = [
      shared('ledger', 20),
      shared('ledger', 21),
      shared('orders', 19),
      shared('orders', 21, { Status: 'creating' }),
      shared('aurora', 21, { Engine: 'aurora-mysql' }),
      shared('other', 21, { DBClusterSnapshotArn: 'arn:aws:rds:us-east-1:999999999999:cluster-snapshot:other-snap-21' }),
    ];
    const newest = eligibleSources(policyWith({ select: 'newest' }), RUN, list);
    expect(newest.map((s) => s.arn.split(':').at(-1))).toEqual(['ledger-snap-21', 'orders-snap-19']);
    const all = eligibleSources(policyWith({ select: 'all' }), RUN, list);
    expect(all.map((s) => s.arn.split(':').at(-1))).toEqual(['ledger-snap-21', 'ledger-snap-20', 'orders-snap-19']);
    expect(all[0]?.target).toBe(`${PARTNER}:ledger`);
  });

  it('applies clusterPattern and the run subset', () => {
    const list = [shared('ledger', 21), shared('orders', 21)];
    expect(eligibleSources(policyWith({ clusterPattern: '^led' }), RUN, list).map((s) => s.clusterId)).toEqual(['ledger']);
    const subset = { ...RUN, targets: [list[1]!.DBClusterSnapshotArn!] };
    expect(eligibleSources(policyWith({}), subset, list).map((s) => s.clusterId)).toEqual(['orders']);
  });
});

describe('planCopies', () => {
  it("declines the sources retention would delete at once, with retention's reasons (keepLast 2 over a backlog of 4)", () => {
    const policy = policyWith({ select: 'all' }, { keepLast: 2 });
    const list = [18, 19, 20, 21].map((d) => shared('ledger', d));
    const plan = planCopies(policy, RUN, list, [], NOW);
    expect(plan.queue.map((e) => [e.source.time.getUTCDate(), e.state])).toEqual([
      [21, 'copy'],
      [20, 'copy'],
      [19, 'decline'],
      [18, 'decline'],
    ]);
    expect(plan.queue[2]?.reasons.join(' ')).toMatch(/last/);
  });

  it('counts the copies held: a held source is skipped and an older one declined', () => {
    const policy = policyWith({ select: 'all' }, { keepLast: 2 });
    const list = [19, 20, 21].map((d) => shared('ledger', d));
    const owned = [copyOf(policy, list[2]!), copyOf(policy, list[1]!)];
    const plan = planCopies(policy, RUN, list, owned, NOW);
    expect(plan.queue.map((e) => [e.source.time.getUTCDate(), e.state])).toEqual([
      [21, 'held'],
      [20, 'held'],
      [19, 'decline'],
    ]);
  });

  it('does not count a failed copy as holding its source, and tells in-flight copies of this run from others', () => {
    const policy = policyWith({ select: 'all' }, { keepLast: 5 });
    const list = [20, 21].map((d) => shared('ledger', d));
    const mine = copyOf(policy, list[0]!, 'copying');
    const plan = planCopies(policy, { ...RUN, id: 'exec-0' }, list, [copyOf(policy, list[1]!, 'failed'), mine], NOW);
    expect(plan.queue.map((e) => e.state)).toEqual(['copy', 'in-flight-ours']);
    expect(planCopies(policy, RUN, list, [mine], NOW).queue.map((e) => e.state)).toEqual(['copy', 'in-flight-other']);
  });

  it('returns new entries and leaves its inputs as they were', () => {
    const policy = policyWith({ select: 'all' }, { keepLast: 1 });
    const list = [20, 21].map((d) => shared('ledger', d));
    const before = structuredClone(list);
    planCopies(policy, RUN, list, [], NOW);
    expect(list).toEqual(before);
  });

  it('reports a name the plan would use that a snapshot not of this policy holds', () => {
    const policy = policyWith({});
    const list = [shared('ledger', 21)];
    const [s] = eligibleSources(policy, RUN, list);
    const squatter = { DBClusterSnapshotIdentifier: s!.name, SnapshotType: 'manual', Status: 'available', TagList: [] };
    expect([...planCopies(policy, RUN, list, [squatter], NOW).foreignNames]).toEqual([s!.name]);
  });
});

describe('what a copy holds', () => {
  it('reads the source time from the tag, else from the name (to the minute)', () => {
    const policy = policyWith({});
    const source = shared('ledger', 21);
    const copy = copyOf(policy, source);
    expect(heldCopy(copy, policy)).toMatchObject({ timeFrom: 'tag', time: source.SnapshotCreateTime });
    const untagged = { ...copy, TagList: copy.TagList!.filter((t) => !t.Key!.startsWith('backup-orchestrator:source-')) };
    expect(heldCopy(untagged, policy)).toMatchObject({ timeFrom: 'name', time: source.SnapshotCreateTime });
    const name = copySnapshotName('partner', source.DBClusterSnapshotArn!, 'ledger', new Date('2026-11-21T01:02:59Z'));
    expect(nameTime(name)?.toISOString()).toBe('2026-11-21T01:02:00.000Z');
    expect(heldCopy({ ...copy, TagList: [] }, policy)).toBeUndefined();
  });
});
