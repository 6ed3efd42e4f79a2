/**
 * The fault matrix: one scenario world per fault, through the real workflow, handlers and SDK clients
 * against the stand-in. After every scenario the safety invariants are checked from the stand-in's
 * state before and after (invariants.ts), plus what the scenario expects of the outcome.
 * docs/operations.md "Failure handling" lists each fault, what the orchestrator does, and the scenario name here.
 */
import { describe, expect, it } from 'vitest';
import { findPolicy } from '../../functions/domain/policy.js';
import { elasticSnapshotName, copySnapshotName } from '../../functions/domain/naming.js';
import { OWNERSHIP_KEYS, ownershipTags } from '../../functions/domain/tags.js';
import { DRILL_DEFINITION_PATH, runWorkflow } from '../../local/runner.js';
import { startStandIn } from '../../local/standin/server.js';
import type { Fault, WorldInput } from '../../local/standin/world.js';
import { clusterArn, type Envelope, policies, world } from './helpers.js';
import { brokenInvariants } from './invariants.js';

const C1 = clusterArn('00000000-0000-4000-8000-000000000001');
const C2 = clusterArn('00000000-0000-4000-8000-000000000002');
const SRC = (id: string) => `arn:aws:rds:us-east-1:111122223333:cluster-snapshot:${id}`;
const NOW = new Date('2026-11-22T02:00:00Z');
const day = (n: number) => new Date(NOW.getTime() - n * 86_400_000);

const POLICY_FILE = policies(`
settings:
  poll: { initialSeconds: 300, backoff: 1.5, maxSeconds: 1800, maxIterations: 50 }
policies:
  - name: nightly
    elastic:
      clusterArns: ['${C1}', '${C2}']
    copy:
      sourceAccounts: ['111122223333']
      kmsKeyId: arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555
    retention: { keepLast: 3, minKeep: 2 }
    tags: { static: { team: platform } }
    deadlines: { createMinutes: 120, copyMinutes: 90 }
`);
const POLICY = findPolicy(POLICY_FILE, 'nightly');

/** Two clusters with five earlier nightly snapshots each, an automated and a hand-made one; two shared sources and an earlier copy. */
function baseWorld(extra: Partial<WorldInput> = {}): WorldInput {
  const history = (arn: string, name: string) => [
    ...[1, 2, 3, 4, 5].map((n) => ({
      name: elasticSnapshotName('nightly', arn, name, day(n)),
      createdAt: new Date(day(n).getTime() + 60_000).toISOString(),
      tags: { ...ownershipTags({ policy: 'nightly', target: arn, runId: `r${n}`, createdAt: day(n) }), team: 'platform' },
    })),
    { name: `${name}-automated`, type: 'automated' as const, createdAt: day(1).toISOString() },
    { name: `${name}-by-hand`, createdAt: day(9).toISOString(), tags: { owner: 'alice' } },
  ];
  const oldSource = SRC('src-a-old');
  return {
    accountId: '123456789012',
    region: 'us-east-1',
    now: NOW.toISOString(),
    durations: { createMinutes: 20, copyMinutes: 30 },
    kmsKeys: ['arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555'],
    elasticClusters: [
      { name: 'alpha', arn: C1, snapshots: history(C1, 'alpha') },
      { name: 'beta', arn: C2, snapshots: history(C2, 'beta') },
    ],
    clusterSnapshots: [
      {
        id: copySnapshotName('nightly-copy', oldSource, 'a', day(3)),
        clusterId: 'a',
        createdAt: day(3).toISOString(),
        tags: ownershipTags({ policy: 'nightly', target: '111122223333:a', runId: 'r3', createdAt: day(3) }),
      },
      { id: 'someone-elses-copy', clusterId: 'a', createdAt: day(20).toISOString(), tags: {} },
    ],
    sharedSnapshots: [
      { ownerAccount: '111122223333', id: 'src-a', clusterId: 'a', createdAt: day(1).toISOString() },
      {
        ownerAccount: '111122223333',
        id: 'src-b',
        clusterId: 'b',
        createdAt: day(1).toISOString(),
        encrypted: true,
        kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/x',
      },
      { ownerAccount: '999988887777', id: 'stranger', clusterId: 'a', createdAt: day(1).toISOString() },
    ],
    ...extra,
  };
}

