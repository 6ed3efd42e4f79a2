/**
 * moto as a second oracle for the stand-in's RDS answers. Both hold the same account (one Aurora
 * cluster snapshot with tags, and one snapshot another account shares with it); the requests the product
 * makes go to both through the real SDK client, and the answers are compared after normalising away what
 * legitimately differs (times, request ids, fields the product does not read).
 *
 * Where the two disagree, the test does not normalise the difference away: it states what each answers,
 * and the table below says which one AWS's documentation or service model supports, and why. A fix in
 * either oracle therefore fails the test until the table is updated.
 *
 * Needs `moto_server` (moto 5.2, `pip install "moto[server]"`) on PATH; without it the file is skipped
 * with one line on the console.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import {
  AddTagsToResourceCommand,
  CopyDBClusterSnapshotCommand,
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  type DBClusterSnapshot,
  DeleteDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  ListTagsForResourceCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  RDSClient,
  RDSServiceException,
  type Tag,
} from '@aws-sdk/client-rds';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeClusterSnapshots } from '../../functions/aws/rds.js';
import { type StandIn, startStandIn } from '../../local/standin/server.js';
import { ACCOUNT, REGION, world } from './helpers.js';

/**
 * Where moto and the stand-in answer differently, which one AWS supports, and the source. Every entry
 * is asserted where it occurs (both sides' values, spelled out) and the last test checks each was met.
 */
const KNOWN_DIFFERENCES = [
  {
    id: 'copy-source-arn',
    what: "a copy's SourceDBClusterSnapshotArn",
    moto: 'absent',
    standIn: 'the source snapshot ARN',
    right: 'stand-in',
    why: 'the model documents it for copies: "If the DB cluster snapshot was copied from a source DB cluster snapshot, the ARN for the source"',
    source: 'rds-2014-10-31 DBClusterSnapshot.SourceDBClusterSnapshotArn (test/fixtures/aws-models); docs/aws-behaviour.md R4',
  },
  {
    id: 'copy-status',
    what: "a new copy's Status in the CopyDBClusterSnapshot answer",
    moto: 'available (moto copies at once)',
    standIn: 'copying (until the copy time has passed on its clock)',
    right: 'stand-in',
    why: 'the model lists copying among the statuses and tells how to cancel a copy "while that DB cluster snapshot is in copying status"',
    source: 'rds-2014-10-31 DBClusterSnapshot.Status and CopyDBClusterSnapshot documentation; docs/aws-behaviour.md R6, R14',
  },
  {
    id: 'shared-type',
    what: 'SnapshotType of a snapshot another account shares',
    moto: "manual (the owner's type)",
    standIn: 'shared',
    right: 'stand-in (assumed: not spelled out in the model)',
    why: 'SnapshotType=shared "returns all manual DB cluster snapshots that have been shared to my account"; AWS\'s own Ops Automator solution tells shared from owned snapshots by SnapshotType "shared"; the product only copies SnapshotType "shared"',
    source:
      'rds-2014-10-31 DescribeDBClusterSnapshotsMessage.SnapshotType; aws-solutions-library-samples/aws-ops-automator (RdsCopyInstanceSnapshotAction); functions/shared/copies.ts eligibleSources',
  },
  {
    id: 'shared-id',
    what: 'DBClusterSnapshotIdentifier of a snapshot another account shares',
    moto: "the owner's plain identifier",
    standIn: 'the snapshot ARN',
    right: 'stand-in (assumed)',
    why: 'a shared snapshot is addressed by its ARN (CopyDBClusterSnapshot: "must be the ARN of the shared DB cluster snapshot"); published describe outputs show the ARN; the product reads DBClusterSnapshotArn only',
    source: 'rds-2014-10-31 CopyDBClusterSnapshot documentation; docs/aws-behaviour.md R15',
  },
  {
    id: 'shared-tags',
    what: 'TagList of a snapshot another account shares',
    moto: "the owner's tags",
    standIn: 'none',
    right: "undetermined (AWS documents neither); the stand-in keeps the project's assumption",
    why: "tags belong to the owner's account; the product copes either way (with copySourceTags it copies what TagList shows, and reports a required key only the sharer has)",
    source: 'docs/aws-behaviour.md R2',
  },
  {
    id: 'tags-of-missing-resource',
    what: 'AddTagsToResource / ListTagsForResource on a snapshot ARN that does not exist',
    moto: 'success (ListTagsForResource: an empty TagList)',
    standIn: 'DBSnapshotNotFoundFault (404)',
    right: 'stand-in',
    why: 'the model declares DBSnapshotNotFoundFault for both operations; nothing documents a silent success; the product maps every *NotFound* fault to NOT_FOUND',
    source: 'rds-2014-10-31 AddTagsToResource / ListTagsForResource errors; functions/aws/errors.ts',
  },
] as const;
type DifferenceId = (typeof KNOWN_DIFFERENCES)[number]['id'];
const differencesMet = new Set<DifferenceId>();

