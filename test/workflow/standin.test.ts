/**
 * The stand-in where the product's outcome depends on what AWS does (docs/aws-behaviour.md lists each
 * behaviour with its source): tags on copies, deletes that linger, the statuses of the models, and worlds
 * saved with work in flight. Through the real SDK clients.
 */
import { DeleteClusterSnapshotCommand, GetClusterSnapshotCommand, ListClusterSnapshotsCommand } from '@aws-sdk/client-docdb-elastic';
import { CopyDBClusterSnapshotCommand, DescribeDBClusterSnapshotsCommand } from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it } from 'vitest';
import { createClients } from '../../functions/aws/clients.js';
import { fromTagList } from '../../functions/domain/tags.js';
import { freezeResponses } from '../../local/freeze.js';
import { useStandInEndpoints } from '../../local/runner.js';
import { Model } from '../../local/standin/model.js';
import { type StandIn, startStandIn } from '../../local/standin/server.js';
import { parseWorld, type WorldInput } from '../../local/standin/world.js';
import { clusterArn } from './helpers.js';

const C1 = clusterArn('00000000-0000-4000-8000-0000000000c1');
const NOW = '2026-11-22T02:00:00.000Z';
const PARTNER_SNAP = 'arn:aws:rds:us-east-1:111122223333:cluster-snapshot:partner-1';
const base = (extra: Partial<WorldInput> = {}): WorldInput => ({
  accountId: '123456789012',
  region: 'us-east-1',
  now: NOW,
  elasticClusters: [
    {
      name: 'alpha',
      arn: C1,
      snapshots: [
        { name: 'snap-a', createdAt: NOW },
        { name: 'snap-b', createdAt: NOW },
      ],
    },
  ],
  clusterSnapshots: [{ id: 'own-source', clusterId: 'c', createdAt: NOW, tags: { from: 'source' } }],
  sharedSnapshots: [{ ownerAccount: '111122223333', id: 'partner-1', clusterId: 'p', createdAt: NOW, tags: { owner: 'partner' } }],
  ...extra,
});

let standIn: StandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});
async function open(w: WorldInput) {
  standIn = await startStandIn(parseWorld(w));
  useStandInEndpoints(standIn);
  return { model: standIn.model, ...createClients('us-east-1') };
}

describe('CopyDBClusterSnapshot tags', () => {
  it("with CopyTags and Tags applies only the given Tags; CopyTags alone copies an own source's tags and nothing of a sharer's", async () => {
    const { rds } = await open(base());
    const tagsOf = async (id: string) =>
      fromTagList(
        (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id }))).DBClusterSnapshots?.[0]?.TagList,
      );
    await rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: 'own-source',
        TargetDBClusterSnapshotIdentifier: 'both',
        CopyTags: true,
        Tags: [{ Key: 'mine', Value: 'x' }],
      }),
    );
    expect(await tagsOf('both')).toEqual({ mine: 'x' });
    await rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: 'own-source',
        TargetDBClusterSnapshotIdentifier: 'copytags-only',
        CopyTags: true,
      }),
    );
    expect(await tagsOf('copytags-only')).toEqual({ from: 'source' });
    await rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: PARTNER_SNAP,
        TargetDBClusterSnapshotIdentifier: 'shared-copytags',
        CopyTags: true,
      }),
    );
    expect(await tagsOf('shared-copytags')).toEqual({});
    // a sharer's tags are not shown to this account either
    const shared = await rds.send(new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'shared', IncludeShared: true }));
    expect(shared.DBClusterSnapshots?.[0]?.TagList ?? []).toEqual([]);
    // the copy names its source
    const copy = (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'shared-copytags' })))
      .DBClusterSnapshots?.[0];
    expect(copy?.SourceDBClusterSnapshotArn).toBe(PARTNER_SNAP);
  });
});

