/**
 * The world's `pace` settings: latency and throttling in virtual time (local/standin/pace.ts). Off when a
 * world has no `pace`; `pace: {}` turns both on with the documented defaults (docs/aws-behaviour.md, P1-P6).
 * Kept apart from world.ts so the stand-in's other settings and these evolve independently.
 */
import * as z from 'zod';

const latencySchema = z
  .strictObject({
    medianMs: z.number().min(0).max(60_000).describe('Median latency of one call, in virtual ms'),
    p99Ms: z.number().min(0).max(60_000).describe('99th percentile, in virtual ms (log-normal between the two)'),
  })
  .refine((l) => l.p99Ms >= l.medianMs, 'p99Ms must be at least medianMs');

const bucketSchema = z.strictObject({
  capacity: z.number().int().min(1).max(1_000_000).describe('Tokens the bucket holds when full (the burst)'),
  refillPerSecond: z.number().positive().max(1_000_000).describe('Tokens added per virtual second'),
});

export const paceSchema = z
  .strictObject({
    seed: z.number().int().min(0).default(1).describe('Seed of the latency draws: the same seed gives the same latencies'),
    latencyScale: z.number().min(0).max(100).default(1).describe('Multiplies every latency (0: calls take no virtual time)'),
    latency: z
      .record(z.string().regex(/^[A-Z][A-Za-z]+(\.rds)?$/, 'must be an operation name as faults name it'), latencySchema)
      .default({})
      .describe('Latency per operation (as faults name them), replacing the default for that operation'),
    throttling: z.boolean().default(true).describe('Token buckets per account: one for the RDS family, one for docdb-elastic'),
    buckets: z
      .strictObject({ 'docdb-elastic': bucketSchema.optional(), rds: bucketSchema.optional() })
      .default({})
      .describe('Bucket sizes and refill rates replacing the defaults'),
  })
  .describe(
    'Latency and throttling in virtual time (off when absent). Separate from the latencyMs fault, which holds an answer in real time.',
  );

export type PaceSettings = z.output<typeof paceSchema>;
