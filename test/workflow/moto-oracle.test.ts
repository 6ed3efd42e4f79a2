/**
 * moto as a second oracle for the stand-in's RDS answers. Both hold the same account (one Aurora
 * cluster with a tagged cluster snapshot, and one snapshot another account shares with it); the requests
 * the product makes go to both through the real SDK client, and the answers are compared after normalising
 * away what legitimately differs (times, request ids, random parts of endpoints, fields the product does
 * not read). That covers the copies (DescribeDBClusterSnapshots, CopyDBClusterSnapshot, tags, deletes) and
 * a drill's calls (RestoreDBClusterFromSnapshot from an own snapshot, engine aurora-postgresql as moto has
 * no docdb; DescribeDBClusters, CreateDBInstance, DescribeDBInstances, DeleteDBInstance, DeleteDBCluster).
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
  CreateDBInstanceCommand,
  type CreateDBInstanceCommandInput,
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  DeleteDBClusterCommand,
  type DeleteDBClusterCommandInput,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  type DescribeDBClustersCommandInput,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  type DescribeDBInstancesCommandInput,
  ListTagsForResourceCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  RDSClient,
  RDSServiceException,
  RestoreDBClusterFromSnapshotCommand,
  type RestoreDBClusterFromSnapshotCommandInput,
  type Tag,
} from '@aws-sdk/client-rds';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeClusterSnapshots, describeDbClusters, describeDbInstance } from '../../functions/aws/rds.js';
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
    why: 'SnapshotType=shared "returns all manual DB cluster snapshots that have been shared to my account"; AWS\'s own Ops Automator solution tells shared from owned snapshots by SnapshotType "shared"; the product copies from the SnapshotType=shared listing and does not read the field: the sharer\'s account in the ARN decides',
    source:
      'rds-2014-10-31 DescribeDBClusterSnapshotsMessage.SnapshotType; aws-solutions-library-samples/aws-ops-automator (RdsCopyInstanceSnapshotAction); functions/domain/copy-plan.ts eligibleSources',
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
  // --- a drill's calls (docs/aws-behaviour.md R16-R25) ---
  {
    id: 'restore-by-arn',
    what: 'RestoreDBClusterFromSnapshot with SnapshotIdentifier the ARN of an own cluster snapshot (what a drill sends)',
    moto: 'DBClusterSnapshotNotFoundFault (404): it looks snapshots up by identifier only',
    standIn: 'restores it',
    right: 'stand-in',
    why: 'the model: "You can use either the name or the Amazon Resource Name (ARN) to specify a DB cluster snapshot"',
    source: 'rds-2014-10-31 RestoreDBClusterFromSnapshotMessage.SnapshotIdentifier; docs/aws-behaviour.md R16',
  },
  {
    id: 'restore-existing-id',
    what: 'RestoreDBClusterFromSnapshot with a DBClusterIdentifier in use',
    moto: "no DBClusterAlreadyExistsFault: it makes a new cluster in the old one's place, or, within the same minute, fails on the name of the automated backup it makes (DBClusterSnapshotAlreadyExistsFault)",
    standIn: 'DBClusterAlreadyExistsFault (400)',
    right: 'stand-in',
    why: 'the model declares DBClusterAlreadyExistsFault for the operation: "The user already has a DB cluster with the given identifier"',
    source: 'rds-2014-10-31 RestoreDBClusterFromSnapshot errors, DBClusterAlreadyExistsFault; docs/aws-behaviour.md R19',
  },
  {
    id: 'restore-engine',
    what: "RestoreDBClusterFromSnapshot with an Engine other than the snapshot's",
    moto: 'restores it, reporting the engine asked for',
    standIn: 'InvalidParameterCombination (400)',
    right: 'stand-in for the refusal; the error code is assumed',
    why: 'the model: Engine "Constraint: Must be compatible with the engine of the source"; a drill sends the snapshot\'s engine',
    source: 'rds-2014-10-31 RestoreDBClusterFromSnapshotMessage.Engine; docs/aws-behaviour.md R16',
  },
  {
    id: 'restore-identifier',
    what: 'RestoreDBClusterFromSnapshot with a DBClusterIdentifier against the documented rules (two consecutive hyphens)',
    moto: 'restores it under that name',
    standIn: 'InvalidParameterValue (400)',
    right: 'stand-in for the refusal; the code is the one moto itself answers for such a DBInstanceIdentifier',
    why: 'the model: DBClusterIdentifier "Can\'t end with a hyphen or contain two consecutive hyphens"; drill cluster names follow the rules',
    source: 'rds-2014-10-31 RestoreDBClusterFromSnapshotMessage.DBClusterIdentifier; docs/aws-behaviour.md R19',
  },
  {
    id: 'restore-subnet-group',
    what: 'RestoreDBClusterFromSnapshot naming a DB subnet group that does not exist',
    moto: 'restores it (it checks no subnet group)',
    standIn: 'DBSubnetGroupNotFoundFault (404), when the world lists its subnet groups',
    right: 'stand-in',
    why: 'the model: DBSubnetGroupName "If supplied, must match the name of an existing DB subnet group"; DBSubnetGroupNotFoundFault is declared for the operation',
    source: 'rds-2014-10-31 RestoreDBClusterFromSnapshotMessage.DBSubnetGroupName, DBSubnetGroupNotFoundFault; docs/aws-behaviour.md R19',
  },
  {
    id: 'max-records',
    what: 'DescribeDBClusters with MaxRecords under 20',
    moto: 'answers (no bound)',
    standIn: 'InvalidParameterValue (400)',
    right: 'stand-in for the bound; the error code is assumed',
    why: 'the model: MaxRecords "Constraints: Minimum 20, maximum 100"; the product pages with 100',
    source: 'rds-2014-10-31 DescribeDBClustersMessage.MaxRecords; docs/aws-behaviour.md R20',
  },
  {
    id: 'instance-status',
    what: "a new instance's DBInstanceStatus and Endpoint in the CreateDBInstance answer",
    moto: 'available, with its endpoint, at once',
    standIn: "creating, without an endpoint, until the world's instanceCreateMinutes have passed",
    right: 'stand-in',
    why: 'the RDS waiter DBInstanceAvailable polls DescribeDBInstances until available, and fails on the way on deleting or failed: an instance is not available at once; a drill waits for available',
    source: 'rds-2014-10-31 waiters DBInstanceAvailable; docs/aws-behaviour.md R24',
  },
  {
    id: 'instance-before-available',
    what: 'CreateDBInstance in a restored cluster that is still creating',
    moto: 'creates it (its cluster is available from its first read on)',
    standIn: 'InvalidDBClusterStateFault (400)',
    right: 'stand-in for the refusal; the error code is assumed (declared for CreateDBInstance)',
    why: 'the RestoreDBClusterFromSnapshot documentation: "You can create DB instances only after the RestoreDBClusterFromSnapshot operation has completed and the DB cluster is available"',
    source: 'rds-2014-10-31 RestoreDBClusterFromSnapshot documentation, CreateDBInstance errors; docs/aws-behaviour.md R17',
  },
  {
    id: 'delete-while-creating',
    what: 'DeleteDBCluster of a restored cluster that is still creating',
    moto: 'deletes it (available from its first read on)',
    standIn: 'InvalidDBClusterStateFault (400)',
    right: 'stand-in',
    why: "AWS documents that a cluster must be available to be deleted (facts-2 §8, db-cluster-delete.html); the RDS waiter DBClusterDeleted fails on a cluster still creating; a drill's clean-up retries the conflict later",
    source: 'facts-2 §8; rds-2014-10-31 waiters DBClusterDeleted; docs/aws-behaviour.md R21',
  },
  {
    id: 'final-snapshot-rule',
    what: 'DeleteDBCluster with neither SkipFinalSnapshot nor FinalDBSnapshotIdentifier',
    moto: 'deletes it, with no final snapshot',
    standIn: 'InvalidParameterCombination (400)',
    right: 'stand-in for the refusal; the error code is assumed',
    why: 'the model: "If SkipFinalSnapshot is disabled, you must specify a value for the FinalDBSnapshotIdentifier parameter" (SkipFinalSnapshot defaults to disabled); a drill sends SkipFinalSnapshot=true',
    source: 'rds-2014-10-31 DeleteDBClusterMessage.SkipFinalSnapshot; docs/aws-behaviour.md R22',
  },
  {
    id: 'delete-answer-status',
    what: "the cluster's Status in the DeleteDBCluster answer (SkipFinalSnapshot=true)",
    moto: 'available (the status before the delete)',
    standIn: 'deleting',
    right:
      'undetermined: the AWS CLI example answers available for a delete that takes a final snapshot (the cluster stays available while it is taken) and shows none without one',
    why: 'the product reads no status from the answer: a drill follows the cluster with DescribeDBClusters until it is gone',
    source: 'AWS CLI reference, rds delete-db-cluster, example 2; docs/aws-behaviour.md R21',
  },
  {
    id: 'delete-lingers',
    what: 'a deleted instance or cluster right after the delete (DescribeDBInstances, DescribeDBClusters and its DBClusterMembers, the DeleteDBCluster answer)',
    moto: 'gone at once: not found, and no longer a member',
    standIn: "deleting, still a member, until the world's clusterDeleteMinutes have passed; then not found",
    right: 'stand-in',
    why: 'the RDS waiters DBInstanceDeleted and DBClusterDeleted poll until not found: deletes take time; DeleteDBInstance: "To monitor the status of this operation, use DescribeDBInstance"; the AWS CLI example answers deleting',
    source: 'rds-2014-10-31 waiters DBInstanceDeleted, DBClusterDeleted; DeleteDBInstance documentation; docs/aws-behaviour.md R21, R25',
  },
  {
    id: 'second-delete',
    what: 'a second DeleteDBInstance / DeleteDBCluster while the first is deleting',
    moto: 'DBInstanceNotFoundFault / DBClusterNotFoundFault (404): already gone',
    standIn: 'InvalidDBInstanceStateFault / InvalidDBClusterStateFault (400)',
    right: 'undetermined (AWS documents neither); the stand-in keeps the assumption R23, which follows from delete-lingers',
    why: "a drill's clean-up deletes only what is not deleting yet, and counts not found as deleted",
    source: 'docs/aws-behaviour.md R23',
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
    // The source snapshot's cluster, as moto holds it; a world that lists its subnet groups checks the name a restore gives.
    dbClusters: [{ id: CLUSTER, engine: 'aurora-postgresql', createdAt: '2026-05-30T00:00:00.000Z' }],
    dbSubnetGroups: ['default'],
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

type Outcome<T> = { ok: true; value: T } | { ok: false; name: string; status: number | undefined; message: string };
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

/** What the product reads of a DB cluster (a drill): members as [identifier, writer]; the endpoint's form, not its random part. */
interface SeenCluster {
  DBClusterIdentifier: string | undefined;
  DBClusterArn: string | undefined;
  Status: string | undefined;
  Engine: string | undefined;
  Endpoint: string | undefined;
  Port: number | undefined;
  DBSubnetGroup: string | undefined;
  StorageEncrypted: boolean | undefined;
  DeletionProtection: boolean | undefined;
  DBClusterMembers: [string, boolean][];
  TagList: [string, string][];
}

