/**
 * The operator CLI: start, follow and inspect runs, preview a policy, check the policy file.
 * Every command prints JSON envelopes on stdout ({"success":true,"data":...} or
 * {"success":false,"error":{"code","message"}}); progress goes to stderr.
 * Exit codes: 0 success, 1 AWS or run failure, 2 invalid input, 3 a followed run ended PARTIAL.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  paginateGetExecutionHistory,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { existsSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CONNECTION_TIMEOUT_MS, createClients, MAX_ATTEMPTS, REQUEST_TIMEOUT_MS } from '../functions/aws/clients.js';
import type { PolicyFile } from '../functions/domain/policy.js';
import { loadPolicyFile } from '../functions/runtime/config.js';
import { type ErrorCode, NotFoundError, ValidationError } from '../functions/domain/errors.js';
import { toOrchestratorError } from '../functions/aws/errors.js';
import { createLogger } from '../functions/runtime/telemetry.js';
import { auditCoverage, auditTable } from '../functions/audit-coverage/audit-coverage.js';
import { findPolicy } from '../functions/domain/policy.js';
import type { Deps } from '../functions/runtime/deps.js';
import { drillInputSchema, startDrills } from '../functions/start-drills/start-drills.js';
import { lastDrills as lastDrills_ } from '../functions/workflow/drills.js';
import { addRunFlags, checkRunInput, flagMessage, type RunFlags, runInputOf } from './options.js';
import { plan } from './plan.js';
import { progressLine } from './progress.js';
import type { Progress } from '../functions/domain/run.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
}

const defaultIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const ok = (io: Io, data: unknown) => io.out(JSON.stringify({ success: true, data }));
const fail = (io: Io, code: ErrorCode, message: string) => io.out(JSON.stringify({ success: false, error: { code, message } }));

interface Globals {
  stateMachineArn?: string;
  stack: string;
  region?: string;
  profile?: string;
}

/** Where and as whom the CLI talks to AWS: --region/--profile, else the SDK's usual settings. */
interface Aws {
  region: string;
  config: ClientConfig;
}

/** What the CLI's own clients (Step Functions, STS, CloudFormation) are built with. */
export type ClientConfig = ReturnType<typeof clientConfig>;

/**
 * The functions' request settings (functions/aws/clients.ts) for the CLI's own clients: a call that has
 * not answered in REQUEST_TIMEOUT_MS is aborted and retried, MAX_ATTEMPTS attempts in all, so a hung
 * connection ends in an error instead of a CLI that waits forever.
 */
export function clientConfig(region: string, profile?: string, requestTimeoutMs = REQUEST_TIMEOUT_MS) {
  return {
    region,
    ...(profile ? { profile } : {}),
    maxAttempts: MAX_ATTEMPTS,
    // throwOnRequestTimeout: @smithy/node-http-handler 4.4+ only warns on a request timeout unless told to abort.
    requestHandler: { requestTimeout: requestTimeoutMs, connectionTimeout: CONNECTION_TIMEOUT_MS, throwOnRequestTimeout: true },
  };
}

async function awsOf(g: Globals): Promise<Aws> {
  if (g.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(g.region)) {
    throw new ValidationError(`--region: "${g.region}" is not an AWS region such as us-east-1`);
  }
  const profile = g.profile ? { profile: g.profile } : {};
  let region = g.region;
  if (!region) {
    try {
      region = await new STSClient(profile).config.region();
    } catch {
      region = undefined;
    }
  }
  if (!region) throw new ValidationError('no AWS region: set AWS_REGION, pass --region, or give the profile a region');
  return { region, config: clientConfig(region, g.profile) };
}

async function stateMachineArn(
  g: Globals,
  aws: Aws,
  output: 'StateMachineArn' | 'DrillStateMachineArn' = 'StateMachineArn',
): Promise<string> {
  if (g.stateMachineArn && output === 'StateMachineArn') {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/.test(g.stateMachineArn)) {
      throw new ValidationError('--state-machine-arn: must be a Step Functions state machine ARN');
    }
    return g.stateMachineArn;
  }
  const res = await new CloudFormationClient(aws.config).send(new DescribeStacksCommand({ StackName: g.stack }));
  const arn = res.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === output)?.OutputValue;
  if (!arn) throw new NotFoundError(`stack ${g.stack} has no ${output} output`);
  return arn;
}

