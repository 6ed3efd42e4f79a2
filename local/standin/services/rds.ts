/**
 * RDS cluster snapshots, and the DB clusters and instances restored from them (query protocol: form-encoded
 * POST, XML answers) as the SDK speaks it.
 */
import { createHash } from 'node:crypto';
import type { ClusterSnapshot, DbCluster, DbInstance, Model, SharedSnapshot } from '../model.js';
import { ApiError } from '../api-error.js';
import type { XmlNode } from '../xml.js';
import { text } from '../xml.js';

export const NS = 'http://rds.amazonaws.com/doc/2014-10-31/';

/**
 * Wire codes and HTTP statuses of the faults the stand-in answers with (a world's faults too): the model's
 * `error.code` and `httpStatusCode` (the conformance test compares them), and AWS's common query errors.
 */
export const RDS_ERRORS: Record<string, number> = {
  DBClusterSnapshotAlreadyExistsFault: 400,
  DBClusterSnapshotNotFoundFault: 404,
  InvalidDBClusterSnapshotStateFault: 400,
  InvalidDBClusterStateFault: 400,
  SnapshotQuotaExceeded: 400,
  KMSKeyNotAccessibleFault: 400,
  DBSnapshotNotFound: 404,
  DBClusterAlreadyExistsFault: 400,
  DBClusterNotFoundFault: 404,
  DBClusterQuotaExceededFault: 403,
  InsufficientDBClusterCapacityFault: 403,
  InsufficientDBInstanceCapacity: 400,
  InsufficientStorageClusterCapacity: 400,
  StorageQuotaExceeded: 400,
  InvalidSubnet: 400,
  InvalidVPCNetworkStateFault: 400,
  InvalidRestoreFault: 400,
  InvalidDBSnapshotState: 400,
  DBSubnetGroupNotFoundFault: 404,
  DBSubnetGroupDoesNotCoverEnoughAZs: 400,
  DBInstanceAlreadyExists: 400,
  DBInstanceNotFound: 404,
  InvalidDBInstanceState: 400,
  InstanceQuotaExceeded: 400,
  Throttling: 400,
  InvalidParameterValue: 400,
  InvalidParameterCombination: 400,
  MissingParameter: 400,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  AccessDenied: 403,
};

const fault = (code: string, message: string) => new ApiError(code, RDS_ERRORS[code] ?? 400, message);

interface SnapshotFields {
  id: string;
  arn: string;
  clusterId: string;
  engine: string;
  createdAt: string;
  type: string;
  status: string;
  percent: number;
  encrypted: boolean;
  kmsKeyId?: string;
  source?: string;
  tags: Record<string, string>;
  vpcId: string;
}

/** A DBClusterSnapshot element as the query protocol returns it. */
function dbClusterSnapshotXml(m: Model, f: SnapshotFields): XmlNode {
  return {
    AvailabilityZones: [{ AvailabilityZone: `${m.region}a` }],
    DBClusterSnapshotIdentifier: f.id,
    DBClusterIdentifier: f.clusterId,
    SnapshotCreateTime: f.createdAt,
    Engine: f.engine,
    AllocatedStorage: 10,
    Status: f.status,
    Port: f.engine === 'aurora-postgresql' ? 5432 : f.engine === 'aurora-mysql' ? 3306 : 27017,
    VpcId: f.vpcId,
    ClusterCreateTime: f.createdAt,
    MasterUsername: 'admin',
    EngineVersion: '5.0.0',
    LicenseModel: f.engine === 'docdb' ? 'docdb' : 'general-public-license',
    SnapshotType: f.type,
    PercentProgress: f.percent,
    StorageEncrypted: f.encrypted,
    KmsKeyId: f.kmsKeyId,
    DBClusterSnapshotArn: f.arn,
    SourceDBClusterSnapshotArn: f.source,
    IAMDatabaseAuthenticationEnabled: false,
    TagList: Object.entries(f.tags).map(([Key, Value]) => ({ Tag: { Key, Value } })),
  };
}

function snapshotXml(m: Model, s: ClusterSnapshot): XmlNode {
  return dbClusterSnapshotXml(m, { ...s, type: s.type, status: m.clusterSnapshotStatus(s), percent: m.percent(s), vpcId: 'vpc-0standin' });
}

