/**
 * Each fault kind of the world format, and deadlines, through the real workflow.
 */
import { describe, expect, it } from 'vitest';
import { OWNERSHIP_KEYS } from '../../functions/shared/tags.js';
import { startStandIn } from '../../local/standin/server.js';
import type { WorldInput } from '../../local/standin/world.js';
import { clusterArn, policies, run, world } from './helpers.js';

const C1 = clusterArn('00000000-0000-4000-8000-000000000001');
const C2 = clusterArn('00000000-0000-4000-8000-000000000002');
const SHARED = (id: string) => `arn:aws:rds:us-east-1:111122223333:cluster-snapshot:${id}`;

const POLICY = policies(`
settings:
  poll: { initialSeconds: 300, backoff: 1.5, maxSeconds: 1800, maxIterations: 50 }
policies:
  - name: nightly
    elastic:
      clusterArns: ['${C1}', '${C2}']
    copy:
      sourceAccounts: ['111122223333']
      kmsKeyId: arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555
    retention: { keepLast: 3 }
    deadlines: { createMinutes: 120, copyMinutes: 90 }
`);

function base(extra: Partial<WorldInput> = {}): WorldInput {
  return {
    accountId: '123456789012',
    region: 'us-east-1',
    now: '2026-11-22T02:00:00Z',
    durations: { createMinutes: 20, copyMinutes: 30 },
    kmsKeys: ['arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555'],
    elasticClusters: [
      { name: 'alpha', arn: C1 },
      { name: 'beta', arn: C2 },
    ],
    sharedSnapshots: [
      { ownerAccount: '111122223333', id: 'src-a', clusterId: 'a', createdAt: '2026-11-21T00:00:00Z' },
      {
        ownerAccount: '111122223333',
        id: 'src-b',
        clusterId: 'b',
        createdAt: '2026-11-21T00:00:00Z',
        encrypted: true,
        kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/x',
      },
    ],
    ...extra,
  };
}

async function scenario(w: WorldInput, input: unknown = { policy: 'nightly' }) {
  const standIn = await startStandIn(world(w));
  try {
    const r = await run({ world: world(w), policyFile: POLICY, input, standIn });
    return { r, m: standIn.model, failures: r.envelope?.data?.failures ?? [] };
  } finally {
    await standIn.close();
  }
}

