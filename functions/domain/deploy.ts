/**
 * What `serverless package` checks before anything is deployed, and the AWS names it generates.
 * Pure: the policy file, the service, the stage and the region in; names and problems out.
 *
 * Names that would break an AWS limit are shortened deterministically: a readable prefix and a hash of
 * the full name, so they stay unique (IAM role names are account-wide: the hash covers the service,
 * the stage, the function and the region).
 */
import { shortHash } from './naming.js';
import { grownWait, type PolicyFile } from './policy.js';
import { RUN_BUDGET_SECONDS, STATE_MACHINE_TIMEOUT_SECONDS } from './limits.js';

/** The Lambda functions, as serverless.yml keys them. */
export const FUNCTION_KEYS = [
  'validateInput',
  'startOperations',
  'checkOperations',
  'applyTags',
  'applyRetention',
  'report',
  'describeFailure',
  'checkFreshness',
  'startDrills',
  'checkDrills',
  'cleanUpDrills',
  'reportDrills',
  'auditCoverage',
] as const;
export type FunctionKey = (typeof FUNCTION_KEYS)[number];

/** AWS's limits on the names the stack creates (service models; docs/aws-behaviour.md). */
export const NAME_LIMITS = {
  stack: 128,
  schedule: 64,
  role: 64,
  function: 64,
  stateMachine: 80,
  alarm: 255,
  dashboard: 255,
} as const;

export interface DeployContext {
  service: string;
  stage: string;
  region: string;
  /** Put in front of every IAM role name (an organisation's naming rule). */
  roleNamePrefix?: string;
}

/**
 * The name, or when it is longer than `max`: its readable beginning (the stack), its readable end (what
 * the name is for: the function, the policy and schedule, the region) and a 6-character hash of the
 * whole, which keeps shortened names unique.
 */
export function fitName(full: string, max: number): string {
  if (full.length <= max) return full;
  const hash = shortHash(full);
  const room = max - hash.length - 2;
  const tailLength = Math.floor(room / 2);
  const head = full.slice(0, room - tailLength).replace(/[-_.]+$/, '');
  const tail = full.slice(full.length - tailLength).replace(/^[-_.]+/, '');
  return `${head}-${tail}-${hash}`;
}

export interface GeneratedNames {
  stack: string;
  stateMachine: string;
  /** The restore drill workflow. */
  drillStateMachine: string;
  functions: Record<FunctionKey, string>;
  roles: Record<FunctionKey | 'global' | 'scheduler' | 'stateMachine', string>;
  /** Schedule names by `<policy>-<n>` (n counts the policy's schedules from 1). */
  schedules: Record<string, string>;
  dashboard: string;
  alarmPrefix: string;
}

export function generatedNames(file: PolicyFile, ctx: DeployContext): GeneratedNames {
  const stack = `${ctx.service}-${ctx.stage}`;
  const prefix = ctx.roleNamePrefix ?? '';
  // The role-name prefix stays whole (boundaries and SCPs match on it); the rest is fitted after it.
  const role = (what: string) => `${prefix}${fitName(`${stack}-${what}-${ctx.region}`, NAME_LIMITS.role - prefix.length)}`;
  const functions = Object.fromEntries(FUNCTION_KEYS.map((k) => [k, fitName(`${stack}-${k}`, NAME_LIMITS.function)])) as Record<
    FunctionKey,
    string
  >;
  const roles = {
    ...(Object.fromEntries(FUNCTION_KEYS.map((k) => [k, role(k)])) as Record<FunctionKey, string>),
    global: role('lambda'),
    scheduler: role('scheduler'),
    stateMachine: role('states'),
  };
  const schedules: Record<string, string> = {
    'freshness-check': fitName(`${stack}-freshness-check`, NAME_LIMITS.schedule),
    'coverage-audit': fitName(`${stack}-coverage-audit`, NAME_LIMITS.schedule),
  };
  for (const p of file.policies) {
    p.schedules.forEach((_, i) => {
      schedules[`${p.name}-${i + 1}`] = fitName(`${stack}-${p.name}-${i + 1}`, NAME_LIMITS.schedule);
    });
    p.restoreDrill?.schedules.forEach((_, i) => {
      schedules[`drill-${p.name}-${i + 1}`] = fitName(`${stack}-drill-${p.name}-${i + 1}`, NAME_LIMITS.schedule);
    });
  }
  return {
    stack,
    stateMachine: fitName(stack, NAME_LIMITS.stateMachine),
    drillStateMachine: fitName(`${stack}-drills`, NAME_LIMITS.stateMachine),
    functions,
    roles,
    schedules,
    dashboard: fitName(`${stack}-dashboard`, NAME_LIMITS.dashboard),
    alarmPrefix: stack,
  };
}