/** A snapshot another account shares: it is listed by ARN, always available, and its tags are the owner's. */
function sharedXml(m: Model, s: SharedSnapshot): XmlNode {
  return dbClusterSnapshotXml(m, { ...s, id: s.arn, type: 'shared', status: 'available', percent: 100, tags: {}, vpcId: 'vpc-0owner' });
}

function tagList(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of (raw as { Key?: string; Value?: string }[] | undefined) ?? []) {
    if (!t?.Key) continue;
    const key = t.Key;
    const value = t.Value ?? '';
    if (key.length > 128 || /^(aws|rds):/i.test(key) || value.length > 256) {
      throw fault('InvalidParameterValue', `tag ${key} is not valid`);
    }
    out[key] = value;
  }
  return out;
}

const ID_RE = /^[a-zA-Z][a-zA-Z0-9-]*$/;
function checkIdentifier(id: unknown, field: string): string {
  if (typeof id !== 'string' || id.length < 1 || id.length > 63 || !ID_RE.test(id) || id.includes('--') || id.endsWith('-')) {
    throw fault('InvalidParameterValue', `${field} must be 1-63 letters, digits or hyphens, start with a letter, no -- or trailing hyphen`);
  }
  return id.toLowerCase();
}

/** The tags of a resource by ARN: an owned cluster snapshot, a DB cluster or a DB instance. */
function taggable(m: Model, arn: unknown): { tags: Record<string, string>; snapshot?: ClusterSnapshot } {
  for (const s of m.clusterSnapshots.values()) if (s.arn === arn) return { tags: s.tags, snapshot: s };
  const name = text(arn);
  const c = name.includes(':cluster:') ? findDbCluster(m, name, false) : undefined;
  if (c) return { tags: c.tags };
  if (name.includes(':cluster:')) throw fault('DBClusterNotFoundFault', `DBCluster ${name} not found.`);
  const d = name.includes(':db:') ? [...m.dbInstances.values()].find((x) => x.arn === name) : undefined;
  if (d) return { tags: d.tags };
  if (name.includes(':db:')) throw fault('DBInstanceNotFound', `DBInstance ${name} not found.`);
  throw fault('DBSnapshotNotFound', `resource ${name} not found`);
}

const required = (p: Record<string, unknown>, name: string): string => {
  const v = text(p[name]);
  if (!v) throw fault('MissingParameter', `The request must contain the parameter ${name}`);
  return v;
};

const port = (engine: string) => (engine === 'aurora-postgresql' ? 5432 : engine === 'aurora-mysql' ? 3306 : 27017);
const engineVersion = (engine: string) =>
  engine === 'aurora-postgresql' ? '16.4' : engine === 'aurora-mysql' ? '8.0.mysql_aurora.3.08.0' : '5.0.0';
const domain = (engine: string) => (engine === 'docdb' ? 'docdb.amazonaws.com' : 'rds.amazonaws.com');
const resourceId = (prefix: string, arn: string) =>
  `${prefix}-${createHash('sha256').update(arn).digest('hex').slice(0, 26).toUpperCase()}`;
const tagXml = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Tag: { Key, Value } }));

/** A DB cluster by identifier or ARN (case-insensitive), or undefined (or DBClusterNotFoundFault with `orFail`). */
function findDbCluster(m: Model, idOrArn: string, orFail = true): DbCluster | undefined {
  const c = m.dbClusters.get(idOrArn.toLowerCase()) ?? [...m.dbClusters.values()].find((x) => x.arn === idOrArn);
  if (!c && orFail) throw fault('DBClusterNotFoundFault', `DBCluster ${idOrArn} not found.`);
  return c;
}

function findDbInstance(m: Model, idOrArn: string): DbInstance {
  const d = m.dbInstances.get(idOrArn.toLowerCase()) ?? [...m.dbInstances.values()].find((x) => x.arn === idOrArn);
  if (!d) throw fault('DBInstanceNotFound', `DBInstance ${idOrArn} not found.`);
  return d;
}