interface Scenario {
  name: string;
  faults?: Fault[];
  world?: Partial<WorldInput>;
  crashAfter?: Record<string, number>;
  /** Answers lost between Lambda and Step Functions after the function ran (RunOptions.loseAnswer). */
  loseAnswer?: Record<string, number>;
  requestTimeoutMs?: number;
  /** Expected failures as [target substring, code]; none means SUCCEEDED. */
  fails?: [string, string][];
  /** Checks beyond the invariants. */
  also?: (r: { envelope: Envelope; calls: Record<string, number>; copies: number; elastic: number }) => void;
}

const storm = (operation: Fault['operation'], error: string): Scenario => ({
  name: `throttling storm on ${operation}`,
  faults: [{ operation, error, count: 7 }],
});

const SCENARIOS: Scenario[] = [
  { name: 'baseline', also: ({ envelope }) => expect(envelope.data.summary).toMatchObject({ created: 2, copied: 2, deleted: 6 }) },
  storm('ListClusters', 'ThrottlingException'),
  storm('ListClusterSnapshots', 'ThrottlingException'),
  storm('CreateClusterSnapshot', 'ThrottlingException'),
  storm('DeleteClusterSnapshot', 'ThrottlingException'),
  storm('ListTagsForResource', 'ThrottlingException'),
  storm('DescribeDBClusterSnapshots', 'Throttling'),
  storm('AddTagsToResource', 'Throttling'),
  storm('CopyDBClusterSnapshot', 'Throttling'),
  storm('DeleteDBClusterSnapshot', 'Throttling'),
  {
    name: 'burst of 5xx',
    faults: [
      { operation: 'ListClusterSnapshots', error: 'InternalServerException', count: 5 },
      { operation: 'DescribeDBClusterSnapshots', error: 'InternalFailure', count: 5 },
      { operation: 'CreateClusterSnapshot', error: 'InternalServerException', count: 3 },
    ],
  },
  {
    name: 'connection reset and timeout',
    faults: [
      { operation: 'CreateClusterSnapshot', reset: true, count: 2 },
      { operation: 'CopyDBClusterSnapshot', reset: true, count: 2 },
      { operation: 'ListClusters', latencyMs: 700, count: 1 },
      { operation: 'DescribeDBClusterSnapshots', latencyMs: 700, count: 1 },
    ],
    requestTimeoutMs: 400,
  },
  {
    name: '409 Conflict on create (cluster busy), then free',
    faults: [{ operation: 'CreateClusterSnapshot', target: C1, error: 'ConflictException', count: 4 }],
  },
  {
    name: '409 Conflict on create until the deadline',
    faults: [{ operation: 'CreateClusterSnapshot', target: C1, error: 'ConflictException' }],
    fails: [[C1, 'DEADLINE_EXCEEDED']],
  },
  {
    name: '402 ServiceQuotaExceeded on create',
    faults: [{ operation: 'CreateClusterSnapshot', target: C1, error: 'ServiceQuotaExceededException' }],
    fails: [[C1, 'SERVICE_QUOTA_EXCEEDED']],
    also: ({ calls }) => expect(calls.CreateClusterSnapshot).toBe(2),
  },
  {
    name: 'SnapshotQuotaExceeded on copy',
    faults: [{ operation: 'CopyDBClusterSnapshot', target: 'src-a', error: 'SnapshotQuotaExceeded' }],
    fails: [[SRC('src-a'), 'SERVICE_QUOTA_EXCEEDED']],
  },
  {
    name: 'KMSKeyNotAccessibleFault on copy',
    faults: [{ operation: 'CopyDBClusterSnapshot', target: 'src-b', error: 'KMSKeyNotAccessibleFault' }],
    fails: [[SRC('src-b'), 'KMS_KEY_NOT_ACCESSIBLE']],
  },
  {
    name: 'DBClusterSnapshotAlreadyExists on a re-run (the first answer was lost)',
    faults: [
      { operation: 'CopyDBClusterSnapshot', dropResponse: true, count: 2 },
      { operation: 'CreateClusterSnapshot', dropResponse: true, count: 2 },
    ],
    also: ({ envelope, copies, elastic }) => {
      expect(envelope.data.summary).toMatchObject({ copied: 2, failed: 0 });
      expect(copies).toBe(2 + 2);
      expect(elastic).toBe(2 * 7 + 2 - 6);
    },
  },
  {
    name: 'snapshot stuck in creating past its deadline',
    faults: [{ operation: 'CreateClusterSnapshot', target: C2, stuck: true }],
    fails: [[C2, 'DEADLINE_EXCEEDED']],
  },
  {
    name: 'copy stuck past its deadline',
    faults: [{ operation: 'CopyDBClusterSnapshot', target: 'src-a', stuck: true }],
    fails: [[SRC('src-a'), 'DEADLINE_EXCEEDED']],
    also: ({ envelope, calls }) => {
      expect(envelope.data.failures[0]?.message).toContain('cancelled by deleting the target');
      expect(calls.DeleteDBClusterSnapshot).toBe(1);
    },
  },
  {
    name: 'copy fails mid-way',
    faults: [{ operation: 'CopyDBClusterSnapshot', target: 'src-a', failMidway: true }],
    fails: [[SRC('src-a'), 'INTERNAL_ERROR']],
  },
  {
    name: 'shared source unshared or deleted before the copy',
    faults: [{ operation: 'CopyDBClusterSnapshot', target: 'src-b', error: 'DBClusterSnapshotNotFoundFault' }],
    fails: [[SRC('src-b'), 'NOT_FOUND']],
  },
  {
    name: 'step crashes after its AWS calls succeeded: Start Operations',
    crashAfter: { 'Start Operations': 1 },
    also: ({ envelope }) => expect(envelope.data.summary.failed).toBe(0),
  },
  { name: 'step crashes after its AWS calls succeeded: Check Operations', crashAfter: { 'Check Operations': 2 } },
  { name: 'step crashes after its AWS calls succeeded: Apply Retention', crashAfter: { 'Apply Retention': 1 } },
  // Step Functions' Retry invokes the function again with the same input: the plan it carries out again is
  // counted once, whether the lost attempt deleted its snapshots or not.
  // The first invocation decides a plan, the second carries it out: each of them loses its answer once.
  ...[1, 2, 3].map((n) => ({
    name: `answer lost on the way back, the Retry runs it again: Apply Retention's invocation ${n}`,
    loseAnswer: { 'Apply Retention': n },
    also: ({ envelope }: { envelope: Envelope }) => expect(envelope.data.summary).toMatchObject({ deleted: 6, failed: 0 }),
  })),
  {
    name: 'answer lost on the way back, the Retry runs it again: Start Operations, Check Operations, Apply Tags',
    loseAnswer: { 'Start Operations': 1, 'Check Operations': 1, 'Apply Tags': 1 },
    also: ({ envelope }) => expect(envelope.data.summary).toMatchObject({ created: 2, copied: 2, deleted: 6, failed: 0 }),
  },
];

