/**
 * Runs the real definition in statemachine/ with a real ASL interpreter (aws-local-stepfunctions),
 * calling the real handlers in-process, whose real SDK clients talk HTTP to the stand-in through the
 * SDK's standard endpoint settings. Wait states advance the stand-in's virtual clock instead of sleeping.
 */
import './polyfill.js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { parse as parseYaml } from 'yaml';
import * as applyRetention from '../functions/apply-retention/handler.js';
import * as applyTags from '../functions/apply-tags/handler.js';
import * as checkOperations from '../functions/check-operations/handler.js';
import * as auditCoverage from '../functions/audit-coverage/handler.js';
import * as checkDrills from '../functions/check-drills/handler.js';
import * as cleanUpDrills from '../functions/clean-up-drills/handler.js';
import * as describeFailure from '../functions/describe-failure/handler.js';
import * as reportDrills from '../functions/report-drills/handler.js';
import * as startDrills from '../functions/start-drills/handler.js';
import * as report from '../functions/report/handler.js';
import { createClients } from '../functions/aws/clients.js';
import { deepFreeze, freezeResponses } from './freeze.js';
import { recordMetrics } from './standin/services/cloudwatch.js';
import { CallClock, type LambdaSettings, lambdaSettingsOf, paceClients, virtualRateLimiter } from './pace-clock.js';
import { type Deps } from '../functions/runtime/deps.js';
import { createLogger } from '../functions/runtime/telemetry.js';
import { makeHandler } from '../functions/runtime/handler.js';
import type { PolicyFile } from '../functions/domain/policy.js';
import type { SnapshotRecord } from '../functions/domain/run.js';
import * as startOperations from '../functions/start-operations/handler.js';
import * as validateInput from '../functions/validate-input/handler.js';
import type { Model } from './standin/model.js';
import { type StandIn, startStandIn } from './standin/server.js';
import type { World } from './standin/world.js';

export const DEFINITION_PATH = new URL('../statemachine/backup.asl.yml', import.meta.url);

/** Function keys as serverless.yml names them -> the handler modules' cores. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each core has its own event type; the interpreter hands over JSON.
const CORES: Record<string, (event: any, deps: Deps, context: Context) => Promise<unknown>> = {
  validateInput: validateInput.core,
  startOperations: startOperations.core,
  checkOperations: checkOperations.core,
  applyTags: applyTags.core,
  applyRetention: applyRetention.core,
  report: report.core,
  describeFailure: describeFailure.core,
  startDrills: startDrills.core,
  checkDrills: checkDrills.core,
  cleanUpDrills: cleanUpDrills.core,
  reportDrills: reportDrills.core,
  auditCoverage: auditCoverage.core,
};

/** The drill workflow's definition. */
export const DRILL_DEFINITION_PATH = new URL('../statemachine/drill.asl.yml', import.meta.url);

/** What a drill's validation function answers in the rehearsal (the Map state's `lambda:invoke`). */
export type LocalValidator = (payload: { cluster: string; endpoint?: string; snapshotArn: string }) => {
  passed: boolean;
  message?: string;
};
const passAll: LocalValidator = (p) => ({
  passed: true,
  message: `reached ${p.endpoint ?? p.cluster} (the rehearsal's stand-in validator)`,
});

export interface StateEvent {
  type: string;
  state?: string;
  /** Virtual time at the event. */
  at: string;
  output?: unknown;
}

