/**
 * The seeded soak: consecutive daily runs of the real workflow against the stand-in, each with random
 * faults drawn from the stand-in's fault list (throttling, 5xx, resets, lost responses on creates, copies,
 * deletes and tags, stuck and failing operations) and random step crashes. After every run the report
 * and the metrics are compared with the stand-in's ground truth (its audit log and end state), and the
 * safety invariants are checked. Same seed, same scenario: a failure prints its seed and day.
 */
import type { ResultEnvelope } from '../../functions/report/report.js';
import { findPolicy, type PolicyFile, parsePolicyYaml } from '../../functions/domain/policy.js';
import { isElasticSnapshotNameOf, shortHash } from '../../functions/domain/naming.js';
import { isOwnedBy } from '../../functions/domain/tags.js';
import { METRICS } from '../../functions/runtime/telemetry.js';
import { runWorkflow } from '../../local/runner.js';
import type { AuditEvent, Model } from '../../local/standin/model.js';
import { startStandIn } from '../../local/standin/server.js';
import { type Fault, parseWorld } from '../../local/standin/world.js';
import { brokenInvariants } from '../workflow/invariants.js';

const ACCOUNT = '123456789012';
const PARTNER = '111122223333';
const REGION = 'us-east-1';
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const cluster = (n: number) => `arn:aws:docdb-elastic:${REGION}:${ACCOUNT}:cluster/00000000-0000-4000-8000-00000000000${n}`;
const DAY = 86_400_000;

const policies = (staticTags: string) =>
  parsePolicyYaml(`
settings:
  maxCopiesInFlight: 3
  concurrency: 4
  poll: { initialSeconds: 300, backoff: 2, maxSeconds: 1800, maxIterations: 60 }
policies:
  - name: soak
    elastic:
      selector: { backup: daily }
      clusterArns: ['${cluster(3)}']
    copy:
      sourceAccounts: ['${PARTNER}']
      select: all
      kmsKeyId: ${KEY}
    retention: { keepDaily: 4, keepWeekly: 2, minKeep: 2 }
    tags: { static: { ${staticTags} } }
    deadlines: { createMinutes: 120, copyMinutes: 150 }
`);
export const SOAK_POLICIES: PolicyFile = policies('team: platform');
/** From day 100 the policy also wants a cost-center tag: the tag step adds it to the copies it holds. */
const TAGGED_POLICIES: PolicyFile = policies("team: platform, cost-center: '42'");
const POLICY = findPolicy(SOAK_POLICIES, 'soak') as NonNullable<ReturnType<typeof findPolicy>>;

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Menu = (r: () => number) => Fault;
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const count = (r: () => number, max: number) => 1 + Math.floor(r() * max);
/** The stand-in's fault list, as the soak draws from it. */
const FAULTS: Menu[] = [
  (r) => ({
    operation: pick(r, [
      'ListClusters',
      'ListClusterSnapshots',
      'ListTagsForResource',
      'CreateClusterSnapshot',
      'DeleteClusterSnapshot',
      'TagResource',
    ] as const),
    error: 'ThrottlingException',
    count: count(r, 8),
  }),
  (r) => ({
    operation: pick(r, ['DescribeDBClusterSnapshots', 'CopyDBClusterSnapshot', 'DeleteDBClusterSnapshot', 'AddTagsToResource'] as const),
    error: 'Throttling',
    count: count(r, 8),
  }),
  (r) => ({
    operation: pick(r, ['ListClusterSnapshots', 'CreateClusterSnapshot', 'DeleteClusterSnapshot'] as const),
    error: 'InternalServerException',
    count: count(r, 4),
  }),
  (r) => ({
    operation: pick(r, ['DescribeDBClusterSnapshots', 'CopyDBClusterSnapshot', 'DeleteDBClusterSnapshot'] as const),
    error: 'InternalFailure',
    count: count(r, 4),
  }),
  (r) => ({
    operation: pick(r, [
      'CreateClusterSnapshot',
      'CopyDBClusterSnapshot',
      'DeleteClusterSnapshot',
      'DeleteDBClusterSnapshot',
      'AddTagsToResource',
      'TagResource',
    ] as const),
    dropResponse: true,
    count: count(r, 3),
  }),
  (r) => ({
    operation: pick(r, ['CreateClusterSnapshot', 'CopyDBClusterSnapshot', 'DeleteClusterSnapshot', 'DescribeDBClusterSnapshots'] as const),
    reset: true,
    count: count(r, 2),
  }),
  (r) => ({
    operation: 'CreateClusterSnapshot',
    target: pick(r, ['-0001', '-0002', '-0003']),
    error: 'ConflictException',
    count: count(r, 6),
  }),
  (r) => ({ operation: 'CopyDBClusterSnapshot', stuck: true, count: 1, target: pick(r, ['orders', 'ledger']) }),
  (r) => ({ operation: 'CopyDBClusterSnapshot', failMidway: true, count: 1, target: pick(r, ['orders', 'ledger']) }),
  (r) => ({ operation: 'CreateClusterSnapshot', failMidway: true, count: 1, target: pick(r, ['-0001', '-0002']) }),
  (r) => ({ operation: 'CopyDBClusterSnapshot', error: 'KMSKeyNotAccessibleFault', count: 1, target: pick(r, ['orders', 'ledger']) }),
];
const CRASHABLE = ['Start Operations', 'Check Operations', 'Apply Tags', 'Apply Retention'];
/** The policy-and-cluster hash in alpha's snapshot names: a look-alike borrows it. */
const POLICY_HASH = shortHash('soak', cluster(1));