async function runScenario(s: Scenario, policyFile = POLICY_FILE) {
  const w = world(baseWorld({ ...s.world, faults: s.faults ?? [] }));
  const standIn = await startStandIn(w);
  const before = standIn.model.toWorld();
  try {
    const r = await runWorkflow({
      world: w,
      policyFile,
      input: { policy: 'nightly', scheduledTime: NOW.toISOString() },
      standIn,
      crashAfter: s.crashAfter,
      loseAnswer: s.loseAnswer,
      requestTimeoutMs: s.requestTimeoutMs,
    });
    const after = standIn.model.toWorld();
    return { r, before, after, model: standIn.model, envelope: r.output as Envelope };
  } finally {
    await standIn.close();
  }
}

describe('fault matrix', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    const { r, before, after, model, envelope } = await runScenario(s);
    expect(r.status, `${r.error}: ${r.cause}`).toBe('SUCCEEDED');
    // Every crash the scenario asks for happened (a crash that never fires proves nothing).
    expect(r.crashed).toEqual(s.crashAfter ?? {});
    expect(r.lost).toEqual(Object.fromEntries(Object.keys(s.loseAnswer ?? {}).map((k) => [k, 1])));
    const fails = s.fails ?? [];
    expect(brokenInvariants({ before, after, policy: POLICY as never, envelope, emf: r.emf, mayFail: fails.map(([t]) => t) })).toEqual([]);
    expect(envelope.data.status).toBe(fails.length > 0 ? 'PARTIAL' : 'SUCCEEDED');
    expect(envelope.data.failures.map((f) => [f.target, f.code]).sort()).toEqual([...fails].sort());
    s.also?.({
      envelope,
      calls: model.calls,
      copies: after.clusterSnapshots.length,
      elastic: after.elasticClusters.reduce((n, c) => n + c.snapshots.length, 0),
    });
  });

  it('an encrypted source without a configured key fails that copy with a message naming it', async () => {
    const noKey = policies(`
policies:
  - name: nightly
    elastic: { clusterArns: ['${C1}', '${C2}'] }
    copy: { sourceAccounts: ['111122223333'] }
    retention: { keepLast: 3, minKeep: 2 }
`);
    const { r, before, after, envelope } = await runScenario({ name: 'no key' }, noKey);
    expect(r.status).toBe('SUCCEEDED');
    expect(envelope.data.failures).toEqual([
      expect.objectContaining({ target: SRC('src-b'), code: 'VALIDATION_ERROR', message: expect.stringContaining('copy.kmsKeyId') }),
    ]);
    expect(
      brokenInvariants({ before, after, policy: findPolicy(noKey, 'nightly') as never, envelope, emf: r.emf, mayFail: [SRC('src-b')] }),
    ).toEqual([]);
  });

  it('two executions of the same slot at once create no duplicates', async () => {
    const w = world(baseWorld());
    const standIn = await startStandIn(w);
    const before = standIn.model.toWorld();
    try {
      const input = { policy: 'nightly', scheduledTime: NOW.toISOString() };
      const [a, b] = await Promise.all([
        runWorkflow({ world: w, policyFile: POLICY_FILE, input, standIn, executionName: 'twin-a' }),
        runWorkflow({ world: w, policyFile: POLICY_FILE, input, standIn, executionName: 'twin-b' }),
      ]);
      expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      const after = standIn.model.toWorld();
      for (const r of [a, b])
        expect(brokenInvariants({ before, after, policy: POLICY as never, envelope: r.output as Envelope })).toEqual([]);
      const created = (r: typeof a) => (r.output as Envelope).data.summary.created;
      expect(created(a) + created(b)).toBe(2);
      const copies = after.clusterSnapshots.filter((c) => c.tags[OWNERSHIP_KEYS.runId]?.startsWith('twin-'));
      expect(copies).toHaveLength(2);
    } finally {
      await standIn.close();
    }
  });

  it('never runs more copies at once than the limit', async () => {
    const shared = Array.from({ length: 12 }, (_, i) => ({
      ownerAccount: '111122223333',
      id: `many-${i}`,
      clusterId: `c${i}`,
      createdAt: day(1).toISOString(),
    }));
    const w = world(baseWorld({ sharedSnapshots: shared }));
    const standIn = await startStandIn(w);
    try {
      const r = await runWorkflow({ world: w, policyFile: POLICY_FILE, input: { policy: 'nightly' }, standIn });
      expect((r.output as Envelope).data.summary.copied).toBe(12);
      expect(standIn.model.maxCopiesInFlight).toBe(5);
    } finally {
      await standIn.close();
    }
  });

  it('counts each failed copy once, even beyond the failures kept in the state', async () => {
    const shared = Array.from({ length: 60 }, (_, i) => ({
      ownerAccount: '111122223333',
      id: `denied-${i}`,
      clusterId: `d${i}`,
      createdAt: day(1).toISOString(),
    }));
    const w = world(
      baseWorld({ sharedSnapshots: shared, faults: [{ operation: 'CopyDBClusterSnapshot', error: 'KMSKeyNotAccessibleFault' }] }),
    );
    const standIn = await startStandIn(w);
    try {
      const r = await runWorkflow({ world: w, policyFile: POLICY_FILE, input: { policy: 'nightly' }, standIn });
      const env = r.output as Envelope;
      expect(env.data.summary.failed).toBe(60);
      expect(env.data.failures).toHaveLength(50);
      expect(standIn.model.calls.CopyDBClusterSnapshot).toBe(60);
    } finally {
      await standIn.close();
    }
  });

  it('never deletes a look-alike of its own names that lacks the ownership tags', async () => {
    const lookalikes = [6, 7, 8, 9].map((n) => ({
      name: elasticSnapshotName('nightly', C1, 'alpha', day(n)),
      createdAt: day(n).toISOString(),
      tags: { owner: 'someone' },
    }));
    const base = baseWorld();
    const alpha = base.elasticClusters?.[0];
    const w = world({
      ...base,
      elasticClusters: [
        { ...alpha, name: 'alpha', snapshots: [...(alpha?.snapshots ?? []), ...lookalikes] },
        ...(base.elasticClusters?.slice(1) ?? []),
      ],
    });
    const standIn = await startStandIn(w);
    const before = standIn.model.toWorld();
    try {
      const r = await runWorkflow({ world: w, policyFile: POLICY_FILE, input: { policy: 'nightly' }, standIn });
      const after = standIn.model.toWorld();
      expect(brokenInvariants({ before, after, policy: POLICY as never, envelope: r.output as Envelope })).toEqual([]);
      const left = after.elasticClusters[0]?.snapshots.filter((s) => s.tags.owner === 'someone');
      expect(left).toHaveLength(4);
    } finally {
      await standIn.close();
    }
  });
});

