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
import { Command, CommanderError } from 'commander';
import { parseRdsSnapshotArn } from '../functions/domain/arns.js';
import { createClients } from '../functions/aws/clients.js';
import { ELASTIC_CLUSTER_ARN_RE } from '../functions/domain/policy.js';
import { loadPolicyFile } from '../functions/runtime/config.js';
import { type ErrorCode, NotFoundError, ValidationError } from '../functions/domain/errors.js';
import { toOrchestratorError } from '../functions/aws/errors.js';
import { runInputSchema } from '../functions/domain/run.js';
import { createLogger } from '../functions/runtime/telemetry.js';
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
}

async function stateMachineArn(g: Globals): Promise<string> {
  if (g.stateMachineArn) {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/.test(g.stateMachineArn)) {
      throw new ValidationError('--state-machine-arn: must be a Step Functions state machine ARN');
    }
    return g.stateMachineArn;
  }
  const res = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: g.stack }));
  const arn = res.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'StateMachineArn')?.OutputValue;
  if (!arn) throw new NotFoundError(`stack ${g.stack} has no StateMachineArn output`);
  return arn;
}

function parseOutput(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

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
      const cause = parseOutput(d.cause) as { success?: boolean } | string | undefined;
      if (typeof cause === 'object' && cause && cause.success === false) io.out(JSON.stringify(cause));
      else
        fail(
          io,
          d.status === 'TIMED_OUT' ? 'DEADLINE_EXCEEDED' : 'INTERNAL_ERROR',
          `run ${d.status}: ${d.error ?? ''} ${typeof cause === 'string' ? cause : ''}`.trim(),
        );
      return 1;
    }
    await io.sleep(intervalMs);
  }
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const program = new Command('backup-orchestrator')
    .description('Start, follow and inspect backup-orchestrator runs; preview a policy; check the policy file.')
    .option('--state-machine-arn <arn>', 'the state machine (default: the StateMachineArn output of --stack)')
    .option('--stack <name>', 'CloudFormation stack of the deployment', 'backup-orchestrator-dev')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: () => undefined });
  const globals = () => program.opts<Globals>();

  program
    .command('start')
    .description('start a run (StartExecution); prints {"success":true,"data":{"id":"<executionArn>","created_at":"<ISO>"}}')
    .requiredOption('--policy <name>', 'policy to run')
    .option('--dry-run', 'plan and report, change nothing')
    .option('--targets <arn...>', 'only these elastic cluster ARNs / shared snapshot ARNs')
    .option('--skip <step...>', 'skip create, copy and/or retention')
    .option('--follow', 'show progress until the run ends, and exit with its status')
    .option('--interval <seconds>', 'poll interval for --follow', '10')
    .action(async (o: { policy: string; dryRun?: boolean; targets?: string[]; skip?: string[]; follow?: boolean; interval: string }) => {
      const input = {
        policy: o.policy,
        ...(o.dryRun ? { dryRun: true } : {}),
        ...(o.targets ? { targets: o.targets } : {}),
        ...(o.skip ? { skip: o.skip } : {}),
      };
      const parsed = runInputSchema.safeParse(input);
      if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; '));
      o.targets?.forEach((t, i) => {
        if (!ELASTIC_CLUSTER_ARN_RE.test(t) && !parseRdsSnapshotArn(t)) {
          throw new ValidationError(`--targets ${i + 1}: must be an elastic cluster ARN or a shared cluster snapshot ARN`);
        }
      });
      const interval = Number(o.interval);
      if (!Number.isFinite(interval) || interval < 0 || interval > 3600) throw new ValidationError('--interval: must be 0-3600 seconds');
      const sfn = new SFNClient({});
      const res = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: await stateMachineArn(globals()), input: JSON.stringify(parsed.data) }),
      );
      ok(io, { id: res.executionArn, created_at: (res.startDate ?? new Date()).toISOString() });
      if (o.follow) throw new Exit(await follow(sfn, res.executionArn ?? '', interval * 1000, io));
    });

  program
    .command('status')
    .description('status of a run (the latest when EXECUTION_ARN is omitted)')
    .argument('[execution-arn]')
    .action(async (arn?: string) => {
      const sfn = new SFNClient({});
      if (arn !== undefined && !/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) {
        throw new ValidationError('execution-arn: must be a Step Functions execution ARN');
      }
      let executionArn = arn;
      if (!executionArn) {
        const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn: await stateMachineArn(globals()), maxResults: 1 }));
        executionArn = list.executions?.[0]?.executionArn;
        if (!executionArn) throw new NotFoundError('the state machine has no runs yet');
      }
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      ok(io, {
        id: d.executionArn,
        created_at: d.startDate?.toISOString(),
        status: d.status,
        ...(d.stopDate ? { stopped_at: d.stopDate.toISOString() } : {}),
        ...(d.output ? { result: parseOutput(d.output) } : {}),
        ...(d.error ? { error: d.error, cause: parseOutput(d.cause) } : {}),
      });
    });

  program
    .command('plan')
    .description('what a run of the policy would create, copy and delete now, and why (read-only)')
    .requiredOption('--policy <name>', 'policy to preview')
    .option('--config <file>', 'policy file', 'policies.yml')
    .option('--targets <arn...>', 'only these targets')
    .action(async (o: { policy: string; config: string; targets?: string[] }) => {
      const policyFile = loadPolicyFile(o.config);
      const sts = new STSClient({});
      const region = await sts.config.region();
      const account = (await sts.send(new GetCallerIdentityCommand({}))).Account ?? '';
      const deps = {
        config: {
          region,
          logLevel: 'SILENT' as const,
          metricsNamespace: 'BackupOrchestrator',
          tracing: false,
          policyFile,
          policyPath: o.config,
          deployedAt: new Date(0),
        },
        clients: createClients(region),
        now: () => new Date(),
        logger: createLogger('SILENT'),
        emit: () => undefined,
        budgetEndsAt: () => Number.POSITIVE_INFINITY,
      };
      ok(io, await plan(deps, account, o.policy, o.targets));
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

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof Exit) return err.code;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      fail(io, 'VALIDATION_ERROR', err.message.replace(/^error: /, ''));
      return 2;
    }
    const e = toOrchestratorError(err);
    fail(io, e.code, e.message.replace(/^Error: /, ''));
    return e.code === 'VALIDATION_ERROR' ? 2 : 1;
  }
}