function parseOutput(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

/** A run that did not succeed, as an envelope: the cause's own envelope when it has one. */
function failedRun(d: DescribeExecutionCommandOutput): { error: { code: ErrorCode; message: string }; invalidInput: boolean } {
  const cause = parseOutput(d.cause) as { success?: boolean; error?: { code?: ErrorCode; message?: string } } | string | undefined;
  if (typeof cause === 'object' && cause?.success === false && cause.error?.code) {
    return {
      error: { code: cause.error.code, message: `run ${d.status}: ${cause.error.message ?? ''}`.trim() },
      invalidInput: cause.error.code === 'VALIDATION_ERROR',
    };
  }
  const code: ErrorCode = d.status === 'TIMED_OUT' ? 'DEADLINE_EXCEEDED' : 'INTERNAL_ERROR';
  const detail = [d.error, typeof cause === 'string' ? cause : ''].filter(Boolean).join(': ');
  const why = d.status === 'ABORTED' ? 'someone stopped it, or a deployment replaced the state machine' : detail;
  return { error: { code, message: `run ${d.status}${why ? `: ${why}` : ''}` }, invalidInput: false };
}

const ENDED_BADLY = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/** Prints the run's progress from its history until it ends; returns the exit code. */
async function follow(sfn: SFNClient, executionArn: string, intervalMs: number, io: Io): Promise<number> {
  let seen = 0;
  for (;;) {
    const events: HistoryEvent[] = [];
    for await (const page of paginateGetExecutionHistory({ client: sfn, pageSize: 1000 }, { executionArn }))
      events.push(...(page.events ?? []));
    for (const e of events.slice(seen)) {
      const name = e.stateEnteredEventDetails?.name;
      if (name && e.type?.endsWith('StateEntered') && e.type !== 'ChoiceStateEntered' && e.type !== 'WaitStateEntered')
        io.err(`${e.timestamp?.toISOString?.() ?? ''} ${name}`);
      const exited = e.stateExitedEventDetails;
      if (exited?.name === 'Check Operations' || exited?.name === 'Start Operations') {
        const p = (parseOutput(exited.output) as { progress?: Progress })?.progress;
        if (p) io.err(`  ${progressLine(p)}`);
      }
    }
    seen = events.length;
    const d: DescribeExecutionCommandOutput = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE') {
      if (d.status === 'SUCCEEDED') {
        const result = parseOutput(d.output) as { data?: { status?: string } };
        io.out(JSON.stringify(result));
        return result?.data?.status === 'SUCCEEDED' ? 0 : 3;
      }
      const { error, invalidInput } = failedRun(d);
      io.out(JSON.stringify({ success: false, error }));
      return invalidInput ? 2 : 1;
    }
    await io.sleep(intervalMs);
  }
}

/** What a core needs when the CLI runs it in-process against the account (read-only commands). */
function cliDeps(aws: Aws, policyFile: PolicyFile, policyPath: string): Deps {
  return {
    config: {
      region: aws.region,
      logLevel: 'SILENT',
      metricsNamespace: 'BackupOrchestrator',
      tracing: false,
      policyFile,
      policyPath,
      deployedAt: new Date(0),
    },
    clients: createClients(aws.region, aws.config.profile ? { profile: aws.config.profile } : {}),
    now: () => new Date(),
    logger: createLogger('SILENT'),
    emit: () => undefined,
    budgetEndsAt: () => Number.POSITIVE_INFINITY,
  };
}

const accountOf = async (aws: Aws) => (await new STSClient(aws.config).send(new GetCallerIdentityCommand({}))).Account ?? '';