// --- moto present? -----------------------------------------------------------------------------

const which = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' });
const MOTO_SERVER = which.status === 0 ? which.stdout.trim() : '';
// .ci/run sets BO_REQUIRE_SECOND_OPINIONS: there a missing moto is a failure, not a skip.
if (!MOTO_SERVER && process.env.BO_REQUIRE_SECOND_OPINIONS)
  throw new Error('moto-oracle: moto_server is not on PATH, and .ci/run requires it');
if (!MOTO_SERVER) {
  console.log(
    'moto-oracle: skipped: moto_server is not installed (pip install "moto[server]" to compare the stand-in with moto; .ci/run requires it)',
  );
}

// --- the account both oracles hold -------------------------------------------------------------

const SHARER = '111111111111';
const CLUSTER = 'oracle-cluster';
const SOURCE = 'oracle-source';
const SOURCE_TAGS = { team: 'data', env: 'test' };
const SHARER_CLUSTER = 'partner-cluster';
const SHARED = 'partner-snap';
const SHARED_TAGS = { owner: 'partner' };
const arnOf = (account: string, id: string) => `arn:aws:rds:${REGION}:${account}:cluster-snapshot:${id}`;
const SOURCE_ARN = arnOf(ACCOUNT, SOURCE);
const SHARED_ARN = arnOf(SHARER, SHARED);
const DUMMY = { accessKeyId: 'AKIAMOTOORACLE', secretAccessKey: 'moto-oracle' };
const toTags = (m: Record<string, string>): Tag[] => Object.entries(m).map(([Key, Value]) => ({ Key, Value }));

/** The stand-in's world: the same snapshots as the API calls below make in moto. */
const standInWorld = () =>
  world({
    accountId: ACCOUNT, // moto's default account, so ARNs compare as they are
    region: REGION,
    now: '2026-06-01T00:00:00.000Z',
    clusterSnapshots: [
      { id: SOURCE, clusterId: CLUSTER, engine: 'aurora-postgresql', createdAt: '2026-05-31T00:00:00.000Z', tags: SOURCE_TAGS },
    ],
    sharedSnapshots: [
      {
        ownerAccount: SHARER,
        id: SHARED,
        clusterId: SHARER_CLUSTER,
        engine: 'aurora-postgresql',
        createdAt: '2026-05-31T00:00:00.000Z',
        tags: SHARED_TAGS,
      },
    ],
  });

