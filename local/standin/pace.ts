/**
 * Latency and throttling in virtual time (the world's `pace`; off when absent). Each call to a paced
 * service draws a latency from its operation's distribution (log-normal between a median and a 99th
 * percentile, from a seeded stream: the same seed gives the same latencies) and takes a token from its
 * service's bucket. An empty bucket answers with that service's throttling error. The stand-in only
 * says how long a call took (the `x-standin-latency-ms` header); the runner holds the answer for that
 * long on the virtual clock, with calls in flight at once overlapping (local/runner.ts), so a 10,000
 * cluster run takes seconds of wall time.
 *
 * Where each default comes from: docs/aws-behaviour.md, P1-P6. None is published by AWS for these
 * services; they are chosen conservatively (slower and stingier than the figures they derive from).
 */
import type { PaceSettings } from './pace-schema.js';

export type PacedService = 'docdb-elastic' | 'rds';

export interface Latency {
  medianMs: number;
  p99Ms: number;
}

/** P1: a page of up to 100 items (List*, Describe*). */
export const PAGE_LATENCY: Latency = { medianMs: 200, p99Ms: 500 };
/** P2: one resource read (Get*, ListTagsForResource). */
export const READ_LATENCY: Latency = { medianMs: 100, p99Ms: 400 };
/** P3: a change (Create*, Copy*, Delete*, Restore*, tags). */
export const WRITE_LATENCY: Latency = { medianMs: 250, p99Ms: 500 };
/** No call answers faster than this (P1-P3: the low end of the 50-500 ms range). */
export const MIN_LATENCY_MS = 50;

/** P4, P5: one bucket per account and service family. */
export const DEFAULT_BUCKETS: Record<PacedService, { capacity: number; refillPerSecond: number }> = {
  'docdb-elastic': { capacity: 50, refillPerSecond: 10 },
  rds: { capacity: 20, refillPerSecond: 5 },
};

/** The default distribution of an operation (names as faults use them). */
export function defaultLatency(op: string): Latency {
  const name = op.replace(/\.rds$/, '');
  if (name === 'ListTagsForResource' || name.startsWith('Get')) return READ_LATENCY;
  if (name.startsWith('List') || name.startsWith('Describe')) return PAGE_LATENCY;
  return WRITE_LATENCY;
}

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** z of the 99th percentile of the standard normal distribution. */
const Z99 = 2.3263478740408408;

/**
 * One latency (ms) from a log-normal distribution with the given median and 99th percentile, drawn with
 * two uniform numbers (Box-Muller), clamped to [MIN_LATENCY_MS, 2 x p99].
 */
export function drawLatency(l: Latency, u1: number, u2: number): number {
  if (l.medianMs <= 0) return 0;
  const sigma = l.p99Ms > l.medianMs ? Math.log(l.p99Ms / l.medianMs) / Z99 : 0;
  const z = Math.sqrt(-2 * Math.log(Math.max(u1, Number.MIN_VALUE))) * Math.cos(2 * Math.PI * u2);
  const ms = l.medianMs * Math.exp(sigma * z);
  return Math.min(Math.max(ms, Math.min(MIN_LATENCY_MS, l.medianMs)), 2 * Math.max(l.p99Ms, l.medianMs));
}

/** A token bucket on the virtual clock: `capacity` tokens at most, `refillPerSecond` added continuously. */
export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    nowMs: number,
  ) {
    this.tokens = capacity;
    this.at = nowMs;
  }

  /** Tokens in the bucket at `nowMs` (time never runs backwards for a bucket). */
  level(nowMs: number): number {
    if (nowMs > this.at) {
      this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.at) / 1000) * this.refillPerSecond);
      this.at = nowMs;
    }
    return this.tokens;
  }

  /** Takes one token if there is one; false: the call is throttled (and takes nothing). */
  take(nowMs: number): boolean {
    if (this.level(nowMs) < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface Admission {
  throttled: boolean;
  /** How long the call takes (virtual ms), throttled or not. */
  latencyMs: number;
}

/** The pace of one stand-in account: its buckets, its latency stream, and what it throttled. */
export class Pace {
  private readonly buckets: Partial<Record<PacedService, TokenBucket>> = {};
  private readonly next: () => number;
  /** Calls per operation that met an empty bucket. */
  readonly throttled: Record<string, number> = {};

  constructor(
    readonly settings: PaceSettings,
    nowMs: number,
  ) {
    this.next = uniform(settings.seed);
    if (settings.throttling) {
      for (const service of Object.keys(DEFAULT_BUCKETS) as PacedService[]) {
        const b = settings.buckets[service] ?? DEFAULT_BUCKETS[service];
        this.buckets[service] = new TokenBucket(b.capacity, b.refillPerSecond, nowMs);
      }
    }
  }

  latency(op: string): Latency {
    return this.settings.latency[op] ?? defaultLatency(op);
  }

  /** A call of `op` to `service` arriving at `nowMs`: throttled or not, and how long it takes. */
  admit(service: PacedService, op: string, nowMs: number): Admission {
    const latencyMs = Math.round(drawLatency(this.latency(op), this.next(), this.next()) * this.settings.latencyScale);
    const bucket = this.buckets[service];
    const throttled = bucket ? !bucket.take(nowMs) : false;
    if (throttled) this.throttled[op] = (this.throttled[op] ?? 0) + 1;
    return { throttled, latencyMs };
  }

  get throttledCalls(): number {
    return Object.values(this.throttled).reduce((a, b) => a + b, 0);
  }
}

/** The header that tells the runner how long a call took in virtual time. */
export const LATENCY_HEADER = 'x-standin-latency-ms';