function initialWorld(start: Date) {
  const backlog = [1, 2, 3, 4, 5].flatMap((d) =>
    ['orders', 'ledger'].map((c) => ({
      ownerAccount: PARTNER,
      id: `${c}-${d}`,
      clusterId: c,
      encrypted: c === 'ledger',
      kmsKeyId: `arn:aws:kms:${REGION}:${PARTNER}:key/p`,
      createdAt: new Date(start.getTime() - d * DAY - 3_600_000).toISOString(),
    })),
  );
  return parseWorld({
    accountId: ACCOUNT,
    region: REGION,
    now: start.toISOString(),
    durations: { createMinutes: 25, copyMinutes: 40, elasticDeleteMinutes: 15 },
    kmsKeys: [KEY],
    elasticClusters: [
      { name: 'alpha', arn: cluster(1), tags: { backup: 'daily' }, createdAt: '2026-01-01T00:00:00Z' },
      { name: 'beta', arn: cluster(2), tags: { backup: 'daily' }, createMinutes: 70, createdAt: '2026-01-01T00:00:00Z' },
      { name: 'gamma', arn: cluster(3), createdAt: '2026-01-01T00:00:00Z' },
      { name: 'delta', arn: cluster(4), tags: { backup: 'weekly' }, createdAt: '2026-01-01T00:00:00Z' },
    ],
    sharedSnapshots: [...backlog, { ownerAccount: '999988887777', id: 'stranger-1', clusterId: 'orders', createdAt: start.toISOString() }],
  });
}

