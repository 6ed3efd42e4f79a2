/**
 * `npm start`: a rehearsal of the main job. Starts the stand-in with a world, runs the real workflow
 * for a policy, shows live progress, ends with a summary. See README "Local rehearsal".
 */
import { readFileSync, writeFileSync } from 'node:fs';
// The AWS SDK's notice that its releases after early 2027 need Node 22 is not for this rehearsal's user
// (the pinned versions run on Node 20): keep it quiet. Read when the first client is built.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { parseArgs } from 'node:util';
import { loadPolicyFile } from '../functions/runtime/config.js';
import { fitProblems } from '../functions/domain/deploy.js';
import type { PolicyFile } from '../functions/domain/policy.js';
import type { Progress } from '../functions/domain/run.js';
import { progressLine } from '../cli/progress.js';
import { diffWorlds, type WorldDiff } from './diff.js';
import { type RunResult, runWorkflow } from './runner.js';
import { Model } from './standin/model.js';
import { parseWorld, type World, WorldError } from './standin/world.js';

const USAGE = `usage: npm start -- [options]

  --world FILE       world file for the stand-in (default local/worlds/example.json)
  --config FILE      policy file (default policies.yml)
  --policy NAME      policy to run (default: the first in the policy file)
  --input JSON       execution input, as for a console start (default {"policy":"<policy>"})
  --now ISO          virtual time at the start (default: the world's "now")
  --save-world FILE  write the stand-in's final state as a world file
  --json             print one JSON document: {"result": <envelope>, "diff": {...}}
  --help             this text`;

class UsageError extends Error {}

interface Options {
  world: World;
  policyFile: PolicyFile;
  input: unknown;
  saveWorld?: string;
  json: boolean;
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

export function parseOptions(argv: string[]): Options | 'help' {
  let values: ReturnType<typeof parseArgs>['values'];
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        world: { type: 'string', default: 'local/worlds/example.json' },
        config: { type: 'string', default: 'policies.yml' },
        policy: { type: 'string' },
        input: { type: 'string' },
        now: { type: 'string' },
        'save-world': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const worldPath = String(values.world);
  let world: World;
  try {
    world = parseWorld(readJsonFile(worldPath, 'world file'), `world file ${worldPath}`);
  } catch (err) {
    if (err instanceof WorldError) throw new UsageError(err.message);
    throw err;
  }
  if (values.now !== undefined) {
    const t = new Date(String(values.now));
    if (Number.isNaN(t.getTime())) throw new UsageError(`--now: "${String(values.now)}" is not an ISO time`);
    world.now = t.toISOString();
  }
  let policyFile: PolicyFile;
  try {
    policyFile = loadPolicyFile(String(values.config));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let input: Record<string, unknown> = {};
  if (values.input !== undefined) {
    try {
      input = JSON.parse(String(values.input)) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`--input: not valid JSON: ${(err as Error).message}`);
    }
  }
  const policy = values.policy ?? (typeof input === 'object' && input && 'policy' in input ? undefined : policyFile.policies[0]?.name);
  if (policy !== undefined && typeof input === 'object' && input && !Array.isArray(input)) input = { ...input, policy };
  return {
    world,
    policyFile,
    input,
    saveWorld: values['save-world'] === undefined ? undefined : String(values['save-world']),
    json: values.json === true,
  };
}

const fmtDuration = (s: number) => {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}h${String(m).padStart(2, '0')}m`;
};

function printSummary(result: RunResult, diff: WorldDiff): void {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  if (result.status === 'FAILED') {
    out(`\nRun FAILED: ${result.error}`);
    out(result.cause ?? '');
    return;
  }
  const env = result.output as {
    data: {
      id: string;
      status: string;
      dryRun: boolean;
      summary: Record<string, number>;
      failures: { target: string; code: string; message: string }[];
      deleted: { name: string; of: string; time: string; reasons?: string[] }[];
      plan?: Record<string, number>;
    };
  };
  const d = env.data;
  out('');
  out(`Run ${d.id}: ${d.status}${d.dryRun ? ' (dry run: nothing changed)' : ''}, ${fmtDuration(result.virtualSeconds)} of virtual time`);
  out('');
  const rows: [string, string | number][] = Object.entries(d.summary);
  if (d.plan) rows.push(['would create', d.plan.create ?? 0], ['would copy', d.plan.copy ?? 0], ['would delete', d.plan.delete ?? 0]);
  const w = Math.max(...rows.map(([k]) => k.length));
  out(`  ${'what'.padEnd(w)}  count`);
  for (const [k, v] of rows) out(`  ${k.padEnd(w)}  ${v}`);
  const section = (title: string, items: string[]) => {
    if (items.length === 0) return;
    out('');
    out(`${title}:`);
    for (const i of items) out(`  ${i}`);
  };
  section('Created', diff.created);
  section('Copied', diff.copied);
  section(
    d.dryRun ? 'Would delete' : 'Deleted',
    d.deleted.map((x) => `${x.name} of ${x.of}, ${x.time}: ${(x.reasons ?? []).join('; ')}`),
  );
  section(
    'Failed',
    d.failures.map((f) => `${f.code}  ${f.target}: ${f.message}`),
  );
}

async function main(argv: string[]): Promise<number> {
  let opts: Options | 'help';
  try {
    opts = parseOptions(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { world, policyFile, input, json } = opts;
  // What serverless package would refuse because it cannot fit in a run: the rehearsal warns and runs it.
  for (const problem of fitProblems(policyFile)) process.stderr.write(`warning: ${problem} (serverless package refuses this)\n`);
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
  const after = finalWorld ?? before;
  const diff = diffWorlds(before, after);
  if (opts.saveWorld) writeFileSync(opts.saveWorld, `${JSON.stringify(after, null, 2)}\n`);
  const envelope =
    result.status === 'SUCCEEDED'
      ? result.output
      : (safeJson(result.cause) ?? { success: false, error: { code: 'INTERNAL_ERROR', message: result.cause } });
  if (json) {
    process.stdout.write(`${JSON.stringify({ result: envelope, diff }, null, 2)}\n`);
  } else {
    printSummary(result, diff);
  }
  if (result.status === 'FAILED') {
    if (json) process.stderr.write(`run failed: ${result.cause}\n`);
    return 1;
  }
  return (result.output as { data: { status: string } }).data.status === 'SUCCEEDED' ? 0 : 3;
}

function safeJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
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