const membersOf = (m: Model, clusterId: string) => [...m.dbInstances.values()].filter((d) => d.clusterId === clusterId);

/** A DBCluster element as the query protocol returns it. */
function dbClusterXml(m: Model, c: DbCluster): XmlNode {
  const members = membersOf(m, c.id);
  return {
    AllocatedStorage: 1,
    AvailabilityZones: ['a', 'b', 'c'].map((z) => ({ AvailabilityZone: `${m.region}${z}` })),
    BackupRetentionPeriod: 1,
    DBClusterIdentifier: c.id,
    DBClusterParameterGroup: c.engine === 'docdb' ? 'default.docdb5.0' : `default.${c.engine}`,
    DBSubnetGroup: c.subnetGroup ?? 'default',
    Status: m.dbStatus(c),
    Endpoint: `${c.id}.cluster-standin.${m.region}.${domain(c.engine)}`,
    ReaderEndpoint: `${c.id}.cluster-ro-standin.${m.region}.${domain(c.engine)}`,
    MultiAZ: members.length > 1,
    Engine: c.engine,
    EngineVersion: engineVersion(c.engine),
    Port: port(c.engine),
    MasterUsername: 'admin',
    PreferredBackupWindow: '00:00-00:30',
    PreferredMaintenanceWindow: 'sun:02:00-sun:02:30',
    // The first instance created is the writer (the stand-in models no fail-over).
    DBClusterMembers: members.map((d, i) => ({
      DBClusterMember: { DBInstanceIdentifier: d.id, IsClusterWriter: i === 0, DBClusterParameterGroupStatus: 'in-sync', PromotionTier: 1 },
    })),
    VpcSecurityGroups: (c.vpcSecurityGroupIds.length > 0 ? c.vpcSecurityGroupIds : ['sg-0default']).map((id) => ({
      VpcSecurityGroupMembership: { VpcSecurityGroupId: id, Status: 'active' },
    })),
    HostedZoneId: 'ZSTANDIN00000',
    StorageEncrypted: c.encrypted,
    KmsKeyId: c.kmsKeyId,
    DbClusterResourceId: resourceId('cluster', c.arn),
    DBClusterArn: c.arn,
    IAMDatabaseAuthenticationEnabled: false,
    ClusterCreateTime: c.createdAt,
    DeletionProtection: c.deletionProtection,
    TagList: tagXml(c.tags),
  };
}

/** A DBInstance element as the query protocol returns it. */
function dbInstanceXml(m: Model, d: DbInstance): XmlNode {
  const c = m.dbClusters.get(d.clusterId);
  const status = m.dbStatus(d);
  const created = status !== 'creating';
  return {
    DBInstanceIdentifier: d.id,
    DBInstanceClass: d.instanceClass,
    Engine: d.engine,
    DBInstanceStatus: status,
    MasterUsername: 'admin',
    // An instance has an address and a creation time once it is created.
    Endpoint: created
      ? { Address: `${d.id}.standin.${m.region}.${domain(d.engine)}`, Port: port(d.engine), HostedZoneId: 'ZSTANDIN00000' }
      : undefined,
    AllocatedStorage: 1,
    InstanceCreateTime: created ? d.createdAt : undefined,
    PreferredBackupWindow: '00:00-00:30',
    BackupRetentionPeriod: 1,
    VpcSecurityGroups: (c && c.vpcSecurityGroupIds.length > 0 ? c.vpcSecurityGroupIds : ['sg-0default']).map((id) => ({
      VpcSecurityGroupMembership: { VpcSecurityGroupId: id, Status: 'active' },
    })),
    AvailabilityZone: `${m.region}a`,
    DBSubnetGroup: {
      DBSubnetGroupName: c?.subnetGroup ?? 'default',
      DBSubnetGroupDescription: 'stand-in',
      VpcId: 'vpc-0standin',
      SubnetGroupStatus: 'Complete',
    },
    PreferredMaintenanceWindow: 'sun:02:00-sun:02:30',
    MultiAZ: false,
    EngineVersion: engineVersion(d.engine),
    AutoMinorVersionUpgrade: true,
    LicenseModel: d.engine === 'docdb' ? 'na' : 'general-public-license',
    PubliclyAccessible: false,
    StorageEncrypted: c?.encrypted ?? false,
    KmsKeyId: c?.kmsKeyId,
    DbiResourceId: resourceId('db', d.arn),
    DBClusterIdentifier: d.clusterId,
    CopyTagsToSnapshot: false,
    PromotionTier: 1,
    DBInstanceArn: d.arn,
    IAMDatabaseAuthenticationEnabled: false,
    DeletionProtection: false,
    DedicatedLogVolume: false,
    TagList: tagXml(d.tags),
  };
}

