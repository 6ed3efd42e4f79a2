/**
 * Indexes of the stand-in's elastic snapshots, so a request costs what it touches, not the account:
 * one cluster's snapshots, a name's owner, the count of manual snapshots. At 10,000 clusters with 31
 * snapshots each a scan per request would make the bench take hours. The index is the model's own map
 * (a Map that keeps its indexes on set and delete), swapped in on first use; every other reader of the
 * map sees a plain Map.
 */
import type { ElasticSnapshot, Model } from './model.js';

export class IndexedSnapshots extends Map<string, ElasticSnapshot> {
  private readonly byCluster = new Map<string, Set<ElasticSnapshot>>();
  private readonly byName = new Map<string, ElasticSnapshot>();
  private manual = 0;

  constructor(entries?: Iterable<readonly [string, ElasticSnapshot]>) {
    super();
    for (const [k, v] of entries ?? []) this.set(k, v);
  }

  override set(key: string, value: ElasticSnapshot): this {
    this.unindex(key);
    super.set(key, value);
    let set = this.byCluster.get(value.clusterArn);
    if (!set) this.byCluster.set(value.clusterArn, (set = new Set()));
    set.add(value);
    this.byName.set(value.name.toLowerCase(), value);
    if (value.type === 'manual') this.manual++;
    return this;
  }

  override delete(key: string): boolean {
    this.unindex(key);
    return super.delete(key);
  }

  override clear(): void {
    super.clear();
    this.byCluster.clear();
    this.byName.clear();
    this.manual = 0;
  }

  private unindex(key: string): void {
    const old = super.get(key);
    if (!old) return;
    this.byCluster.get(old.clusterArn)?.delete(old);
    if (this.byName.get(old.name.toLowerCase()) === old) this.byName.delete(old.name.toLowerCase());
    if (old.type === 'manual') this.manual--;
  }

  ofCluster(clusterArn: string): ElasticSnapshot[] {
    return [...(this.byCluster.get(clusterArn) ?? [])];
  }

  named(lowerName: string): ElasticSnapshot | undefined {
    return this.byName.get(lowerName);
  }

  get manualCount(): number {
    return this.manual;
  }
}

function indexed(m: Model): IndexedSnapshots {
  if (m.elasticSnapshots instanceof IndexedSnapshots) return m.elasticSnapshots;
  const index = new IndexedSnapshots(m.elasticSnapshots);
  (m as { elasticSnapshots: Map<string, ElasticSnapshot> }).elasticSnapshots = index;
  return index;
}

/** The account's elastic snapshots, or one cluster's (in the order they were made). */
export function elasticSnapshotsOf(m: Model, clusterArn?: string | null): ElasticSnapshot[] {
  return clusterArn ? indexed(m).ofCluster(clusterArn) : [...m.elasticSnapshots.values()];
}

/** The elastic snapshot with this name (names are unique, in any case), if any. */
export function elasticSnapshotNamed(m: Model, name: string): ElasticSnapshot | undefined {
  return indexed(m).named(name.toLowerCase());
}

/** How many manual elastic snapshots the account holds (the quota counts them). */
export function manualElasticSnapshots(m: Model): number {
  return indexed(m).manualCount;
}
