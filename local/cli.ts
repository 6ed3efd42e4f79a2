/**
 * `npm start`: a rehearsal of the main job. Starts the stand-in with a world, runs the real workflow
 * for a policy, shows live progress, ends with a summary. With --serve, starts the stand-in (Step
 * Functions, CloudFormation and STS included) for the operator CLI instead. See docs/rehearsal.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
// The AWS SDK's notice that its releases after early 2027 need Node 22 is not for this rehearsal's user
// (the pinned versions run on Node 20): keep it quiet. Read when the first client is built.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { Command, CommanderError } from 'commander';
import { addRunFlags, checkRunInput, type RunFlags, runInputOf } from '../cli/options.js';
import { snapshotCollector, type SnapshotLists } from '../cli/plan.js';
import { progressLine } from '../cli/progress.js';
import { fitProblems } from '../functions/domain/deploy.js';
import { ValidationError } from '../functions/domain/errors.js';
import { findPolicy, type PolicyFile } from '../functions/domain/policy.js';
import type { Progress, RunInput, SnapshotAction, SnapshotLine } from '../functions/domain/run.js';
import { firstSlotAfter } from '../functions/domain/schedule.js';
import { loadPolicyFile } from '../functions/runtime/config.js';
import { diffWorlds, type WorldDiff } from './diff.js';
import type { DrillProgress } from '../functions/domain/drill.js';
import type { DrillEnvelope } from '../functions/report-drills/report-drills.js';
import { DRILL_DEFINITION_PATH, type RunResult, runWorkflow } from './runner.js';
import { Model } from './standin/model.js';
import { type StandIn, startStandIn } from './standin/server.js';
import { controlPlane } from './standin/services/sfn.js';
import { parseWorld, type World, WorldError } from './standin/world.js';

/** Lines of each list the human summary shows; the rest is counted ("and N more"), and --json has all. */
export const SHOWN = 20;
/** The stack name the stand-in's CloudFormation answers for (`--stack` of the operator CLI). */
export const LOCAL_STACK = 'backup-orchestrator-local';

/** A usage problem: exit 2. The usage text follows only for an unknown flag. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message);
  }
}

export interface Options {
  world: World;
  policyFile: PolicyFile;
  input: RunInput;
  saveWorld?: string;
  json: boolean;
  /** Run the policy's restore drill instead of its backup. */
  drill: boolean;
  serve?: { port: number };
  /** How the run's slot was chosen, for the first line of the output. */
  slotFrom: 'now' | 'schedule' | 'flag';
}

interface Flags extends RunFlags {
  world: string;
  config: string;
  input?: string;
  now?: string;
  saveWorld?: string;
  json?: boolean;
  drill?: boolean;
  serve?: boolean;
  port: string;
}

export function program(): Command {
  const cmd = new Command('npm start --')
    .description('Rehearse a run against the local AWS stand-in (no AWS account needed), or serve the stand-in to the operator CLI.')
    .option('--world <file>', 'world file for the stand-in', 'local/worlds/example.json')
    .option('--config <file>', 'policy file', 'policies.yml');
  addRunFlags(cmd, 'optional')
    .option('--input <json>', 'execution input as for a console start; the flags above override its fields')
    .option(
      '--now <time>',
      "virtual time at the start, such as 2026-11-23T02:00:00Z (default: the world's now, or its next scheduled slot)",
    )
    .option(
      '--save-world <file>',
      "write the stand-in's final state as a world file; run it again with --world for the next scheduled slot",
    )
    .option('--json', 'print one JSON document on stdout: {"result", "snapshots", "diff"}')
    .option('--drill', "run the policy's restore drill (the drill workflow) instead of its backup")
    .option('--serve', 'start the stand-in for the operator CLI and print the settings that point the CLI at it')
    .option('--port <n>', 'port for --serve', '4510')
    .helpOption('--help', 'this text')
    .showHelpAfterError(false)
    .exitOverride();
  return cmd;
}

