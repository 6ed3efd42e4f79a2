/**
 * Audit Coverage: every elastic cluster of the account and region, and every source cluster behind the
 * snapshots shared with it, classified as protected (by which policies, with the age of its newest
 * recovery point and of its last successful drill), excluded (by which rule), allowed
 * (settings.audit.allow) or unprotected. Drill clusters are not counted. Runs daily on its own schedule
 * (UnprotectedTargets and its alarm) and from `backup-orchestrator audit`.
 */
import { elasticTags, listClusters, listElasticSnapshots } from '../aws/elastic.js';
import { describeClusterSnapshots } from '../aws/rds.js';
import { parseRdsSnapshotArn } from '../domain/arns.js';
import { type AuditedCluster, auditCounts, classifyElastic, classifySource } from '../domain/audit.js';
import { heldCopy } from '../domain/copy-plan.js';
import { isDrillCluster, lastDrillOf, looksLikeDrillCluster } from '../domain/drill.js';
import { isElasticSnapshotNameOf } from '../domain/naming.js';
import type { Deps } from '../runtime/deps.js';
import { mapPool } from '../runtime/pool.js';

export interface AuditReport {
  at: string;
  account: string;
  region: string;
  counts: Record<AuditedCluster['class'], number>;
  clusters: AuditedCluster[];
}

const hoursSince = (now: Date, t: Date | string | undefined) =>
  t === undefined ? undefined : Math.round(((now.getTime() - new Date(t).getTime()) / 3_600_000) * 10) / 10;

/** Snapshots read for a drill result per elastic cluster at most (newest first): the audit stays cheap at fleet size. */
const DRILL_LOOKBACK = 3;

export async function auditCoverage(deps: Deps, accountId: string): Promise<AuditReport> {
  const now = deps.now();
  const file = deps.config.policyFile;
  const { elastic, rds } = deps.clients;
  const concurrency = file.settings.concurrency;
  const needTags = file.policies.some((p) => Object.keys(p.elastic?.selector ?? {}).length > 0);
  const clusters = (await listClusters(elastic)).filter((c) => c.clusterArn);
  const tagged = await mapPool(clusters, concurrency, async (c) => ({
    c,
    tags: needTags || looksLikeDrillCluster(c.clusterName) ? await elasticTags(elastic, c.clusterArn as string) : {},
  }));
  const snapshots = await listElasticSnapshots(elastic);
  const rows: AuditedCluster[] = [];
  const elasticRows = await mapPool(
    tagged.filter(({ tags }) => !isDrillCluster(tags)),
    concurrency,
    async ({ c, tags }): Promise<AuditedCluster> => {
      const arn = c.clusterArn as string;
      const cls = classifyElastic({ arn, name: c.clusterName ?? arn, tags }, file);
      const row: AuditedCluster = { kind: 'elastic', id: arn, name: c.clusterName ?? arn, ...cls };
      if (cls.class !== 'protected') return row;
      const own = snapshots
        .filter(
          (s) =>
            s.clusterArn === arn &&
            s.status === 'ACTIVE' &&
            cls.policies.some((p) => isElasticSnapshotNameOf(s.snapshotName ?? '', p, arn)),
        )
        .sort((a, b) => (b.snapshotCreationTime ?? '').localeCompare(a.snapshotCreationTime ?? ''));
      const newest = own[0]?.snapshotCreationTime;
      if (newest) row.newestRecoveryPointHours = hoursSince(now, newest);
      if (file.policies.some((p) => cls.policies.includes(p.name) && p.restoreDrill)) {
        for (const s of own.slice(0, DRILL_LOOKBACK)) {
          const last = lastDrillOf(await elasticTags(elastic, s.snapshotArn as string));
          if (last?.result === 'passed') {
            row.lastDrillHours = hoursSince(now, last.at);
            break;
          }
        }
      }
      return row;
    },
  );
  rows.push(...elasticRows);

  const [shared, owned] = await Promise.all([describeClusterSnapshots(rds, 'shared'), describeClusterSnapshots(rds, 'manual')]);
  const sources = new Map<string, { account: string; clusterId: string; engines: Set<string> }>();
  for (const s of shared) {
    const parsed = parseRdsSnapshotArn(s.DBClusterSnapshotArn ?? '');
    if (!parsed || !s.DBClusterIdentifier) continue;
    const key = `${parsed.account}:${s.DBClusterIdentifier}`;
    const entry = sources.get(key) ?? { account: parsed.account, clusterId: s.DBClusterIdentifier, engines: new Set<string>() };
    if (s.Engine) entry.engines.add(s.Engine);
    sources.set(key, entry);
  }
  for (const [key, s] of [...sources.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const cls = classifySource({ account: s.account, clusterId: s.clusterId, engines: [...s.engines] }, file);
    const row: AuditedCluster = { kind: 'source', id: key, name: s.clusterId, ...cls };
    if (cls.class === 'protected') {
      const copies = cls.policies
        .flatMap((p) => owned.map((o) => heldCopy(o, file.policies.find((x) => x.name === p) as (typeof file.policies)[number])))
        .filter((h) => h && h.target === key && h.status === 'available')
        .sort((a, b) => (b?.time.getTime() ?? 0) - (a?.time.getTime() ?? 0));
      if (copies[0]) row.newestRecoveryPointHours = hoursSince(now, copies[0].time);
      const drilled = copies
        .map((h) => lastDrillOf(h?.tags ?? {}))
        .filter((d) => d?.result === 'passed')
        .sort((a, b) => (b?.at ?? '').localeCompare(a?.at ?? ''))[0];
      if (drilled) row.lastDrillHours = hoursSince(now, drilled.at);
    }
    rows.push(row);
  }
  return { at: now.toISOString(), account: accountId, region: deps.config.region, counts: auditCounts(rows), clusters: rows };
}

/** The audit as a table for people. */
export function auditTable(r: AuditReport): string {
  const head = ['kind', 'cluster', 'class', 'policies / rule', 'newest recovery point', 'last good drill'];
  const age = (h?: number) => (h === undefined ? '-' : `${h} h ago`);
  const lines = r.clusters.map((c) => [
    c.kind,
    c.name,
    c.class,
    c.policies.join(', ') || c.rule || '-',
    age(c.newestRecoveryPointHours),
    age(c.lastDrillHours),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (l: string[]) =>
    l
      .map((x, i) => x.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  const { protected: p, excluded, allowed, unprotected } = r.counts;
  return [
    fmt(head),
    ...lines.map(fmt),
    '',
    `${r.clusters.length} clusters in ${r.account} ${r.region}: ${p} protected, ${excluded} excluded, ${allowed} allowed, ${unprotected} unprotected`,
  ].join('\n');
}
