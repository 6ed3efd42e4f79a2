/**
 * Validate Input: the first state. Checks the execution input against the schema and the policy
 * file, before any AWS call, and fixes the run's identity (id, slot, deadlines).
 */

import { parseRdsSnapshotArn } from '../domain/arns.js';
import { ValidationError } from '../domain/errors.js';
import { RUN_BUDGET_SECONDS } from '../domain/limits.js';
import { ELASTIC_CLUSTER_ARN_RE, findPolicy, type PolicyFile } from '../domain/policy.js';
import { type Run, runInputSchema } from '../domain/run.js';

export interface ValidateEvent {
  input: unknown;
  execution: { name: string; startTime: string };
}

export interface ValidateContext {
  policyFile: PolicyFile;
  accountId: string;
  region: string;
}

const MAX_INPUT_BYTES = 256 * 1024;

export function validateRun(event: ValidateEvent, ctx: ValidateContext): Run {
  const size = Buffer.byteLength(JSON.stringify(event.input ?? null));
  if (size > MAX_INPUT_BYTES) throw new ValidationError(`input: ${size} bytes, over the ${MAX_INPUT_BYTES}-byte limit`);
  if (typeof event.input !== 'object' || event.input === null || Array.isArray(event.input)) {
    throw new ValidationError('input: must be a JSON object such as {"policy":"daily"}');
  }
  const parsed = runInputSchema.safeParse(event.input);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `input.${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ValidationError(msg);
  }
  const input = parsed.data;
  const policy = findPolicy(ctx.policyFile, input.policy);
  if (!policy) {
    const known = ctx.policyFile.policies.map((p) => p.name).join(', ');
    throw new ValidationError(`input.policy: unknown policy "${input.policy}" (known: ${known})`);
  }
  input.targets?.forEach((arn, i) => {
    const field = `input.targets.${i}`;
    const elastic = ELASTIC_CLUSTER_ARN_RE.exec(arn);
    if (elastic) {
      if (elastic[1] !== ctx.region) throw new ValidationError(`${field}: cluster is in ${elastic[1]}, not ${ctx.region}`);
      if (elastic[2] !== ctx.accountId)
        throw new ValidationError(`${field}: cluster belongs to account ${elastic[2]}, not ${ctx.accountId}`);
      if (!policy.elastic) throw new ValidationError(`${field}: policy "${policy.name}" has no elastic targets`);
      return;
    }
    const shared = parseRdsSnapshotArn(arn);
    if (shared) {
      if (shared.region !== ctx.region) throw new ValidationError(`${field}: snapshot is in ${shared.region}, not ${ctx.region}`);
      if (!policy.copy?.sourceAccounts.includes(shared.account)) {
        throw new ValidationError(`${field}: account ${shared.account} is not an allowed source of policy "${policy.name}"`);
      }
      return;
    }
    throw new ValidationError(`${field}: must be an elastic cluster ARN or a shared cluster snapshot ARN`);
  });

  const startedAt = new Date(event.execution.startTime);
  if (Number.isNaN(startedAt.getTime())) throw new ValidationError('execution.startTime: not a timestamp');
  const slot = new Date(input.scheduledTime ?? event.execution.startTime);
  slot.setUTCSeconds(0, 0);
  return {
    id: event.execution.name,
    policy: policy.name,
    slot: slot.toISOString(),
    startedAt: startedAt.toISOString(),
    dryRun: input.dryRun ?? policy.dryRun,
    skip: [...new Set(input.skip ?? [])],
    ...(input.targets ? { targets: input.targets } : {}),
    accountId: ctx.accountId,
    region: ctx.region,
    createDeadline: new Date(startedAt.getTime() + policy.deadlines.createMinutes * 60_000).toISOString(),
    runDeadline: new Date(startedAt.getTime() + RUN_BUDGET_SECONDS * 1000).toISOString(),
  };
}