export interface RunResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  events: StateEvent[];
  /** State transitions (StateEntered events). */
  transitions: number;
  lambdaInvocations: number;
  maxPayloadBytes: number;
  virtualSeconds: number;
  executionName: string;
  /** The EMF metric documents the run emitted. */
  emf: string[];
  /** Every snapshot's outcome the steps recorded (a retried step may record one twice). */
  records: SnapshotRecord[];
  /** State visits (StateEntered events) by state name. */
  stateVisits: Record<string, number>;
  /** Lambda attempts by Task state name (retries included). */
  invocations: Record<string, number>;
  /** Handler wall time by function key, in ms. */
  lambdaMs: Record<string, number>;
  /**
   * Each Lambda attempt in virtual time: the calls it made took their latency on the stand-in's clock
   * when the world paces calls (otherwise only SDK backoff moves the clock).
   */
  invocationLog: { state: string; fn: string; startedAt: string; seconds: number }[];
  /** The longest invocation, in virtual seconds. */
  maxInvocationSeconds: number;
  /** Every invocation's virtual seconds, added up. */
  lambdaSeconds: number;
  /** GB-seconds: each invocation's virtual duration (rounded up to the ms, as Lambda bills) times its function's memory. */
  lambdaGbSeconds: number;
  mapIterations: number;
  /** Crashes injected (RunOptions.crashAfter) by Task state: each one the definition's retry had to get past. */
  crashed: Record<string, number>;
  /** Answers lost on the way back (RunOptions.loseAnswer) by Task state. */
  lost: Record<string, number>;
  /** By function key: the IAM actions its AWS calls needed (`docdb-elastic:ListClusters`, ...), sorted. */
  awsCalls: Record<string, string[]>;
  /** History events as Step Functions would record them (see historyEvents). */
  historyEvents: number;
}

type StateDef = {
  Type: string;
  Resource?: unknown;
  Next?: string;
  Seconds?: number;
  SecondsPath?: string;
  ItemProcessor?: { States: Record<string, StateDef> };
  Iterator?: { States: Record<string, StateDef> };
  Branches?: { States: Record<string, StateDef> }[];
};
type Definition = { States: Record<string, StateDef> } & Record<string, unknown>;

export interface LoadedDefinition {
  definition: Definition;
  /** Task state name -> function key (as serverless.yml names it). */
  functionOf: Record<string, string>;
  /** Every state name (nested ones included) -> its type in the definition. */
  typeOf: Record<string, string>;
  /** Wait state name -> its definition: the runner passes its time in virtual time. */
  waits: Record<string, StateDef>;
}

/**
 * The definition with each Fn::GetAtt function reference replaced by a Lambda ARN of the account. With
 * `virtualWaits`, each Wait state becomes a local step that passes its time on the stand-in's clock.
 */
export function loadDefinition(
  region: string,
  accountId: string,
  path: URL = DEFINITION_PATH,
  opts: { virtualWaits?: boolean } = {},
): LoadedDefinition {
  const text = readFileSync(path, 'utf8');
  const definition = (path.pathname.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { merge: true })) as Definition;
  const out: LoadedDefinition = { definition, functionOf: {}, typeOf: {}, waits: {} };
  const walk = (states: Record<string, StateDef>) => {
    for (const [name, state] of Object.entries(states)) {
      out.typeOf[name] = state.Type;
      const ref = (state.Resource as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
      if (state.Type === 'Task' && state.Resource === 'arn:aws:states:::lambda:invoke') {
        // A policy's own function (a drill's validation): the rehearsal answers for it (RunOptions.validate).
        out.functionOf[name] = 'lambdaInvoke';
        state.Resource = `arn:aws:lambda:${region}:${accountId}:function:backup-orchestrator-local-lambdaInvoke`;
      }
      if (state.Type === 'Task' && ref) {
        out.functionOf[name] = ref[0];
        state.Resource = `arn:aws:lambda:${region}:${accountId}:function:backup-orchestrator-local-${ref[0]}`;
      }
      if (state.Type === 'Wait') out.waits[name] = { ...state };
      if (state.Type === 'Wait' && opts.virtualWaits) {
        // The Wait passes in virtual time: a local step moves the stand-in's clock by the state's Seconds
        // (or SecondsPath) and hands its input on unchanged.
        states[name] = {
          Type: 'Task',
          Resource: `arn:aws:lambda:${region}:${accountId}:function:backup-orchestrator-local-wait`,
          ResultPath: null,
          Next: state.Next,
        } as StateDef;
      }
      const nested = state.ItemProcessor ?? state.Iterator;
      if (nested) walk(nested.States);
      for (const b of state.Branches ?? []) walk(b.States);
    }
  };
  walk(definition.States);
  return out;
}

/** A `$.a.b` path into a value (what the Wait states here use). */
function readPath(value: unknown, path: string): unknown {
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
}

