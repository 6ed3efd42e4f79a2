/**
 * The elastic retention walk through the real state machine: a retention tightened over a fleet keeps
 * the state payload within its bound, and the check loop's bound (settings.poll.maxIterations) ends a
 * run whose retention waits for a create that never finishes, with the create reported.
 */
import { describe, expect, it } from 'vitest';
import { elasticSnapshotName } from '../../functions/domain/naming.js';
import { ownershipTags } from '../../functions/domain/tags.js';
import { clusterArn, policies, run, world } from './helpers.js';

const NOW = new Date('2026-11-22T02:00:00Z');

describe('the elastic retention walk, run by the state machine', () => {
  it('keeps the payload within 64 KiB when a tightened retention deletes 30 snapshots of each of 20 clusters', async () => {
    const a = (i: number) => clusterArn(`00000000-0000-4000-8000-0000000003${String(i).padStart(2, '0')}`);
    const day = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
    const w = world({
      accountId: '123456789012',
      region: 'us-east-1',
      now: NOW.toISOString(),
      durations: { createMinutes: 20 },
      quotas: { elasticSnapshots: 100_000 },
      elasticClusters: Array.from({ length: 20 }, (_, i) => ({
        name: `big-${i}`,
        arn: a(i),
        tags: { backup: 'big' },
        snapshots: Array.from({ length: 30 }, (_, d) => ({
          name: elasticSnapshotName('big', a(i), `big-${i}`, day(d + 1)),
          createdAt: day(d + 1).toISOString(),
          tags: ownershipTags({ policy: 'big', target: a(i), runId: `r${d}`, createdAt: day(d + 1) }),
        })),
      })),
    });
    const r = await run({
      world: w,
      policyFile: policies(`
policies:
  - name: big
    elastic: { selector: { backup: big } }
    retention: { keepLast: 1 }
`),
      input: { policy: 'big' },
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.maxPayloadBytes).toBeLessThanOrEqual(64 * 1024);
    // each cluster keeps its new snapshot; all 30 older ones go
    expect(r.envelope.data.summary).toMatchObject({ created: 20, deleted: 600, failed: 0 });
  });

  it('ends at settings.poll.maxIterations while retention waits for a create that never finishes, and reports it', async () => {
    const a = (i: number) => clusterArn(`00000000-0000-4000-8000-0000000004${String(i).padStart(2, '0')}`);
    const w = world({
      accountId: '123456789012',
      region: 'us-east-1',
      now: NOW.toISOString(),
      durations: { createMinutes: 5 },
      elasticClusters: Array.from({ length: 30 }, (_, i) => ({ name: `s-${i}`, arn: a(i), tags: { backup: 's' } })),
      faults: [{ operation: 'CreateClusterSnapshot', target: a(29), stuck: true }],
    });
    const r = await run({
      world: w,
      policyFile: policies(`
settings: { poll: { initialSeconds: 60, backoff: 1, maxSeconds: 60, maxIterations: 5 } }
policies:
  - name: s
    elastic: { selector: { backup: s } }
    retention: { keepLast: 1 }
    deadlines: { createMinutes: 600 }
`),
      input: { policy: 's' },
    });
    expect(r.status).toBe('SUCCEEDED');
    const env = r.envelope;
    expect(env.data.failures.map((f) => [f.target, f.code])).toEqual([[a(29), 'DEADLINE_EXCEEDED']]);
    // five checks of a minute, not ten hours of them up to the create deadline
    expect(r.virtualSeconds).toBeLessThan(3600);
  });
});
