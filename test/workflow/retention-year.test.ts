/**
 * A year of daily runs: after every run the snapshot set is exactly what restic's rules plus the
 * floor leave when applied day after day.
 */
import { describe, expect, it } from 'vitest';
import { decideAll } from '../fixtures/retention.js';
import { startStandIn } from '../../local/standin/server.js';
import { clusterArn, policies, run, world } from './helpers.js';

const C1 = clusterArn('00000000-0000-4000-8000-0000000000aa');
const POLICY = policies(`
settings:
  poll: { initialSeconds: 900, backoff: 1, maxSeconds: 900, maxIterations: 20 }
policies:
  - name: daily
    elastic: { clusterArns: ['${C1}'] }
    retention: { keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 3, minKeep: 2 }
`);

describe('a year of daily runs', () => {
  it('matches restic rules plus the floor every day', async () => {
    const w = world({
      accountId: '123456789012',
      region: 'us-east-1',
      now: '2026-01-01T02:00:00Z',
      durations: { createMinutes: 10, copyMinutes: 10 },
      elasticClusters: [{ name: 'ledger', arn: C1 }],
    });
    const standIn = await startStandIn(w);
    const m = standIn.model;
    // the expected set, evolved independently of the stand-in
    let expected: { id: string; time: Date; tags: string[] }[] = [];
    let deletedTotal = 0;
    try {
      for (let day = 0; day < 365; day++) {
        const slot = new Date(Date.UTC(2026, 0, 1 + day, 2, 0, 0));
        m.nowMs = Math.max(m.nowMs, slot.getTime());
        const r = await run({ world: w, policyFile: POLICY, input: { policy: 'daily' }, standIn });
        expect(r.envelope.data.status, `day ${day}`).toBe('SUCCEEDED');
        const created = [...m.elasticSnapshots.values()].find((s) =>
          s.name.endsWith(slot.toISOString().slice(0, 16).replace(/[-:T]/g, '')),
        );
        expect(created, `day ${day} snapshot`).toBeDefined();
        expected.push({ id: created?.name ?? '', time: new Date(created?.createdAt ?? 0), tags: [] });
        const decisions = decideAll(expected, { keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 3 }, m.now(), 2);
        expected = decisions.filter((d) => d.keep).map((d) => d.snapshot);
        deletedTotal += r.envelope.data.summary.deleted;
        const actual = [...m.elasticSnapshots.values()].map((s) => s.name).sort();
        expect(actual, `day ${day}`).toEqual(expected.map((s) => s.id).sort());
      }
    } finally {
      await standIn.close();
    }
    // 7 daily + 4 weekly + 12 monthly (some overlap) at the end of the year, the rest pruned
    expect(expected.length).toBeGreaterThanOrEqual(12);
    expect(expected.length).toBeLessThanOrEqual(23);
    expect(deletedTotal).toBe(365 - expected.length);
  }, 240_000);
});