/** What the product reads of a DB instance; the endpoint's form, not its random part. */
interface SeenInstance {
  DBInstanceIdentifier: string | undefined;
  DBInstanceArn: string | undefined;
  DBClusterIdentifier: string | undefined;
  DBInstanceStatus: string | undefined;
  DBInstanceClass: string | undefined;
  Engine: string | undefined;
  Endpoint: string | undefined;
  TagList: [string, string][];
}

/** `drill-one.cluster-4ri505feu2es.us-east-1...` and `drill-one.cluster-standin.us-east-1...` are the same form. */
const endpointForm = (address: string | undefined) => address?.replace(/^([^.]+)\.(cluster-(?:ro-)?)?[a-z0-9]+\./, '$1.$2*.');

function seenCluster(c: DBCluster | undefined): SeenCluster {
  if (!c) throw new Error('no DBCluster in the answer');
  return {
    DBClusterIdentifier: c.DBClusterIdentifier,
    DBClusterArn: c.DBClusterArn,
    Status: c.Status,
    Engine: c.Engine,
    Endpoint: endpointForm(c.Endpoint),
    Port: c.Port,
    DBSubnetGroup: c.DBSubnetGroup,
    StorageEncrypted: c.StorageEncrypted,
    DeletionProtection: c.DeletionProtection,
    DBClusterMembers: (c.DBClusterMembers ?? []).map((m): [string, boolean] => [m.DBInstanceIdentifier ?? '', m.IsClusterWriter === true]),
    TagList: tagPairs(c.TagList),
  };
}