function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${what} ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} ${path}: not valid JSON: ${(err as Error).message}`);
  }
}

const usage = (f: () => void) => {
  try {
    f();
  } catch (err) {
    if (err instanceof ValidationError || err instanceof WorldError) throw new UsageError(err.message);
    throw err;
  }
};

export function parseOptions(argv: string[]): Options | 'help' {
  const cmd = program();
  let help = false;
  cmd.configureOutput({ writeOut: (s) => (help = help || s.length > 0), writeErr: () => undefined });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') return 'help';
      const unknown = err.code === 'commander.unknownOption' || err.code === 'commander.excessArguments';
      throw new UsageError(err.message.replace(/^error: /, ''), unknown);
    }
    throw err;
  }
  const flags = cmd.opts<Flags>();
  let world!: World;
  usage(() => (world = parseWorld(readJsonFile(flags.world, 'world file'), `world file ${flags.world}`)));
  let policyFile!: PolicyFile;
  usage(() => (policyFile = loadPolicyFile(flags.config)));
  let raw: Record<string, unknown> = {};
  if (flags.input !== undefined) {
    try {
      raw = JSON.parse(flags.input) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`--input: not valid JSON: ${(err as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new UsageError('--input: must be a JSON object such as {"policy":"daily"}');
  }
  const fromInput = raw as RunFlags & { scheduledTime?: string };
  const merged: RunFlags = {
    policy: flags.policy ?? fromInput.policy ?? policyFile.policies[0]?.name,
    dryRun: flags.dryRun ?? fromInput.dryRun,
    targets: flags.targets ?? fromInput.targets,
    skip: flags.skip ?? fromInput.skip,
    slot: flags.slot ?? fromInput.scheduledTime,
  };
  const unknownInput = Object.keys(raw).filter((k) => !['policy', 'dryRun', 'targets', 'skip', 'scheduledTime'].includes(k));
  if (unknownInput.length > 0) throw new UsageError(`--input: unknown field "${unknownInput[0]}"`);
  let input!: RunInput;
  usage(() => (input = runInputOf(merged)));
  if (flags.drill) {
    const p = findPolicy(policyFile, input.policy);
    if (!p?.restoreDrill) throw new UsageError(`--drill: policy "${input.policy}" has no restoreDrill settings in ${flags.config}`);
    if (input.skip || input.scheduledTime) throw new UsageError('--drill: takes --policy, --dry-run and --targets only');
  } else usage(() => checkRunInput(input, { policyFile, accountId: world.accountId, region: world.region }));

  let slotFrom: Options['slotFrom'] = input.scheduledTime ? 'flag' : 'now';
  if (flags.now !== undefined) {
    const t = new Date(flags.now);
    if (Number.isNaN(t.getTime())) throw new UsageError(`--now: "${flags.now}" is not a time; give one such as 2026-11-23T02:00:00Z`);
    world.now = t.toISOString();
  } else if (!input.scheduledTime) {
    // A saved world goes on where it stopped: the policy's next scheduled slot after its last run.
    const last = world.runs
      .filter((r) => r.policy === input.policy)
      .map((r) => r.slot)
      .sort()
      .at(-1);
    const policy = findPolicy(policyFile, input.policy);
    if (last && policy) {
      const after = new Date(Math.max(Date.parse(last), Date.parse(world.now)));
      const next = firstSlotAfter(
        policy.schedules.map((s) => ({ ...s, enabled: true })),
        after,
      );
      if (next) {
        world.now = next.toISOString();
        input = { ...input, scheduledTime: next.toISOString() };
        slotFrom = 'schedule';
      }
    }
  }
  if (input.scheduledTime && Date.parse(input.scheduledTime) > Date.parse(world.now))
    world.now = new Date(input.scheduledTime).toISOString();
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port: must be a port number such as 4510');
  return {
    world,
    policyFile,
    input,
    ...(flags.saveWorld !== undefined ? { saveWorld: flags.saveWorld } : {}),
    json: flags.json === true,
    drill: flags.drill === true,
    ...(flags.serve ? { serve: { port } } : {}),
    slotFrom,
  };
}

const fmtDuration = (s: number) => {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}h${String(m).padStart(2, '0')}m`;
};

/** `name of <cluster>, <time>: reasons` */
const describeLine = (l: SnapshotLine) => `${l.name} of ${l.of}, ${l.time}${l.reasons?.length ? `: ${l.reasons.join('; ')}` : ''}`;

const SECTIONS: [SnapshotAction, string][] = [
  ['created', 'Created'],
  ['would-create', 'Would create'],
  ['copied', 'Copied'],
  ['would-copy', 'Would copy'],
  ['declined', 'Not copied (retention would delete the copy at once)'],
  ['left-to-other-run', 'Left to another run (it is copying them)'],
  ['deleted', 'Deleted'],
  ['would-delete', 'Would delete'],
  ['kept', 'Kept'],
];

function printSummary(result: RunResult, lists: SnapshotLists): void {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  if (result.status === 'FAILED') {
    out(`\nRun FAILED: ${result.error}`);
    out(result.cause ?? '');
    return;
  }
  const d = (
    result.output as {
      data: {
        id: string;
        status: string;
        slot: string;
        dryRun: boolean;
        summary: Record<string, number>;
        failures: { target: string; code: string; message: string }[];
        failuresOmitted: number;
        plan?: Record<string, number>;
      };
    }
  ).data;
  out('');
  out(
    `Run ${d.id} for slot ${d.slot}: ${d.status}${d.dryRun ? ' (dry run: nothing changed)' : ''}, ${fmtDuration(result.virtualSeconds)} of virtual time`,
  );
  out('');
  const rows: [string, string | number][] = Object.entries(d.summary);
  if (d.plan) rows.push(['would create', d.plan.create ?? 0], ['would copy', d.plan.copy ?? 0], ['would delete', d.plan.delete ?? 0]);
  const w = Math.max(...rows.map(([k]) => k.length));
  out(`  ${'what'.padEnd(w)}  count`);
  for (const [k, v] of rows) out(`  ${k.padEnd(w)}  ${v}`);
  const section = (title: string, items: string[]) => {
    if (items.length === 0) return;
    out('');
    out(`${title} (${items.length}):`);
    for (const i of items.slice(0, SHOWN)) out(`  ${i}`);
    if (items.length > SHOWN) out(`  ... and ${items.length - SHOWN} more (npm start -- --json lists every one)`);
  };
  for (const [action, title] of SECTIONS) section(title, (lists[action] ?? []).map(describeLine));
  section(
    'Failed',
    d.failures.map((f) => `${f.code}  ${f.target}: ${f.message}`),
  );
  if (d.failuresOmitted > 0) out(`  ... and ${d.failuresOmitted} more failures (the run's logs have each one)`);
}