/**
 * Step Functions history events a run would record, derived from the documented per-state events:
 * 2 for the execution (started, ended); 2 per state visit (entered, exited); 3 per Lambda attempt
 * (scheduled, started, succeeded or failed); for a Map, 2 more (started, succeeded) and 2 per iteration.
 */
export function historyEvents(r: Pick<RunResult, 'stateVisits' | 'invocations' | 'mapIterations'>, typeOf: Record<string, string>): number {
  let n = 2;
  for (const [state, visits] of Object.entries(r.stateVisits)) n += visits * (typeOf[state] === 'Map' ? 4 : 2);
  for (const attempts of Object.values(r.invocations)) n += attempts * 3;
  return n + r.mapIterations * 2;
}

/** Lambda's error contract: errorType becomes the error name, the cause is the JSON error payload. */
class LambdaFunctionError extends Error {
  constructor(errorType: string, errorMessage: string) {
    super(JSON.stringify({ errorType, errorMessage, trace: [] }));
    this.name = errorType;
  }
}

const IAM_PREFIX: Record<string, string> = { DocDBElasticClient: 'docdb-elastic', RDSClient: 'rds', CloudWatchClient: 'cloudwatch' };

/** Records, for every command the client sends, the IAM action it needs (one action per API operation here). */
export function recordActions(client: { middlewareStack: { add: (...args: never[]) => void } }, into: Set<string>): void {
  const add = client.middlewareStack.add as (
    mw: (next: (a: unknown) => Promise<unknown>, ctx: { clientName?: string; commandName?: string }) => (a: unknown) => Promise<unknown>,
    opts: { step: 'initialize'; name: string },
  ) => void;
  add(
    (next, ctx) => (args) => {
      const prefix = IAM_PREFIX[ctx.clientName ?? ''] ?? ctx.clientName ?? '?';
      into.add(`${prefix}:${(ctx.commandName ?? '?').replace(/Command$/, '')}`);
      return next(args);
    },
    { step: 'initialize', name: 'recordIamAction' },
  );
}

/**
 * Refuses a `crashAfter` that names anything but a Task state of the definition that invokes a function
 * (the only states a crash can hit): a misspelt or renamed state would otherwise crash nothing, silently.
 */
export function checkCrashAfter(
  crashAfter: Record<string, number> | undefined,
  functionOf: Record<string, string>,
  path: URL,
  option = 'crashAfter',
): void {
  const file = path.pathname.split('/').pop() ?? path.href;
  const tasks = Object.keys(functionOf);
  for (const [state, n] of Object.entries(crashAfter ?? {})) {
    if (!Object.hasOwn(functionOf, state)) {
      throw new Error(`${option} names "${state}", which is not a Task state of ${file} (its Task states: ${tasks.join(', ')})`);
    }
    if (!Number.isInteger(n) || n < 0) throw new Error(`${option} "${state}": ${n} is not a whole number of crashes`);
  }
}

export interface RunOptions {
  /** The world to start a stand-in with (not needed when `standIn` is given). */
  world?: World;
  policyFile: PolicyFile;
  input: unknown;
  executionName?: string;
  /** Called for each state entered/exited, for live progress. */
  onEvent?: (e: StateEvent, model: Model) => void;
  /** Use a running stand-in instead of starting one (its model keeps state across runs). */
  standIn?: StandIn;
  /** Another definition and its handlers (the benchmark's naive variant). */
  definitionPath?: URL;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see CORES
  cores?: Record<string, (event: any, deps: Deps, context: Context) => Promise<unknown>>;
  /**
   * Per Task state: how many invocations crash after their handler succeeded (fault injection). Each key
   * must be a Task state of the definition that invokes a function; anything else is refused.
   */
  crashAfter?: Record<string, number>;
  /**
   * Per Task state: which of its invocations (1 = the first) succeeds but has its answer lost on the way
   * back to Step Functions (Lambda.ServiceException), so the state's Retry invokes the function again with
   * the same input.
   */
  loseAnswer?: Record<string, number>;
  /** A stand-in request slower than this times out (and is retried), as a real hung call would. */
  requestTimeoutMs?: number;
  /** What a drill's validation function answers (default: it passes). */
  validate?: LocalValidator;
  /** Handler log level (default SILENT: the rehearsal prints its own progress). */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /**
   * Stop the execution once its history events pass this (Step Functions fails a Standard execution at
   * 25,000): the result is FAILED with error `States.HistoryLimit`.
   */
  maxHistoryEvents?: number;
  /** Timeout and memory of functions serverless.yml does not define (the bench's naive variant). */
  functionSettings?: Record<string, LambdaSettings>;
}

