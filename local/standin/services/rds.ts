/**
 * RDS cluster snapshots (query protocol: form-encoded POST, XML answers) as the SDK speaks it.
 */
import type { ClusterSnapshot, Model, SharedSnapshot } from '../model.js';
import { ApiError } from '../api-error.js';
import type { XmlNode } from '../xml.js';
import { text } from '../xml.js';

export const NS = 'http://rds.amazonaws.com/doc/2014-10-31/';

/** Wire codes and statuses of the faults the stand-in answers with. */
export const RDS_ERRORS: Record<string, number> = {
  DBClusterSnapshotAlreadyExistsFault: 400,
  DBClusterSnapshotNotFoundFault: 404,
  InvalidDBClusterSnapshotStateFault: 400,
  InvalidDBClusterStateFault: 400,
  SnapshotQuotaExceeded: 400,
  KMSKeyNotAccessibleFault: 400,
  DBSnapshotNotFound: 404,
  Throttling: 400,
  InvalidParameterValue: 400,
  InvalidParameterCombination: 400,
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

function ownedByArn(m: Model, arn: unknown): ClusterSnapshot {
  for (const s of m.clusterSnapshots.values()) if (s.arn === arn) return s;
  throw fault('DBSnapshotNotFound', `resource ${String(arn)} not found`);
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
      const s = ownedByArn(m, p.ResourceName);
      const add = tagList(p.Tags);
      if (Object.keys({ ...s.tags, ...add }).length > 50) throw fault('InvalidParameterValue', 'a resource can hold at most 50 tags');
      const changed = Object.fromEntries(Object.entries(add).filter(([k, v]) => s.tags[k] !== v));
      Object.assign(s.tags, add);
      if (Object.keys(changed).length > 0) m.record({ op: 'tag', service: 'rds', id: s.id, tags: changed });
      return {};
    }
    case 'RemoveTagsFromResource': {
      const s = ownedByArn(m, p.ResourceName);
      for (const k of (p.TagKeys as string[] | undefined) ?? []) delete s.tags[k];
      return {};
    }
    case 'ListTagsForResource': {
      const s = ownedByArn(m, p.ResourceName);
      return { TagList: Object.entries(s.tags).map(([Key, Value]) => ({ Tag: { Key, Value } })) };
    }
    default:
      throw fault('InvalidParameterValue', `unsupported action ${action}`);
  }
}
