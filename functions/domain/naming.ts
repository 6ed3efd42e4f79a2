/**
 * Deterministic snapshot names. Both APIs accept 1-63 characters: a letter first, then letters,
 * digits and hyphens, no `--`, no trailing hyphen. Names are lower-case (RDS stores them so).
 */
import { createHash } from 'node:crypto';

export const MAX_NAME = 63;
const NAME_RE = /^[a-z][a-z0-9-]*$/;

export function isValidSnapshotName(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_NAME && NAME_RE.test(name) && !name.includes('--') && !name.endsWith('-');
}

/** Lower-case, runs of other characters become one hyphen, trimmed to `max` without edge hyphens. */
export function slug(text: string, max: number): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, max)
    .replace(/-+$/, '');
}

/** 6 base-36 characters of SHA-256 over the parts. */
export function shortHash(...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return digest.readUIntBE(0, 6).toString(36).padStart(6, '0').slice(-6);
}

/** `yyyymmddhhmm` in UTC. */
export function timeToken(t: Date): string {
  return t.toISOString().slice(0, 16).replace(/[-:T]/g, '');
}

function join(parts: string[]): string {
  const name = parts.filter((p) => p.length > 0).join('-');
  if (!isValidSnapshotName(name)) throw new Error(`generated snapshot name "${name}" breaks the naming rules`);
  return name;
}

/** Name of the elastic snapshot of `clusterArn` for `policy` in the scheduled slot `slot`. */
export function elasticSnapshotName(policy: string, clusterArn: string, clusterName: string, slot: Date): string {
  return join([slug(policy, 16), slug(clusterName, 20), shortHash(policy, clusterArn), timeToken(slot)]);
}

const ELASTIC_TAIL_RE = /-([0-9a-z]{6})-(\d{12})$/;

/**
 * True when `name` is one of this policy's snapshot names for `clusterArn` (any slot): the hash binds
 * the policy and the cluster, so a look-alike name of another policy or cluster never matches.
 */
export function isElasticSnapshotNameOf(name: string, policy: string, clusterArn: string): boolean {
  const m = ELASTIC_TAIL_RE.exec(name);
  return !!m && name.startsWith(`${slug(policy, 16)}-`) && m[1] === shortHash(policy, clusterArn);
}

/** Name of the owned copy of a shared snapshot: one per source snapshot. */
export function copySnapshotName(prefix: string, sourceArn: string, clusterId: string, sourceTime: Date): string {
  return join([slug(prefix, 16), slug(clusterId, 20), timeToken(sourceTime), shortHash(sourceArn)]);
}