function seenInstance(d: DBInstance | undefined): SeenInstance {
  if (!d) throw new Error('no DBInstance in the answer');
  return {
    DBInstanceIdentifier: d.DBInstanceIdentifier,
    DBInstanceArn: d.DBInstanceArn,
    DBClusterIdentifier: d.DBClusterIdentifier,
    DBInstanceStatus: d.DBInstanceStatus,
    DBInstanceClass: d.DBInstanceClass,
    Engine: d.Engine,
    Endpoint: d.Endpoint ? `${endpointForm(d.Endpoint.Address)}:${d.Endpoint.Port}` : undefined,
    TagList: tagPairs(d.TagList),
  };
}

/** A difference from the table: what each oracle answers for one field. */
interface Known<V> {
  id: DifferenceId;
  moto: V;
  standIn: V;
}
type KnownFields<S = Seen> = { [F in keyof S]?: Known<S[F]> };

/**
 * The two answers agree on every field the product reads, except the known differences given: for
 * those, each oracle must answer exactly what the table says it does.
 */
function expectSame<S extends object = Seen>(moto: S, standIn: S, known: KnownFields<S> = {}): void {
  const fields = Object.keys(known);
  for (const f of fields) {
    const k = known[f as keyof S] as Known<unknown>;
    expect(moto[f as keyof S], `moto ${f} (known difference ${k.id})`).toEqual(k.moto);
    expect(standIn[f as keyof S], `stand-in ${f} (known difference ${k.id})`).toEqual(k.standIn);
    differencesMet.add(k.id);
  }
  const rest = (s: S) => Object.fromEntries(Object.entries(s).filter(([f]) => !fields.includes(f)));
  expect(rest(standIn), 'stand-in vs moto').toEqual(rest(moto));
}