/** Points the SDK at the stand-in with its standard settings; no product code knows about it. */
export function useStandInEndpoints(standIn: StandIn): void {
  process.env.AWS_ENDPOINT_URL_DOCDB_ELASTIC = standIn.url;
  process.env.AWS_ENDPOINT_URL_RDS = standIn.url;
  process.env.AWS_ENDPOINT_URL_SFN = standIn.url;
  process.env.AWS_ENDPOINT_URL_CLOUDWATCH = standIn.url;
  process.env.AWS_REGION = standIn.model.region;
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIASTANDIN00000000';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'standin-secret';
  delete process.env.AWS_PROFILE;
}

export async function runWorkflow(opts: RunOptions): Promise<RunResult> {
  if (!opts.standIn && !opts.world) throw new Error('runWorkflow needs a world or a running stand-in');
  const standIn = opts.standIn ?? (await startStandIn(opts.world as World));
  try {
    return await execute(standIn, opts);
  } finally {
    if (!opts.standIn) await standIn.close();
  }
}

let executionSeq = 0;
const machines = new Map<string, StateMachine>();

/**
 * Virtual time shared by every execution against one stand-in, as a discrete-event simulation: an
 * execution in a Wait sleeps until its wake time; the clock moves on only when no execution is running,
 * to the earliest wake time. So two executions' waits overlap as they would on AWS, instead of adding up.
 */
class VirtualClock {
  private readonly running = new Set<number>();
  private sleepers: { id: number; wakeAt: number; wake: () => void }[] = [];
  private pending = false;
  constructor(private readonly model: Model) {}

  enter(id: number): void {
    this.running.add(id);
  }

  leave(id: number): void {
    this.running.delete(id);
    this.tick();
  }

  sleep(id: number, seconds: number): Promise<void> {
    this.running.delete(id);
    return new Promise((wake) => {
      this.sleepers.push({ id, wakeAt: this.model.nowMs + Math.max(0, seconds) * 1000, wake });
      this.tick();
    });
  }

  private tick(): void {
    if (this.pending) return;
    this.pending = true;
    // Let executions between states reach their next Wait (or Task) before the clock moves.
    setImmediate(() => {
      this.pending = false;
      if (this.running.size > 0 || this.sleepers.length === 0) return;
      const next = Math.min(...this.sleepers.map((s) => s.wakeAt));
      this.model.nowMs = Math.max(this.model.nowMs, next);
      const due = this.sleepers.filter((s) => s.wakeAt <= this.model.nowMs);
      this.sleepers = this.sleepers.filter((s) => s.wakeAt > this.model.nowMs);
      for (const s of due) {
        this.running.add(s.id);
        s.wake();
      }
    });
  }
}
const clocks = new WeakMap<Model, VirtualClock>();
const callClocks = new WeakMap<Model, CallClock>();
const callClockOf = (model: Model) => {
  let c = callClocks.get(model);
  if (!c) callClocks.set(model, (c = new CallClock(model)));
  return c;
};
const clockOf = (model: Model) => {
  let c = clocks.get(model);
  if (!c) clocks.set(model, (c = new VirtualClock(model)));
  return c;
};

