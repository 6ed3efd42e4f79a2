/**
 * The stand-in's pace model, pure: token buckets on the virtual clock, and latencies drawn from a seed.
 * (Whether AWS has these rates and latencies is an assumption: docs/aws-behaviour.md P1-P6.)
 */
import { describe, expect, it } from 'vitest';
import {
  defaultLatency,
  drawLatency,
  Pace,
  PAGE_LATENCY,
  READ_LATENCY,
  TokenBucket,
  uniform,
  WRITE_LATENCY,
} from '../../local/standin/pace.js';
import { paceSchema } from '../../local/standin/pace-schema.js';

describe('token bucket', () => {
  it('starts full, takes one token a call, and throttles once empty without taking any', () => {
    const b = new TokenBucket(3, 1, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.level(0)).toBe(0);
  });

  it('refills at its rate on the virtual clock, never past its capacity', () => {
    const b = new TokenBucket(10, 2, 0);
    for (let i = 0; i < 10; i++) b.take(0);
    expect(b.level(500)).toBeCloseTo(1);
    // an earlier time is served from what the bucket holds: time never runs backwards for a bucket
    expect([b.take(400), b.take(400)]).toEqual([true, false]);
    expect(b.level(1_000)).toBeCloseTo(1);
    expect(b.level(60_000)).toBe(10);
  });

  it('sustains its refill rate: 10 a second over a minute of calls every 50 ms', () => {
    const b = new TokenBucket(50, 10, 0);
    let ok = 0;
    for (let t = 0; t < 60_000; t += 50) if (b.take(t)) ok++;
    // the burst of 50, then 10 a second
    expect(ok).toBeGreaterThanOrEqual(50 + 599);
    expect(ok).toBeLessThanOrEqual(50 + 601);
  });
});

describe('latency', () => {
  it('is the same for the same seed, and another for another seed', () => {
    const draw = (seed: number) => {
      const u = uniform(seed);
      return Array.from({ length: 20 }, () => drawLatency(PAGE_LATENCY, u(), u()));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('has the configured median and 99th percentile, within [50 ms, 2 x p99]', () => {
    const u = uniform(1);
    const xs = Array.from({ length: 20_000 }, () => drawLatency(WRITE_LATENCY, u(), u())).sort((a, b) => a - b);
    const at = (q: number) => xs[Math.floor(q * xs.length)] as number;
    expect(at(0.5)).toBeGreaterThan(WRITE_LATENCY.medianMs * 0.95);
    expect(at(0.5)).toBeLessThan(WRITE_LATENCY.medianMs * 1.05);
    expect(at(0.99)).toBeGreaterThan(WRITE_LATENCY.p99Ms * 0.9);
    expect(at(0.99)).toBeLessThan(WRITE_LATENCY.p99Ms * 1.1);
    expect(xs[0]).toBeGreaterThanOrEqual(50);
    expect(xs.at(-1)).toBeLessThanOrEqual(2 * WRITE_LATENCY.p99Ms);
  });

  it('gives pages, single reads and changes their own defaults', () => {
    expect(defaultLatency('ListClusterSnapshots')).toBe(PAGE_LATENCY);
    expect(defaultLatency('DescribeDBClusterSnapshots')).toBe(PAGE_LATENCY);
    expect(defaultLatency('ListTagsForResource.rds')).toBe(READ_LATENCY);
    expect(defaultLatency('GetClusterSnapshot')).toBe(READ_LATENCY);
    expect(defaultLatency('CreateClusterSnapshot')).toBe(WRITE_LATENCY);
    expect(defaultLatency('CopyDBClusterSnapshot')).toBe(WRITE_LATENCY);
  });
});

describe('pace of an account', () => {
  const settings = (raw: unknown) => paceSchema.parse(raw);

  it('throttles each service on its own bucket, and counts what it throttled', () => {
    const pace = new Pace(
      settings({ buckets: { 'docdb-elastic': { capacity: 2, refillPerSecond: 1 }, rds: { capacity: 1, refillPerSecond: 1 } } }),
      0,
    );
    const elastic = [1, 2, 3].map(() => pace.admit('docdb-elastic', 'ListClusters', 0).throttled);
    const rds = [1, 2].map(() => pace.admit('rds', 'DescribeDBClusterSnapshots', 0).throttled);
    expect(elastic).toEqual([false, false, true]);
    expect(rds).toEqual([false, true]);
    expect(pace.throttled).toEqual({ ListClusters: 1, DescribeDBClusterSnapshots: 1 });
    expect(pace.throttledCalls).toBe(2);
  });

  it("takes latency from the seed, scaled, or the world's own distribution for an operation", () => {
    const a = new Pace(settings({ seed: 3 }), 0);
    const b = new Pace(settings({ seed: 3 }), 0);
    const calls = ['ListClusters', 'CreateClusterSnapshot', 'ListTagsForResource'];
    expect(calls.map((op) => a.admit('docdb-elastic', op, 0).latencyMs)).toEqual(
      calls.map((op) => b.admit('docdb-elastic', op, 0).latencyMs),
    );
    const none = new Pace(settings({ latencyScale: 0, throttling: false }), 0);
    expect(none.admit('rds', 'CopyDBClusterSnapshot', 0)).toEqual({ throttled: false, latencyMs: 0 });
    const fixed = new Pace(settings({ latency: { GetCluster: { medianMs: 1000, p99Ms: 1000 } } }), 0);
    expect(fixed.admit('docdb-elastic', 'GetCluster', 0).latencyMs).toBe(1000);
  });

  it('refuses settings that cannot be (p99 under the median, an unknown operation name shape)', () => {
    expect(() => settings({ latency: { GetCluster: { medianMs: 100, p99Ms: 50 } } })).toThrow(/p99Ms/);
    expect(() => settings({ latency: { 'get-cluster': { medianMs: 100, p99Ms: 200 } } })).toThrow();
    expect(() => settings({ buckets: { sqs: { capacity: 1, refillPerSecond: 1 } } })).toThrow();
  });
});
