/**
 * The stand-in where the product's outcome depends on what AWS does (docs/aws-behaviour.md lists each
 * behaviour with its source): tags on copies, deletes that linger, the statuses of the models, and worlds
 * saved with work in flight. Through the real SDK clients.
 */
import {
  CreateClusterSnapshotCommand,
  DeleteClusterSnapshotCommand,
  GetClusterSnapshotCommand,
  ListClusterSnapshotsCommand,
} from '@aws-sdk/client-docdb-elastic';
import { CopyDBClusterSnapshotCommand, DescribeDBClusterSnapshotsCommand } from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it } from 'vitest';
import { createClients } from '../../functions/aws/clients.js';
import { fromTagList } from '../../functions/domain/tags.js';
import { freezeResponses } from '../../local/freeze.js';
import { useStandInEndpoints } from '../../local/runner.js';
import { Model } from '../../local/standin/model.js';
import { type StandIn, startStandIn } from '../../local/standin/server.js';
import { parseWorld, type World, type WorldInput } from '../../local/standin/world.js';
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

  it('refuse a snapshot still CREATING with ConflictException (409), leaving it to finish', async () => {
    const { elastic, model } = await open(base());
    const made = await elastic.send(new CreateClusterSnapshotCommand({ clusterArn: C1, snapshotName: 'half-made' }));
    const arn = made.snapshot?.snapshotArn ?? '';
    const err = await elastic.send(new DeleteClusterSnapshotCommand({ snapshotArn: arn })).catch((e: Error & { $metadata?: object }) => e);
    expect(err).toMatchObject({ name: 'ConflictException', $metadata: { httpStatusCode: 409 } });
    expect(model.audit.filter((e) => e.op === 'delete')).toEqual([]);
    model.advance(model.durations.createMinutes * 60);
    expect((await elastic.send(new GetClusterSnapshotCommand({ snapshotArn: arn }))).snapshot?.status).toBe('ACTIVE');
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

  it('saved mid-flight, an elastic create and an RDS copy carry on exactly: the same time left, the copy its source, the same finishing time; failures stay failed', async () => {
    const BETA = clusterArn('00000000-0000-4000-8000-0000000000c2');
    const shared = (id: string, copyMinutes: number) => ({ ownerAccount: '111122223333', id, clusterId: id, createdAt: NOW, copyMinutes });
    const { elastic, rds, model } = await open(
      base({
        elasticClusters: [
          { name: 'alpha', arn: C1, createMinutes: 20 },
          { name: 'beta', arn: BETA, createMinutes: 20 },
        ],
        // partner-2 fails half-way (5 minutes in: failed when saved), partner-3 too (25 minutes in: still copying when saved)
        sharedSnapshots: [shared('partner-1', 40), shared('partner-2', 10), shared('partner-3', 50)],
        faults: [
          { operation: 'CreateClusterSnapshot', target: BETA, failMidway: true },
          { operation: 'CopyDBClusterSnapshot', target: 'partner-2', failMidway: true },
          { operation: 'CopyDBClusterSnapshot', target: 'partner-3', failMidway: true },
        ],
      }),
    );
    const t0 = model.nowMs;
    const copy = (source: string, target: string) =>
      rds.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: PARTNER_SNAP.replace('partner-1', source),
          TargetDBClusterSnapshotIdentifier: target,
        }),
      );
    // Odd times on purpose: what is left is not a whole number of minutes (524,285 ms, 960,002 ms, 1,920,004 ms),
    // where a time kept in minutes can come back a fraction of a millisecond off.
    expect((await elastic.send(new CreateClusterSnapshotCommand({ clusterArn: C1, snapshotName: 'mid-create' }))).snapshot?.status).toBe(
      'CREATING',
    );
    await elastic.send(new CreateClusterSnapshotCommand({ clusterArn: BETA, snapshotName: 'fails-create' }));
    model.nowMs = t0 + 135_717;
    await copy('partner-3', 'fails-later');
    await copy('partner-2', 'fails');
    model.nowMs = t0 + 195_719;
    await copy('partner-1', 'mid-copy');
    model.nowMs = t0 + 675_715;
    const saved = JSON.parse(JSON.stringify(model.toWorld())) as World;

    // Saved as in flight, with the time left to the millisecond.
    const snapshot = (name: string) => saved.elasticClusters.flatMap((c) => c.snapshots).find((s) => s.name === name);
    const copyOf = (id: string) => saved.clusterSnapshots.find((s) => s.id === id);
    expect(snapshot('mid-create')).toMatchObject({ status: 'CREATING', remainingMinutes: 524_285 / 60_000 });
    expect(snapshot('fails-create')).toMatchObject({ status: 'INACCESSIBLE_ENCRYPTION_CREDS' });
    expect(copyOf('mid-copy')).toMatchObject({ status: 'copying', source: PARTNER_SNAP, remainingMinutes: 1_920_004 / 60_000 });
    expect(copyOf('fails-later')).toMatchObject({ status: 'copying', failInMinutes: 960_002 / 60_000 });
    expect(copyOf('fails')).toMatchObject({ status: 'failed' });

    // Reloaded (as --world does with a saved file), it saves the same world again, and answers the same through the API.
    await standIn?.close();
    const reopened = await open(saved);
    const again = reopened.model;
    expect(again.toWorld()).toEqual(saved);
    const described = async (client: typeof rds, id: string) =>
      (await client.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id }))).DBClusterSnapshots?.[0];
    expect(await described(reopened.rds, 'mid-copy')).toMatchObject({
      Status: 'copying',
      SourceDBClusterSnapshotArn: PARTNER_SNAP,
      PercentProgress: model.percent(model.clusterSnapshots.get('mid-copy') as never),
    });

    // Both models, moved to the same virtual times: every status the same at each, changing at the same millisecond.
    const statuses = (m: Model) => {
      const elasticOf = (name: string) => {
        const s = [...m.elasticSnapshots.values()].find((x) => x.name === name);
        return s ? m.elasticStatus(s) : 'gone';
      };
      const rdsOf = (id: string) => {
        const s = m.clusterSnapshots.get(id);
        return s ? `${m.clusterSnapshotStatus(s)} ${m.percent(s)}%` : 'gone';
      };
      return {
        'mid-create': elasticOf('mid-create'),
        'fails-create': elasticOf('fails-create'),
        'mid-copy': rdsOf('mid-copy'),
        'fails-later': rdsOf('fails-later'),
        fails: rdsOf('fails'),
      };
    };
    const timeline = (m: Model) =>
      [675_715, 1_199_999, 1_200_000, 1_635_716, 1_635_717, 2_595_718, 2_595_719, 9_000_000].map((t) => {
        m.nowMs = t0 + t;
        return [t, statuses(m)] as const;
      });
    const expected = timeline(model);
    expect(timeline(again)).toEqual(expected);
    // ... and the timeline is the one the work was started with.
    const at = (t: number) => expected.find(([x]) => x === t)?.[1];
    expect(at(1_199_999)?.['mid-create']).toBe('CREATING');
    expect(at(1_200_000)?.['mid-create']).toBe('ACTIVE');
    expect(at(1_635_716)?.['fails-later']).toMatch(/^copying /);
    expect(at(1_635_717)?.['fails-later']).toBe('failed 100%');
    expect(at(2_595_718)?.['mid-copy']).toBe('copying 99%');
    expect(at(2_595_719)?.['mid-copy']).toBe('available 100%');
    expect(at(9_000_000)).toEqual({
      'mid-create': 'ACTIVE',
      'fails-create': 'INACCESSIBLE_ENCRYPTION_CREDS',
      'mid-copy': 'available 100%',
      'fails-later': 'failed 100%',
      fails: 'failed 100%',
    });
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
    ).toThrow(/elasticClusters\.1\.arn: duplicate ARN "[^"]+" \(also at elasticClusters\.0\.arn\)/);
    // A snapshot ARN twice, in two clusters, or a snapshot with its cluster's ARN: both places named.
    const SNAP_ARN = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster-snapshot/00000000-0000-4000-8000-00000000dddd';
    expect(() =>
      parseWorld(
        base({
          elasticClusters: [
            { name: 'a', snapshots: [{ name: 's1', arn: SNAP_ARN, createdAt: NOW }] },
            {
              name: 'b',
              snapshots: [
                { name: 's2', createdAt: NOW },
                { name: 's3', arn: SNAP_ARN, createdAt: NOW },
              ],
            },
          ],
        }),
      ),
    ).toThrow(
      new RegExp(
        `elasticClusters\\.1\\.snapshots\\.1\\.arn: duplicate ARN "${SNAP_ARN.replace(/[.]/g, '\\.')}" \\(also at elasticClusters\\.0\\.snapshots\\.0\\.arn\\)`,
      ),
    );
    expect(() =>
      parseWorld(base({ elasticClusters: [{ name: 'a', arn: C1, snapshots: [{ name: 's1', arn: C1, createdAt: NOW }] }] })),
    ).toThrow(/elasticClusters\.0\.snapshots\.0\.arn: duplicate ARN "[^"]+" \(also at elasticClusters\.0\.arn\)/);
    // The same shared snapshot twice (same owner and id).
    expect(() =>
      parseWorld(
        base({
          sharedSnapshots: [
            { ownerAccount: '111122223333', id: 'p', clusterId: 'c', createdAt: NOW },
            { ownerAccount: '111122223333', id: 'p', clusterId: 'c', createdAt: NOW },
          ],
        }),
      ),
    ).toThrow(/sharedSnapshots\.1\.id: duplicate shared snapshot "111122223333:p" \(also at sharedSnapshots\.0\.id\)/);
    // A saved world keeps each snapshot's ARN; one saved twice (a hand edit) is refused, naming both.
    expect(() => {
      const w = new Model(parseWorld(base())).toWorld();
      const alpha = w.elasticClusters[0];
      if (alpha?.snapshots[0] && alpha.snapshots[1]) alpha.snapshots[1].arn = alpha.snapshots[0].arn;
      parseWorld(JSON.parse(JSON.stringify(w)));
    }).toThrow(/elasticClusters\.0\.snapshots\.1\.arn: duplicate ARN "[^"]+" \(also at elasticClusters\.0\.snapshots\.0\.arn\)/);
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
