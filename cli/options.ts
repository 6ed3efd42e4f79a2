/**
 * The flags that describe a run, shared by the operator CLI (`backup-orchestrator start`) and the
 * rehearsal (`npm start`), so both take the same names: --policy, --dry-run, --targets, --skip, --slot.
 */
import { type Command, Option } from 'commander';
import { ValidationError } from '../functions/domain/errors.js';
import { parseRdsSnapshotArn } from '../functions/domain/arns.js';
import { ELASTIC_CLUSTER_ARN_RE, type PolicyFile } from '../functions/domain/policy.js';
import { type RunInput, runInputSchema, SKIPPABLE } from '../functions/domain/run.js';
import { validateRun } from '../functions/validate-input/validate-input.js';

export interface RunFlags {
  policy?: string;
  dryRun?: boolean;
  targets?: string[];
  skip?: string[];
  slot?: string;
}

/** Adds the run flags to a command. */
export function addRunFlags(cmd: Command, policy: 'required' | 'optional'): Command {
  const policyOption = new Option('--policy <name>', policy === 'required' ? 'policy to run' : 'policy to run (default: the first one)');
  if (policy === 'required') policyOption.makeOptionMandatory();
  return cmd
    .addOption(policyOption)
    .option('--dry-run', 'plan and report, change nothing')
    .option('--targets <arn...>', 'only these elastic cluster ARNs and/or shared snapshot ARNs')
    .addOption(new Option('--skip <part...>', 'leave out parts of the run').choices([...SKIPPABLE]))
    .option(
      '--slot <time>',
      're-run a scheduled slot, such as 2026-11-22T03:00:00Z: what the first attempt made is adopted, not made again',
    );
}

/** `input.targets.0: ...` -> `--targets 1: ...`: messages name the flag the user typed. */
export function flagMessage(message: string): string {
  return message
    .replace(/input\.targets\.(\d+)/g, (_, i: string) => `--targets ${Number(i) + 1}`)
    .replace(/input\.scheduledTime/g, '--slot')
    .replace(/input\.dryRun/g, '--dry-run')
    .replace(/input\.(policy|targets|skip)/g, '--$1');
}

/** The execution input the flags describe, checked against the same schema as the Validate Input step. */
export function runInputOf(flags: RunFlags): RunInput {
  const input = {
    ...(flags.policy !== undefined ? { policy: flags.policy } : {}),
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.targets ? { targets: flags.targets } : {}),
    ...(flags.skip ? { skip: flags.skip } : {}),
    ...(flags.slot !== undefined ? { scheduledTime: flags.slot } : {}),
  };
  const parsed = runInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError(flagMessage(parsed.error.issues.map((i) => `input.${i.path.join('.')}: ${i.message}`).join('; ')));
  }
  return parsed.data;
}

/**
 * Everything Validate Input would refuse, refused before a run starts: an unknown policy, targets of
 * another account or region or outside the policy. Without a policy file, the checks that need none.
 */
export function checkRunInput(input: RunInput, ctx: { policyFile?: PolicyFile; accountId: string; region: string }): void {
  const event = { input, execution: { name: 'cli-check', startTime: new Date().toISOString() } };
  try {
    if (ctx.policyFile) {
      validateRun(event, { policyFile: ctx.policyFile, accountId: ctx.accountId, region: ctx.region });
      return;
    }
    // No policy file here: what can be checked without one (the run's own Validate Input checks the rest).
    input.targets?.forEach((arn, i) => {
      const field = `--targets ${i + 1}`;
      const elastic = ELASTIC_CLUSTER_ARN_RE.exec(arn);
      const shared = parseRdsSnapshotArn(arn);
      if (!elastic && !shared) throw new ValidationError(`${field}: must be an elastic cluster ARN or a shared cluster snapshot ARN`);
      const region = elastic?.[1] ?? shared?.region;
      if (region !== ctx.region) throw new ValidationError(`${field}: ${arn} is in ${region}, not ${ctx.region}`);
      if (elastic && elastic[2] !== ctx.accountId)
        throw new ValidationError(`${field}: cluster belongs to account ${elastic[2]}, not ${ctx.accountId}`);
    });
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(flagMessage(err.message), { cause: err });
    throw err;
  }
}
