/**
 * Process configuration, parsed once and typed. The only place that reads process.env.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod';
import { ValidationError } from '../domain/errors.js';
import { type PolicyFile, parsePolicyYaml } from '../domain/policy.js';

const envSchema = z.object({
  POLICY_FILE: z.string().min(1).default('policies.yml'),
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
  METRICS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9._/#:-]{1,255}$/, 'must be a CloudWatch namespace')
    .default('BackupOrchestrator'),
  TRACING: z.enum(['true', 'false']).default('false'),
  /** When the stack was packaged (set by serverless package): a policy no run has reported on counts from its first scheduled run after it. */
  DEPLOYED_AT: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time such as 2026-11-22T02:00:00Z' }).optional(),
});

export interface AppConfig {
  region: string;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  metricsNamespace: string;
  tracing: boolean;
  policyFile: PolicyFile;
  policyPath: string;
  deployedAt: Date;
}

export function loadPolicyFile(path: string): PolicyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ValidationError(`policy file ${path}: cannot be read: ${(err as Error).message}`);
  }
  return parsePolicyYaml(text);
}

const logLevelSchema = envSchema.shape.LOG_LEVEL;
const tracingSchema = envSchema.shape.TRACING;

/** LOG_LEVEL alone (a bad value reads as INFO): the logger exists before the rest of the config is checked. */
export function loadLogLevel(env: Record<string, string | undefined> = process.env): AppConfig['logLevel'] {
  const parsed = logLevelSchema.safeParse(env.LOG_LEVEL);
  return parsed.success ? parsed.data : 'INFO';
}

/** TRACING alone (anything but "true" is off). */
export function tracingEnabled(env: Record<string, string | undefined> = process.env): boolean {
  return tracingSchema.safeParse(env.TRACING).data === 'true';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ValidationError(`environment: ${msg}`);
  }
  const policyPath = resolve(parsed.data.POLICY_FILE);
  return {
    region: parsed.data.AWS_REGION,
    logLevel: parsed.data.LOG_LEVEL,
    metricsNamespace: parsed.data.METRICS_NAMESPACE,
    tracing: parsed.data.TRACING === 'true',
    policyFile: loadPolicyFile(policyPath),
    policyPath,
    deployedAt: new Date(parsed.data.DEPLOYED_AT ?? 0),
  };
}