describe("the runner's fault injection and limits", () => {
  it('refuses a crashAfter naming a state that is not a Task of the definition, before any AWS call', async () => {
    const w = world(baseWorld());
    for (const [crashAfter, definitionPath, named] of [
      [
        { 'Plan And Start': 1 },
        undefined,
        /crashAfter names "Plan And Start", which is not a Task state of backup\.asl\.yml \(its Task states: Validate Input, Start Operations, /,
      ],
      [{ 'Next Step?': 1 }, undefined, /crashAfter names "Next Step\?", which is not a Task state of backup\.asl\.yml/],
      [
        { 'Start Operations': 1 },
        DRILL_DEFINITION_PATH,
        /crashAfter names "Start Operations", which is not a Task state of drill\.asl\.yml/,
      ],
    ] as const) {
      const standIn = await startStandIn(w);
      try {
        await expect(
          runWorkflow({ world: w, policyFile: POLICY_FILE, input: { policy: 'nightly' }, standIn, crashAfter, definitionPath }),
        ).rejects.toThrow(named);
        expect(standIn.model.calls).toEqual({});
      } finally {
        await standIn.close();
      }
    }
  });

  it('fails an execution past maxHistoryEvents with States.HistoryLimit, as Step Functions fails one at 25,000', async () => {
    const w = world(baseWorld());
    const r = await runWorkflow({ world: w, policyFile: POLICY_FILE, input: { policy: 'nightly' }, maxHistoryEvents: 40 });
    expect({ status: r.status, error: r.error }).toEqual({ status: 'FAILED', error: 'States.HistoryLimit' });
    expect(r.cause).toContain('passed 40 history events');
    // It stopped there: no state ran far past the limit.
    expect(r.historyEvents).toBeLessThan(60);
    const full = await runWorkflow({ world: w, policyFile: POLICY_FILE, input: { policy: 'nightly' } });
    expect(full.status).toBe('SUCCEEDED');
    expect(full.historyEvents).toBeGreaterThan(60);
  });
});

describe('the invariant checker', () => {
  it('catches a deleted foreign snapshot, a broken floor and a duplicate', async () => {
    const { before, after } = await runScenario({ name: 'baseline' });
    const broken = structuredClone(after);
    const alpha = broken.elasticClusters[0];
    if (!alpha) throw new Error('no cluster');
    alpha.snapshots = alpha.snapshots.filter((s) => s.name !== 'alpha-by-hand' && !s.tags[OWNERSHIP_KEYS.managedBy]);
    const dup = broken.clusterSnapshots.find((c) => c.tags[OWNERSHIP_KEYS.managedBy]);
    if (dup) broken.clusterSnapshots.push({ ...dup, id: `${dup.id.slice(0, -7)}x-${dup.id.slice(-6)}` });
    const problems = brokenInvariants({ before, after: broken, policy: POLICY as never });
    expect(problems.some((p) => p.startsWith('deleted a snapshot the orchestrator does not own'))).toBe(true);
    expect(problems.some((p) => p.includes('available snapshots left, floor 2'))).toBe(true);
    expect(problems.some((p) => p.includes('snapshots for one slot'))).toBe(true);
  });
});
