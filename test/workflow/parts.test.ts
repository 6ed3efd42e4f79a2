/**
 * The two parts of a run finish on their own: elastic snapshots that take an hour have their tags,
 * retention, freshness metric and report within one poll interval of the last create, while copies that
 * take ten hours are still running; the copies part reports when it is done, and the run's envelope
 * covers both.
 */
import { describe, expect, it } from 'vitest';
import { elasticSnapshotName } from '../../functions/domain/naming.js';
import { ownershipTags } from '../../functions/domain/tags.js';
import { METRICS } from '../../functions/runtime/telemetry.js';
import { clusterArn, type Envelope, policies, run, world } from './helpers.js';

const NOW = new Date('2026-11-22T02:00:00Z');
const SOURCE = '111122223333';
const HOUR = 3_600_000;

describe('parts finish independently', () => {
  it('emits elastic freshness within one poll interval of its creates, long before the slow copies finish', async () => {
    const arnOf = (i: number) => clusterArn(`00000000-0000-4000-8000-0000000002${String(i).padStart(2, '0')}`);
    const day = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
    const w = world({
      accountId: '123456789012',
      region: 'us-east-1',
      now: NOW.toISOString(),
      durations: { createMinutes: 60, copyMinutes: 600 },
      elasticClusters: Array.from({ length: 4 }, (_, i) => ({
        name: `parts-${i}`,
        arn: arnOf(i),
        tags: { backup: 'parts' },
        snapshots: Array.from({ length: 3 }, (_, d) => ({
          name: elasticSnapshotName('parts', arnOf(i), `parts-${i}`, day(d + 1)),
          createdAt: day(d + 1).toISOString(),
          tags: ownershipTags({ policy: 'parts', target: arnOf(i), runId: `r${d}`, createdAt: day(d + 1) }),
        })),
      })),
      sharedSnapshots: Array.from({ length: 3 }, (_, i) => ({
        ownerAccount: SOURCE,
        id: `partner-${i}`,
        clusterId: `src-${i}`,
        createdAt: new Date(NOW.getTime() - HOUR).toISOString(),
      })),
    });
    const poll = { initialSeconds: 600, maxSeconds: 3600 };
    const r = await run({
      world: w,
      policyFile: policies(`
settings: { poll: { initialSeconds: ${poll.initialSeconds}, maxSeconds: ${poll.maxSeconds} } }
policies:
  - name: parts
    elastic: { selector: { backup: parts } }
    copy: { sourceAccounts: ['${SOURCE}'] }
    retention: { keepDaily: 3 }
    deadlines: { copyMinutes: 720 }
`),
      input: { policy: 'parts' },
    });
    expect(r.status).toBe('SUCCEEDED');
    const env: Envelope = r.envelope;
    expect(env.data.status).toBe('SUCCEEDED');
    // what each part's freshness metric says, and when (virtual time) it was emitted
    const stamps = (part: string) =>
      r.emf
        .map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { Timestamp: number } })
        .filter((d) => d.Part === part && METRICS.stalest in d)
        .map((d) => d._aws.Timestamp - NOW.getTime());
    const [elastic] = stamps('elastic');
    const [copies] = stamps('copies');
    expect(elastic).toBeDefined();
    expect(copies).toBeDefined();
    // creates take an hour: elastic freshness follows within one poll interval (and the walk's few minutes)
    expect(elastic as number).toBeGreaterThanOrEqual(HOUR);
    expect(elastic as number).toBeLessThanOrEqual(HOUR + poll.maxSeconds * 1000 + 10 * 60_000);
    // copies take ten hours: their freshness follows them, not the other way round
    expect(copies as number).toBeGreaterThanOrEqual(10 * HOUR);
    expect((copies as number) - (elastic as number)).toBeGreaterThan(7 * HOUR);
    // the elastic part was reported (retention done, 4 created, 4 deleted) while copies were still in flight
    const { elastic: e, copies: c } = env.data.parts;
    expect(Date.parse(e.reportedAt ?? '')).toBeLessThan(Date.parse(c.doneAt ?? ''));
    expect(e).toMatchObject({ created: 4, deleted: 4 });
    // and the run's envelope still reports the whole run
    expect(env.data.summary).toMatchObject({ created: 4, copied: 3, failed: 0 });
  });

  it('drains a copy queue at the pace copies end: the wait stays short while copies queue for a slot', async () => {
    // 20 copies of 30 minutes, 5 at a time: 4 rounds, 2 h of copying. Waits grown to an hour would add
    // most of an hour to each round (about 3.2 h in all); held at 10 minutes they add at most one each.
    const w = world({
      accountId: '123456789012',
      region: 'us-east-1',
      now: NOW.toISOString(),
      quotas: { concurrentCopies: 5 },
      sharedSnapshots: Array.from({ length: 20 }, (_, i) => ({
        ownerAccount: SOURCE,
        id: `queued-${i}`,
        clusterId: `src-${i}`,
        createdAt: new Date(NOW.getTime() - HOUR).toISOString(),
        copyMinutes: 30,
      })),
    });
    const r = await run({
      world: w,
      policyFile: policies(`
settings: { poll: { initialSeconds: 600, maxSeconds: 3600, backoff: 2 } }
policies:
  - name: queue
    copy: { sourceAccounts: ['${SOURCE}'] }
    retention: { keepDaily: 30 }
`),
      input: { policy: 'queue' },
    });
    expect(r.envelope.data.summary).toMatchObject({ copied: 20, failed: 0 });
    const done = r.emf
      .map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { Timestamp: number } })
      .find((d) => d.Part === 'copies' && METRICS.stalest in d);
    const hours = ((done?._aws.Timestamp ?? Number.POSITIVE_INFINITY) - NOW.getTime()) / HOUR;
    expect(hours).toBeGreaterThanOrEqual(2);
    expect(hours).toBeLessThanOrEqual(2 + (4 * 600) / 3600 + 0.1);
  });
});
