/**
 * docdb-elastic (REST-JSON) as the SDK speaks it: paths and methods from the service model, errors
 * as `x-amzn-errortype` plus a JSON body, 429 with Retry-After.
 */
import { ApiError } from '../api-error.js';
import { elasticSnapshotNamed, elasticSnapshotsOf, manualElasticSnapshots } from '../snapshot-index.js';
import type { ElasticCluster, ElasticSnapshot, Model } from '../model.js';

export const ELASTIC_STATUS: Record<string, number> = {
  ValidationException: 400,
  ServiceQuotaExceededException: 402,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  ThrottlingException: 429,
  InternalServerException: 500,
};

export interface ElasticRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

interface Route {
  op: string;
  method: string;
  re: RegExp;
}

const ROUTES: Route[] = [
  { op: 'ListClusters', method: 'GET', re: /^\/clusters$/ },
  { op: 'GetCluster', method: 'GET', re: /^\/cluster\/([^/]+)$/ },
  { op: 'DeleteCluster', method: 'DELETE', re: /^\/cluster\/([^/]+)$/ },
  { op: 'RestoreClusterFromSnapshot', method: 'POST', re: /^\/cluster-snapshot\/([^/]+)\/restore$/ },
  { op: 'CreateClusterSnapshot', method: 'POST', re: /^\/cluster-snapshot$/ },
  { op: 'CopyClusterSnapshot', method: 'POST', re: /^\/cluster-snapshot\/([^/]+)\/copy$/ },
  { op: 'GetClusterSnapshot', method: 'GET', re: /^\/cluster-snapshot\/([^/]+)$/ },
  { op: 'DeleteClusterSnapshot', method: 'DELETE', re: /^\/cluster-snapshot\/([^/]+)$/ },
  { op: 'ListClusterSnapshots', method: 'GET', re: /^\/cluster-snapshots$/ },
  { op: 'TagResource', method: 'POST', re: /^\/tags\/([^/]+)$/ },
  { op: 'UntagResource', method: 'DELETE', re: /^\/tags\/([^/]+)$/ },
  { op: 'ListTagsForResource', method: 'GET', re: /^\/tags\/([^/]+)$/ },
];

export function routeElastic(req: ElasticRequest): { op: string; param?: string } | undefined {
  for (const r of ROUTES) {
    const m = r.method === req.method ? r.re.exec(req.path) : null;
    if (m) return { op: r.op, param: m[1] ? decodeURIComponent(m[1]) : undefined };
  }
  return undefined;
}

const validation = (message: string, field?: string) =>
  new ApiError('ValidationException', 400, message, {
    reason: 'fieldValidationFailed',
    ...(field ? { fieldList: [{ name: field, message }] } : {}),
  });

const NAME_RE = /^[a-zA-Z][a-zA-Z0-9-]*$/;
function checkSnapshotName(name: unknown, field: string): string {
  if (typeof name !== 'string' || name.length < 1 || name.length > 63) throw validation(`${field} must be 1-63 characters`, field);
  if (!NAME_RE.test(name) || name.includes('--') || name.endsWith('-')) {
    throw validation(`${field} must start with a letter and hold letters, digits and single hyphens, not ending in one`, field);
  }
  return name;
}

const TAG_KEY_RE = /^(?!aws:)[a-zA-Z+-=._:/]+$/;
function checkTags(tags: unknown): Record<string, string> {
  if (tags === undefined) return {};
  if (typeof tags !== 'object' || tags === null) throw validation('tags must be a map', 'tags');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    if (k.length < 1 || k.length > 128 || !TAG_KEY_RE.test(k)) throw validation(`tag key "${k}" is not valid`, 'tags');
    if (typeof v !== 'string' || v.length > 256) throw validation(`tag value of "${k}" is not valid`, 'tags');
    out[k] = v;
  }
  return out;
}

function page<T>(items: T[], query: URLSearchParams, min: number, max: number, dflt: number) {
  const raw = query.get('maxResults');
  const size = raw === null ? dflt : Number(raw);
  if (!Number.isInteger(size) || size < min || size > max) throw validation(`maxResults must be ${min}-${max}`, 'maxResults');
  const start = Number(query.get('nextToken') ?? 0);
  if (!Number.isInteger(start) || start < 0) throw validation('nextToken is not valid', 'nextToken');
  const slice = items.slice(start, start + size);
  return { slice, nextToken: start + size < items.length ? String(start + size) : undefined };
}

