/**
 * The stand-in's in-memory account: clusters, snapshots, shared snapshots, a virtual clock and the
 * fault plan. Statuses move with virtual time only. Every change is also written to an audit log, the
 * ground truth the soak test compares a run's report with.
 */
import { createHash } from 'node:crypto';
import type { Fault, World } from './world.js';

export interface ElasticCluster {
  arn: string;
  name: string;
  status: string;
  tags: Record<string, string>;
  createMinutes?: number;
  createdAt: string;
}

/**
 * The life of a snapshot in flight, in virtual ms. A create or copy ends at `readyAt` (null: never);
 * with `failAt` it ends failed then instead. A delete ends at `goneAt` (null: never).
 */
export interface Lifecycle {
  startedAt: number;
  readyAt: number | null;
  failAt?: number;
  /** Set once deleted (or when the world says it is being deleted). */
  deletingSince?: number;
  goneAt?: number | null;
  /** A status the world gave that no timer produces (e.g. an elastic snapshot left INACCESSIBLE_ENCRYPTION_CREDS). */
  fixedStatus?: string;
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
  op: 'create' | 'copy' | 'delete' | 'tag';
  service: 'docdb-elastic' | 'rds';
  /** Elastic snapshot ARN, or RDS snapshot identifier. */
  id: string;
  /** Status just before the change (delete), tags set (create, copy) or added (tag). */
  status?: string;
  tags?: Record<string, string>;
  /** For a copy: its source ARN, and when it becomes available (null: never). */
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
  faults: ArmedFault[];
  /** API calls by operation. */
  readonly calls: Record<string, number> = {};
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
    this.description = world.description;
    this.runs = [...world.runs];
    this.faults = world.faults.map((f) => ({ ...f, left: f.count ?? Number.POSITIVE_INFINITY }));
    for (const c of world.elasticClusters) {
      const arn = c.arn ?? this.elasticArn('cluster', c.name);
      this.clusters.set(arn, {
        arn,
        name: c.name,
        status: c.status,
        tags: { ...c.tags },
        createMinutes: c.createMinutes,
        createdAt: c.createdAt ?? world.now,
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

  /** Timing of a new create or copy, honouring stuck and fail-mid-way faults. */
  timing(operation: string, subject: string, minutes: number): Lifecycle {
    const startedAt = this.nowMs;
    const f = this.faults.find(
      (x) => x.operation === operation && x.left > 0 && (x.stuck || x.failMidway) && (!x.target || subject.includes(x.target)),
    );
    if (f) f.left--;
    if (f?.stuck) return { startedAt, readyAt: null };
    const readyAt = startedAt + minutes * MINUTE;
    if (f?.failMidway) return { startedAt, readyAt: null, failAt: startedAt + (minutes * MINUTE) / 2 };
    return { startedAt, readyAt };
  }

  /** Where a snapshot's life stands now. */
  phase(t: Lifecycle): 'busy' | 'ready' | 'failed' | 'deleting' | 'fixed' {
    if (t.deletingSince !== undefined) return 'deleting';
    if (t.fixedStatus !== undefined) return 'fixed';
    if (t.failAt !== undefined && this.nowMs >= t.failAt) return 'failed';
    if (t.readyAt !== null && this.nowMs >= t.readyAt) return 'ready';
    return 'busy';
  }

  percent(t: Lifecycle): number {
    const p = this.phase(t);
    if (p === 'ready' || p === 'deleting' || p === 'fixed') return 100;
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

  /** The current state as a world file (virtual time, statuses and work in flight as of now). */
  toWorld(): World {
    this.purge();
    const clusters = [...this.clusters.values()].map((c) => ({
      name: c.name,
      arn: c.arn,
      status: c.status as World['elasticClusters'][number]['status'],
      createdAt: c.createdAt,
      tags: c.tags,
      ...(c.createMinutes !== undefined ? { createMinutes: c.createMinutes } : {}),
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
      runs: this.runs,
      faults: this.faults.filter((f) => f.left > 0).map(({ left, ...f }) => ({ ...f, ...(Number.isFinite(left) ? { count: left } : {}) })),
    };
  }
}