/** MaxRecords (20-100, default 100) and Marker paging, as every RDS Describe action has it. */
function pageOf<T>(items: T[], p: Record<string, unknown>): { slice: T[]; marker?: string } {
  const max = p.MaxRecords === undefined ? 100 : Number(p.MaxRecords);
  if (!Number.isInteger(max) || max < 20 || max > 100) throw fault('InvalidParameterValue', 'MaxRecords must be 20-100');
  const start = p.Marker === undefined ? 0 : Number(p.Marker);
  if (!Number.isInteger(start) || start < 0) throw fault('InvalidParameterValue', 'Marker is not valid');
  const slice = items.slice(start, start + max);
  return { slice, marker: start + max < items.length ? String(start + max) : undefined };
}

type FilterList = { Name?: string; Values?: string[] }[];
/** Applies RDS `Filters`: each named filter must match one of its values; an unknown name is InvalidParameterValue. */
function applyFilters<T>(items: T[], raw: unknown, fields: Record<string, (x: T) => string[]>): T[] {
  let out = items;
  for (const f of ((raw as FilterList | undefined) ?? []).filter(Boolean)) {
    const get = fields[f.Name ?? ''];
    if (!get) throw fault('InvalidParameterValue', `Unrecognized filter name: ${f.Name}`);
    const values = f.Values ?? [];
    out = out.filter((x) => get(x).some((v) => values.includes(v)));
  }
  return out;
}

/** Statuses of a DB cluster that can be deleted: available, and the failed ones (a failed restore must be cleanable). */
const DELETABLE = [
  'available',
  'failed',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'incompatible-parameters',
  'incompatible-restore',
];

