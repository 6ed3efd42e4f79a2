/**
 * The stand-in's in-memory account: clusters, snapshots, shared snapshots, a virtual clock and the
 * fault plan. Statuses move with virtual time only.
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

export interface Timed {
  /** Virtual ms when it becomes available; null = stuck forever. */
  readyAt: number | null;
  /** Virtual ms when it fails (fail mid-way). */
  failAt?: number;
  startedAt: number;
}

export interface ElasticSnapshot extends Timed {
  arn: string;
  name: string;
  clusterArn: string;
  type: 'manual' | 'automated';
  deleting?: boolean;
  createdAt: string;
  tags: Record<string, string>;
}

export interface ClusterSnapshot extends Timed {
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

interface ArmedFault extends Fault {
  left: number;
}

const uuidFrom = (text: string) => {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

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
  /** Most copies seen in flight at once. */
  maxCopiesInFlight = 0;
  readonly description?: string;

  constructor(world: World) {
    this.accountId = world.accountId;
    this.region = world.region;
    this.nowMs = Date.parse(world.now);
    this.durations = world.durations;
    this.quotas = world.quotas;
    this.kmsKeys = world.kmsKeys;
    this.description = world.description;
    this.faults = world.faults.map((f) => ({ ...f, left: f.count ?? Number.POSITIVE_INFINITY }));
    for (const c of world.elasticClusters) {
      const arn = c.arn ?? this.elasticArn('cluster', c.name);
      this.clusters.set(arn, {
        arn,
        name: c.name,
        status: c.status,
        tags: { ...c.tags },
        createMinutes: c.createMinutes,
        createdAt: world.now,
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
          startedAt: Date.parse(s.createdAt),
          readyAt: s.status === 'CREATING' ? null : Date.parse(s.createdAt),
          deleting: s.status === 'DELETING',
        });
      }
    }
    for (const s of world.clusterSnapshots) {
      const ms = Date.parse(s.createdAt);
      this.clusterSnapshots.set(s.id.toLowerCase(), {
        id: s.id.toLowerCase(),
        arn: this.rdsArn(this.accountId, s.id.toLowerCase()),
        clusterId: s.clusterId,
        engine: s.engine,
        type: s.type,
        createdAt: s.createdAt,
        encrypted: s.encrypted,
        kmsKeyId: s.kmsKeyId,
        tags: { ...s.tags },
        startedAt: ms,
        readyAt: s.status === 'available' ? ms : null,
        busyStatus: s.status === 'creating' ? 'creating' : 'copying',
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
  timing(operation: string, subject: string, minutes: number): Timed {
    const startedAt = this.nowMs;
    const f = this.faults.find(
      (x) =>
        x.operation === operation &&
        x.left > 0 &&
        (x.stuck || x.failMidway) &&
        (!x.target || subject.includes(x.target)),
    );
    if (f) f.left--;
    if (f?.stuck) return { startedAt, readyAt: null };
    const readyAt = startedAt + minutes * 60_000;
    if (f?.failMidway) return { startedAt, readyAt, failAt: startedAt + (minutes * 60_000) / 2 };
    return { startedAt, readyAt };
  }

  progress(t: Timed): { state: 'busy' | 'ready' | 'failed'; percent: number } {
    if (t.failAt !== undefined && this.nowMs >= t.failAt) return { state: 'failed', percent: 50 };
    if (t.readyAt !== null && this.nowMs >= t.readyAt) return { state: 'ready', percent: 100 };
    const total = t.readyAt === null ? Number.POSITIVE_INFINITY : t.readyAt - t.startedAt;
    const percent = Number.isFinite(total) && total > 0 ? Math.floor(((this.nowMs - t.startedAt) / total) * 100) : 0;
    return { state: 'busy', percent: Math.min(99, percent) };
  }

  elasticStatus(s: ElasticSnapshot): string {
    if (s.deleting) return 'DELETING';
    const p = this.progress(s).state;
    return p === 'ready' ? 'ACTIVE' : p === 'failed' ? 'INACCESSIBLE_ENCRYPTION_CREDS' : 'CREATING';
  }

  clusterSnapshotStatus(s: ClusterSnapshot): string {
    const p = this.progress(s);
    return p.state === 'ready' ? 'available' : p.state === 'failed' ? 'failed' : s.busyStatus;
  }

  copiesInFlight(): number {
    let n = 0;
    for (const s of this.clusterSnapshots.values()) if (this.clusterSnapshotStatus(s) === 'copying') n++;
    return n;
  }

  count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }

  /** The current state as a world file (with virtual time and statuses as of now). */
  toWorld(): World {
    const clusters = [...this.clusters.values()].map((c) => ({
      name: c.name,
      arn: c.arn,
      status: c.status,
      tags: c.tags,
      ...(c.createMinutes !== undefined ? { createMinutes: c.createMinutes } : {}),
      snapshots: [...this.elasticSnapshots.values()]
        .filter((s) => s.clusterArn === c.arn)
        .map((s) => ({
          name: s.name,
          arn: s.arn,
          type: s.type,
          status:
            this.elasticStatus(s) === 'ACTIVE'
              ? ('ACTIVE' as const)
              : s.deleting
                ? ('DELETING' as const)
                : ('CREATING' as const),
          createdAt: s.createdAt,
          tags: s.tags,
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
      clusterSnapshots: [...this.clusterSnapshots.values()].map((s) => {
        const st = this.clusterSnapshotStatus(s);
        return {
          id: s.id,
          clusterId: s.clusterId,
          engine: s.engine,
          type: s.type,
          status:
            st === 'available'
              ? ('available' as const)
              : st === 'creating'
                ? ('creating' as const)
                : ('copying' as const),
          createdAt: s.createdAt,
          encrypted: s.encrypted,
          ...(s.kmsKeyId ? { kmsKeyId: s.kmsKeyId } : {}),
          tags: s.tags,
        };
      }),
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
      faults: this.faults
        .filter((f) => f.left > 0)
        .map(({ left, ...f }) => ({ ...f, ...(Number.isFinite(left) ? { count: left } : {}) })),
    };
  }
}
