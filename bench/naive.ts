/**
 * The naive variant's handlers, for the benchmark only: per-target creates and polls, per-snapshot
 * tag reads for retention. The same SDK clients and stand-in as the product.
 */
import {
  CreateClusterSnapshotCommand,
  DeleteClusterSnapshotCommand,
  GetClusterSnapshotCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
} from '@aws-sdk/client-docdb-elastic';
import {
  AddTagsToResourceCommand,
  CopyDBClusterSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  ListTagsForResourceCommand as RdsListTags,
} from '@aws-sdk/client-rds';
import { describeClusterSnapshots } from '../functions/aws/rds.js';
import { elasticTags, listClusters, listElasticSnapshots } from '../functions/aws/elastic.js';
import type { Deps } from '../functions/runtime/deps.js';
import { eligibleSources } from '../functions/domain/copy-plan.js';
import { decideTarget } from '../functions/domain/decide.js';
import { elasticSnapshotName } from '../functions/domain/naming.js';
import { findPolicy, retentionSettings } from '../functions/domain/policy.js';
import { fromTagList, isOwnedBy, OWNERSHIP_KEYS, ownershipTags } from '../functions/domain/tags.js';

type Item =
  | { kind: 'create'; cluster: string; name: string; arn?: string; done?: boolean }
  | { kind: 'copy'; source: string; name: string; encrypted: boolean; target: string; arn?: string; done?: boolean };
const policyOf = (deps: Deps) => deps.config.policyFile.policies[0] as NonNullable<ReturnType<typeof findPolicy>>;
const slot = (deps: Deps) => new Date(Math.floor(deps.now().getTime() / 60_000) * 60_000);

export const naiveCores = {
  naiveResolve: async (_e: unknown, deps: Deps) => {
    const policy = policyOf(deps);
    const items: Item[] = [];
    for (const c of await listClusters(deps.clients.elastic)) {
      const tags = await elasticTags(deps.clients.elastic, c.clusterArn ?? '');
      if (Object.entries(policy.elastic?.selector ?? {}).every(([k, v]) => tags[k] === v)) {
        items.push({
          kind: 'create',
          cluster: c.clusterArn ?? '',
          name: elasticSnapshotName(policy.name, c.clusterArn ?? '', c.clusterName ?? '', slot(deps)),
        });
      }
    }
    const run = { targets: undefined } as never;
    for (const w of eligibleSources(policy, run, await describeClusterSnapshots(deps.clients.rds, 'shared'))) {
      items.push({ kind: 'copy', source: w.arn, name: w.name, encrypted: w.encrypted, target: w.target });
    }
    return { items };
  },
  naiveStart: async (item: Item, deps: Deps) => {
    const policy = policyOf(deps);
    const own = ownershipTags({
      policy: policy.name,
      target: item.kind === 'create' ? item.cluster : item.target,
      runId: 'naive',
      createdAt: deps.now(),
    });
    if (item.kind === 'create') {
      const r = await deps.clients.elastic.send(
        new CreateClusterSnapshotCommand({ clusterArn: item.cluster, snapshotName: item.name, tags: own }),
      );
      return { ...item, arn: r.snapshot?.snapshotArn };
    }
    const r = await deps.clients.rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: item.source,
        TargetDBClusterSnapshotIdentifier: item.name,
        ...(item.encrypted ? { KmsKeyId: policy.copy?.kmsKeyId } : {}),
        Tags: Object.entries(own).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return { ...item, arn: r.DBClusterSnapshot?.DBClusterSnapshotArn };
  },
  naivePoll: async (item: Item, deps: Deps) => {
    if (item.kind === 'create') {
      const r = await deps.clients.elastic.send(new GetClusterSnapshotCommand({ snapshotArn: item.arn }));
      return { ...item, done: r.snapshot?.status !== 'CREATING' };
    }
    const r = await deps.clients.rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: item.name, SnapshotType: 'manual' }),
    );
    return { ...item, done: r.DBClusterSnapshots?.[0]?.Status !== 'copying' };
  },
  naiveTag: async (item: Item, deps: Deps) => {
    const extra = policyOf(deps).tags.static;
    if (item.kind === 'create') {
      await deps.clients.elastic.send(new ListTagsForResourceCommand({ resourceArn: item.arn }));
      await deps.clients.elastic.send(new TagResourceCommand({ resourceArn: item.arn, tags: { ...extra, 'tagged-by': 'naive' } }));
    } else {
      await deps.clients.rds.send(new RdsListTags({ ResourceName: item.arn }));
      await deps.clients.rds.send(new AddTagsToResourceCommand({ ResourceName: item.arn, Tags: [{ Key: 'tagged-by', Value: 'naive' }] }));
    }
    return {};
  },
  naiveRetention: async (_e: unknown, deps: Deps) => {
    const policy = policyOf(deps);
    const settings = retentionSettings(policy, { skip: [] });
    const groups = new Map<string, { id: string; time: Date; kind: 'e' | 'c' }[]>();
    for (const s of await listElasticSnapshots(deps.clients.elastic)) {
      const tags = await elasticTags(deps.clients.elastic, s.snapshotArn ?? '');
      if (!isOwnedBy(tags, policy.name) || s.status !== 'ACTIVE') continue;
      const key = `e|${s.clusterArn}`;
      groups.set(key, [...(groups.get(key) ?? []), { id: s.snapshotArn ?? '', time: new Date(s.snapshotCreationTime ?? 0), kind: 'e' }]);
    }
    for (const s of await describeClusterSnapshots(deps.clients.rds, 'manual')) {
      const tags = fromTagList((await deps.clients.rds.send(new RdsListTags({ ResourceName: s.DBClusterSnapshotArn }))).TagList);
      if (!isOwnedBy(tags, policy.name) || s.Status !== 'available') continue;
      const key = `c|${tags[OWNERSHIP_KEYS.target]}`;
      groups.set(key, [
        ...(groups.get(key) ?? []),
        { id: s.DBClusterSnapshotIdentifier ?? '', time: new Date(s.SnapshotCreateTime ?? 0), kind: 'c' },
      ]);
    }
    for (const list of groups.values()) {
      const candidates = list.map((x) => ({ id: x.id, time: x.time, state: 'available' as const, ownership: 'verified' as const, ref: x }));
      for (const d of decideTarget(candidates, settings, deps.now()).decisions) {
        if (d.verdict !== 'delete') continue;
        if (d.candidate.ref.kind === 'e')
          await deps.clients.elastic.send(new DeleteClusterSnapshotCommand({ snapshotArn: d.candidate.id }));
        else await deps.clients.rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: d.candidate.id }));
      }
    }
    return {};
  },
};