function restoreDbCluster(m: Model, p: Record<string, unknown>): DbCluster {
  const id = checkIdentifier(p.DBClusterIdentifier, 'DBClusterIdentifier');
  const snapshotId = required(p, 'SnapshotIdentifier');
  const engine = required(p, 'Engine');
  const own = m.clusterSnapshots.get(snapshotId.toLowerCase()) ?? [...m.clusterSnapshots.values()].find((s) => s.arn === snapshotId);
  const shared = m.shared.get(snapshotId);
  const src = own ?? shared;
  if (!src) throw fault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${snapshotId} not found.`);
  if (own && m.clusterSnapshotStatus(own) !== 'available')
    throw fault('InvalidDBClusterSnapshotStateFault', `DBClusterSnapshot ${own.id} is ${m.clusterSnapshotStatus(own)}, not available`);
  if (engine !== src.engine)
    throw fault('InvalidParameterCombination', `The engine ${engine} is not compatible with the engine of the snapshot (${src.engine})`);
  if (m.dbClusters.has(id)) throw fault('DBClusterAlreadyExistsFault', `DB Cluster ${id} already exists`);
  const subnetGroup = text(p.DBSubnetGroupName) || undefined;
  if (subnetGroup !== undefined && m.dbSubnetGroups && !m.dbSubnetGroups.includes(subnetGroup))
    throw fault('DBSubnetGroupNotFoundFault', `DB subnet group '${subnetGroup}' does not exist.`);
  // KmsKeyId: the snapshot's key when absent (encrypted stays encrypted, unencrypted stays unencrypted); a key given encrypts.
  const kms = text(p.KmsKeyId) || undefined;
  const encrypted = src.encrypted || kms !== undefined;
  const key = kms ?? src.kmsKeyId;
  if (encrypted && key !== undefined && !m.kmsKeys.includes(key))
    throw fault('KMSKeyNotAccessibleFault', `KMS key ${key} is not accessible`);
  if (m.quotas.dbClusters !== undefined && m.dbClusters.size >= m.quotas.dbClusters)
    throw fault('DBClusterQuotaExceededFault', `Cannot create more than ${m.quotas.dbClusters} DB clusters`);
  const tags = tagList(p.Tags);
  const c: DbCluster = {
    id,
    arn: m.rdsResourceArn('cluster', id),
    engine,
    createdAt: m.now().toISOString(),
    restoredFrom: src.arn,
    subnetGroup,
    vpcSecurityGroupIds: ((p.VpcSecurityGroupIds as string[] | undefined) ?? []).filter((x) => typeof x === 'string'),
    encrypted,
    kmsKeyId: encrypted ? key : undefined,
    deletionProtection: p.DeletionProtection === 'true',
    tags,
    ...m.timing('RestoreDBClusterFromSnapshot', `${snapshotId} ${id}`, m.durations.restoreMinutes),
  };
  m.dbClusters.set(id, c);
  m.record({ op: 'restore', service: 'rds', id, tags: { ...tags }, source: src.arn, readyAt: c.readyAt });
  return c;
}

function deleteDbCluster(m: Model, p: Record<string, unknown>): XmlNode {
  const c = findDbCluster(m, required(p, 'DBClusterIdentifier')) as DbCluster;
  const status = m.dbStatus(c);
  if (status === 'deleting') throw fault('InvalidDBClusterStateFault', `DB cluster ${c.id} is already being deleted.`);
  if (!DELETABLE.includes(status)) throw fault('InvalidDBClusterStateFault', `DB cluster ${c.id} is ${status}; it cannot be deleted now.`);
  if (c.deletionProtection)
    throw fault('InvalidParameterCombination', 'Cannot delete protected Cluster, please disable deletion protection and try again.');
  if (membersOf(m, c.id).some((d) => m.dbStatus(d) !== 'deleting'))
    throw fault('InvalidDBClusterStateFault', 'Cluster cannot be deleted, it still contains DB instances in non-deleting state.');
  const skip = p.SkipFinalSnapshot === 'true';
  const finalId = text(p.FinalDBSnapshotIdentifier);
  if (skip && finalId) throw fault('InvalidParameterCombination', 'FinalDBSnapshotIdentifier cannot be specified with SkipFinalSnapshot');
  if (!skip) {
    if (!finalId)
      throw fault('InvalidParameterCombination', 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
    const target = checkIdentifier(finalId, 'FinalDBSnapshotIdentifier');
    if (status !== 'available') throw fault('InvalidDBClusterStateFault', `DB cluster ${c.id} is ${status}: no final snapshot can be made`);
    if (m.clusterSnapshots.has(target))
      throw fault(
        'DBClusterSnapshotAlreadyExistsFault',
        `Cannot create the snapshot because a snapshot with the identifier ${target} already exists.`,
      );
    if ([...m.clusterSnapshots.values()].filter((s) => s.type === 'manual').length >= m.quotas.manualClusterSnapshots)
      throw fault('SnapshotQuotaExceeded', `Cannot create more than ${m.quotas.manualClusterSnapshots} manual snapshots`);
    m.clusterSnapshots.set(target, {
      id: target,
      arn: m.rdsArn(m.accountId, target),
      clusterId: c.id,
      engine: c.engine,
      type: 'manual',
      createdAt: m.now().toISOString(),
      encrypted: c.encrypted,
      kmsKeyId: c.kmsKeyId,
      tags: {},
      busyStatus: 'creating',
      startedAt: m.nowMs,
      readyAt: m.nowMs + m.durations.createMinutes * 60_000,
    });
    m.record({ op: 'create', service: 'rds', id: target, tags: {} });
  }
  m.record({ op: 'delete-cluster', service: 'rds', id: c.id, status });
  m.startResourceDelete(c, 'DeleteDBCluster', `${c.id} ${c.arn}`, m.durations.clusterDeleteMinutes);
  return { DBCluster: dbClusterXml(m, c) };
}

function createDbInstance(m: Model, p: Record<string, unknown>): DbInstance {
  const id = checkIdentifier(p.DBInstanceIdentifier, 'DBInstanceIdentifier');
  const instanceClass = required(p, 'DBInstanceClass');
  const engine = required(p, 'Engine');
  if (!/^db\.[a-z0-9]+(\.[a-z0-9]+)*$/.test(instanceClass))
    throw fault('InvalidParameterValue', `Invalid DB instance class: ${instanceClass}`);
  // The stand-in models only instances of a cluster (DocumentDB, Aurora), where DBClusterIdentifier is needed.
  const clusterRef = text(p.DBClusterIdentifier);
  if (!clusterRef) throw fault('InvalidParameterValue', 'DBClusterIdentifier is required: the stand-in creates cluster instances only');
  const c = findDbCluster(m, clusterRef) as DbCluster;
  if (m.dbInstances.has(id)) throw fault('DBInstanceAlreadyExists', 'DB instance already exists');
  if (engine !== c.engine)
    throw fault(
      'InvalidParameterCombination',
      `The engine name requested for your DB instance (${engine}) doesn't match the engine name of your DB cluster (${c.engine}).`,
    );
  // "You can create DB instances only after the RestoreDBClusterFromSnapshot operation has completed and the DB cluster is available."
  const status = m.dbStatus(c);
  if (status !== 'available') throw fault('InvalidDBClusterStateFault', `DB cluster ${c.id} is ${status}, not available`);
  const tags = tagList(p.Tags);
  const d: DbInstance = {
    id,
    arn: m.rdsResourceArn('db', id),
    clusterId: c.id,
    instanceClass,
    engine,
    createdAt: m.now().toISOString(),
    tags,
    ...m.timing('CreateDBInstance', `${c.id} ${id}`, m.durations.instanceCreateMinutes),
  };
  m.dbInstances.set(id, d);
  m.record({ op: 'create-instance', service: 'rds', id, tags: { ...tags }, readyAt: d.readyAt });
  return d;
}