const ARN_REGION_RE = /^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):/;

/** How long the check loop can wait at most, in seconds: the poll waits up to maxIterations. */
export function loopSeconds(poll: Omit<PolicyFile['settings']['poll'], 'iterationsSet'>): number {
  let wait = 0;
  let total = 0;
  for (let i = 0; i < poll.maxIterations; i++) {
    wait = i === 0 ? poll.initialSeconds : grownWait(poll, wait);
    total += wait;
  }
  return total;
}

const hours = (seconds: number) => `${Math.round((seconds / 3600) * 10) / 10} h`;

/**
 * Settings that cannot fit in a run: a run has RUN_BUDGET_SECONDS (the state machine's timeout less the
 * margin to finish); a deadline longer than that, or a check loop whose waits add up to more, cannot be
 * kept. `npm start` shows these as warnings; `serverless package` refuses them.
 */
export function fitProblems(file: PolicyFile): string[] {
  const problems: string[] = [];
  const budget = `a run may take ${hours(RUN_BUDGET_SECONDS)} (the state machine's ${hours(STATE_MACHINE_TIMEOUT_SECONDS)} timeout less ${hours(STATE_MACHINE_TIMEOUT_SECONDS - RUN_BUDGET_SECONDS)} to finish)`;
  // A bound set by hand that cannot be reached in a run says something the run will not do (the default fits by construction).
  const loop = loopSeconds(file.settings.poll);
  if (file.settings.poll.iterationsSet && loop > RUN_BUDGET_SECONDS) {
    problems.push(
      `settings.poll: ${file.settings.poll.maxIterations} checks (maxIterations) wait up to ${hours(loop)}, but ${budget}: lower maxIterations or maxSeconds`,
    );
  }
  for (const p of file.policies) {
    for (const key of ['createMinutes', 'copyMinutes'] as const) {
      if (p.deadlines[key] * 60 > RUN_BUDGET_SECONDS) {
        problems.push(
          `policy "${p.name}": deadlines.${key}: ${p.deadlines[key]} minutes cannot be kept: ${budget}; at most ${Math.floor(RUN_BUDGET_SECONDS / 60)}`,
        );
      }
    }
  }
  return problems;
}

/** Everything that would fail at or after deploy, found before it: fit, regions, names. */
export function deployProblems(file: PolicyFile, ctx: DeployContext): string[] {
  const problems = [...fitProblems(file)];
  if (!/^[a-zA-Z0-9-]+$/.test(ctx.stage))
    problems.push(`stage "${ctx.stage}": use letters, digits and hyphens (it is part of the stack name and of every resource name)`);
  const stack = `${ctx.service}-${ctx.stage}`;
  if (stack.length > NAME_LIMITS.stack)
    problems.push(
      `stage "${ctx.stage}": the stack name ${stack} would be ${stack.length} characters; CloudFormation allows ${NAME_LIMITS.stack}`,
    );
  if (ctx.roleNamePrefix !== undefined && !/^[\w+=,.@-]{0,32}$/.test(ctx.roleNamePrefix)) {
    problems.push(
      `roleNamePrefix "${ctx.roleNamePrefix}": IAM role names take letters, digits and + = , . @ _ -; keep the prefix to 32 characters`,
    );
  }
  for (const p of file.policies) {
    const arns: [string, string][] = [
      ...(p.elastic?.clusterArns ?? []).map((a, i): [string, string] => [`elastic.clusterArns.${i}`, a]),
      ...(p.elastic?.exclude ?? []).map((a, i): [string, string] => [`elastic.exclude.${i}`, a]),
      ...(p.copy?.kmsKeyId ? [['copy.kmsKeyId', p.copy.kmsKeyId] as [string, string]] : []),
      ...(
        [
          ['restoreDrill.elastic.kmsKeyId', p.restoreDrill?.elastic?.kmsKeyId],
          ['restoreDrill.copies.kmsKeyId', p.restoreDrill?.copies?.kmsKeyId],
          ['restoreDrill.validation.functionArn', p.restoreDrill?.validation?.functionArn],
          ['restoreDrill.validation.secretArn', p.restoreDrill?.validation?.secretArn],
        ] as [string, string | undefined][]
      ).filter((x): x is [string, string] => x[1] !== undefined),
    ];
    for (const [field, arn] of arns) {
      const region = ARN_REGION_RE.exec(arn)?.[1];
      if (region && region !== ctx.region) {
        problems.push(
          `policy "${p.name}": ${field}: ${arn} is in ${region}, but the stack deploys to ${ctx.region}: the orchestrator works in one region (deploy a stack per region)`,
        );
      }
    }
  }
  return problems;
}