function snapshotOut(m: Model, s: ElasticSnapshot, statusOverride?: string) {
  const cluster = m.clusters.get(s.clusterArn);
  return {
    adminUserName: 'docdbadmin',
    clusterArn: s.clusterArn,
    clusterCreationTime: cluster?.createdAt ?? s.createdAt,
    kmsKeyId: 'AWS_OWNED_KMS_KEY',
    snapshotArn: s.arn,
    snapshotCreationTime: s.createdAt,
    snapshotName: s.name,
    snapshotType: s.type === 'manual' ? 'MANUAL' : 'AUTOMATED',
    status: statusOverride ?? m.elasticStatus(s),
    subnetIds: ['subnet-0standin'],
    vpcSecurityGroupIds: ['sg-0standin'],
  };
}

function findSnapshot(m: Model, arn: string | undefined): ElasticSnapshot {
  const s = arn ? m.elasticSnapshots.get(arn) : undefined;
  if (!s)
    throw new ApiError('ResourceNotFoundException', 404, `snapshot ${arn} not found`, {
      resourceId: arn,
      resourceType: 'cluster-snapshot',
    });
  return s;
}

function findCluster(m: Model, arn: string | undefined): ElasticCluster {
  const c = arn ? m.clusters.get(arn) : undefined;
  if (!c || c.deleted)
    throw new ApiError('ResourceNotFoundException', 404, `cluster ${arn} not found`, {
      resourceId: arn,
      resourceType: 'cluster',
    });
  return c;
}

/** The model's Cluster shape. Restored clusters report what the restore asked for; others the stand-in's defaults. */
function clusterOut(m: Model, c: ElasticCluster, statusOverride?: string) {
  return {
    adminUserName: 'docdbadmin',
    authType: 'PLAIN_TEXT',
    clusterArn: c.arn,
    clusterEndpoint: `${c.name}.standin.local`,
    clusterName: c.name,
    createTime: c.createdAt,
    kmsKeyId: c.kmsKeyId ?? 'AWS_OWNED_KMS_KEY',
    preferredMaintenanceWindow: 'sun:02:00-sun:02:30',
    shardCapacity: c.shardCapacity ?? 2,
    shardCount: c.shardCount ?? 1,
    ...(c.shardInstanceCount !== undefined ? { shardInstanceCount: c.shardInstanceCount } : {}),
    status: statusOverride ?? m.elasticClusterStatus(c),
    subnetIds: c.subnetIds ?? ['subnet-0standin'],
    vpcSecurityGroupIds: c.vpcSecurityGroupIds ?? ['sg-0standin'],
  };
}

const SHARD_CAPACITIES = [2, 4, 8, 16, 32, 64];
/** Statuses of an elastic cluster that is busy: a delete then answers ConflictException. */
const BUSY = ['CREATING', 'UPDATING', 'MODIFYING', 'MERGING', 'SPLITTING', 'COPYING', 'STARTING', 'STOPPING', 'STOPPED', 'MAINTENANCE'];

function stringList(v: unknown, field: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw validation(`${field} must be a list of strings`, field);
  return [...(v as string[])];
}

