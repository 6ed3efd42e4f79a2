/**
 * The stand-in's in-memory account: clusters, snapshots, shared snapshots, a virtual clock and the
 * fault plan. Statuses move with virtual time only. Every change is also written to an audit log, the
 * ground truth the soak test compares a run's report with.
 */
import { createHash } from 'node:crypto';
import type { Fault, World } from './world.js';

/**
 * The life of a snapshot, cluster or instance in flight, in virtual ms. A create, copy or restore ends at
 * `readyAt` (null: never); with `failAt` it ends failed then instead (in `failStatus` where one was chosen).
 * A delete ends at `goneAt` (null: never).
 */
export interface Lifecycle {
  startedAt: number;
  readyAt: number | null;
  failAt?: number;
  /** The status a failure ends in (clusters and instances; default: the service's usual failed status). */
  failStatus?: string;
  /** Set once deleted (or when the world says it is being deleted). */
  deletingSince?: number;
  goneAt?: number | null;
  /** A status the world gave that no timer produces (e.g. an elastic snapshot left INACCESSIBLE_ENCRYPTION_CREDS). */
  fixedStatus?: string;
}

export interface ElasticCluster {
  arn: string;
  name: string;
  /** The status while no lifecycle runs (a world's cluster; `life` takes over once restored or deleted). */
  status: string;
  tags: Record<string, string>;
  createMinutes?: number;
  createdAt: string;
  /** A restore or delete in flight: the status follows it (elasticClusterStatus). */
  life?: Lifecycle;
  /** Deleted, kept only for the manual snapshots of it that remain: not listed, not found. */
  deleted?: boolean;
  restoredFrom?: string;
  kmsKeyId?: string;
  subnetIds?: string[];
  vpcSecurityGroupIds?: string[];
  shardCapacity?: number;
  shardCount?: number;
  shardInstanceCount?: number;
}

/** An RDS-API DB cluster (instance-based DocumentDB, Aurora), e.g. restored from a cluster snapshot. */
export interface DbCluster extends Lifecycle {
  /** Lower-case identifier. */
  id: string;
  arn: string;
  engine: string;
  createdAt: string;
  restoredFrom?: string;
  subnetGroup?: string;
  vpcSecurityGroupIds: string[];
  encrypted: boolean;
  kmsKeyId?: string;
  deletionProtection: boolean;
  tags: Record<string, string>;
}

/** A DB instance of an RDS-API DB cluster. */
export interface DbInstance extends Lifecycle {
  /** Lower-case identifier. */
  id: string;
  arn: string;
  /** Lower-case identifier of its cluster. */
  clusterId: string;
  instanceClass: string;
  engine: string;
  createdAt: string;
  tags: Record<string, string>;
}

export interface ElasticSnapshot extends Lifecycle {
  arn: string;
  name: string;
  clusterArn: string;
  type: 'manual' | 'automated';
  createdAt: string;
  tags: Record<string, string>;
}

export interface ClusterSnapshot extends Lifecycle {
  id: string;
  arn: string;
  clusterId: string;
  engine: string;
  type: 'manual' | 'automated';
  createdAt: string;
  encrypted: boolean;
  kmsKeyId?: string;
  tags: Record<string, string>;
  source?: string;
  /** 'creating' for a create, 'copying' for a copy. */
  busyStatus: 'creating' | 'copying';
}

export interface SharedSnapshot {
  arn: string;
  owner: string;
  id: string;
  clusterId: string;
  engine: string;
  encrypted: boolean;
  kmsKeyId?: string;
  createdAt: string;
  tags: Record<string, string>;
  copyMinutes?: number;
}

/** One change to the account, as the stand-in saw it. */
export interface AuditEvent {
  at: number;
  /** Snapshots: create, copy, delete, tag. Clusters and instances: restore, delete-cluster, create-instance, delete-instance. */
  op: 'create' | 'copy' | 'delete' | 'tag' | 'restore' | 'delete-cluster' | 'create-instance' | 'delete-instance';
  service: 'docdb-elastic' | 'rds';
  /** Elastic snapshot or cluster ARN, or RDS snapshot, cluster or instance identifier. */
  id: string;
  /** Status just before the change (delete), tags set (create, copy) or added (tag). */
  status?: string;
  tags?: Record<string, string>;
  /** For a copy or restore: its source snapshot ARN, and when it becomes available (null: never). */
  source?: string;
  readyAt?: number | null;
}

