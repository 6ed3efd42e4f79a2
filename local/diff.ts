/** What a run changed, from the stand-in's world before and after. */
import type { World } from './standin/world.js';

export interface WorldDiff {
  created: string[];
  copied: string[];
  deleted: string[];
  tagged: string[];
}

function index(w: World): Map<string, { tags: Record<string, string>; copy: boolean }> {
  const m = new Map<string, { tags: Record<string, string>; copy: boolean }>();
  for (const c of w.elasticClusters) for (const s of c.snapshots) m.set(s.arn ?? `${c.name}/${s.name}`, { tags: s.tags, copy: false });
  for (const s of w.clusterSnapshots)
    m.set(`arn:aws:rds:${w.region}:${w.accountId}:cluster-snapshot:${s.id.toLowerCase()}`, {
      tags: s.tags,
      copy: true,
    });
  return m;
}

export function diffWorlds(before: World, after: World): WorldDiff {
  const a = index(before);
  const b = index(after);
  const diff: WorldDiff = { created: [], copied: [], deleted: [], tagged: [] };
  for (const [id, s] of b) {
    const old = a.get(id);
    if (!old) (s.copy ? diff.copied : diff.created).push(id);
    else if (JSON.stringify(Object.entries(old.tags).sort()) !== JSON.stringify(Object.entries(s.tags).sort())) diff.tagged.push(id);
  }
  for (const id of a.keys()) if (!b.has(id)) diff.deleted.push(id);
  return diff;
}