/** What the stand-in says a run did: its ground truth. */
export function groundTruth(m: Model, events: AuditEvent[], runId: string, runEnd: number) {
  const created = events.filter((e) => e.op === 'create' && e.tags?.['backup-orchestrator:run-id'] === runId).length;
  // a copy this run started that became available before the run ended and before anything deleted it
  const copied = events.filter((e, i) => {
    if (e.op !== 'copy' || e.tags?.['backup-orchestrator:run-id'] !== runId || e.readyAt === null || e.readyAt === undefined) return false;
    const later = events.slice(i + 1).find((d) => d.op === 'delete' && d.id === e.id);
    return e.readyAt <= Math.min(runEnd, later?.at ?? Number.POSITIVE_INFINITY) && (!later || later.status === 'available');
  }).length;
  const deleted = events.filter((e) => e.op === 'delete' && (e.status === 'ACTIVE' || e.status === 'available')).length;
  const tagged = new Set(events.filter((e) => e.op === 'tag').map((e) => e.id)).size;
  // kept: the policy's owned, available snapshots after the run
  let kept = 0;
  for (const s of m.elasticSnapshots.values()) {
    if (
      m.elasticStatus(s) === 'ACTIVE' &&
      s.type === 'manual' &&
      isOwnedBy(s.tags, POLICY.name) &&
      isElasticSnapshotNameOf(s.name, POLICY.name, s.clusterArn)
    )
      kept++;
  }
  for (const s of m.clusterSnapshots.values())
    if (m.clusterSnapshotStatus(s) === 'available' && s.type === 'manual' && isOwnedBy(s.tags, POLICY.name)) kept++;
  // What this run started and did not bring to a recovery point must be a failure of its target: a copy
  // that never became available by the run's end (failed, stuck and cancelled), named by its source; a
  // create whose snapshot is not ACTIVE when the run ends, named by its cluster.
  const mustFail = new Set<string>();
  for (const e of events) {
    if (e.tags?.['backup-orchestrator:run-id'] !== runId) continue;
    if (e.op === 'copy' && e.source && (e.readyAt === null || e.readyAt === undefined || e.readyAt > runEnd)) mustFail.add(e.source);
    if (e.op === 'create' && e.service === 'docdb-elastic') {
      const s = m.elasticSnapshots.get(e.id);
      if (s && m.elasticStatus(s) !== 'ACTIVE' && m.elasticStatus(s) !== 'DELETING') mustFail.add(s.clusterArn);
    }
  }
  return { created, copied, deleted, tagged, kept, mustFail: [...mustFail].sort() };
}

export interface SoakDay {
  day: number;
  faults: Fault[];
  crashes: Record<string, number>;
  envelope?: ResultEnvelope;
  truth: ReturnType<typeof groundTruth>;
  discrepancies: string[];
}

