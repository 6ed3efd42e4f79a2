/**
 * The coverage audit, pure: every elastic cluster of the account and region, and every source cluster
 * behind the snapshots shared with it, classified as protected (by which policies), excluded (by which
 * rule), allowed (settings.audit.allow) or unprotected. Drill clusters are not counted.
 */
import type { PolicyFile } from './policy.js';
import type { TagMap } from './tags.js';

export interface AuditedCluster {
  kind: 'elastic' | 'source';
  /** Elastic cluster ARN, or `<account>:<source cluster id>`. */
  id: string;
  name: string;
  class: 'protected' | 'excluded' | 'allowed' | 'unprotected';
  /** The policies that protect it. */
  policies: string[];
  /** Why it is excluded or allowed: the rule, named. */
  rule?: string;
  /** Age of its newest recovery point (hours), when it has one. */
  newestRecoveryPointHours?: number;
  /** Age of its last successful restore drill (hours), when one is known. */
  lastDrillHours?: number;
}

export interface ElasticClusterFacts {
  arn: string;
  name: string;
  tags: TagMap;
}

export interface SourceClusterFacts {
  account: string;
  clusterId: string;
  engines: string[];
}

/** An elastic cluster: which policies select it, or which rule leaves it out. */
export function classifyElastic(c: ElasticClusterFacts, file: PolicyFile): Pick<AuditedCluster, 'class' | 'policies' | 'rule'> {
  const policies: string[] = [];
  const excludedBy: string[] = [];
  for (const p of file.policies) {
    const e = p.elastic;
    if (!e) continue;
    const selector = Object.entries(e.selector);
    const selected = e.clusterArns.includes(c.arn) || (selector.length > 0 && selector.every(([k, v]) => c.tags[k] === v));
    if (!selected) continue;
    if (e.exclude.includes(c.arn)) excludedBy.push(`policy "${p.name}": elastic.exclude`);
    else policies.push(p.name);
  }
  if (policies.length > 0) return { class: 'protected', policies };
  if (excludedBy.length > 0) return { class: 'excluded', policies: [], rule: excludedBy.join('; ') };
  if (file.settings.audit.allow.includes(c.arn)) return { class: 'allowed', policies: [], rule: 'settings.audit.allow' };
  return { class: 'unprotected', policies: [] };
}

/** A source cluster behind shared snapshots: which policies copy it, or which rule leaves it out. */
export function classifySource(s: SourceClusterFacts, file: PolicyFile): Pick<AuditedCluster, 'class' | 'policies' | 'rule'> {
  const policies: string[] = [];
  const excludedBy: string[] = [];
  for (const p of file.policies) {
    const c = p.copy;
    if (!c || !c.sourceAccounts.includes(s.account)) continue;
    if (!s.engines.some((e) => (c.engines as readonly string[]).includes(e))) {
      excludedBy.push(`policy "${p.name}": copy.engines (${s.engines.join(', ')} not listed)`);
      continue;
    }
    if (c.clusterPattern && !new RegExp(c.clusterPattern).test(s.clusterId)) {
      excludedBy.push(`policy "${p.name}": copy.clusterPattern`);
      continue;
    }
    policies.push(p.name);
  }
  if (policies.length > 0) return { class: 'protected', policies };
  if (excludedBy.length > 0) return { class: 'excluded', policies: [], rule: excludedBy.join('; ') };
  if (file.settings.audit.allow.includes(`${s.account}:${s.clusterId}`))
    return { class: 'allowed', policies: [], rule: 'settings.audit.allow' };
  return { class: 'unprotected', policies: [] };
}

/** Counts by class, for the metric and the summary line. */
export function auditCounts(rows: readonly AuditedCluster[]): Record<AuditedCluster['class'], number> {
  const out = { protected: 0, excluded: 0, allowed: 0, unprotected: 0 };
  for (const r of rows) out[r.class]++;
  return out;
}