describe('faults', () => {
  it('baseline: no fault, everything done', async () => {
    const { r } = await scenario(base());
    expect(r.envelope.data).toMatchObject({ status: 'SUCCEEDED', summary: { created: 2, copied: 2, failed: 0 } });
  });

  it('throttling bursts on every API are absorbed by retries', async () => {
    const ops = [
      'ListClusters',
      'ListClusterSnapshots',
      'CreateClusterSnapshot',
      'DescribeDBClusterSnapshots',
      'CopyDBClusterSnapshot',
    ] as const;
    const faults = ops.map((operation) => ({
      operation,
      error: operation.includes('DB') ? 'Throttling' : 'ThrottlingException',
      count: 2,
    }));
    const { r, m } = await scenario(base({ faults }));
    expect(r.envelope.data).toMatchObject({ status: 'SUCCEEDED', summary: { created: 2, copied: 2, failed: 0 } });
    expect(m.calls.CreateClusterSnapshot).toBeGreaterThan(2);
  });

  it('a 5xx burst and a connection reset are retried', async () => {
    const { r } = await scenario(
      base({
        faults: [
          { operation: 'ListClusterSnapshots', error: 'InternalServerException', count: 2 },
          { operation: 'CreateClusterSnapshot', reset: true, count: 1 },
          { operation: 'CopyDBClusterSnapshot', error: 'InternalFailure', count: 1 },
        ],
      }),
    );
    expect(r.envelope.data).toMatchObject({ status: 'SUCCEEDED', summary: { created: 2, copied: 2, failed: 0 } });
  });

  it('added latency only slows things down', async () => {
    const { r } = await scenario(
      base({ faults: [{ operation: 'DescribeDBClusterSnapshots', latencyMs: 50, count: 3 }] }),
    );
    expect(r.envelope.data.status).toBe('SUCCEEDED');
  });

  it('a busy cluster (409) is retried on later checks until it frees up', async () => {
    const { r, m } = await scenario(
      base({ faults: [{ operation: 'CreateClusterSnapshot', target: C1, error: 'ConflictException', count: 6 }] }),
    );
    expect(r.envelope.data).toMatchObject({ status: 'SUCCEEDED', summary: { created: 2, failed: 0 } });
    expect(m.calls.CreateClusterSnapshot).toBeGreaterThanOrEqual(8);
  });

  it('402 ServiceQuotaExceeded fails that target only, without retrying', async () => {
    const { r, m, failures } = await scenario(
      base({ faults: [{ operation: 'CreateClusterSnapshot', target: C1, error: 'ServiceQuotaExceededException' }] }),
    );
    expect(r.envelope.data).toMatchObject({ status: 'PARTIAL', summary: { created: 1, copied: 2, failed: 1 } });
    expect(failures).toEqual([expect.objectContaining({ target: C1, code: 'SERVICE_QUOTA_EXCEEDED' })]);
    expect(m.calls.CreateClusterSnapshot).toBe(2);
  });

  it('SnapshotQuotaExceeded and KMSKeyNotAccessibleFault fail the copy clearly', async () => {
    const { r, failures } = await scenario(
      base({
        faults: [
          { operation: 'CopyDBClusterSnapshot', target: 'src-a', error: 'SnapshotQuotaExceeded' },
          { operation: 'CopyDBClusterSnapshot', target: 'src-b', error: 'KMSKeyNotAccessibleFault' },
        ],
      }),
    );
    expect(r.envelope.data.status).toBe('PARTIAL');
    expect(failures.map((f) => [f.target, f.code]).sort()).toEqual([
      [SHARED('src-a'), 'SERVICE_QUOTA_EXCEEDED'],
      [SHARED('src-b'), 'KMS_KEY_NOT_ACCESSIBLE'],
    ]);
    for (const f of failures) expect(f.message).toContain(f.target);
  });

  it('an encrypted shared snapshot without a configured key fails with a message naming it', async () => {
    const noKey = policies(`
policies:
  - name: nightly
    copy: { sourceAccounts: ['111122223333'] }
`);
    const standIn = await startStandIn(world(base()));
    try {
      const r = await run({ world: world(base()), policyFile: noKey, input: { policy: 'nightly' }, standIn });
      expect(r.envelope.data.failures).toEqual([
        expect.objectContaining({
          target: SHARED('src-b'),
          code: 'VALIDATION_ERROR',
          message: expect.stringContaining('copy.kmsKeyId'),
        }),
      ]);
      expect(r.envelope.data.summary.copied).toBe(1);
    } finally {
      await standIn.close();
    }
  });

  it('a copy stuck past its deadline is cancelled by deleting its target', async () => {
    const { r, m, failures } = await scenario(
      base({ faults: [{ operation: 'CopyDBClusterSnapshot', target: 'src-a', stuck: true }] }),
    );
    expect(r.envelope.data.status).toBe('PARTIAL');
    expect(failures).toEqual([
      expect.objectContaining({
        target: SHARED('src-a'),
        code: 'DEADLINE_EXCEEDED',
        message: expect.stringContaining('cancelled'),
      }),
    ]);
    expect([...m.clusterSnapshots.values()].map((s) => s.source)).toEqual([SHARED('src-b')]);
    expect(m.calls.DeleteDBClusterSnapshot).toBe(1);
  });

  it('a snapshot stuck in creating past its deadline is reported DEADLINE_EXCEEDED', async () => {
    const { r, failures } = await scenario(
      base({ faults: [{ operation: 'CreateClusterSnapshot', target: C2, stuck: true }] }),
    );
    expect(r.envelope.data).toMatchObject({ status: 'PARTIAL', summary: { created: 2 } });
    expect(failures).toEqual([expect.objectContaining({ target: C2, code: 'DEADLINE_EXCEEDED' })]);
    expect(Date.parse(r.events.at(-1)?.at ?? '') - Date.parse('2026-11-22T02:00:00Z')).toBeGreaterThanOrEqual(
      120 * 60_000,
    );
  });

  it('a copy that fails mid-way is reported and its failed target removed', async () => {
    const { r, m, failures } = await scenario(
      base({ faults: [{ operation: 'CopyDBClusterSnapshot', target: 'src-a', failMidway: true }] }),
    );
    expect(r.envelope.data.status).toBe('PARTIAL');
    expect(failures).toEqual([
      expect.objectContaining({
        target: SHARED('src-a'),
        code: 'INTERNAL_ERROR',
        message: expect.stringContaining('failed'),
      }),
    ]);
    expect([...m.clusterSnapshots.values()].filter((s) => s.source === SHARED('src-a'))).toEqual([]);
  });

  it('never runs more copies at once than the limit', async () => {
    const shared = Array.from({ length: 12 }, (_, i) => ({
      ownerAccount: '111122223333',
      id: `many-${i}`,
      clusterId: `c${i}`,
      createdAt: '2026-11-21T00:00:00Z',
    }));
    const { r, m } = await scenario(base({ sharedSnapshots: shared }));
    expect(r.envelope.data.summary.copied).toBe(12);
    expect(m.maxCopiesInFlight).toBeLessThanOrEqual(5);
    expect(m.maxCopiesInFlight).toBe(5);
  });

  it('never deletes a snapshot without the ownership tags, even with a matching name', async () => {
    const first = await scenario(base());
    const mine = [...first.m.elasticSnapshots.values()].find((s) => s.clusterArn === C1);
    expect(mine).toBeDefined();
    // Four older look-alikes of C1's snapshot name, one per day, without our tags.
    const lookalikes = [1, 2, 3, 4].map((d) => ({
      name: (mine?.name ?? '').replace(/\d{12}$/, `2026111${d}0200`),
      createdAt: `2026-11-1${d}T02:01:00Z`,
      tags: { owner: 'someone' },
    }));
    const { r, m } = await scenario(
      base({
        elasticClusters: [
          { name: 'alpha', arn: C1, snapshots: lookalikes },
          { name: 'beta', arn: C2 },
        ],
      }),
    );
    expect(r.envelope.data.status).toBe('SUCCEEDED');
    const left = [...m.elasticSnapshots.values()].filter((s) => s.clusterArn === C1 && s.tags.owner === 'someone');
    expect(left).toHaveLength(4);
    expect([...m.elasticSnapshots.values()].filter((s) => s.tags[OWNERSHIP_KEYS.managedBy])).toHaveLength(2);
  });
});