interface ArmedFault extends Fault {
  left: number;
}

const uuidFrom = (text: string) => {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

const MINUTE = 60_000;

/** Builds the lifecycle of a snapshot as a world file describes it. */
function lifecycleOf(
  startedAt: number,
  status: string,
  ready: string,
  busy: readonly string[],
  remainingMinutes: number | undefined,
  failInMinutes: number | undefined,
  now: number,
): Lifecycle {
  const end = remainingMinutes === undefined ? null : now + remainingMinutes * MINUTE;
  if (status === ready) return { startedAt, readyAt: startedAt };
  if (busy.includes(status)) {
    return failInMinutes === undefined ? { startedAt, readyAt: end } : { startedAt, readyAt: null, failAt: now + failInMinutes * MINUTE };
  }
  if (status === 'DELETING' || status === 'deleting') return { startedAt, readyAt: startedAt, deletingSince: now, goneAt: end };
  return { startedAt, readyAt: startedAt, fixedStatus: status };
}

/** A failure's end status, as a world file keeps it with failInMinutes. */
const withFailStatus = (life: Lifecycle, endStatus: string | undefined): Lifecycle =>
  life.failAt !== undefined && endStatus !== undefined ? { ...life, failStatus: endStatus } : life;

export class Model {
  readonly accountId: string;
  readonly region: string;
  nowMs: number;
  readonly durations: World['durations'];
  readonly quotas: World['quotas'];
  readonly kmsKeys: string[];
  readonly clusters = new Map<string, ElasticCluster>();
  readonly elasticSnapshots = new Map<string, ElasticSnapshot>();
  /** Owned RDS-API cluster snapshots by lower-case identifier. */
  readonly clusterSnapshots = new Map<string, ClusterSnapshot>();
  readonly shared = new Map<string, SharedSnapshot>();
  /** RDS-API DB clusters and instances by lower-case identifier. */
  readonly dbClusters = new Map<string, DbCluster>();
  readonly dbInstances = new Map<string, DbInstance>();
  /** DB subnet group names that exist (undefined: any name is accepted). */
  readonly dbSubnetGroups?: string[];
  faults: ArmedFault[];
  /** API calls by operation. */
  readonly calls: Record<string, number> = {};
  /** Held answers (latency faults) dropped because the client went away first, by operation. */
  readonly abandoned: Record<string, number> = {};
  /** Every change, in order (the soak test's ground truth). */
  readonly audit: AuditEvent[] = [];
  /** Most copies seen in flight at once. */
  maxCopiesInFlight = 0;
  readonly description?: string;
  /** The rehearsal runs this world has seen (world.runs). */
  runs: World['runs'];

  constructor(world: World) {
    this.accountId = world.accountId;
    this.region = world.region;
    this.nowMs = Date.parse(world.now);
    this.durations = world.durations;
    this.quotas = world.quotas;
    this.kmsKeys = world.kmsKeys;
    this.dbSubnetGroups = world.dbSubnetGroups;
    this.description = world.description;
    this.runs = [...world.runs];
    this.faults = world.faults.map((f) => ({ ...f, left: f.count ?? Number.POSITIVE_INFINITY }));
    for (const c of world.elasticClusters) {
      const arn = c.arn ?? this.elasticArn('cluster', c.name);
      const createdAt = c.createdAt ?? world.now;
      this.clusters.set(arn, {
        arn,
        name: c.name,
        status: c.status,
        tags: { ...c.tags },
        createMinutes: c.createMinutes,
        createdAt,
        ...(!c.deleted && (c.status === 'CREATING' || c.status === 'DELETING')
          ? {
              life: withFailStatus(
                lifecycleOf(Date.parse(createdAt), c.status, 'ACTIVE', ['CREATING'], c.remainingMinutes, c.failInMinutes, this.nowMs),
                c.endStatus,
              ),
            }
          : {}),
        ...(c.deleted ? { deleted: true } : {}),
        restoredFrom: c.restoredFrom,
        kmsKeyId: c.kmsKeyId,
        subnetIds: c.subnetIds,
        vpcSecurityGroupIds: c.vpcSecurityGroupIds,
        shardCapacity: c.shardCapacity,
        shardCount: c.shardCount,
        shardInstanceCount: c.shardInstanceCount,
      });
      for (const s of c.snapshots) {
        const sArn = s.arn ?? this.elasticArn('cluster-snapshot', `${c.name}/${s.name}`);
        this.elasticSnapshots.set(sArn, {
          arn: sArn,
          name: s.name,
          clusterArn: arn,
          type: s.type,
          createdAt: s.createdAt,
          tags: { ...s.tags },
          ...lifecycleOf(
            Date.parse(s.createdAt),
            s.status,
            'ACTIVE',
            ['CREATING', 'COPYING'],
            s.remainingMinutes,
            s.failInMinutes,
            this.nowMs,
          ),
        });
      }
    }
    for (const s of world.clusterSnapshots) {
      const id = s.id.toLowerCase();
      this.clusterSnapshots.set(id, {
        id,
        arn: this.rdsArn(this.accountId, id),
        clusterId: s.clusterId,
        engine: s.engine,
        type: s.type,
        createdAt: s.createdAt,
        encrypted: s.encrypted,
        kmsKeyId: s.kmsKeyId,
        tags: { ...s.tags },
        source: s.source,
        busyStatus: s.status === 'creating' ? 'creating' : 'copying',
        ...lifecycleOf(
          Date.parse(s.createdAt),
          s.status,
          'available',
          ['creating', 'copying'],
          s.remainingMinutes,
          s.failInMinutes,
          this.nowMs,
        ),
      });
    }
    for (const s of world.sharedSnapshots) {
      const arn = this.rdsArn(s.ownerAccount, s.id);
      this.shared.set(arn, {
        arn,
        owner: s.ownerAccount,
        id: s.id,
        clusterId: s.clusterId,
        engine: s.engine,
        encrypted: s.encrypted,
        kmsKeyId: s.kmsKeyId,
        createdAt: s.createdAt,
        tags: { ...s.tags },
        copyMinutes: s.copyMinutes,
      });
    }
    for (const c of world.dbClusters) {
      const id = c.id.toLowerCase();
      const createdAt = c.createdAt ?? world.now;
      this.dbClusters.set(id, {
        id,
        arn: this.rdsResourceArn('cluster', id),
        engine: c.engine,
        createdAt,
        restoredFrom: c.restoredFrom,
        subnetGroup: c.dbSubnetGroupName,
        vpcSecurityGroupIds: [...c.vpcSecurityGroupIds],
        encrypted: c.encrypted,
        kmsKeyId: c.kmsKeyId,
        deletionProtection: c.deletionProtection,
        tags: { ...c.tags },
        ...withFailStatus(
          lifecycleOf(Date.parse(createdAt), c.status, 'available', ['creating'], c.remainingMinutes, c.failInMinutes, this.nowMs),
          c.endStatus,
        ),
      });
      for (const d of c.instances) {
        const iid = d.id.toLowerCase();
        const at = d.createdAt ?? world.now;
        this.dbInstances.set(iid, {
          id: iid,
          arn: this.rdsResourceArn('db', iid),
          clusterId: id,
          instanceClass: d.instanceClass,
          engine: c.engine,
          createdAt: at,
          tags: { ...d.tags },
          ...withFailStatus(
            lifecycleOf(Date.parse(at), d.status, 'available', ['creating'], d.remainingMinutes, d.failInMinutes, this.nowMs),
            d.endStatus,
          ),
        });
      }
    }
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  advance(seconds: number): void {
    this.nowMs += Math.max(0, seconds) * 1000;
  }

  elasticArn(kind: 'cluster' | 'cluster-snapshot', seed: string): string {
    return `arn:aws:docdb-elastic:${this.region}:${this.accountId}:${kind}/${uuidFrom(`${kind}|${this.accountId}|${seed}`)}`;
  }

  rdsArn(account: string, id: string): string {
    return `arn:aws:rds:${this.region}:${account}:cluster-snapshot:${id}`;
  }

  /** ARN of an RDS-API DB cluster (`cluster`) or DB instance (`db`) of this account. */
  rdsResourceArn(kind: 'cluster' | 'db', id: string): string {
    return `arn:aws:rds:${this.region}:${this.accountId}:${kind}:${id}`;
  }

  /** The first armed fault for this operation and request, used up by one. */
  takeFault(operation: string, subject: string): Fault | undefined {
    const f = this.faults.find(
      (x) =>
        x.operation === operation &&
        x.left > 0 &&
        (x.error !== undefined || x.latencyMs !== undefined || x.reset || x.dropResponse) &&
        (!x.target || subject.includes(x.target)),
    );
    if (!f) return undefined;
    f.left--;
    return f;
  }

  /** The first armed stuck or fail-mid-way fault for this operation and subject, used up by one. */
  private takeTimingFault(operation: string, subject: string): Fault | undefined {
    const f = this.faults.find(
      (x) => x.operation === operation && x.left > 0 && (x.stuck || x.failMidway) && (!x.target || subject.includes(x.target)),
    );
    if (f) f.left--;
    return f;
  }

  /**
   * Timing of a new create, copy, restore or instance, honouring stuck and fail-mid-way faults (a fail-mid-way
   * fault's `endStatus` becomes the failure's status).
   */
  timing(operation: string, subject: string, minutes: number): Lifecycle {
    const startedAt = this.nowMs;
    const f = this.takeTimingFault(operation, subject);
    if (f?.stuck) return { startedAt, readyAt: null };
    const readyAt = startedAt + minutes * MINUTE;
    if (f?.failMidway)
      return { startedAt, readyAt: null, failAt: startedAt + (minutes * MINUTE) / 2, ...(f.endStatus ? { failStatus: f.endStatus } : {}) };
    return { startedAt, readyAt };
  }

  /** Starts deleting a cluster or instance: deleting for `minutes` (never, with a stuck fault), then gone. */
  startResourceDelete(life: Lifecycle, operation: string, subject: string, minutes: number): void {
    const f = this.takeTimingFault(operation, subject);
    life.deletingSince = this.nowMs;
    life.goneAt = f?.stuck ? null : this.nowMs + minutes * MINUTE;
  }

  /** Where a snapshot's life stands now. */
  phase(t: Lifecycle): 'busy' | 'ready' | 'failed' | 'deleting' | 'fixed' {
    if (t.deletingSince !== undefined) return 'deleting';
    if (t.fixedStatus !== undefined) return 'fixed';
    if (t.failAt !== undefined && this.nowMs >= t.failAt) return 'failed';
    if (t.readyAt !== null && this.nowMs >= t.readyAt) return 'ready';
    return 'busy';
  }

  /**
   * PercentProgress: how far work in flight has come. Work that has ended (ready, failed, or in a status the
   * world gave) shows 100, whether its failure came from a timer or from a world file: so a failed copy
   * answers the same before and after its world is saved and loaded again.
   */
  percent(t: Lifecycle): number {
    const p = this.phase(t);
    if (p === 'ready' || p === 'deleting' || p === 'fixed' || p === 'failed') return 100;
    const end = t.readyAt ?? t.failAt;
    if (end === undefined || end === null) return 0;
    const total = end - t.startedAt;
    return total > 0 ? Math.min(99, Math.floor(((this.nowMs - t.startedAt) / total) * 100)) : 0;
  }

  elasticStatus(s: ElasticSnapshot): string {
    switch (this.phase(s)) {
      case 'deleting':
        return 'DELETING';
      case 'fixed':
        return s.fixedStatus as string;
      case 'failed':
        return 'INACCESSIBLE_ENCRYPTION_CREDS';
      case 'ready':
        return 'ACTIVE';
      default:
        return 'CREATING';
    }
  }

  /** An elastic cluster's status: the world's while no lifecycle runs, else where its restore or delete stands. */
  elasticClusterStatus(c: ElasticCluster): string {
    if (!c.life) return c.status;
    switch (this.phase(c.life)) {
      case 'deleting':
        return 'DELETING';
      case 'fixed':
        return c.life.fixedStatus as string;
      case 'failed':
        return c.life.failStatus ?? 'INACCESSIBLE_ENCRYPTION_CREDS';
      case 'ready':
        return 'ACTIVE';
      default:
        return 'CREATING';
    }
  }

  /** An RDS-API DB cluster's or instance's status (both go creating → available, deleting, or a failed status). */
  dbStatus(r: DbCluster | DbInstance): string {
    switch (this.phase(r)) {
      case 'deleting':
        return 'deleting';
      case 'fixed':
        return r.fixedStatus as string;
      case 'failed':
        return r.failStatus ?? 'failed';
      case 'ready':
        return 'available';
      default:
        return 'creating';
    }
  }

  /** The elastic clusters that exist (not the records kept for the snapshots of deleted ones). */
  liveClusters(): ElasticCluster[] {
    return [...this.clusters.values()].filter((c) => !c.deleted);
  }

  clusterSnapshotStatus(s: ClusterSnapshot): string {
    switch (this.phase(s)) {
      case 'deleting':
        return 'deleting';
      case 'fixed':
        return s.fixedStatus as string;
      case 'failed':
        return 'failed';
      case 'ready':
        return 'available';
      default:
        return s.busyStatus;
    }
  }

  /** Removes what finished deleting. Called before every request and before saving. */
  purge(): void {
    const gone = (t: Lifecycle) => t.deletingSince !== undefined && t.goneAt !== null && t.goneAt !== undefined && this.nowMs >= t.goneAt;
    for (const [k, s] of this.elasticSnapshots) if (gone(s)) this.elasticSnapshots.delete(k);
    for (const [k, s] of this.clusterSnapshots) if (gone(s)) this.clusterSnapshots.delete(k);
    for (const [k, c] of this.clusters) {
      if (!c.life || !gone(c.life)) continue;
      // Automated snapshots go with the cluster; manual ones stay, and the cluster's record with them.
      for (const [sk, s] of this.elasticSnapshots) if (s.clusterArn === k && s.type === 'automated') this.elasticSnapshots.delete(sk);
      if ([...this.elasticSnapshots.values()].some((s) => s.clusterArn === k)) {
        c.deleted = true;
        c.status = 'DELETING';
        delete c.life;
      } else this.clusters.delete(k);
    }
    for (const [k, d] of this.dbInstances) if (gone(d)) this.dbInstances.delete(k);
    for (const [k, c] of this.dbClusters) {
      if (!gone(c)) continue;
      this.dbClusters.delete(k);
      for (const [ik, d] of this.dbInstances) if (d.clusterId === k) this.dbInstances.delete(ik);
    }
  }

  /** Starts deleting a snapshot: it shows DELETING for `minutes`, then disappears (0: at once). */
  startDelete(map: Map<string, Lifecycle>, key: string, minutes: number): void {
    const s = map.get(key);
    if (!s) return;
    if (minutes <= 0) map.delete(key);
    else Object.assign(s, { deletingSince: this.nowMs, goneAt: this.nowMs + minutes * MINUTE });
  }

  copiesInFlight(): number {
    let n = 0;
    for (const s of this.clusterSnapshots.values()) if (this.clusterSnapshotStatus(s) === 'copying') n++;
    return n;
  }

  abandon(op: string): void {
    this.abandoned[op] = (this.abandoned[op] ?? 0) + 1;
  }

  count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }

  record(e: Omit<AuditEvent, 'at'>): void {
    this.audit.push({ at: this.nowMs, ...e });
  }

  /** The time left of work in flight, as a world file keeps it. */
  private remaining(t: Lifecycle): { remainingMinutes?: number; failInMinutes?: number } {
    const left = (end: number) => Math.max(0, (end - this.nowMs) / MINUTE);
    const p = this.phase(t);
    if (p === 'deleting') return t.goneAt === null || t.goneAt === undefined ? {} : { remainingMinutes: left(t.goneAt) };
    if (p !== 'busy') return {};
    if (t.failAt !== undefined) return { failInMinutes: left(t.failAt) };
    return t.readyAt === null ? {} : { remainingMinutes: left(t.readyAt) };
  }

  /** Work in flight as a world file keeps it, with the status a failure in flight ends in. */
  private inFlight(t: Lifecycle): { remainingMinutes?: number; failInMinutes?: number; endStatus?: string } {
    const r = this.remaining(t);
    return r.failInMinutes !== undefined && t.failStatus !== undefined ? { ...r, endStatus: t.failStatus } : r;
  }

  /** The current state as a world file (virtual time, statuses and work in flight as of now). */
  toWorld(): World {
    this.purge();
    type ElasticStatus = World['elasticClusters'][number]['status'];
    const clusters = [...this.clusters.values()].map((c) => ({
      name: c.name,
      arn: c.arn,
      status: this.elasticClusterStatus(c) as ElasticStatus,
      createdAt: c.createdAt,
      tags: c.tags,
      ...(c.createMinutes !== undefined ? { createMinutes: c.createMinutes } : {}),
      ...(c.life ? (this.inFlight(c.life) as { endStatus?: ElasticStatus }) : {}),
      ...(c.deleted ? { deleted: true } : {}),
      ...(c.restoredFrom !== undefined ? { restoredFrom: c.restoredFrom } : {}),
      ...(c.kmsKeyId !== undefined ? { kmsKeyId: c.kmsKeyId } : {}),
      ...(c.subnetIds !== undefined ? { subnetIds: c.subnetIds } : {}),
      ...(c.vpcSecurityGroupIds !== undefined ? { vpcSecurityGroupIds: c.vpcSecurityGroupIds } : {}),
      ...(c.shardCapacity !== undefined ? { shardCapacity: c.shardCapacity } : {}),
      ...(c.shardCount !== undefined ? { shardCount: c.shardCount } : {}),
      ...(c.shardInstanceCount !== undefined ? { shardInstanceCount: c.shardInstanceCount } : {}),
      snapshots: [...this.elasticSnapshots.values()]
        .filter((s) => s.clusterArn === c.arn)
        .map((s) => ({
          name: s.name,
          arn: s.arn,
          type: s.type,
          status: this.elasticStatus(s) as World['elasticClusters'][number]['snapshots'][number]['status'],
          createdAt: s.createdAt,
          tags: s.tags,
          ...this.remaining(s),
        })),
    }));
    return {
      ...(this.description ? { description: this.description } : {}),
      accountId: this.accountId,
      region: this.region,
      now: this.now().toISOString(),
      durations: this.durations,
      quotas: this.quotas,
      kmsKeys: this.kmsKeys,
      elasticClusters: clusters,
      clusterSnapshots: [...this.clusterSnapshots.values()].map((s) => ({
        id: s.id,
        clusterId: s.clusterId,
        engine: s.engine,
        type: s.type,
        status: this.clusterSnapshotStatus(s) as World['clusterSnapshots'][number]['status'],
        createdAt: s.createdAt,
        encrypted: s.encrypted,
        ...(s.kmsKeyId ? { kmsKeyId: s.kmsKeyId } : {}),
        ...(s.source ? { source: s.source } : {}),
        tags: s.tags,
        ...this.remaining(s),
      })),
      sharedSnapshots: [...this.shared.values()].map((s) => ({
        ownerAccount: s.owner,
        id: s.id,
        clusterId: s.clusterId,
        engine: s.engine,
        encrypted: s.encrypted,
        ...(s.kmsKeyId ? { kmsKeyId: s.kmsKeyId } : {}),
        createdAt: s.createdAt,
        tags: s.tags,
        ...(s.copyMinutes !== undefined ? { copyMinutes: s.copyMinutes } : {}),
      })),
      dbClusters: [...this.dbClusters.values()].map((c) => ({
        id: c.id,
        engine: c.engine,
        status: this.dbStatus(c) as World['dbClusters'][number]['status'],
        createdAt: c.createdAt,
        ...(c.restoredFrom !== undefined ? { restoredFrom: c.restoredFrom } : {}),
        ...(c.subnetGroup !== undefined ? { dbSubnetGroupName: c.subnetGroup } : {}),
        vpcSecurityGroupIds: c.vpcSecurityGroupIds,
        encrypted: c.encrypted,
        ...(c.kmsKeyId !== undefined ? { kmsKeyId: c.kmsKeyId } : {}),
        deletionProtection: c.deletionProtection,
        tags: c.tags,
        ...(this.inFlight(c) as { endStatus?: World['dbClusters'][number]['status'] }),
        instances: [...this.dbInstances.values()]
          .filter((d) => d.clusterId === c.id)
          .map((d) => ({
            id: d.id,
            instanceClass: d.instanceClass,
            status: this.dbStatus(d) as World['dbClusters'][number]['instances'][number]['status'],
            createdAt: d.createdAt,
            tags: d.tags,
            ...(this.inFlight(d) as { endStatus?: World['dbClusters'][number]['instances'][number]['status'] }),
          })),
      })),
      ...(this.dbSubnetGroups ? { dbSubnetGroups: this.dbSubnetGroups } : {}),
      runs: this.runs,
      faults: this.faults.filter((f) => f.left > 0).map(({ left, ...f }) => ({ ...f, ...(Number.isFinite(left) ? { count: left } : {}) })),
    };
  }
}