export function handleRds(m: Model, action: string, p: Record<string, unknown>): XmlNode {
  switch (action) {
    case 'DescribeDBClusterSnapshots': {
      const max = p.MaxRecords === undefined ? 100 : Number(p.MaxRecords);
      if (!Number.isInteger(max) || max < 20 || max > 100) throw fault('InvalidParameterValue', 'MaxRecords must be 20-100');
      const type = typeof p.SnapshotType === 'string' ? p.SnapshotType : undefined;
      const includeShared = p.IncludeShared === 'true';
      const id = typeof p.DBClusterSnapshotIdentifier === 'string' ? p.DBClusterSnapshotIdentifier : undefined;
      const clusterId = typeof p.DBClusterIdentifier === 'string' ? p.DBClusterIdentifier : undefined;
      const filters = ((p.Filters as { Name?: string; Values?: string[] }[] | undefined) ?? []).filter(Boolean);
      let items: XmlNode[] = [];
      const owned = [...m.clusterSnapshots.values()];
      const wantOwned = type === undefined || type === 'manual' || type === 'automated';
      if (wantOwned) {
        items = owned
          .filter((s) => (type ? s.type === type : true))
          .filter((s) => (id ? s.id === id.toLowerCase() || s.arn === id : true))
          .filter((s) => (clusterId ? s.clusterId === clusterId : true))
          .map((s) => snapshotXml(m, s));
      }
      if (type === 'shared' || (type === undefined && includeShared)) {
        items.push(
          ...[...m.shared.values()]
            .filter((s) => (id ? s.arn === id : true) && (clusterId ? s.clusterId === clusterId : true))
            .map((s) => sharedXml(m, s)),
        );
      }
      for (const f of filters) {
        const field = {
          'db-cluster-id': 'DBClusterIdentifier',
          'db-cluster-snapshot-id': 'DBClusterSnapshotIdentifier',
          'snapshot-type': 'SnapshotType',
          engine: 'Engine',
        }[f.Name ?? ''];
        if (!field) throw fault('InvalidParameterValue', `unknown filter ${f.Name}`);
        items = items.filter((x) => (f.Values ?? []).includes(String(x[field] as string | undefined)));
      }
      if (id && items.length === 0) throw fault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found`);
      const start = Number(p.Marker ?? 0);
      const slice = items.slice(start, start + max);
      const marker = start + max < items.length ? String(start + max) : undefined;
      return { DBClusterSnapshots: slice.map((s) => ({ DBClusterSnapshot: s })), Marker: marker };
    }
    case 'CopyDBClusterSnapshot': {
      const sourceId = text(p.SourceDBClusterSnapshotIdentifier);
      const target = checkIdentifier(p.TargetDBClusterSnapshotIdentifier, 'TargetDBClusterSnapshotIdentifier');
      const shared = m.shared.get(sourceId);
      const ownSource = m.clusterSnapshots.get(sourceId.toLowerCase()) ?? [...m.clusterSnapshots.values()].find((s) => s.arn === sourceId);
      if (!shared && !ownSource) throw fault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${sourceId} not found`);
      if (m.clusterSnapshots.has(target))
        throw fault(
          'DBClusterSnapshotAlreadyExistsFault',
          `Cannot create the snapshot because a snapshot with the identifier ${target} already exists.`,
        );
      if (ownSource && m.clusterSnapshotStatus(ownSource) !== 'available') {
        throw fault('InvalidDBClusterSnapshotStateFault', `source snapshot ${sourceId} is not available`);
      }
      const encrypted = shared ? shared.encrypted : (ownSource?.encrypted ?? false);
      const kms = typeof p.KmsKeyId === 'string' ? p.KmsKeyId : undefined;
      if (shared && encrypted && !kms) {
        throw fault('KMSKeyNotAccessibleFault', `KmsKeyId is required to copy the encrypted shared snapshot ${sourceId}`);
      }
      if (!encrypted && kms) throw fault('InvalidParameterCombination', 'KmsKeyId must not be given for an unencrypted source snapshot');
      if (kms && !m.kmsKeys.includes(kms)) throw fault('KMSKeyNotAccessibleFault', `KMS key ${kms} is not accessible`);
      const manual = [...m.clusterSnapshots.values()].filter((s) => s.type === 'manual').length;
      if (manual >= m.quotas.manualClusterSnapshots) {
        throw fault('SnapshotQuotaExceeded', `Cannot create more than ${m.quotas.manualClusterSnapshots} manual snapshots`);
      }
      if (m.copiesInFlight() >= m.quotas.concurrentCopies) {
        throw fault('SnapshotQuotaExceeded', `Cannot run more than ${m.quotas.concurrentCopies} snapshot copies at once`);
      }
      // Tags: the given Tags only, even with CopyTags (moto, verified by its authors against AWS; AWS documents
      // the same for CreateDBSnapshot). CopyTags without Tags copies an own source's tags; a snapshot another
      // account owns shows this account none of its tags, so nothing comes across (docs/aws-behaviour.md).
      const given = tagList(p.Tags);
      const tags = Object.keys(given).length > 0 ? given : p.CopyTags === 'true' && ownSource ? { ...ownSource.tags } : {};
      const minutes = shared?.copyMinutes ?? m.durations.copyMinutes;
      const s: ClusterSnapshot = {
        id: target,
        arn: m.rdsArn(m.accountId, target),
        clusterId: shared?.clusterId ?? ownSource?.clusterId ?? 'unknown',
        engine: shared?.engine ?? ownSource?.engine ?? 'docdb',
        type: 'manual',
        createdAt: m.now().toISOString(),
        encrypted,
        kmsKeyId: kms ?? ownSource?.kmsKeyId,
        tags,
        source: shared?.arn ?? ownSource?.arn,
        busyStatus: 'copying',
        ...m.timing('CopyDBClusterSnapshot', `${sourceId} ${target}`, minutes),
      };
      m.clusterSnapshots.set(target, s);
      m.record({ op: 'copy', service: 'rds', id: target, tags: { ...tags }, source: s.source, readyAt: s.readyAt });
      m.maxCopiesInFlight = Math.max(m.maxCopiesInFlight, m.copiesInFlight());
      return { DBClusterSnapshot: snapshotXml(m, s) };
    }
    case 'DeleteDBClusterSnapshot': {
      const id = text(p.DBClusterSnapshotIdentifier).toLowerCase();
      const s = m.clusterSnapshots.get(id);
      if (!s) throw fault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found.`);
      const status = m.clusterSnapshotStatus(s);
      if (s.type === 'automated') throw fault('InvalidDBClusterSnapshotStateFault', 'automated snapshots cannot be deleted');
      if (status === 'creating' || status === 'deleting') throw fault('InvalidDBClusterSnapshotStateFault', `snapshot ${id} is ${status}`);
      // Deleting a target that is copying cancels the copy; the answer shows the snapshot as it was.
      m.record({ op: 'delete', service: 'rds', id, status });
      const out = snapshotXml(m, s);
      m.clusterSnapshots.delete(id);
      return { DBClusterSnapshot: out };
    }
    case 'AddTagsToResource': {
      const { tags, snapshot } = taggable(m, p.ResourceName);
      const add = tagList(p.Tags);
      if (Object.keys({ ...tags, ...add }).length > 50) throw fault('InvalidParameterValue', 'a resource can hold at most 50 tags');
      const changed = Object.fromEntries(Object.entries(add).filter(([k, v]) => tags[k] !== v));
      Object.assign(tags, add);
      if (snapshot && Object.keys(changed).length > 0) m.record({ op: 'tag', service: 'rds', id: snapshot.id, tags: changed });
      return {};
    }
    case 'RemoveTagsFromResource': {
      const { tags } = taggable(m, p.ResourceName);
      for (const k of (p.TagKeys as string[] | undefined) ?? []) delete tags[k];
      return {};
    }
    case 'ListTagsForResource': {
      const { tags } = taggable(m, p.ResourceName);
      return { TagList: tagXml(tags) };
    }
    case 'RestoreDBClusterFromSnapshot':
      return { DBCluster: dbClusterXml(m, restoreDbCluster(m, p)) };
    case 'DescribeDBClusters': {
      const ref = text(p.DBClusterIdentifier);
      let items = ref ? [findDbCluster(m, ref) as DbCluster] : [...m.dbClusters.values()];
      items = applyFilters(items, p.Filters, {
        'db-cluster-id': (c) => [c.id, c.arn],
        'db-cluster-resource-id': (c) => [resourceId('cluster', c.arn)],
        engine: (c) => [c.engine],
      });
      const { slice, marker } = pageOf(items, p);
      return { DBClusters: slice.map((c) => ({ DBCluster: dbClusterXml(m, c) })), Marker: marker };
    }
    case 'DeleteDBCluster':
      return deleteDbCluster(m, p);
    case 'CreateDBInstance':
      return { DBInstance: dbInstanceXml(m, createDbInstance(m, p)) };
    case 'DescribeDBInstances': {
      const ref = text(p.DBInstanceIdentifier);
      let items = ref ? [findDbInstance(m, ref)] : [...m.dbInstances.values()];
      items = applyFilters(items, p.Filters, {
        'db-cluster-id': (d) => [d.clusterId, m.rdsResourceArn('cluster', d.clusterId)],
        'db-instance-id': (d) => [d.id, d.arn],
        'dbi-resource-id': (d) => [resourceId('db', d.arn)],
        engine: (d) => [d.engine],
      });
      const { slice, marker } = pageOf(items, p);
      return { DBInstances: slice.map((d) => ({ DBInstance: dbInstanceXml(m, d) })), Marker: marker };
    }
    case 'DeleteDBInstance': {
      // SkipFinalSnapshot and FinalDBSnapshotIdentifier are ignored: a cluster instance's data is the cluster's.
      const d = findDbInstance(m, required(p, 'DBInstanceIdentifier'));
      const status = m.dbStatus(d);
      if (status === 'deleting') throw fault('InvalidDBInstanceState', `DB instance ${d.id} is already being deleted.`);
      m.record({ op: 'delete-instance', service: 'rds', id: d.id, status });
      m.startResourceDelete(d, 'DeleteDBInstance', `${d.id} ${d.arn}`, m.durations.clusterDeleteMinutes);
      return { DBInstance: dbInstanceXml(m, d) };
    }
    default:
      throw fault('InvalidParameterValue', `unsupported action ${action}`);
  }
}
