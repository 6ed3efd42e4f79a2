/**
 * Every run ends, and reports, inside the state machine's timeout: at the run deadline (the timeout less
 * the margin to finish) what is still creating or copying is reported DEADLINE_EXCEEDED, copies in flight
 * are cancelled by deleting their target, copies never started are reported, and tags, retention and the
 * report still run.
 */
import { describe, expect, it } from 'vitest';
import { RUN_BUDGET_SECONDS, STATE_MACHINE_TIMEOUT_SECONDS } from '../../functions/domain/limits.js';
import { runWorkflow } from '../../local/runner.js';
import { startStandIn } from '../../local/standin/server.js';
import { clusterArn, type Envelope, policies, world } from './helpers.js';

const C1 = clusterArn('00000000-0000-4000-8000-0000000000d1');
const NOW = new Date('2026-11-22T02:00:00Z');

describe('the run deadline', () => {
  it('ends a run whose operations never finish and whose copy queue is longer than a run, inside the timeout, with everything reported', async () => {
    const sources = Array.from({ length: 5 }, (_, i) => ({
      ownerAccount: '111122223333',
      id: `big-${i}`,
      clusterId: `c${i}`,
      createdAt: new Date(NOW.getTime() - 3_600_000).toISOString(),
      copyMinutes: 50 * 60,
    }));
    const w = world({
      accountId: '123456789012',
      region: 'us-east-1',
      now: NOW.toISOString(),
      elasticClusters: [{ name: 'stuck', arn: C1, snapshots: [{ name: 'older', createdAt: '2026-11-01T00:00:00Z' }] }],
      sharedSnapshots: sources,
      faults: [{ operation: 'CreateClusterSnapshot', stuck: true }],
    });
    const p = policies(`
settings: { maxCopiesInFlight: 1, poll: { initialSeconds: 600, backoff: 2, maxSeconds: 3600 } }
policies:
  - name: slow
    elastic: { clusterArns: ['${C1}'] }
    copy: { sourceAccounts: ['111122223333'], select: all }
    retention: { keepLast: 10 }
    deadlines: { createMinutes: 3960, copyMinutes: 3960 }
`);
    const standIn = await startStandIn(w);
    try {
      const r = await runWorkflow({ standIn, policyFile: p, input: { policy: 'slow' } });
      expect(r.status, `${r.error} ${r.cause}`).toBe('SUCCEEDED');
      const d = (r.output as Envelope).data;
      // it ended about at the run deadline (the loop's bound on checks fits inside it), and inside the timeout
      const took = (Date.parse(d.finished_at) - Date.parse(d.created_at)) / 1000;
      expect(took).toBeGreaterThanOrEqual(RUN_BUDGET_SECONDS - 3600);
      expect(took).toBeLessThan(STATE_MACHINE_TIMEOUT_SECONDS);
      expect(r.virtualSeconds).toBeLessThan(STATE_MACHINE_TIMEOUT_SECONDS);
      expect(d.status).toBe('PARTIAL');
      const byTarget = Object.fromEntries(d.failures.map((f) => [f.target, f]));
      expect(byTarget[C1]).toMatchObject({ code: 'DEADLINE_EXCEEDED', message: expect.stringContaining('still CREATING') });
      // one copy was done (50 h), the next in flight at the deadline was cancelled, the rest never started
      expect(d.summary.copied).toBe(1);
      const copyFailures = d.failures.filter((f) => f.target.includes(':cluster-snapshot:big-'));
      expect(copyFailures).toHaveLength(4);
      expect(copyFailures.filter((f) => f.message.includes('cancelled by deleting the target'))).toHaveLength(1);
      expect(copyFailures.filter((f) => f.message.includes('never started'))).toHaveLength(3);
      for (const f of copyFailures) expect(f.code).toBe('DEADLINE_EXCEEDED');
      expect(standIn.model.copiesInFlight()).toBe(0);
      // tags, retention and the report ran after the deadline
      expect(d.parts.elastic.reportedAt).toBeDefined();
      expect(d.parts.copies.reportedAt).toBeDefined();
      expect(d.summary.kept).toBeGreaterThan(0);
    } finally {
      await standIn.close();
    }
  });
});