const fault = <T>(o: Outcome<T>) => (o.ok ? { ok: true } : { name: o.name, status: o.status });

/** Both failed alike: the SDK error name and the HTTP status (and, given, the same message). */
function expectSameError<T>(a: Answers<T>, name: string, status: number, message?: string): void {
  expect(fault(a.moto), 'moto').toEqual({ name, status });
  expect(fault(a.standIn), 'stand-in').toEqual({ name, status });
  if (message !== undefined) {
    expect(a.moto.ok ? undefined : a.moto.message, 'moto message').toBe(message);
    expect(a.standIn.ok ? undefined : a.standIn.message, 'stand-in message').toBe(message);
  }
}

/** A known difference in the outcome of a call: each side succeeded (`{ ok: true }`) or failed as the table says. */
function expectKnownOutcome<T>(
  id: DifferenceId,
  a: Answers<T>,
  known: { moto: { ok: true } | { name: string; status: number }; standIn: { ok: true } | { name: string; status: number } },
): void {
  expect(fault(a.moto), `moto (known difference ${id})`).toEqual(known.moto);
  expect(fault(a.standIn), `stand-in (known difference ${id})`).toEqual(known.standIn);
  differencesMet.add(id);
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
        if (err instanceof RDSServiceException)
          return { ok: false, name: err.name, status: err.$metadata.httpStatusCode, message: err.message };
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

  // --- a drill's calls: restore an own snapshot, add an instance, describe both, delete both ---------------

  const ENGINE = 'aurora-postgresql';
  const DRILL_TAGS = { 'drill-of': 'oracle' };
  const restore = (input: Partial<RestoreDBClusterFromSnapshotCommandInput> & { DBClusterIdentifier: string }) =>
    both((rds) =>
      rds.send(new RestoreDBClusterFromSnapshotCommand({ SnapshotIdentifier: SOURCE, Engine: ENGINE, Tags: toTags(DRILL_TAGS), ...input })),
    );
  const describeClusters = (input: DescribeDBClustersCommandInput) => both((rds) => rds.send(new DescribeDBClustersCommand(input)));
  const describeInstances = (input: DescribeDBInstancesCommandInput) => both((rds) => rds.send(new DescribeDBInstancesCommand(input)));
  const createInstance = (input: Partial<CreateDBInstanceCommandInput> & { DBInstanceIdentifier: string }) =>
    both((rds) =>
      rds.send(
        new CreateDBInstanceCommand({
          DBClusterIdentifier: 'drill-one',
          DBInstanceClass: 'db.t4g.medium',
          Engine: ENGINE,
          Tags: toTags(DRILL_TAGS),
          ...input,
        }),
      ),
    );
  const deleteCluster = (input: Partial<DeleteDBClusterCommandInput> & { DBClusterIdentifier: string }) =>
    both((rds) => rds.send(new DeleteDBClusterCommand({ SkipFinalSnapshot: true, ...input })));
  const deleteInstance = (id: string) => both((rds) => rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id })));
  /** One DB cluster from each oracle, normalised. */
  const clusterOf = async (id: string) => {
    const a = await describeClusters({ DBClusterIdentifier: id });
    return {
      moto: seenCluster(value(a.moto, 'moto').DBClusters?.[0]),
      standIn: seenCluster(value(a.standIn, 'stand-in').DBClusters?.[0]),
    };
  };
  /** Cleans up what only moto made (a call it accepted and the stand-in refused), so the two accounts stay alike. */
  const motoOnly = async (cluster: string, instance?: string) => {
    if (instance) await motoRds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: instance }));
    await motoRds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: cluster, SkipFinalSnapshot: true }));
  };
  /** ... and what only the stand-in made. */
  const standInOnly = (cluster: string) => standIn?.model.dbClusters.delete(cluster);
  const drillCluster = (id: string, over: Partial<SeenCluster> = {}): SeenCluster => ({
    DBClusterIdentifier: id,
    DBClusterArn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${id}`,
    Status: 'available',
    Engine: ENGINE,
    Endpoint: `${id}.cluster-*.${REGION}.rds.amazonaws.com`,
    Port: 5432,
    DBSubnetGroup: 'default',
    StorageEncrypted: false,
    DeletionProtection: false,
    DBClusterMembers: [],
    TagList: tagPairs(toTags(DRILL_TAGS)),
    ...over,
  });
  const minutes = (n: number) => standIn?.model.advance(n * 60);

  it('restores an own snapshot alike (RestoreDBClusterFromSnapshot by identifier): creating, the identifier lower case, the tags given, and DBClusterSnapshotNotFoundFault (404) for a missing one (R19)', async () => {
    for (const [id, extra] of [
      ['Drill-One', {}],
      ['drill-protected', { DeletionProtection: true }],
      ['drill-final', {}],
    ] as const) {
      const a = await restore({ DBClusterIdentifier: id, ...extra });
      const [m, s] = [seenCluster(value(a.moto, `moto ${id}`).DBCluster), seenCluster(value(a.standIn, `stand-in ${id}`).DBCluster)];
      // Both answer the new cluster creating (moto's status moves on at its first read, the stand-in's with its clock).
      expectSame(m, s);
      expect(s).toEqual(drillCluster(id.toLowerCase(), { Status: 'creating', DeletionProtection: 'DeletionProtection' in extra }));
    }
    expectSameError(
      await restore({ DBClusterIdentifier: 'drill-none', SnapshotIdentifier: 'no-such-snapshot' }),
      'DBClusterSnapshotNotFoundFault',
      404,
    );
  });

  it('restores what moto cannot and refuses what AWS refuses where moto does not (R16, R19: known differences)', async () => {
    // By the snapshot's ARN, as a drill does (restore-by-arn).
    expectKnownOutcome('restore-by-arn', await restore({ DBClusterIdentifier: 'drill-by-arn', SnapshotIdentifier: SOURCE_ARN }), {
      moto: { name: 'DBClusterSnapshotNotFoundFault', status: 404 },
      standIn: { ok: true },
    });
    standInOnly('drill-by-arn');
    // An identifier in use (restore-existing-id), on a cluster of its own: moto may replace it, or fail on its backup's name.
    await restore({ DBClusterIdentifier: 'drill-twice' });
    const again = await restore({ DBClusterIdentifier: 'drill-twice' });
    expect(again.moto.ok ? { ok: true } : fault(again.moto), 'moto').toEqual(
      again.moto.ok ? { ok: true } : { name: 'DBClusterSnapshotAlreadyExistsFault', status: 400 },
    );
    expect(fault(again.standIn), 'stand-in').toEqual({ name: 'DBClusterAlreadyExistsFault', status: 400 });
    differencesMet.add('restore-existing-id');
    await motoOnly('drill-twice');
    standInOnly('drill-twice');
    // Another engine than the snapshot's (restore-engine).
    expectKnownOutcome('restore-engine', await restore({ DBClusterIdentifier: 'drill-mysql', Engine: 'aurora-mysql' }), {
      moto: { ok: true },
      standIn: { name: 'InvalidParameterCombination', status: 400 },
    });
    await motoOnly('drill-mysql');
    // An identifier against the rules (restore-identifier).
    expectKnownOutcome('restore-identifier', await restore({ DBClusterIdentifier: 'drill--bad' }), {
      moto: { ok: true },
      standIn: { name: 'InvalidParameterValue', status: 400 },
    });
    await motoOnly('drill--bad');
    // A subnet group that does not exist (restore-subnet-group).
    expectKnownOutcome(
      'restore-subnet-group',
      await restore({ DBClusterIdentifier: 'drill-subnets', DBSubnetGroupName: 'no-such-group' }),
      {
        moto: { ok: true },
        standIn: { name: 'DBSubnetGroupNotFoundFault', status: 404 },
      },
    );
    await motoOnly('drill-subnets');
  });

  it("describes DB clusters alike (DescribeDBClusters): by identifier or ARN in any case, all pages as the product reads them, Filters; DBClusterNotFoundFault (404) and an unknown filter's InvalidParameterValue with moto's message (R20)", async () => {
    // moto's restored clusters are available from their first read on; the stand-in's once the world's restoreMinutes have passed.
    minutes((standIn?.model.durations.restoreMinutes ?? 0) + 1);
    for (const ref of ['drill-one', 'DRILL-ONE', `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:drill-one`]) {
      const c = await clusterOf(ref);
      expectSame(c.moto, c.standIn);
      expect(c.standIn, ref).toEqual(drillCluster('drill-one'));
    }
    // The product's own listing (paginator, pages of 100).
    const all = await both((rds) => describeDbClusters(rds));
    const [m, s] = [value(all.moto, 'moto').map(seenCluster), value(all.standIn, 'stand-in').map(seenCluster)];
    const ids = (list: SeenCluster[]) => list.map((c) => c.DBClusterIdentifier).sort();
    expect(ids(s)).toEqual(ids(m));
    expect(ids(s)).toEqual(['drill-final', 'drill-one', 'drill-protected', CLUSTER]);
    for (const c of s) expectSame(m.find((x) => x.DBClusterIdentifier === c.DBClusterIdentifier) as SeenCluster, c);
    for (const Filters of [[{ Name: 'engine', Values: [ENGINE] }], [{ Name: 'db-cluster-id', Values: ['drill-one', 'drill-final'] }]]) {
      const f = await describeClusters({ Filters });
      const listed = (o: Outcome<{ DBClusters?: DBCluster[] }>, who: string) =>
        (value(o, who).DBClusters ?? []).map((c) => c.DBClusterIdentifier).sort();
      expect(listed(f.standIn, 'stand-in'), JSON.stringify(Filters)).toEqual(listed(f.moto, 'moto'));
    }
    expectSameError(await describeClusters({ DBClusterIdentifier: 'no-such-cluster' }), 'DBClusterNotFoundFault', 404);
    expectSameError(
      await describeClusters({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] }),
      'InvalidParameterValue',
      400,
      'Unrecognized filter name: no-such-filter',
    );
    // A page under the documented minimum (max-records).
    expectKnownOutcome('max-records', await describeClusters({ MaxRecords: 5 }), {
      moto: { ok: true },
      standIn: { name: 'InvalidParameterValue', status: 400 },
    });
  });

  it("adds an instance alike (CreateDBInstance): lower case, the cluster's writer; DBClusterNotFoundFault (404), DBInstanceAlreadyExistsFault, another engine's InvalidParameterCombination with moto's message, a bad identifier's InvalidParameterValue (R24)", async () => {
    const a = await createInstance({ DBInstanceIdentifier: 'Drill-One-1' });
    const [m, s] = [seenInstance(value(a.moto, 'moto').DBInstance), seenInstance(value(a.standIn, 'stand-in').DBInstance)];
    const endpoint = `drill-one-1.*.${REGION}.rds.amazonaws.com:5432`;
    // moto's instance is available at once; the stand-in's is creating, without an endpoint yet (instance-status).
    expectSame(m, s, {
      DBInstanceStatus: { id: 'instance-status', moto: 'available', standIn: 'creating' },
      Endpoint: { id: 'instance-status', moto: endpoint, standIn: undefined },
    });
    const instance: SeenInstance = {
      DBInstanceIdentifier: 'drill-one-1',
      DBInstanceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:drill-one-1`,
      DBClusterIdentifier: 'drill-one',
      DBInstanceStatus: 'creating',
      DBInstanceClass: 'db.t4g.medium',
      Engine: ENGINE,
      Endpoint: undefined,
      TagList: tagPairs(toTags(DRILL_TAGS)),
    };
    expect(s).toEqual(instance);
    expectSameError(
      await createInstance({ DBInstanceIdentifier: 'drill-x-1', DBClusterIdentifier: 'no-such-cluster' }),
      'DBClusterNotFoundFault',
      404,
    );
    expectSameError(await createInstance({ DBInstanceIdentifier: 'DRILL-ONE-1' }), 'DBInstanceAlreadyExistsFault', 400);
    expectSameError(
      await createInstance({ DBInstanceIdentifier: 'drill-one-2', Engine: 'aurora-mysql' }),
      'InvalidParameterCombination',
      400,
      "The engine name requested for your DB instance (aurora-mysql) doesn't match the engine name of your DB cluster (aurora-postgresql).",
    );
    expectSameError(await createInstance({ DBInstanceIdentifier: 'drill--one' }), 'InvalidParameterValue', 400);
    // In a cluster still creating (instance-before-available).
    await restore({ DBClusterIdentifier: 'drill-early' });
    expectKnownOutcome(
      'instance-before-available',
      await createInstance({ DBInstanceIdentifier: 'drill-early-1', DBClusterIdentifier: 'drill-early' }),
      {
        moto: { ok: true },
        standIn: { name: 'InvalidDBClusterStateFault', status: 400 },
      },
    );
    await motoOnly('drill-early', 'drill-early-1');
    standInOnly('drill-early');
    // Once the world's instanceCreateMinutes have passed, both are available, and the cluster lists it as its writer.
    minutes((standIn?.model.durations.instanceCreateMinutes ?? 0) + 1);
    const d = await describeInstances({ DBInstanceIdentifier: 'drill-one-1' });
    const [dm, ds] = [seenInstance(value(d.moto, 'moto').DBInstances?.[0]), seenInstance(value(d.standIn, 'stand-in').DBInstances?.[0])];
    expectSame(dm, ds);
    expect(ds).toEqual({ ...instance, DBInstanceStatus: 'available', Endpoint: endpoint });
    const c = await clusterOf('drill-one');
    expectSame(c.moto, c.standIn);
    expect(c.standIn.DBClusterMembers).toEqual([['drill-one-1', true]]);
  });

  it("describes DB instances alike (DescribeDBInstances): by identifier in any case or ARN, as the product asks, Filters; DBInstanceNotFoundFault (404) and an unknown filter's InvalidParameterValue (R20)", async () => {
    for (const ref of ['drill-one-1', 'DRILL-ONE-1', `arn:aws:rds:${REGION}:${ACCOUNT}:db:drill-one-1`]) {
      const a = await both((rds) => describeDbInstance(rds, ref));
      expectSame(seenInstance(value(a.moto, 'moto')), seenInstance(value(a.standIn, 'stand-in')));
    }
    const missing = await both((rds) => describeDbInstance(rds, 'no-such-instance'));
    expect([value(missing.moto, 'moto'), value(missing.standIn, 'stand-in')]).toEqual([undefined, undefined]);
    expectSameError(await describeInstances({ DBInstanceIdentifier: 'no-such-instance' }), 'DBInstanceNotFoundFault', 404);
    const f = await describeInstances({ Filters: [{ Name: 'db-cluster-id', Values: ['drill-one'] }] });
    const listed = (o: Outcome<{ DBInstances?: DBInstance[] }>, who: string) =>
      (value(o, who).DBInstances ?? []).map((x) => x.DBInstanceIdentifier);
    expect(listed(f.standIn, 'stand-in')).toEqual(listed(f.moto, 'moto'));
    expect(listed(f.standIn, 'stand-in')).toEqual(['drill-one-1']);
    expectSameError(
      await describeInstances({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] }),
      'InvalidParameterValue',
      400,
      'Unrecognized filter name: no-such-filter',
    );
  });

  it("refuses a cluster's delete alike while it holds an instance, or has deletion protection, with moto's messages (R21); a cluster still creating, or no final-snapshot choice, only the stand-in refuses (R21, R22)", async () => {
    expectSameError(
      await deleteCluster({ DBClusterIdentifier: 'drill-one' }),
      'InvalidDBClusterStateFault',
      400,
      'Cluster cannot be deleted, it still contains DB instances in non-deleting state.',
    );
    expectSameError(
      await deleteCluster({ DBClusterIdentifier: 'drill-protected' }),
      'InvalidParameterCombination',
      400,
      'Cannot delete protected Cluster, please disable deletion protection and try again.',
    );
    // Still creating (delete-while-creating).
    await restore({ DBClusterIdentifier: 'drill-young' });
    expectKnownOutcome('delete-while-creating', await deleteCluster({ DBClusterIdentifier: 'drill-young' }), {
      moto: { ok: true },
      standIn: { name: 'InvalidDBClusterStateFault', status: 400 },
    });
    standInOnly('drill-young');
    // Neither SkipFinalSnapshot nor FinalDBSnapshotIdentifier (final-snapshot-rule).
    expectKnownOutcome('final-snapshot-rule', await deleteCluster({ DBClusterIdentifier: 'drill-final', SkipFinalSnapshot: undefined }), {
      moto: { ok: true },
      standIn: { name: 'InvalidParameterCombination', status: 400 },
    });
    standInOnly('drill-final');
  });

  it("deletes the instance, then the cluster, as a drill's clean-up does (DeleteDBInstance without SkipFinalSnapshot, DeleteDBCluster with SkipFinalSnapshot=true): deleting, then not found (R21, R23, R25)", async () => {
    // The instance: both answer it deleting, though no SkipFinalSnapshot was sent (a cluster member's data is the cluster's).
    const d = await deleteInstance('drill-one-1');
    expectSame(seenInstance(value(d.moto, 'moto').DBInstance), seenInstance(value(d.standIn, 'stand-in').DBInstance));
    expect(seenInstance(value(d.standIn, 'stand-in').DBInstance).DBInstanceStatus).toBe('deleting');
    // Right after: moto has it gone; the stand-in shows it deleting, still a member of its cluster (delete-lingers).
    expectKnownOutcome('delete-lingers', await describeInstances({ DBInstanceIdentifier: 'drill-one-1' }), {
      moto: { name: 'DBInstanceNotFoundFault', status: 404 },
      standIn: { ok: true },
    });
    const member = await clusterOf('drill-one');
    expectSame(member.moto, member.standIn, {
      DBClusterMembers: { id: 'delete-lingers', moto: [], standIn: [['drill-one-1', true]] },
    });
    expectKnownOutcome('second-delete', await deleteInstance('drill-one-1'), {
      moto: { name: 'DBInstanceNotFoundFault', status: 404 },
      standIn: { name: 'InvalidDBInstanceStateFault', status: 400 },
    });
    // The cluster: accepted by both once its instances are deleting.
    const c = await deleteCluster({ DBClusterIdentifier: 'drill-one' });
    expectSame(seenCluster(value(c.moto, 'moto').DBCluster), seenCluster(value(c.standIn, 'stand-in').DBCluster), {
      Status: { id: 'delete-answer-status', moto: 'available', standIn: 'deleting' },
      DBClusterMembers: { id: 'delete-lingers', moto: [], standIn: [['drill-one-1', true]] },
    });
    expectKnownOutcome('delete-lingers', await describeClusters({ DBClusterIdentifier: 'drill-one' }), {
      moto: { name: 'DBClusterNotFoundFault', status: 404 },
      standIn: { ok: true },
    });
    expectKnownOutcome('second-delete', await deleteCluster({ DBClusterIdentifier: 'drill-one' }), {
      moto: { name: 'DBClusterNotFoundFault', status: 404 },
      standIn: { name: 'InvalidDBClusterStateFault', status: 400 },
    });
    // Once the world's clusterDeleteMinutes have passed, both are gone from both.
    minutes((standIn?.model.durations.clusterDeleteMinutes ?? 0) + 1);
    expectSameError(await describeClusters({ DBClusterIdentifier: 'drill-one' }), 'DBClusterNotFoundFault', 404);
    expectSameError(await describeInstances({ DBInstanceIdentifier: 'drill-one-1' }), 'DBInstanceNotFoundFault', 404);
    expectSameError(await deleteCluster({ DBClusterIdentifier: 'drill-one' }), 'DBClusterNotFoundFault', 404);
    expectSameError(await deleteInstance('drill-one-1'), 'DBInstanceNotFoundFault', 404);
    const left = await both((rds) => describeDbClusters(rds));
    const ids = (o: Outcome<DBCluster[]>, who: string) =>
      value(o, who)
        .map((x) => x.DBClusterIdentifier)
        .sort();
    expect(ids(left.standIn, 'stand-in')).toEqual(ids(left.moto, 'moto'));
    expect(ids(left.standIn, 'stand-in')).toEqual(['drill-protected', CLUSTER]);
  });

  it('met every known difference in the table (an entry no longer seen is stale)', () => {
    expect([...differencesMet].sort()).toEqual(KNOWN_DIFFERENCES.map((d) => d.id).sort());
  });
});