/** Runs `days` consecutive daily runs from `seed`; calls `onDay` after each. Returns every discrepancy found. */
export async function soak(seed: number, days: number, onDay?: (d: SoakDay) => void): Promise<SoakDay[]> {
  const rand = prng(seed);
  const start = new Date('2026-03-01T02:00:00Z');
  const standIn = await startStandIn(initialWorld(start));
  const m = standIn.model;
  const bad: SoakDay[] = [];
  try {
    for (let day = 0; day < days; day++) {
      const slot = new Date(start.getTime() + day * DAY);
      m.nowMs = Math.max(m.nowMs, slot.getTime());
      // the partner shares a new snapshot of each cluster every day, and unshares those older than 8 days
      for (const c of ['orders', 'ledger']) {
        const id = `${c}-d${day}`;
        const arn = m.rdsArn(PARTNER, id);
        m.shared.set(arn, {
          arn,
          owner: PARTNER,
          id,
          clusterId: c,
          engine: 'docdb',
          encrypted: c === 'ledger',
          kmsKeyId: `arn:aws:kms:${REGION}:${PARTNER}:key/p`,
          createdAt: new Date(slot.getTime() - 3_600_000).toISOString(),
          tags: {},
        });
      }
      for (const [arn, s] of m.shared) if (Date.parse(s.createdAt) < slot.getTime() - 8 * DAY) m.shared.delete(arn);
      // Life in the account: a cluster stopped for a few days, a look-alike of the orchestrator's names.
      const gamma = m.clusters.get(cluster(3));
      if (gamma) gamma.status = day >= 50 && day < 54 ? 'STOPPED' : 'ACTIVE';
      if (day === 70) {
        const name = `soak-alpha-${POLICY_HASH}-202601010200`;
        m.elasticSnapshots.set(m.elasticArn('cluster-snapshot', name), {
          arn: m.elasticArn('cluster-snapshot', name),
          name,
          clusterArn: cluster(1),
          type: 'manual',
          createdAt: slot.toISOString(),
          tags: { owner: 'someone' },
          startedAt: slot.getTime(),
          readyAt: slot.getTime(),
        });
      }
      const faults = Array.from({ length: Math.floor(rand() * 5) }, () => pick(rand, FAULTS)(rand));
      m.faults = faults.map((f) => ({ ...f, left: f.count ?? Number.POSITIVE_INFINITY }));
      const crashes: Record<string, number> = rand() < 0.25 ? { [pick(rand, CRASHABLE)]: 1 } : {};
      const before = m.toWorld();
      const firstEvent = m.audit.length;
      const executionName = `soak-${seed}-${day}`;
      const r = await runWorkflow({
        standIn,
        policyFile: day >= 100 ? TAGGED_POLICIES : SOAK_POLICIES,
        input: { policy: 'soak', scheduledTime: slot.toISOString() },
        executionName,
        crashAfter: crashes,
        requestTimeoutMs: 2000,
      });
      const events = m.audit.slice(firstEvent);
      const truth = groundTruth(m, events, executionName, m.nowMs);
      const discrepancies: string[] = [];
      const envelope = r.output as ResultEnvelope | undefined;
      if (r.status !== 'SUCCEEDED' || !envelope) discrepancies.push(`run ${r.status}: ${r.error} ${r.cause}`);
      else {
        const s = envelope.data.summary;
        for (const k of ['created', 'copied', 'deleted', 'tagged', 'kept'] as const) {
          if (s[k] !== truth[k]) discrepancies.push(`${k}: reported ${s[k]}, the stand-in saw ${truth[k]}`);
        }
        const metric = (name: string) =>
          r.emf
            .map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } })
            .find((d) => name in d && JSON.stringify(d._aws.CloudWatchMetrics[0]?.Dimensions[0]) === '["service","Policy"]')?.[name];
        const metrics = { created: METRICS.created, copied: METRICS.copied, deleted: METRICS.deleted, failed: METRICS.failed } as const;
        for (const [k, name] of Object.entries(metrics)) {
          const v = metric(name);
          if (v !== s[k as keyof typeof s]) discrepancies.push(`metric ${name}: ${String(v)}, the report says ${s[k as keyof typeof s]}`);
        }
        const byCode = Object.values(envelope.data.failures.length === s.failed ? countCodes(envelope.data.failures) : {}).reduce(
          (a, b) => a + b,
          0,
        );
        if (envelope.data.failures.length === s.failed && byCode !== s.failed)
          discrepancies.push(`failures by code sum to ${byCode}, not ${s.failed}`);
        // each failure once: the same target, code and message twice is an operation counted twice
        const seen = new Set<string>();
        for (const f of envelope.data.failures) {
          const key = `${f.target} ${f.code} ${f.message}`;
          if (seen.has(key)) discrepancies.push(`failure listed twice: ${key}`);
          seen.add(key);
        }
        // what the stand-in saw fail is in the report, under its target
        if (envelope.data.failures.length === s.failed) {
          const failedTargets = new Set(envelope.data.failures.map((f) => f.target));
          for (const t of truth.mustFail)
            if (!failedTargets.has(t)) discrepancies.push(`${t} ended without a recovery point, and no failure names it`);
        }
        discrepancies.push(...brokenInvariants({ before, after: m.toWorld(), policy: POLICY, envelope, emf: r.emf }));
      }
      const result: SoakDay = { day, faults, crashes, envelope, truth, discrepancies };
      onDay?.(result);
      if (discrepancies.length > 0) bad.push(result);
      // the next day starts after this run, whatever it took
      m.nowMs = Math.max(m.nowMs, slot.getTime() + DAY);
    }
  } finally {
    await standIn.close();
  }
  return bad;
}

function countCodes(failures: { code: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of failures) out[f.code] = (out[f.code] ?? 0) + 1;
  return out;
}