function restoreCluster(m: Model, snapshotArn: string | undefined, body: Record<string, unknown>) {
  const name = checkSnapshotName(body.clusterName, 'clusterName').toLowerCase();
  const tags = checkTags(body.tags);
  const { shardCapacity, shardInstanceCount, kmsKeyId } = body;
  if (shardCapacity !== undefined && !SHARD_CAPACITIES.includes(shardCapacity as number))
    throw validation(`shardCapacity must be one of ${SHARD_CAPACITIES.join(', ')}`, 'shardCapacity');
  if (
    shardInstanceCount !== undefined &&
    !(Number.isInteger(shardInstanceCount) && (shardInstanceCount as number) >= 1 && (shardInstanceCount as number) <= 16)
  )
    throw validation('shardInstanceCount must be 1-16', 'shardInstanceCount');
  if (kmsKeyId !== undefined && typeof kmsKeyId !== 'string') throw validation('kmsKeyId must be a string', 'kmsKeyId');
  const subnetIds = stringList(body.subnetIds, 'subnetIds');
  const vpcSecurityGroupIds = stringList(body.vpcSecurityGroupIds, 'vpcSecurityGroupIds');
  const snap = findSnapshot(m, snapshotArn);
  const snapStatus = m.elasticStatus(snap);
  // Not documented: a snapshot that is not ACTIVE is treated as a conflict with its state (docs/aws-behaviour.md).
  if (snapStatus !== 'ACTIVE')
    throw new ApiError('ConflictException', 409, `snapshot ${snap.name} is ${snapStatus}`, {
      resourceId: snap.arn,
      resourceType: 'cluster-snapshot',
    });
  const clash = m.liveClusters().find((c) => c.name.toLowerCase() === name);
  if (clash)
    throw new ApiError('ConflictException', 409, `a cluster named ${name} already exists`, {
      resourceId: clash.arn,
      resourceType: 'cluster',
    });
  if (m.quotas.elasticClusters !== undefined && m.liveClusters().length >= m.quotas.elasticClusters)
    throw new ApiError('ServiceQuotaExceededException', 402, `elastic cluster quota of ${m.quotas.elasticClusters} reached`);
  const source = m.clusters.get(snap.clusterArn);
  // A new ARN, even for a name restored again at the same virtual moment (the record of a deleted cluster may remain).
  let arn = m.elasticArn('cluster', `restore|${name}|${m.nowMs}`);
  for (let n = 1; m.clusters.has(arn); n++) arn = m.elasticArn('cluster', `restore|${name}|${m.nowMs}|${n}`);
  let life = m.timing('RestoreClusterFromSnapshot', `${snap.arn} ${name}`, m.durations.restoreMinutes);
  // A key the account cannot use: the restore starts, and the cluster ends INACCESSIBLE_ENCRYPTION_CREDS (assumed).
  if (kmsKeyId !== undefined && kmsKeyId !== 'AWS_OWNED_KMS_KEY' && !m.kmsKeys.includes(kmsKeyId) && life.readyAt !== null) {
    life = {
      startedAt: life.startedAt,
      readyAt: null,
      failAt: (life.startedAt + life.readyAt) / 2,
      failStatus: 'INACCESSIBLE_ENCRYPTION_CREDS',
    };
  }
  const c: ElasticCluster = {
    arn,
    name,
    status: 'ACTIVE',
    tags,
    createdAt: m.now().toISOString(),
    life,
    restoredFrom: snap.arn,
    kmsKeyId: kmsKeyId ?? 'AWS_OWNED_KMS_KEY',
    subnetIds: subnetIds ?? source?.subnetIds ?? ['subnet-0standin'],
    vpcSecurityGroupIds: vpcSecurityGroupIds ?? source?.vpcSecurityGroupIds ?? ['sg-0standin'],
    shardCapacity: (shardCapacity as number | undefined) ?? source?.shardCapacity ?? 2,
    shardCount: source?.shardCount ?? 1,
    shardInstanceCount: (shardInstanceCount as number | undefined) ?? source?.shardInstanceCount ?? 2,
  };
  m.clusters.set(arn, c);
  m.record({ op: 'restore', service: 'docdb-elastic', id: arn, tags: { ...tags }, source: snap.arn, readyAt: life.readyAt });
  return c;
}

function tagsOf(m: Model, arn: string | undefined): Record<string, string> {
  if (!arn) throw validation('resourceArn is required', 'resourceArn');
  const c = m.clusters.get(arn);
  if (c && !c.deleted) return c.tags;
  const s = m.elasticSnapshots.get(arn);
  if (s) return s.tags;
  throw new ApiError('ResourceNotFoundException', 404, `resource ${arn} not found`, {
    resourceId: arn,
    resourceType: 'resource',
  });
}

function createSnapshot(
  m: Model,
  clusterArn: string,
  name: string,
  tags: Record<string, string>,
  op: string,
  minutes: number,
): ElasticSnapshot {
  const same = elasticSnapshotNamed(m, name);
  if (same) {
    throw new ApiError('ConflictException', 409, `a snapshot named ${name} already exists`, {
      resourceId: same.arn,
      resourceType: 'cluster-snapshot',
    });
  }
  const manual = manualElasticSnapshots(m);
  if (manual >= m.quotas.elasticSnapshots) {
    throw new ApiError('ServiceQuotaExceededException', 402, `manual snapshot quota of ${m.quotas.elasticSnapshots} reached`);
  }
  const arn = m.elasticArn('cluster-snapshot', `${clusterArn}/${name}/${m.nowMs}`);
  const s: ElasticSnapshot = {
    arn,
    name,
    clusterArn,
    type: 'manual',
    createdAt: m.now().toISOString(),
    tags,
    ...m.timing(op, `${clusterArn} ${name}`, minutes),
  };
  m.elasticSnapshots.set(arn, s);
  m.record({ op: 'create', service: 'docdb-elastic', id: arn, tags: { ...tags } });
  return s;
}