/** `npm start -- --drill`: the drill workflow for the policy, with progress and a summary. */
async function rehearseDrill(opts: Options): Promise<number> {
  const { world, policyFile, input } = opts;
  const before = new Model(structuredClone(world)).toWorld();
  let finalWorld: World | undefined;
  const start = Date.parse(world.now);
  const result = await runWorkflow({
    world,
    policyFile,
    definitionPath: DRILL_DEFINITION_PATH,
    input: { policy: input.policy, ...(input.dryRun ? { dryRun: true } : {}), ...(input.targets ? { targets: input.targets } : {}) },
    onEvent: (e, model) => {
      const elapsed = fmtDuration((model.nowMs - start) / 1000);
      if (e.type === 'StateEntered' && e.state && e.state !== 'Next Drill Step?' && e.state !== 'Wait For Drills')
        process.stderr.write(`[+${elapsed}] ${e.state}\n`);
      if (e.type === 'StateExited' && (e.state === 'Check Drills' || e.state === 'Start Drills')) {
        const p = (e.output as { progress?: DrillProgress }).progress ?? (e.output as DrillProgress | undefined);
        if (p?.drills)
          process.stderr.write(
            `[+${elapsed}]   ${p.drills.map((d) => `${d.of}: ${d.phase}${d.restoreSeconds !== undefined ? ` (restored in ${d.restoreSeconds} s)` : ''}`).join('; ')}\n`,
          );
      }
      if (e.type === 'ExecutionSucceeded' || e.type === 'ExecutionFailed') finalWorld = model.toWorld();
    },
  });
  const after = finalWorld ?? before;
  if (opts.saveWorld) writeFileSync(opts.saveWorld, `${JSON.stringify(after, null, 2)}\n`);
  const envelope =
    result.status === 'SUCCEEDED'
      ? result.output
      : (safeJson(result.cause) ?? { success: false, error: { code: 'INTERNAL_ERROR', message: result.cause } });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ result: envelope }, null, 2)}\n`);
  } else if (result.status === 'SUCCEEDED') {
    const d = (envelope as DrillEnvelope).data;
    const out = (line = '') => process.stdout.write(`${line}\n`);
    out('');
    out(
      `Drill run ${d.id}: ${d.status}${d.dryRun ? ' (dry run: nothing restored)' : ''}, ${fmtDuration(result.virtualSeconds)} of virtual time`,
    );
    out(
      `  ${d.summary.passed} passed, ${d.summary.failed} failed, ${d.summary.leaked} drill clusters left behind, ${d.summary.swept} leaked ones swept, ${d.summary.skipped} targets skipped`,
    );
    out(
      `  cluster-hours: ${d.clusterHours.thisRun} this run, ${d.clusterHours.usedThisMonth} earlier this month, cap ${d.clusterHours.cap}`,
    );
    for (const x of d.drills)
      out(
        `  ${x.result.toUpperCase()}  ${x.of}: ${x.snapshot} (${x.snapshotTime}) -> ${x.cluster}${x.restoreSeconds !== undefined ? `, restored in ${x.restoreSeconds} s` : ''}${x.message ? `: ${x.message}` : ''}`,
      );
    for (const s of d.skipped) out(`  SKIPPED  ${s.target}: ${s.reason}`);
    const drillClusters =
      after.elasticClusters.filter((c) => !c.deleted && c.name.startsWith('drill-')).length +
      (after.dbClusters ?? []).filter((c) => c.id.startsWith('drill-')).length;
    out(`  drill clusters in the world now: ${drillClusters}${drillClusters > 0 ? ' (being deleted, or leaked: see above)' : ''}`);
  } else process.stdout.write(`\nDrill run FAILED: ${result.error}\n${result.cause ?? ''}\n`);
  if (result.status === 'FAILED') return 1;
  return (envelope as DrillEnvelope).data.status === 'SUCCEEDED' ? 0 : 3;
}

function safeJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The stand-in for the operator CLI, until Ctrl-C. */
async function serve(opts: Options & { serve: { port: number } }): Promise<number> {
  const ref: { standIn?: StandIn } = {};
  const control = controlPlane({ policyFile: opts.policyFile, stackName: LOCAL_STACK, standIn: () => ref.standIn as StandIn });
  const standIn = (ref.standIn = await startStandIn(opts.world, control, opts.serve.port));
  const lines = [
    `# The stand-in is serving on ${standIn.url} (Ctrl-C stops it${opts.saveWorld ? ` and saves the world to ${opts.saveWorld}` : ''}).`,
    '# In another shell, point the operator CLI at it:',
    `export AWS_ENDPOINT_URL=${standIn.url} AWS_REGION=${opts.world.region} AWS_ACCESS_KEY_ID=AKIASTANDIN AWS_SECRET_ACCESS_KEY=standin`,
    `npx backup-orchestrator --stack ${LOCAL_STACK} plan --policy ${opts.input.policy}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await control.done();
  if (opts.saveWorld) writeFileSync(opts.saveWorld, `${JSON.stringify(standIn.model.toWorld(), null, 2)}\n`);
  await standIn.close();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  let opts: Options | 'help';
  try {
    opts = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (json) process.stdout.write(`${JSON.stringify({ success: false, error: { code: 'VALIDATION_ERROR', message: err.message } })}\n`);
    else process.stderr.write(`error: ${err.message}\n${err.showUsage ? `\n${program().helpInformation()}` : ''}`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(program().helpInformation());
    return 0;
  }
  if (opts.serve) return serve({ ...opts, serve: opts.serve });
  if (opts.drill) return rehearseDrill(opts);
  const { world, policyFile, input } = opts;
  // What serverless package would refuse because it cannot fit in a run: the rehearsal warns and runs it.
  for (const problem of fitProblems(policyFile)) process.stderr.write(`warning: ${problem} (serverless package refuses this)\n`);
  if (opts.slotFrom === 'schedule')
    process.stderr.write(
      `the world's last run of "${input.policy}" was earlier: running its next scheduled slot, ${input.scheduledTime}\n`,
    );
  // The world as the stand-in holds it (with ARNs assigned), to diff against the end state.
  const before = new Model(structuredClone(world)).toWorld();
  const log = (s: string) => process.stderr.write(s);
  let lastState = '';
  const start = Date.parse(world.now);
  let finalWorld: World | undefined;
  const result = await runWorkflow({
    world,
    policyFile,
    input,
    onEvent: (e, model) => {
      const elapsed = fmtDuration((model.nowMs - start) / 1000);
      if (e.type === 'StateEntered' && e.state && e.state !== lastState) {
        lastState = e.state;
        if (e.state !== 'Next Step?' && e.state !== 'Wait For Operations') log(`[+${elapsed}] ${e.state}\n`);
      }
      if (e.type === 'StateExited' && (e.state === 'Check Operations' || e.state === 'Start Operations')) {
        const p = (e.output as { progress?: Progress }).progress;
        if (p) log(`[+${elapsed}]   ${progressLine(p)}\n`);
      }
      if (e.type === 'ExecutionSucceeded' || e.type === 'ExecutionFailed') finalWorld = model.toWorld();
    },
  });
  const collected = snapshotCollector();
  for (const r of result.records) collected.record(r);
  const lists = collected.lists();
  const after = finalWorld ?? before;
  const diff: WorldDiff = diffWorlds(before, after);
  const envelope =
    result.status === 'SUCCEEDED'
      ? result.output
      : (safeJson(result.cause) ?? { success: false, error: { code: 'INTERNAL_ERROR', message: result.cause } });
  if (opts.saveWorld) {
    const slot = (envelope as { data?: { slot?: string } }).data?.slot ?? input.scheduledTime ?? world.now;
    const saved: World = { ...after, runs: [...after.runs, { policy: input.policy, slot, execution: result.executionName }] };
    writeFileSync(opts.saveWorld, `${JSON.stringify(saved, null, 2)}\n`);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ result: envelope, snapshots: lists, diff }, null, 2)}\n`);
  else printSummary(result, lists);
  if (result.status === 'FAILED') {
    if (opts.json) process.stderr.write(`run failed: ${result.cause}\n`);
    return 1;
  }
  return (result.output as { data: { status: string } }).data.status === 'SUCCEEDED' ? 0 : 3;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