async function execute(standIn: StandIn, opts: RunOptions): Promise<RunResult> {
  const { model } = standIn;
  useStandInEndpoints(standIn);
  const emf: string[] = [];
  const logLevel = opts.logLevel ?? 'SILENT';
  const pace = standIn.pace;
  // SDK retry backoff passes in virtual time, like the Wait states: the standard exponential delays.
  // With a paced world, calls and backoff take their time on the call clock (local/pace-clock.ts) instead.
  const makeClients = () => {
    const made = createClients(model.region, {
      backoffMs: (attempt) => {
        if (!pace) model.advance(Math.min(20_000, 100 * 2 ** attempt) / 1000);
        return 0;
      },
      // Paced, a call's time is virtual: a real-time timeout would only catch this machine's own pauses (GC).
      requestTimeoutMs: opts.requestTimeoutMs ?? (pace ? 30_000 : 2_000),
      // Paced, the adaptive mode's rate limiter runs on the virtual clock too (without pace it would sleep in real time).
      ...(pace ? { rateLimiter: () => virtualRateLimiter(model, callClockOf(model)) } : {}),
    });
    if (pace) paceClients(made, callClockOf(model), model, pace.settings.seed);
    // The product must not mutate what AWS answered, nor its own input (local/freeze.ts).
    freezeResponses(made);
    return made;
  };
  const clients = makeClients();
  const records: SnapshotRecord[] = [];
  const deps: Deps = {
    config: {
      region: model.region,
      logLevel,
      metricsNamespace: 'BackupOrchestrator',
      tracing: false,
      policyFile: opts.policyFile,
      policyPath: '(local)',
      deployedAt: new Date(0),
    },
    clients,
    now: () => model.now(),
    logger: createLogger(logLevel),
    // EMF documents carry the time CloudWatch files them under: the virtual time they were emitted.
    emit: (line) => {
      const doc = JSON.parse(line) as { _aws?: { Timestamp?: number } };
      if (doc._aws) doc._aws.Timestamp = model.nowMs;
      emf.push(JSON.stringify(doc));
      recordMetrics(model, JSON.stringify(doc));
    },
    budgetEndsAt: () => Number.POSITIVE_INFINITY,
    record: (r) => void records.push(r),
  };
  const perFunction = new Map<string, typeof clients>();
  const awsCalls: Record<string, Set<string>> = {};
  // Each function has its own clients, as each Lambda function's warm container keeps its own (paced, their
  // adaptive rate limiters learn the account's rate each on its own), and each records the IAM actions its
  // calls need, so a test can hold them against the function's role.
  const clientsOf = (fn: string) => {
    let c = perFunction.get(fn);
    if (!c) {
      perFunction.set(fn, (c = makeClients()));
      const calls = (awsCalls[fn] ??= new Set());
      for (const client of [c.elastic, c.rds, c.cloudwatch]) recordActions(client, calls);
    }
    return c;
  };
  const { definition, functionOf, typeOf, waits } = loadDefinition(model.region, model.accountId, opts.definitionPath, {
    virtualWaits: true,
  });
  checkCrashAfter(opts.crashAfter, functionOf, opts.definitionPath ?? DEFINITION_PATH);
  checkCrashAfter(opts.loseAnswer, functionOf, opts.definitionPath ?? DEFINITION_PATH, 'loseAnswer');
  const validate = opts.validate ?? passAll;
  const cores: typeof CORES = {
    ...(opts.cores ?? CORES),
    // Step Functions' lambda:invoke integration: {FunctionName, Payload} in, {Payload, StatusCode} out.
    lambdaInvoke: (event: { Payload: Parameters<LocalValidator>[0] }) =>
      Promise.resolve({ StatusCode: 200, Payload: validate(event.Payload) }),
  };
  const stateVisits: Record<string, number> = {};
  const invocations: Record<string, number> = {};
  const lambdaMs: Record<string, number> = {};
  const invocationLog: RunResult['invocationLog'] = [];
  let lambdaGbSeconds = 0;
  let mapIterations = 0;
  const startMs = model.nowMs;
  const virtualStart = model.now().toISOString();
  // Every execution its own name, as on AWS (the console's default is a UUID); the slot is the idempotency key.
  const executionName = opts.executionName ?? `local-${model.now().toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`;
  let lambdaInvocations = 0;
  let maxPayloadBytes = Buffer.byteLength(JSON.stringify(opts.input));
  const measure = (v: unknown) => {
    maxPayloadBytes = Math.max(maxPayloadBytes, Buffer.byteLength(JSON.stringify(v ?? null)));
  };

  const crashes: Record<string, number> = { ...(opts.crashAfter ?? {}) };
  const crashed: Record<string, number> = {};
  const lost: Record<string, number> = {};
  // $$.State.RetryCount as Step Functions sets it: the interpreter reads the context object we give it (one
  // object for the whole execution), so it is kept here: one more after a failed invocation, 0 after any
  // state's invocation succeeds (a Catch's path passes through other states before the state is visited anew).
  const stateContext = { RetryCount: 0 };
  let stopped = false;
  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [stateName, fn] of Object.entries(functionOf)) {
    const core = cores[fn];
    if (!core) throw new Error(`no local handler for function ${fn}`);
    const handler = makeHandler(core, { ...deps, clients: clientsOf(fn) });
    const limits = opts.functionSettings?.[fn] ?? lambdaSettingsOf(fn);
    let invokedAt = model.nowMs;
    // Lambda's context on the virtual clock: the time left of the function's timeout (serverless.yml).
    const context = {
      functionName: `backup-orchestrator-local-${fn}`,
      invokedFunctionArn: `arn:aws:lambda:${model.region}:${model.accountId}:function:backup-orchestrator-local-${fn}`,
      awsRequestId: `local-${fn}`,
      getRemainingTimeInMillis: () => limits.timeoutSeconds * 1000 - (model.nowMs - invokedAt),
    } as unknown as Context;
    taskResourceLocalHandlers[stateName] = async (input) => {
      // A stopped execution (aborted at the history limit) starts no more work: its Map would go on otherwise.
      if (stopped) throw new LambdaFunctionError('States.Aborted', 'the execution was stopped');
      lambdaInvocations++;
      invocations[stateName] = (invocations[stateName] ?? 0) + 1;
      const started = performance.now();
      invokedAt = model.nowMs;
      const took = () => (model.nowMs - invokedAt) / 1000;
      const payload = JSON.parse(JSON.stringify(input)) as { execution?: { startTime?: string } };
      // The interpreter stamps $$.Execution.StartTime with the real clock; the execution started at virtual time.
      if (payload.execution?.startTime) payload.execution.startTime = virtualStart;
      measure(payload);
      try {
        const out = await handler(deepFreeze(payload), context);
        if (pace && took() > limits.timeoutSeconds) {
          // Lambda would have stopped it at its timeout, whatever it was doing then.
          throw new LambdaFunctionError('Sandbox.Timedout', `Task timed out after ${limits.timeoutSeconds.toFixed(2)} seconds`);
        }
        if ((crashes[stateName] ?? 0) > 0) {
          // The function did its work, then died before returning (out of memory, runtime crash).
          crashes[stateName] = (crashes[stateName] ?? 0) - 1;
          crashed[stateName] = (crashed[stateName] ?? 0) + 1;
          throw new LambdaFunctionError('Runtime.ExitError', 'RequestId: local Error: Runtime exited with error: signal: killed');
        }
        if (opts.loseAnswer?.[stateName] === invocations[stateName]) {
          // The function did its work; its answer never reached Step Functions.
          lost[stateName] = (lost[stateName] ?? 0) + 1;
          throw new LambdaFunctionError('Lambda.ServiceException', 'Lambda returned an error: the answer was lost');
        }
        const json = JSON.parse(JSON.stringify(out ?? null)) as unknown;
        measure(json);
        stateContext.RetryCount = 0;
        return json;
      } catch (err) {
        stateContext.RetryCount++;
        if (err instanceof LambdaFunctionError) throw err;
        const e = err as Error;
        throw new LambdaFunctionError(e.name && e.name !== 'Error' ? e.name : 'Error', e.message);
      } finally {
        lambdaMs[fn] = (lambdaMs[fn] ?? 0) + performance.now() - started;
        const seconds = Math.min(took(), limits.timeoutSeconds);
        invocationLog.push({ state: stateName, fn, startedAt: new Date(invokedAt).toISOString(), seconds });
        lambdaGbSeconds += (Math.max(1, Math.ceil(seconds * 1000)) / 1000) * (limits.memoryMb / 1024);
      }
    };
  }
  const clock = clockOf(model);
  const me = ++executionSeq;
  for (const [name, wait] of Object.entries(waits)) {
    taskResourceLocalHandlers[name] = async (input) => {
      if (stopped) throw new LambdaFunctionError('States.Aborted', 'the execution was stopped');
      await clock.sleep(me, Number(wait.Seconds ?? (wait.SecondsPath ? readPath(input, wait.SecondsPath) : 0)) || 0);
      stateContext.RetryCount = 0;
      return {};
    };
  }
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, type] of Object.entries(typeOf)) if (type === 'Task') retryIntervalOverrides[name] = 0;

  const machineKey = `${model.region}|${model.accountId}|${(opts.definitionPath ?? DEFINITION_PATH).href}`;
  let machine = machines.get(machineKey);
  if (!machine) {
    // Construction validates the definition (~150 ms): once per account and region per process.
    machine = new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
    machines.set(machineKey, machine);
  }
  clock.enter(me);
  const execution = machine.run(opts.input as never, {
    overrides: {
      taskResourceLocalHandlers: taskResourceLocalHandlers as never,
      retryIntervalOverrides,
    },
    context: {
      Execution: {
        Id: `arn:aws:states:${model.region}:${model.accountId}:execution:backup-orchestrator-local:${executionName}`,
        Name: executionName,
        StartTime: model.now().toISOString(),
        Input: opts.input as never,
      },
      State: stateContext,
    },
  });
  const events: StateEvent[] = [];
  let transitions = 0;
  let historyLimit = false;
  const collect = (async () => {
    for await (const ev of execution.eventLogs) {
      const e = ev as { type: string; state?: { name: string; output?: unknown } };
      if (e.type === 'StateEntered') {
        transitions++;
        if (e.state?.name) stateVisits[e.state.name] = (stateVisits[e.state.name] ?? 0) + 1;
      }
      if (e.type === 'MapIterationStarted') mapIterations++;
      if (
        opts.maxHistoryEvents !== undefined &&
        !historyLimit &&
        historyEvents({ stateVisits, invocations, mapIterations }, typeOf) > opts.maxHistoryEvents
      ) {
        historyLimit = true;
        stopped = true;
        execution.abort();
      }
      const se: StateEvent = {
        type: e.type,
        state: e.state?.name,
        at: model.now().toISOString(),
        output: e.type === 'StateExited' ? e.state?.output : undefined,
      };
      events.push(se);
      opts.onEvent?.(se, model);
    }
  })();
  let result: RunResult;
  const base = () => ({
    events,
    transitions,
    lambdaInvocations,
    maxPayloadBytes,
    virtualSeconds: (model.nowMs - startMs) / 1000,
    executionName,
    emf,
    records,
    stateVisits,
    invocations,
    lambdaMs,
    mapIterations,
    crashed,
    lost,
    awsCalls: Object.fromEntries(Object.entries(awsCalls).map(([fn, set]) => [fn, [...set].sort()])),
    historyEvents: historyEvents({ stateVisits, invocations, mapIterations }, typeOf),
    invocationLog,
    maxInvocationSeconds: invocationLog.reduce((m, i) => Math.max(m, i.seconds), 0),
    lambdaSeconds: invocationLog.reduce((n, i) => n + i.seconds, 0),
    lambdaGbSeconds,
  });
  try {
    const output = await execution.result;
    await collect;
    measure(output);
    result = { status: 'SUCCEEDED', output, ...base() };
  } catch (err) {
    await collect.catch(() => undefined);
    const cause = (err as Error & { cause?: { name?: string; message?: string } }).cause;
    result = historyLimit
      ? {
          status: 'FAILED',
          error: 'States.HistoryLimit',
          cause: `the execution passed ${opts.maxHistoryEvents} history events (Step Functions fails a Standard execution at 25,000)`,
          ...base(),
        }
      : {
          status: 'FAILED',
          error: cause?.name ?? (err as Error).name,
          cause: cause?.message ?? (err as Error).message,
          ...base(),
        };
  } finally {
    stopped = true;
    clock.leave(me);
  }
  return result;
}