describe('elastic deletes', () => {
  it("leave the snapshot DELETING for the world's time; a second delete meanwhile answers as the first (the operation is idempotent); then it is gone", async () => {
    const { elastic, model } = await open(base({ durations: { createMinutes: 20, copyMinutes: 30, elasticDeleteMinutes: 15 } }));
    const arn = [...model.elasticSnapshots.values()].find((s) => s.name === 'snap-a')?.arn ?? '';
    const first = await elastic.send(new DeleteClusterSnapshotCommand({ snapshotArn: arn }));
    expect(first.snapshot?.status).toBe('DELETING');
    const listed = (await elastic.send(new ListClusterSnapshotsCommand({ clusterArn: C1 }))).snapshots?.find((s) => s.snapshotArn === arn);
    expect(listed?.status).toBe('DELETING');
    const second = await elastic.send(new DeleteClusterSnapshotCommand({ snapshotArn: arn }));
    expect(second.snapshot?.status).toBe('DELETING');
    expect(model.audit.filter((e) => e.op === 'delete')).toHaveLength(1);
    model.advance(15 * 60);
    await expect(elastic.send(new GetClusterSnapshotCommand({ snapshotArn: arn }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('with the default of 0 minutes are gone at once', async () => {
    const { elastic, model } = await open(base());
    const arn = [...model.elasticSnapshots.values()].find((s) => s.name === 'snap-a')?.arn ?? '';
    await elastic.send(new DeleteClusterSnapshotCommand({ snapshotArn: arn }));
    await expect(elastic.send(new DeleteClusterSnapshotCommand({ snapshotArn: arn }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('statuses', () => {
  it('worlds hold clusters in any status of the model, and no other', () => {
    for (const status of ['ACTIVE', 'STOPPED', 'UPDATING', 'INACCESSIBLE_ENCRYPTION_CREDS', 'DELETING']) {
      expect(() => parseWorld(base({ elasticClusters: [{ name: 'x', status: status as 'ACTIVE' }] }))).not.toThrow();
    }
    expect(() => parseWorld(base({ elasticClusters: [{ name: 'x', status: 'SLEEPING' as 'ACTIVE' }] }))).toThrow(
      /elasticClusters\.0\.status/,
    );
  });

  it('copies can be deleting or failed, and a world can say so', async () => {
    const { rds } = await open(
      base({
        clusterSnapshots: [
          { id: 'going', clusterId: 'c', createdAt: NOW, status: 'deleting', remainingMinutes: 5 },
          { id: 'broken', clusterId: 'c', createdAt: NOW, status: 'failed' },
        ],
      }),
    );
    const list = (await rds.send(new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual' }))).DBClusterSnapshots ?? [];
    expect(Object.fromEntries(list.map((s) => [s.DBClusterSnapshotIdentifier, s.Status]))).toEqual({ going: 'deleting', broken: 'failed' });
  });
});

describe('saved worlds', () => {
  it("carry work in flight on exactly: remaining time, the copy's source, and failures stay failed", async () => {
    const { rds, model } = await open(
      base({
        sharedSnapshots: [
          { ownerAccount: '111122223333', id: 'partner-1', clusterId: 'p', createdAt: NOW, copyMinutes: 40 },
          { ownerAccount: '111122223333', id: 'partner-2', clusterId: 'q', createdAt: NOW, copyMinutes: 40 },
        ],
        faults: [{ operation: 'CopyDBClusterSnapshot', target: 'partner-2', failMidway: true }],
      }),
    );
    await rds.send(
      new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: PARTNER_SNAP, TargetDBClusterSnapshotIdentifier: 'in-flight' }),
    );
    await rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: PARTNER_SNAP.replace('partner-1', 'partner-2'),
        TargetDBClusterSnapshotIdentifier: 'fails',
      }),
    );
    model.advance(25 * 60);
    const saved = model.toWorld();
    const inFlight = saved.clusterSnapshots.find((s) => s.id === 'in-flight');
    expect(inFlight).toMatchObject({ status: 'copying', source: PARTNER_SNAP, remainingMinutes: 15 });
    expect(saved.clusterSnapshots.find((s) => s.id === 'fails')).toMatchObject({ status: 'failed' });
    // reloaded, it carries on: available 15 minutes later, the failed one still failed
    const again = new Model(parseWorld(JSON.parse(JSON.stringify(saved))));
    const s = again.clusterSnapshots.get('in-flight');
    if (!s) throw new Error('lost');
    expect(again.clusterSnapshotStatus(s)).toBe('copying');
    again.advance(15 * 60);
    expect(again.clusterSnapshotStatus(s)).toBe('available');
    expect(s.source).toBe(PARTNER_SNAP);
    const failed = again.clusterSnapshots.get('fails');
    if (!failed) throw new Error('lost');
    expect(again.clusterSnapshotStatus(failed)).toBe('failed');
  });

  it('a create in flight reloads as in flight, not as stuck', () => {
    const m = new Model(
      parseWorld(
        base({
          elasticClusters: [
            { name: 'alpha', arn: C1, snapshots: [{ name: 'going', createdAt: NOW, status: 'CREATING', remainingMinutes: 10 }] },
          ],
        }),
      ),
    );
    const s = [...m.elasticSnapshots.values()][0];
    if (!s) throw new Error('lost');
    expect(m.elasticStatus(s)).toBe('CREATING');
    m.advance(10 * 60);
    expect(m.elasticStatus(s)).toBe('ACTIVE');
    const saved = new Model(parseWorld(JSON.parse(JSON.stringify(m.toWorld()))));
    expect(saved.toWorld().elasticClusters[0]?.snapshots[0]).toMatchObject({ status: 'ACTIVE' });
  });

  it('reject duplicate snapshot ids, names and ARNs, naming both places', () => {
    expect(() =>
      parseWorld(
        base({
          clusterSnapshots: [
            { id: 'dup', clusterId: 'c', createdAt: NOW },
            { id: 'DUP', clusterId: 'c', createdAt: NOW },
          ],
        }),
      ),
    ).toThrow(/clusterSnapshots\.1\.id: duplicate cluster snapshot id "DUP" \(also at clusterSnapshots\.0\.id\)/);
    expect(() =>
      parseWorld(
        base({
          elasticClusters: [
            { name: 'a', snapshots: [{ name: 's', createdAt: NOW }] },
            { name: 'b', snapshots: [{ name: 's', createdAt: NOW }] },
          ],
        }),
      ),
    ).toThrow(
      /elasticClusters\.1\.snapshots\.0\.name: duplicate elastic snapshot name "s" \(also at elasticClusters\.0\.snapshots\.0\.name\)/,
    );
    expect(() =>
      parseWorld(
        base({
          elasticClusters: [
            { name: 'a', arn: C1 },
            { name: 'b', arn: C1 },
          ],
        }),
      ),
    ).toThrow(/duplicate ARN/);
  });
});

describe('XML answers (RDS query protocol)', () => {
  it('escapes what it puts in XML: tag values and error messages reach the SDK unchanged', async () => {
    const awkward = `a<b>&"c"'d' ]]> é`;
    const { rds } = await open(
      base({ clusterSnapshots: [{ id: 'own-source', clusterId: 'c', createdAt: NOW, tags: { note: awkward, [awkward]: 'key' } }] }),
    );
    const out = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'own-source' }));
    expect(fromTagList(out.DBClusterSnapshots?.[0]?.TagList)).toEqual({ note: awkward, [awkward]: 'key' });
    const err = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'x<&>y' })).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'DBClusterSnapshotNotFoundFault' });
    expect((err as Error).message).toContain('x<&>y');
  });
});

describe('the rehearsal runs the product on frozen values (local/freeze.ts)', () => {
  it('freezes every SDK response, so a core that mutates one throws', async () => {
    const { rds, elastic } = await open(base());
    freezeResponses({ rds, elastic, cloudwatch: createClients('us-east-1').cloudwatch });
    const out = await rds.send(new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual' }));
    const first = out.DBClusterSnapshots?.[0];
    expect(first).toBeDefined();
    expect(() => {
      (first as { Status?: string }).Status = 'available';
    }).toThrow(TypeError);
    expect(() => out.DBClusterSnapshots?.push({})).toThrow(TypeError);
    const listed = await elastic.send(new ListClusterSnapshotsCommand({}));
    expect(Object.isFrozen(listed.snapshots?.[0])).toBe(true);
  });
});