/** moto's account: a cluster and its tagged snapshot; another account's snapshot shared with this one. */
async function prepareMoto(endpoint: string, rds: RDSClient): Promise<void> {
  const cluster = (id: string) =>
    new CreateDBClusterCommand({
      DBClusterIdentifier: id,
      Engine: 'aurora-postgresql',
      MasterUsername: 'admin',
      MasterUserPassword: 'oracle-password-1',
    });
  await rds.send(cluster(CLUSTER));
  await rds.send(
    new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: CLUSTER, DBClusterSnapshotIdentifier: SOURCE, Tags: toTags(SOURCE_TAGS) }),
  );
  // moto keeps one backend per account; credentials from AssumeRole into an account act in that account.
  const sts = new STSClient({ region: REGION, endpoint, credentials: DUMMY });
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${SHARER}:role/sharer`, RoleSessionName: 'moto-oracle' }),
  );
  sts.destroy();
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('moto: AssumeRole returned no credentials');
  const sharer = new RDSClient({
    region: REGION,
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
  });
  await sharer.send(cluster(SHARER_CLUSTER));
  await sharer.send(
    new CreateDBClusterSnapshotCommand({
      DBClusterIdentifier: SHARER_CLUSTER,
      DBClusterSnapshotIdentifier: SHARED,
      Tags: toTags(SHARED_TAGS),
    }),
  );
  await sharer.send(
    new ModifyDBClusterSnapshotAttributeCommand({ DBClusterSnapshotIdentifier: SHARED, AttributeName: 'restore', ValuesToAdd: [ACCOUNT] }),
  );
  sharer.destroy();
}

// --- moto_server, started and stopped by this file -----------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

interface Moto {
  child: ChildProcess;
  url: string;
  /** The last few KB moto wrote, for a failure message. */
  output: () => string;
}

async function startMoto(): Promise<Moto> {
  const port = await freePort();
  // Own process group (detached), so the stop below reaches whatever the launcher started.
  const child = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const moto: Moto = { child, url: `http://127.0.0.1:${port}`, output: () => tail };
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto_server exited (${child.exitCode ?? child.signalCode}) before answering:\n${tail}`);
    }
    try {
      const res = await fetch(moto.url, { signal: AbortSignal.timeout(500) });
      await res.arrayBuffer();
      return moto;
    } catch {
      await sleep(200);
    }
  }
  await stopMoto(moto);
  throw new Error(`moto_server did not answer on ${moto.url} within 15 s:\n${tail}`);
}

/** Ends moto's process group and waits until it is reaped (no zombie left). */
async function stopMoto(moto: Moto | undefined): Promise<void> {
  const child = moto?.child;
  if (!child?.pid) return;
  const pid = child.pid;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      child.kill(s);
    }
  };
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signal('SIGTERM');
    const force = setTimeout(() => signal('SIGKILL'), 5_000);
    await exited;
    clearTimeout(force);
  }
  // Anything else left in the group (there should be nothing).
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}

// --- asking both, and normalising the answers -------------------------------------------------------

type Outcome<T> = { ok: true; value: T } | { ok: false; name: string; status: number | undefined };
interface Answers<T> {
  moto: Outcome<T>;
  standIn: Outcome<T>;
}

/** What the product reads of a cluster snapshot; TagList as sorted [key, value] pairs. */
interface Seen {
  DBClusterSnapshotIdentifier: string | undefined;
  DBClusterIdentifier: string | undefined;
  SnapshotType: string | undefined;
  Status: string | undefined;
  Engine: string | undefined;
  StorageEncrypted: boolean | undefined;
  DBClusterSnapshotArn: string | undefined;
  SourceDBClusterSnapshotArn: string | undefined;
  TagList: [string, string][];
}
type Field = keyof Seen;

const tagPairs = (list: readonly Tag[] | undefined): [string, string][] =>
  (list ?? []).map((t): [string, string] => [t.Key ?? '', t.Value ?? '']).sort((a, b) => a[0].localeCompare(b[0]));

function seen(s: DBClusterSnapshot | undefined): Seen {
  if (!s) throw new Error('no DBClusterSnapshot in the answer');
  return {
    DBClusterSnapshotIdentifier: s.DBClusterSnapshotIdentifier,
    DBClusterIdentifier: s.DBClusterIdentifier,
    SnapshotType: s.SnapshotType,
    Status: s.Status,
    Engine: s.Engine,
    StorageEncrypted: s.StorageEncrypted,
    DBClusterSnapshotArn: s.DBClusterSnapshotArn,
    SourceDBClusterSnapshotArn: s.SourceDBClusterSnapshotArn ?? undefined,
    TagList: tagPairs(s.TagList),
  };
}

function value<T>(o: Outcome<T>, who: string): T {
  if (!o.ok) throw new Error(`${who} failed: ${o.name} (${o.status})`);
  return o.value;
}

/** A difference from the table: what each oracle answers for one field. */
interface Known<F extends Field = Field> {
  id: DifferenceId;
  moto: Seen[F];
  standIn: Seen[F];
}
type KnownFields = { [F in Field]?: Known<F> };

/**
 * The two snapshots agree on every field the product reads, except the known differences given: for
 * those, each oracle must answer exactly what the table says it does.
 */
function expectSame(moto: Seen, standIn: Seen, known: KnownFields = {}): void {
  const fields = Object.keys(known) as Field[];
  for (const f of fields) {
    const k = known[f] as Known;
    expect(moto[f], `moto ${f} (known difference ${k.id})`).toEqual(k.moto);
    expect(standIn[f], `stand-in ${f} (known difference ${k.id})`).toEqual(k.standIn);
    differencesMet.add(k.id);
  }
  const rest = (s: Seen) => Object.fromEntries(Object.entries(s).filter(([f]) => !fields.includes(f as Field)));
  expect(rest(standIn), 'stand-in vs moto').toEqual(rest(moto));
}

/** Both failed alike: the SDK error name and the HTTP status. */
function expectSameError<T>(a: Answers<T>, name: string, status: number): void {
  const fault = (o: Outcome<T>) => (o.ok ? { ok: true } : { name: o.name, status: o.status });
  expect(fault(a.moto), 'moto').toEqual({ name, status });
  expect(fault(a.standIn), 'stand-in').toEqual({ name, status });
}

// --- the comparison -----------------------------------------------------------------------------------

describe.skipIf(!MOTO_SERVER)('moto as a second oracle for the stand-in (RDS)', () => {
  let moto: Moto | undefined;
  let standIn: StandIn | undefined;
  let motoRds: RDSClient;
  let standInRds: RDSClient;

  /** The same request to both oracles (a fresh command each), the outcome of each. */
  async function both<T>(send: (rds: RDSClient) => Promise<T>): Promise<Answers<T>> {
    const ask = async (rds: RDSClient): Promise<Outcome<T>> => {
      try {
        return { ok: true, value: await send(rds) };
      } catch (err) {
        if (err instanceof RDSServiceException) return { ok: false, name: err.name, status: err.$metadata.httpStatusCode };
        throw err;
      }
    };
    return { moto: await ask(motoRds), standIn: await ask(standInRds) };
  }
  const describeById = (id: string, SnapshotType?: 'manual') =>
    both((rds) => rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id, SnapshotType })));
  const copy = (input: { target: string; source?: string; CopyTags?: boolean; Tags?: Record<string, string> }) =>
    both((rds) =>
      rds.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: input.source ?? SOURCE,
          TargetDBClusterSnapshotIdentifier: input.target,
          CopyTags: input.CopyTags,
          Tags: input.Tags ? toTags(input.Tags) : undefined,
        }),
      ),
    );
  /** One snapshot by identifier from each oracle, normalised. */
  const oneOf = async (id: string) => {
    const a = await describeById(id, 'manual');
    const list = (o: Outcome<{ DBClusterSnapshots?: DBClusterSnapshot[] }>, who: string) => value(o, who).DBClusterSnapshots ?? [];
    const [m, s] = [list(a.moto, 'moto'), list(a.standIn, 'stand-in')];
    expect([m.length, s.length], `one ${id} from each`).toEqual([1, 1]);
    return { moto: seen(m[0]), standIn: seen(s[0]) };
  };
  const copied = (id: string, tags: Record<string, string>): Seen => ({
    DBClusterSnapshotIdentifier: id,
    DBClusterIdentifier: CLUSTER,
    SnapshotType: 'manual',
    Status: 'available',
    Engine: 'aurora-postgresql',
    StorageEncrypted: false,
    DBClusterSnapshotArn: arnOf(ACCOUNT, id),
    SourceDBClusterSnapshotArn: SOURCE_ARN,
    TagList: tagPairs(toTags(tags)),
  });
  /** moto leaves SourceDBClusterSnapshotArn empty; the RDS model documents it for copies; the stand-in follows the model. */
  const sourceArnDiffers = {
    SourceDBClusterSnapshotArn: { id: 'copy-source-arn', moto: undefined, standIn: SOURCE_ARN },
  } satisfies KnownFields;

  // The copies made below, with the tags each must end up with.
  const COPIES = {
    'copy-both': { given: { picked: 'given' }, CopyTags: true, expected: { picked: 'given' } },
    'copy-copytags': { given: undefined, CopyTags: true, expected: SOURCE_TAGS },
    'copy-tags-only': { given: { only: 'these' }, CopyTags: undefined, expected: { only: 'these' } },
  } as const;

  beforeAll(async () => {
    // Prepare: moto on a free port, the stand-in on its own; one client for each, by explicit endpoint.
    moto = await startMoto();
    standIn = await startStandIn(standInWorld());
    motoRds = new RDSClient({ region: REGION, endpoint: moto.url, credentials: DUMMY, maxAttempts: 1 });
    standInRds = new RDSClient({ region: REGION, endpoint: standIn.url, credentials: DUMMY, maxAttempts: 1 });
    await prepareMoto(moto.url, motoRds);
  }, 30_000);

  afterAll(async () => {
    motoRds?.destroy();
    standInRds?.destroy();
    await standIn?.close();
    await stopMoto(moto);
  }, 15_000);

  it('lists the manual snapshots alike (DescribeDBClusterSnapshots SnapshotType=manual, as the product pages it)', async () => {
    // Act: the product's own listing (paginator, largest page).
    const a = await both((rds) => describeClusterSnapshots(rds, 'manual'));
    // Assess
    const [m, s] = [value(a.moto, 'moto').map(seen), value(a.standIn, 'stand-in').map(seen)];
    expect(m.map((x) => x.DBClusterSnapshotIdentifier)).toEqual([SOURCE]);
    expect(s.map((x) => x.DBClusterSnapshotIdentifier)).toEqual([SOURCE]);
    expectSame(m[0] as Seen, s[0] as Seen);
    expect(s[0]).toEqual({ ...copied(SOURCE, SOURCE_TAGS), SourceDBClusterSnapshotArn: undefined });
  });

  it('lists what another account shares (SnapshotType=shared, IncludeShared) with the same ARN, cluster, engine and status', async () => {
    const a = await both((rds) => describeClusterSnapshots(rds, 'shared'));
    const [m, s] = [value(a.moto, 'moto').map(seen), value(a.standIn, 'stand-in').map(seen)];
    expect([m.length, s.length]).toEqual([1, 1]);
    expectSame(m[0] as Seen, s[0] as Seen, {
      // moto reports the owner's type; the product copies only SnapshotType "shared" (see the table: shared-type).
      SnapshotType: { id: 'shared-type', moto: 'manual', standIn: 'shared' },
      // moto names it by the owner's identifier; the stand-in by ARN, as a shared snapshot is addressed (shared-id).
      DBClusterSnapshotIdentifier: { id: 'shared-id', moto: SHARED, standIn: SHARED_ARN },
      // moto shows the owner's tags; AWS documents neither; the stand-in keeps the project's assumption R2 (shared-tags).
      TagList: { id: 'shared-tags', moto: tagPairs(toTags(SHARED_TAGS)), standIn: [] },
    });
    expect(s[0]?.DBClusterSnapshotArn).toBe(SHARED_ARN);
  });

  it('describes one snapshot by identifier, in any case, and answers DBClusterSnapshotNotFoundFault (404) for a missing one', async () => {
    // With SnapshotType=manual as Apply Retention asks, and without.
    const a = await oneOf(SOURCE);
    expectSame(a.moto, a.standIn);
    const plain = await describeById(SOURCE);
    expectSame(seen(value(plain.moto, 'moto').DBClusterSnapshots?.[0]), seen(value(plain.standIn, 'stand-in').DBClusterSnapshots?.[0]));
    // Identifiers are stored lower case, so an upper-case one finds the same snapshot (R8).
    const upper = await describeById(SOURCE.toUpperCase());
    expectSame(seen(value(upper.moto, 'moto').DBClusterSnapshots?.[0]), seen(value(upper.standIn, 'stand-in').DBClusterSnapshots?.[0]));
    expectSameError(await describeById('no-such-snapshot', 'manual'), 'DBClusterSnapshotNotFoundFault', 404);
    expectSameError(await describeById('no-such-snapshot'), 'DBClusterSnapshotNotFoundFault', 404);
  });

  it("copies an own snapshot with the tags AWS gives it: Tags win over CopyTags; CopyTags alone copies the source's (R1)", async () => {
    for (const [target, c] of Object.entries(COPIES)) {
      // Act
      const a = await copy({ target, CopyTags: c.CopyTags, Tags: c.given });
      // Assess: the answer describes the new copy.
      const [m, s] = [
        seen(value(a.moto, `moto ${target}`).DBClusterSnapshot),
        seen(value(a.standIn, `stand-in ${target}`).DBClusterSnapshot),
      ];
      expectSame(m, s, {
        ...sourceArnDiffers,
        // moto's copy is available at once; the model has copies go through "copying"; the stand-in copies in
        // virtual time (copy-status). The status after the copy is compared below.
        Status: { id: 'copy-status', moto: 'available', standIn: 'copying' },
      });
      expect(s, target).toEqual({ ...copied(target, c.expected), Status: 'copying' });
    }
  });

  it("dates a copy when it is made, after its source's SnapshotCreateTime (R3)", async () => {
    for (const rds of [motoRds, standInRds]) {
      const get = async (id: string) =>
        (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id }))).DBClusterSnapshots?.[0]
          ?.SnapshotCreateTime;
      const [source, copyTime] = [await get(SOURCE), await get('copy-both')];
      expect(source).toBeInstanceOf(Date);
      expect(copyTime).toBeInstanceOf(Date);
      expect((copyTime as Date).getTime()).toBeGreaterThan((source as Date).getTime());
    }
  });

  it('stores a mixed-case target identifier in lower case (R8)', async () => {
    const a = await copy({ target: 'Copy-Mixed-Case', Tags: { case: 'mixed' } });
    const [m, s] = [seen(value(a.moto, 'moto').DBClusterSnapshot), seen(value(a.standIn, 'stand-in').DBClusterSnapshot)];
    expectSame(m, s, { ...sourceArnDiffers, Status: { id: 'copy-status', moto: 'available', standIn: 'copying' } });
    expect(s.DBClusterSnapshotIdentifier).toBe('copy-mixed-case');
    expect(s.DBClusterSnapshotArn).toBe(arnOf(ACCOUNT, 'copy-mixed-case'));
  });

  it('answers DBClusterSnapshotAlreadyExistsFault (400) for a target in use, in any case (R5), and DBClusterSnapshotNotFoundFault (404) for a missing source', async () => {
    expectSameError(await copy({ target: 'copy-both', Tags: { again: 'yes' } }), 'DBClusterSnapshotAlreadyExistsFault', 400);
    expectSameError(await copy({ target: 'COPY-BOTH' }), 'DBClusterSnapshotAlreadyExistsFault', 400);
    expectSameError(await copy({ target: SOURCE }), 'DBClusterSnapshotAlreadyExistsFault', 400);
    expectSameError(await copy({ target: 'copy-of-nothing', source: 'no-such-snapshot' }), 'DBClusterSnapshotNotFoundFault', 404);
    expectSameError(
      await copy({ target: 'copy-of-nothing', source: arnOf(ACCOUNT, 'no-such-snapshot') }),
      'DBClusterSnapshotNotFoundFault',
      404,
    );
    // Neither made anything of the failed copies.
    expectSameError(await describeById('copy-of-nothing'), 'DBClusterSnapshotNotFoundFault', 404);
  });

  it('shows the finished copies alike: available, with their tags; only the source ARN differs', async () => {
    // Prepare: let the stand-in's copies finish (moto's finished at once).
    standIn?.model.advance(((standIn?.model.durations.copyMinutes ?? 0) + 1) * 60);
    for (const [target, c] of Object.entries(COPIES)) {
      const a = await oneOf(target);
      expectSame(a.moto, a.standIn, sourceArnDiffers);
      expect(a.standIn, target).toEqual(copied(target, c.expected));
    }
    const mixed = await oneOf('copy-mixed-case');
    expectSame(mixed.moto, mixed.standIn, sourceArnDiffers);
    expect(mixed.standIn.Status).toBe('available');
    // The whole manual listing, as the product reads it.
    const list = await both((rds) => describeClusterSnapshots(rds, 'manual'));
    const ids = (o: Outcome<DBClusterSnapshot[]>, who: string) =>
      value(o, who)
        .map((x) => x.DBClusterSnapshotIdentifier)
        .sort();
    expect(ids(list.standIn, 'stand-in')).toEqual(ids(list.moto, 'moto'));
    expect(ids(list.standIn, 'stand-in')).toEqual([...Object.keys(COPIES), 'copy-mixed-case', SOURCE].sort());
  });

  it('adds and lists tags on a snapshot ARN alike (AddTagsToResource, ListTagsForResource)', async () => {
    const arn = arnOf(ACCOUNT, 'copy-tags-only');
    const added = await both((rds) =>
      rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: toTags({ 'tagged-by': 'run-1', only: 'changed' }) })),
    );
    value(added.moto, 'moto');
    value(added.standIn, 'stand-in');
    const listed = await both((rds) => rds.send(new ListTagsForResourceCommand({ ResourceName: arn })));
    const [m, s] = [tagPairs(value(listed.moto, 'moto').TagList), tagPairs(value(listed.standIn, 'stand-in').TagList)];
    expect(s).toEqual(m);
    expect(s).toEqual([
      ['only', 'changed'],
      ['tagged-by', 'run-1'],
    ]);
    // The listing shows the same tags.
    const a = await oneOf('copy-tags-only');
    expectSame(a.moto, a.standIn, sourceArnDiffers);
    expect(a.standIn.TagList).toEqual(s);
    // The source's tags, by its ARN.
    const source = await both((rds) => rds.send(new ListTagsForResourceCommand({ ResourceName: SOURCE_ARN })));
    expect(tagPairs(value(source.standIn, 'stand-in').TagList)).toEqual(tagPairs(value(source.moto, 'moto').TagList));
  });

  it('tags of a snapshot that does not exist: moto answers success, the stand-in DBSnapshotNotFoundFault as the model declares', async () => {
    const arn = arnOf(ACCOUNT, 'no-such-snapshot');
    const add = await both((rds) => rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: toTags({ a: 'b' }) })));
    const list = await both((rds) => rds.send(new ListTagsForResourceCommand({ ResourceName: arn })));
    // Known difference tags-of-missing-resource: the model declares DBSnapshotNotFoundFault for both operations;
    // moto pretends the resource exists. The product maps any *NotFound* fault to NOT_FOUND.
    expect(add.moto.ok, 'moto AddTagsToResource').toBe(true);
    expect(list.moto.ok && tagPairs(list.moto.value.TagList), 'moto ListTagsForResource').toEqual([]);
    for (const o of [add.standIn, list.standIn]) {
      expect(o.ok ? { ok: true } : { name: o.name, status: o.status }, 'stand-in').toEqual({
        name: 'DBSnapshotNotFoundFault',
        status: 404,
      });
    }
    differencesMet.add('tags-of-missing-resource');
  });

  it('deletes a snapshot, then answers DBClusterSnapshotNotFoundFault (404) for it (R7)', async () => {
    // Act
    const a = await both((rds) => rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'copy-both' })));
    // Assess: the answer shows the snapshot deleted (both with the status it had).
    const [m, s] = [seen(value(a.moto, 'moto').DBClusterSnapshot), seen(value(a.standIn, 'stand-in').DBClusterSnapshot)];
    expectSame(m, s, sourceArnDiffers);
    expect(s.DBClusterSnapshotIdentifier).toBe('copy-both');
    expectSameError(await describeById('copy-both', 'manual'), 'DBClusterSnapshotNotFoundFault', 404);
    expectSameError(
      await both((rds) => rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'copy-both' }))),
      'DBClusterSnapshotNotFoundFault',
      404,
    );
    // A mixed-case identifier names the same snapshot.
    const mixed = await both((rds) => rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'Copy-Mixed-Case' })));
    expectSame(
      seen(value(mixed.moto, 'moto').DBClusterSnapshot),
      seen(value(mixed.standIn, 'stand-in').DBClusterSnapshot),
      sourceArnDiffers,
    );
    expectSameError(await describeById('copy-mixed-case'), 'DBClusterSnapshotNotFoundFault', 404);
  });

  it('met every known difference in the table (an entry no longer seen is stale)', () => {
    expect([...differencesMet].sort()).toEqual(KNOWN_DIFFERENCES.map((d) => d.id).sort());
  });
});
