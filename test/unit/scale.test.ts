/**
 * What keeps a run small at any fleet size: the watched sample of creates, the state's byte bound, and
 * a retention that waits for snapshots still creating.
 */
import { describe, expect, it } from 'vitest';
import { route } from '../../functions/domain/route.js';
import { type Failure, type Progress, STATE_BYTES, WATCH_SIZE } from '../../functions/domain/run.js';
import { fitProgress, offerToWatch } from '../../functions/domain/scale.js';
import { RUN, startProgress } from '../fixtures/run.js';

const arn = (i: number) => `arn:aws:docdb-elastic:us-east-1:123456789012:cluster/c${String(i).padStart(5, '0')}`;

describe('watched sample', () => {
  it('keeps at most WATCH_SIZE clusters, whatever the order and the number of offers', () => {
    const all = Array.from({ length: 500 }, (_, i) => arn(i));
    const once = offerToWatch([], all, 'run-1');
    let inChunks: string[] = [];
    for (let i = 0; i < all.length; i += 37) inChunks = offerToWatch(inChunks, all.slice(i, i + 37), 'run-1');
    const reversed = offerToWatch([], [...all].reverse(), 'run-1');
    expect(once).toHaveLength(WATCH_SIZE);
    expect(inChunks).toEqual(once);
    expect(reversed).toEqual(once);
    expect(new Set(once).size).toBe(WATCH_SIZE);
  });

  it('is spread over the fleet, not its first clusters, and differs from run to run', () => {
    const all = Array.from({ length: 1000 }, (_, i) => arn(i));
    const sample = offerToWatch([], all, 'run-1');
    const positions = sample.map((a) => all.indexOf(a));
    expect(Math.max(...positions)).toBeGreaterThan(500);
    expect(Math.min(...positions)).toBeLessThan(500);
    expect(offerToWatch([], all, 'run-2')).not.toEqual(sample);
  });

  it('takes everything from a small fleet, and nothing from no offer', () => {
    expect(offerToWatch([], [arn(1), arn(2)], 'r').sort()).toEqual([arn(1), arn(2)]);
    expect(offerToWatch([arn(3)], [], 'r')).toEqual([arn(3)]);
    expect(offerToWatch([arn(3)], [arn(3)], 'r')).toEqual([arn(3)]);
  });
});

describe('state byte bound', () => {
  const line = (i: number, pad = 200) => ({ arn: arn(i), name: `n${i}`.padEnd(pad, 'x'), of: `c${i}`, time: '2026-11-22T03:00:00.000Z' });
  const failure = (i: number): Failure => ({ target: arn(i), code: 'INTERNAL_ERROR', message: 'm'.repeat(300) });
  const crowded = (): Progress => {
    const p = startProgress();
    return {
      ...p,
      elastic: { ...p.elastic, listedCreated: Array.from({ length: 20 }, (_, i) => line(i, 600)), retry: [[arn(1), 'one']] },
      copies: { ...p.copies, listedCopied: Array.from({ length: 20 }, (_, i) => line(i, 600)), listedLeft: [line(1)] },
      retention: {
        elastic: { ...p.retention.elastic, listed: Array.from({ length: 20 }, (_, i) => line(i, 600)) },
        copies: { ...p.retention.copies, listed: [line(2)] },
      },
      log: { failures: Array.from({ length: 50 }, (_, i) => failure(i)), failureCount: 80, failuresByCode: { INTERNAL_ERROR: 80 } },
    };
  };

  it('leaves a state under the bound as it is', () => {
    const p = startProgress();
    expect(fitProgress(p)).toBe(p);
  });

  it('trims the longest informational lists until the state fits, keeping counts and work', () => {
    const p = crowded();
    expect(JSON.stringify(p).length).toBeGreaterThan(STATE_BYTES);
    const fit = fitProgress(p);
    expect(JSON.stringify(fit).length).toBeLessThanOrEqual(STATE_BYTES);
    expect(fit.log.failureCount).toBe(80);
    expect(fit.log.failuresByCode).toEqual({ INTERNAL_ERROR: 80 });
    expect(fit.elastic.retry).toEqual([[arn(1), 'one']]);
    // the first entries stay: a list is cut from its end
    expect(fit.elastic.listedCreated[0]).toEqual(p.elastic.listedCreated[0]);
    expect(fit.log.failures[0]).toEqual(p.log.failures[0]);
  });

  it('is what every step returns: route fits the state it routes', () => {
    expect(JSON.stringify(route(crowded(), RUN, new Date(RUN.startedAt))).length).toBeLessThanOrEqual(STATE_BYTES);
  });

  it('gives up only informational entries: a state of work alone stays as large as it is', () => {
    const p = startProgress();
    const work: Progress = {
      ...p,
      retention: {
        ...p.retention,
        elastic: {
          ...p.retention.elastic,
          plan: Array.from({ length: 400 }, (_, i) => ({ kind: 'elastic' as const, id: arn(i), target: arn(i), ...line(i) })),
        },
      },
    };
    const fit = fitProgress(work, 1000);
    expect(fit.retention.elastic.plan).toHaveLength(400);
  });
});

describe('a retention waiting for snapshots still creating', () => {
  it('waits for the next check, lets the other part go on meanwhile, and is taken up again once the check cleared it', () => {
    const p = startProgress();
    const waiting: Progress = {
      ...p,
      elastic: { ...p.elastic, stage: 'retention', cursor: undefined },
      copies: { ...p.copies, stage: 'active' },
      retention: { ...p.retention, elastic: { ...p.retention.elastic, waiting: true } },
    };
    const now = new Date(RUN.startedAt);
    expect(route(waiting, RUN, now).next).toBe('wait');
    expect(route({ ...waiting, copies: { ...waiting.copies, stage: 'tags' } }, RUN, now)).toMatchObject({ next: 'tag', part: 'copies' });
    const cleared = { ...waiting, retention: { ...waiting.retention, elastic: { ...waiting.retention.elastic, waiting: false } } };
    expect(route(cleared, RUN, now)).toMatchObject({ next: 'retain', part: 'elastic' });
  });
});