/** The policy file for checks before a start: --config, else policies.yml when it is here. */
function policyFileFor(config: string | undefined): PolicyFile | undefined {
  if (config !== undefined) return loadPolicyFile(config);
  return existsSync('policies.yml') ? loadPolicyFile('policies.yml') : undefined;
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const program = new Command('backup-orchestrator')
    .description('Start, follow and inspect backup-orchestrator runs; preview a policy; check the policy file.')
    .option('--region <region>', "AWS region (default: AWS_REGION or the profile's region)")
    .option('--profile <name>', 'named profile of the shared AWS config files (default: AWS_PROFILE)')
    .option('--state-machine-arn <arn>', 'the state machine (default: the StateMachineArn output of --stack)')
    .option('--stack <name>', 'CloudFormation stack of the deployment', 'backup-orchestrator-dev')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: () => undefined });
  const globals = () => program.opts<Globals>();

  addRunFlags(
    program
      .command('start')
      .description('start a run (StartExecution); prints {"success":true,"data":{"id":"<executionArn>","created_at":"<ISO>"}}'),
    'required',
  )
    .option('--config <file>', 'policy file to check the input against (default: policies.yml when present)')
    .option('--follow', 'show progress until the run ends, and exit with its status')
    .option('--interval <seconds>', 'poll interval for --follow', '10')
    .action(async (o: RunFlags & { config?: string; follow?: boolean; interval: string }) => {
      const input = runInputOf(o);
      const interval = Number(o.interval);
      if (!Number.isFinite(interval) || interval < 0 || interval > 3600) throw new ValidationError('--interval: must be 0-3600 seconds');
      const policyFile = policyFileFor(o.config);
      const aws = await awsOf(globals());
      // The account is needed only to check elastic targets: no call without targets.
      const accountId = input.targets ? ((await new STSClient(aws.config).send(new GetCallerIdentityCommand({}))).Account ?? '') : '';
      checkRunInput(input, { policyFile, accountId, region: aws.region });
      const sfn = new SFNClient(aws.config);
      const res = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: await stateMachineArn(globals(), aws), input: JSON.stringify(input) }),
      );
      ok(io, { id: res.executionArn, created_at: (res.startDate ?? new Date()).toISOString() });
      if (o.follow) throw new Exit(await follow(sfn, res.executionArn ?? '', interval * 1000, io));
    });

  program
    .command('status')
    .description('status of a run (the latest when EXECUTION_ARN is omitted); a run that failed, timed out or was stopped exits 1')
    .argument('[execution-arn]')
    .option('--drills', "add the last restore drill of each of the run's policy's targets (snapshot, result, restore time)")
    .option('--config <file>', 'policy file for --drills', 'policies.yml')
    .action(async (arn: string | undefined, o: { drills?: boolean; config: string }) => {
      if (arn !== undefined && !/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) {
        throw new ValidationError('execution-arn: must be a Step Functions execution ARN');
      }
      const aws = await awsOf(globals());
      const sfn = new SFNClient(aws.config);
      let executionArn = arn;
      if (!executionArn) {
        const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn: await stateMachineArn(globals(), aws), maxResults: 1 }));
        executionArn = list.executions?.[0]?.executionArn;
        if (!executionArn) throw new NotFoundError('the state machine has no runs yet');
      }
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      let lastDrills: unknown;
      if (o.drills) {
        const policyFile = loadPolicyFile(o.config);
        const policyName = (parseOutput(d.input) as { policy?: string } | undefined)?.policy;
        const policy = policyName ? findPolicy(policyFile, policyName) : undefined;
        if (!policy?.restoreDrill)
          throw new ValidationError(`--drills: the run's policy "${policyName ?? '?'}" has no restoreDrill settings in ${o.config}`);
        const account = await accountOf(aws);
        const run = {
          id: 'status',
          policy: policy.name,
          startedAt: new Date().toISOString(),
          dryRun: true,
          accountId: account,
          region: aws.region,
        };
        lastDrills = await lastDrills_(cliDeps(aws, policyFile, o.config), run, policy);
      }
      const data = {
        id: d.executionArn,
        created_at: d.startDate?.toISOString(),
        status: d.status,
        ...(d.stopDate ? { stopped_at: d.stopDate.toISOString() } : {}),
        ...(d.output ? { result: parseOutput(d.output) } : {}),
        ...(d.error ? { error: d.error, cause: parseOutput(d.cause) } : {}),
        ...(lastDrills ? { lastDrills } : {}),
      };
      if (ENDED_BADLY.has(d.status ?? '')) {
        io.out(JSON.stringify({ success: false, error: failedRun(d).error, data }));
        throw new Exit(1);
      }
      ok(io, data);
    });

  program
    .command('plan')
    .description('what a run of the policy would create, copy and delete now, and why: every snapshot, read-only')
    .requiredOption('--policy <name>', 'policy to preview')
    .option('--config <file>', 'policy file', 'policies.yml')
    .option('--targets <arn...>', 'only these targets')
    .action(async (o: { policy: string; config: string; targets?: string[] }) => {
      const policyFile = loadPolicyFile(o.config);
      const aws = await awsOf(globals());
      const account = await accountOf(aws);
      const deps = cliDeps(aws, policyFile, o.config);
      const result = await plan(deps, account, o.policy, o.targets);
      // A policy with restore drills: what its next drill run would restore, and its cluster-hour estimate.
      const drills = findPolicy(policyFile, o.policy)?.restoreDrill
        ? (
            await startDrills(
              { input: { policy: o.policy, dryRun: true }, execution: { name: 'plan', startTime: new Date().toISOString() } },
              deps,
              account,
            )
          ).progress
        : undefined;
      ok(io, {
        ...result,
        ...(drills
          ? {
              drills: {
                restore: drills.drills.map((d) => ({
                  target: d.target,
                  of: d.of,
                  snapshot: d.snapshotArn,
                  snapshotTime: d.snapshotTime,
                  cluster: d.cluster,
                })),
                skipped: drills.skipped,
                leakedClusters: drills.swept,
                clusterHoursEstimate: drills.clusterHours.estimate,
                monthlyCap: drills.clusterHours.cap,
              },
            }
          : {}),
      });
    });

  program
    .command('drill')
    .description('start a restore drill run of a policy (the drill workflow); prints {"success":true,"data":{"id":...}}')
    .requiredOption('--policy <name>', 'policy whose snapshots to drill')
    .option('--dry-run', 'say what would be restored, restore nothing')
    .option('--targets <target...>', 'only these targets (elastic cluster ARNs, <account>:<source cluster>)')
    .option('--config <file>', 'policy file to check the input against (default: policies.yml when present)')
    .option('--follow', 'show progress until the run ends, and exit with its status')
    .option('--interval <seconds>', 'poll interval for --follow', '10')
    .action(async (o: { policy: string; dryRun?: boolean; targets?: string[]; config?: string; follow?: boolean; interval: string }) => {
      const input = { policy: o.policy, ...(o.dryRun ? { dryRun: true } : {}), ...(o.targets ? { targets: o.targets } : {}) };
      const parsed = drillInputSchema.safeParse(input);
      if (!parsed.success)
        throw new ValidationError(flagMessage(parsed.error.issues.map((i) => `input.${i.path.join('.')}: ${i.message}`).join('; ')));
      const policyFile = policyFileFor(o.config);
      if (policyFile) {
        const policy = findPolicy(policyFile, o.policy);
        if (!policy) throw new ValidationError(`--policy: unknown policy "${o.policy}"`);
        if (!policy.restoreDrill) throw new ValidationError(`--policy: policy "${o.policy}" has no restoreDrill settings`);
      }
      const interval = Number(o.interval);
      if (!Number.isFinite(interval) || interval < 0 || interval > 3600) throw new ValidationError('--interval: must be 0-3600 seconds');
      const aws = await awsOf(globals());
      const sfn = new SFNClient(aws.config);
      const res = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: await stateMachineArn(globals(), aws, 'DrillStateMachineArn'),
          input: JSON.stringify(parsed.data),
        }),
      );
      ok(io, { id: res.executionArn, created_at: (res.startDate ?? new Date()).toISOString() });
      if (o.follow) throw new Exit(await follow(sfn, res.executionArn ?? '', interval * 1000, io));
    });

  program
    .command('audit')
    .description(
      'classify every cluster of the account and region, and every source cluster behind shared snapshots: protected, excluded, allowed or unprotected',
    )
    .option('--config <file>', 'policy file', 'policies.yml')
    .option('--json', 'print the JSON envelope instead of the table')
    .action(async (o: { config: string; json?: boolean }) => {
      const policyFile = loadPolicyFile(o.config);
      const aws = await awsOf(globals());
      const report = await auditCoverage(cliDeps(aws, policyFile, o.config), await accountOf(aws));
      if (o.json) ok(io, report);
      else io.out(auditTable(report));
      if (report.counts.unprotected > 0) throw new Exit(3);
    });

  program
    .command('validate-config')
    .description('check a policy file (default policies.yml)')
    .argument('[file]', 'policy file', 'policies.yml')
    .action((file: string) => {
      const f = loadPolicyFile(file);
      ok(io, {
        file,
        policies: f.policies.map((p) => ({
          name: p.name,
          schedules: p.schedules.map((s) => `${s.expression} ${s.timezone}${s.enabled ? '' : ' (disabled)'}`),
          elastic: !!p.elastic,
          copy: !!p.copy,
          retention: !!p.retention,
          rpoHours: p.rpoHours,
        })),
      });
    });

  if (argv.length === 0) {
    io.out(program.helpInformation().trimEnd());
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof Exit) return err.code;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      const unknown = err.code === 'commander.unknownOption' || err.code === 'commander.unknownCommand';
      fail(io, 'VALIDATION_ERROR', err.message.replace(/^error: /, '') + (unknown ? ' (see --help)' : ''));
      return 2;
    }
    const e = toOrchestratorError(err);
    fail(io, e.code, e.message.replace(/^Error: /, ''));
    return e.code === 'VALIDATION_ERROR' ? 2 : 1;
  }
}