export function handleElastic(m: Model, op: string, param: string | undefined, req: ElasticRequest): unknown {
  switch (op) {
    case 'ListClusters': {
      const { slice, nextToken } = page(m.liveClusters(), req.query, 1, 100, 100);
      return {
        clusters: slice.map((c) => ({ clusterArn: c.arn, clusterName: c.name, status: m.elasticClusterStatus(c) })),
        ...(nextToken ? { nextToken } : {}),
      };
    }
    case 'GetCluster':
      return { cluster: clusterOut(m, findCluster(m, param)) };
    case 'RestoreClusterFromSnapshot':
      return { cluster: clusterOut(m, restoreCluster(m, param, req.body)) };
    case 'DeleteCluster': {
      const c = findCluster(m, param);
      const status = m.elasticClusterStatus(c);
      // The model marks DeleteCluster idempotent: a second delete while DELETING answers as the first.
      if (status === 'DELETING') return { cluster: clusterOut(m, c) };
      // Mid-create or mid-change (alchemy's live tests), and STOPPED ("cannot be modified in any way. This includes deleting").
      if (BUSY.includes(status))
        throw new ApiError('ConflictException', 409, `cluster ${c.name} is ${status}`, {
          resourceId: c.arn,
          resourceType: 'cluster',
        });
      m.record({ op: 'delete-cluster', service: 'docdb-elastic', id: c.arn, status });
      c.life ??= { startedAt: m.nowMs, readyAt: m.nowMs };
      m.startResourceDelete(c.life, 'DeleteCluster', `${c.arn} ${c.name}`, m.durations.clusterDeleteMinutes);
      return { cluster: clusterOut(m, c, 'DELETING') };
    }
    case 'CreateClusterSnapshot': {
      const clusterArn = req.body.clusterArn;
      if (typeof clusterArn !== 'string') throw validation('clusterArn is required', 'clusterArn');
      const name = checkSnapshotName(req.body.snapshotName, 'snapshotName');
      const tags = checkTags(req.body.tags);
      const c = findCluster(m, clusterArn);
      const status = m.elasticClusterStatus(c);
      if (status !== 'ACTIVE')
        throw new ApiError('ConflictException', 409, `cluster ${c.name} is ${status}`, {
          resourceId: clusterArn,
          resourceType: 'cluster',
        });
      const minutes = c.createMinutes ?? m.durations.createMinutes;
      return { snapshot: snapshotOut(m, createSnapshot(m, clusterArn, name, tags, op, minutes)) };
    }
    case 'CopyClusterSnapshot': {
      const src = findSnapshot(m, param);
      const name = checkSnapshotName(req.body.targetSnapshotName, 'targetSnapshotName');
      const tags = { ...(req.body.copyTags === true ? src.tags : {}), ...checkTags(req.body.tags) };
      return { snapshot: snapshotOut(m, createSnapshot(m, src.clusterArn, name, tags, op, m.durations.copyMinutes)) };
    }
    case 'GetClusterSnapshot':
      return { snapshot: snapshotOut(m, findSnapshot(m, param)) };
    case 'DeleteClusterSnapshot': {
      const s = findSnapshot(m, param);
      const status = m.elasticStatus(s);
      if (s.type === 'automated')
        throw new ApiError('ConflictException', 409, 'automated snapshots cannot be deleted', {
          resourceId: s.arn,
          resourceType: 'cluster-snapshot',
        });
      // The model marks DeleteClusterSnapshot idempotent: a second delete while DELETING answers as the first.
      if (status === 'DELETING') return { snapshot: snapshotOut(m, s) };
      if (status === 'CREATING' || status === 'COPYING')
        throw new ApiError('ConflictException', 409, `snapshot is ${status}`, {
          resourceId: s.arn,
          resourceType: 'cluster-snapshot',
        });
      m.record({ op: 'delete', service: 'docdb-elastic', id: s.arn, status });
      const out = snapshotOut(m, s, 'DELETING');
      m.startDelete(m.elasticSnapshots, s.arn, m.durations.elasticDeleteMinutes);
      return { snapshot: out };
    }
    case 'ListClusterSnapshots': {
      const clusterArn = req.query.get('clusterArn');
      const type = req.query.get('snapshotType')?.toLowerCase();
      const all = elasticSnapshotsOf(m, clusterArn).filter((s) => !type || s.type === type);
      const { slice, nextToken } = page(all, req.query, 20, 100, 100);
      return {
        snapshots: slice.map((s) => ({
          clusterArn: s.clusterArn,
          snapshotArn: s.arn,
          snapshotCreationTime: s.createdAt,
          snapshotName: s.name,
          status: m.elasticStatus(s),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    }
    case 'TagResource': {
      const tags = tagsOf(m, param);
      const add = checkTags(req.body.tags);
      if (Object.keys({ ...tags, ...add }).length > 50) throw validation('a resource can hold at most 50 tags', 'tags');
      const changed = Object.fromEntries(Object.entries(add).filter(([k, v]) => tags[k] !== v));
      Object.assign(tags, add);
      if (Object.keys(changed).length > 0 && m.elasticSnapshots.has(param ?? '')) {
        m.record({ op: 'tag', service: 'docdb-elastic', id: param ?? '', tags: changed });
      }
      return {};
    }
    case 'UntagResource': {
      const tags = tagsOf(m, param);
      const keys = req.query.getAll('tagKeys');
      if (keys.length > 50) throw validation('at most 50 tag keys', 'tagKeys');
      for (const k of keys) delete tags[k];
      return {};
    }
    case 'ListTagsForResource':
      return { tags: { ...tagsOf(m, param) } };
    default:
      throw validation(`unknown operation ${op}`);
  }
}
