/**
 * `npm run bench`: the real workflow at fleet sizes against the stand-in with AWS's latency and
 * throttling in virtual time (the world's `pace`, local/standin/pace.ts), the naive design beside it, two
 * bounded-state scenarios, and each function's bundle size and module initialisation time.
 * `--json` prints one document; `--write` also writes the tables into docs/performance.md and the main
 * table into README.md (between their bench markers), and the chart to docs/bench.svg.
 * Options: --sizes 100,1000,10000  --no-naive  --no-scenarios  --no-bundles  --json  --write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { ResultEnvelope } from '../functions/report/report.js';
import { elasticSnapshotName } from '../functions/domain/naming.js';
import { parsePolicyYaml } from '../functions/domain/policy.js';
import { ownershipTags } from '../functions/domain/tags.js';
import type { SnapshotRecord } from '../functions/domain/run.js';
import { recordLog } from '../functions/runtime/records.js';
import { METRICS } from '../functions/runtime/telemetry.js';
import { type RunResult, runWorkflow } from '../local/runner.js';
import { DEFAULT_BUCKETS, PAGE_LATENCY, READ_LATENCY, WRITE_LATENCY } from '../local/standin/pace.js';
import { startStandIn } from '../local/standin/server.js';
import { parseWorld, type WorldInput } from '../local/standin/world.js';
import { measureBundles } from './bundles.js';
import { benchChart } from './chart.js';
import { naiveCores } from './naive.js';

// The SDK's Node-version notice says nothing about the bench (the rehearsal turns it off the same way).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SHARED = 100;
const SOURCE = '111122223333';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/bench-0000-4000-8000-000000000000';
const NOW = new Date('2026-11-22T02:00:00Z');
/** Prices (us-east-1): Standard transitions, Lambda arm64 GB-seconds and requests. */
const PRICE = { transition: 0.025 / 1000, gbSecond: 0.0000133334, request: 0.2 / 1e6, logGb: 0.5 };

/** A Powertools log line's keys besides the record's own (the Lambda context, service, run id, policy), as a deployed stack writes them. */
const LOG_LINE_KEYS = {
  level: 'INFO',
  timestamp: '2026-11-22T02:00:00.000Z',
  service: 'backup-orchestrator',
  cold_start: false,
  function_arn: 'arn:aws:lambda:us-east-1:123456789012:function:backup-orchestrator-prod-applyRetention',
  function_memory_size: '256',
  function_name: 'backup-orchestrator-prod-applyRetention',
  function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  sampling_rate: 0,
  runId: 'backup-orchestrator-prod-bench-2026-11-22T02-00',
  policy: 'bench',
};

/** Bytes of the log lines a run's snapshot records make in Lambda (one per snapshot acted on, kept ones grouped). */
function snapshotLogBytes(records: readonly SnapshotRecord[]): number {
  let bytes = 0;
  const log = recordLog((message, fields) => {
    bytes += JSON.stringify({ ...LOG_LINE_KEYS, message, ...fields }).length + 1;
  });
  for (const r of records) log.record(r);
  log.flush();
  return bytes;
}
/** The naive functions: not in serverless.yml; given Lambda's longest timeout and the provider's memory, as such tools do. */
const NAIVE_LAMBDA = { timeoutSeconds: 900, memoryMb: 256 };
const NAIVE_FUNCTIONS = Object.fromEntries(Object.keys(naiveCores).map((k) => [k, NAIVE_LAMBDA]));
/** Step Functions fails a Standard execution at 25,000 history events (AWS quotas page; docs/aws-behaviour.md F3). */
const HISTORY_LIMIT = 25_000;

export const POLICY = parsePolicyYaml(`
policies:
  - name: bench
    elastic: { selector: { backup: bench } }
    copy: { sourceAccounts: ['${SOURCE}'], kmsKeyId: '${KEY}', engines: [docdb, aurora-postgresql] }
    retention: { keepDaily: 30, minKeep: 2 }
    deadlines: { createMinutes: 360, copyMinutes: 240 }
`);

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * N clusters with 30 earlier daily snapshots each; 100 new shared snapshots; creates 10 min-3 h, copies
 * 10-60 min; calls take AWS's latency and meet its throttling (the stand-in's defaults).
 */
export function benchWorld(clusters: number, naive = false): WorldInput {
  const rnd = random(clusters);
  const day = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
  const width = Math.max(4, String(clusters - 1).length);
  return {
    accountId: '123456789012',
    region: 'us-east-1',
    now: NOW.toISOString(),
    quotas: { elasticSnapshots: clusters * 40 + 100, manualClusterSnapshots: 1000, concurrentCopies: naive ? 1000 : 5 },
    kmsKeys: [KEY],
    // AWS's latency and throttling in virtual time, with the stand-in's documented defaults (docs/aws-behaviour.md P1-P6).
    pace: {},
    elasticClusters: Array.from({ length: clusters }, (_, i) => {
      const n = String(i).padStart(width, '0');
      const name = `bench-${n}`;
      const arn = `arn:aws:docdb-elastic:us-east-1:123456789012:cluster/bench${n}-0000-4000-8000-000000000000`;
      return {
        name,
        arn,
        tags: { backup: 'bench' },
        createMinutes: Math.round(10 + rnd() * 170),
        snapshots: Array.from({ length: 30 }, (_, d) => ({
          name: elasticSnapshotName('bench', arn, name, day(d + 1)),
          createdAt: new Date(day(d + 1).getTime() + 60_000).toISOString(),
          tags: ownershipTags({ policy: 'bench', target: arn, runId: `r${d}`, createdAt: day(d + 1) }),
        })),
      };
    }),
    sharedSnapshots: Array.from({ length: SHARED }, (_, i) => ({
      ownerAccount: SOURCE,
      id: `partner-${String(i).padStart(3, '0')}`,
      clusterId: `src-${String(i).padStart(3, '0')}`,
      engine: i % 3 === 0 ? 'aurora-postgresql' : 'docdb',
      encrypted: i % 5 === 0,
      ...(i % 5 === 0 ? { kmsKeyId: `arn:aws:kms:us-east-1:${SOURCE}:key/partner` } : {}),
      createdAt: new Date(NOW.getTime() - 3_600_000).toISOString(),
      copyMinutes: Math.round(10 + rnd() * 50),
    })),
  };
}

/** What a run that could not finish would need: its figures per target reached, times every target. */
export interface Projection {
  historyEvents: number;
  transitions: number;
  lambdaGbSeconds: number;
  costUsd: number;
  /** Targets the projection is scaled from (Map iterations started). */
  fromTargets: number;
}

export interface Row {
  variant: 'ours' | 'naive';
  /** A bounded-state scenario (absent: the plain bench run). */
  scenario?: string;
  clusters: number;
  sharedSnapshots: number;
  /** SUCCEEDED, PARTIAL (failed targets), or FAILED with the error. */
  status: string;
  finished: boolean;
  /** Why a run that did not finish stopped. */
  note?: string;
  historyEvents: number;
  transitions: number;
  maxPayloadBytes: number;
  lambdaInvocations: number;
  /** Virtual seconds of all invocations, and of the longest. */
  lambdaSeconds: number;
  maxInvocationSeconds: number;
  lambdaGbSeconds: number;
  apiCalls: Record<string, number>;
  apiCallsTotal: number;
  /** Every attempt (throttled ones included) per target (clusters + shared snapshots). */
  apiCallsPerTarget: number;
  throttledCalls: number;
  /** Throttled calls by operation. */
  throttled: Record<string, number>;
  maxCopiesInFlight: number;
  /** Failed targets the envelope reports, and how many of them THROTTLING. */
  failures: number;
  throttlingFailures: number;
  costUsd: number;
  /** Virtual hours from the run's start to each part's RecoveryPointTimestamp document. */
  elasticDoneHours: number | null;
  copiesDoneHours: number | null;
  virtualHours: number;
  wallSeconds: number;
  /** What the Lambda functions log about snapshots (functions/runtime/records.ts), in MB, and its CloudWatch Logs ingestion cost. */
  snapshotLogMb: number;
  snapshotLogUsd: number;
  /** Snapshot outcomes the run recorded (in Lambda, one log line each: created, copied, deleted, kept). */
  logLines: number;
  projected?: Projection;
}

const r2 = (n: number) => Math.round(n * 100) / 100;

/** Virtual hours from the run's start to the first RecoveryPointTimestamp document of a part. */
function partDoneHours(r: RunResult, startMs: number, part: 'elastic' | 'copies'): number | null {
  for (const line of r.emf) {
    const doc = JSON.parse(line) as Record<string, unknown> & { _aws: { Timestamp: number } };
    if (doc.Part === part && METRICS.stalest in doc) return r2((doc._aws.Timestamp - startMs) / 3_600_000);
  }
  return null;
}

const cost = (transitions: number, gbSeconds: number, requests: number) =>
  Math.round((transitions * PRICE.transition + gbSeconds * PRICE.gbSecond + requests * PRICE.request) * 1e5) / 1e5;

interface Scenario {
  name: string;
  /** Changes to the world. */
  world?: (w: WorldInput) => WorldInput;
  /** Executions of the same slot, one after the other (a re-run adopts what the first made). */
  executions?: number;
}

async function measure(variant: 'ours' | 'naive', clusters: number, scenario?: Scenario): Promise<Row> {
  const base = benchWorld(clusters, variant === 'naive');
  const world = parseWorld(scenario?.world ? scenario.world(base) : base);
  const standIn = await startStandIn(world);
  const t0 = performance.now();
  const startMs = standIn.model.nowMs;
  const results: RunResult[] = [];
  try {
    for (let i = 0; i < (scenario?.executions ?? 1); i++) {
      results.push(
        await runWorkflow({
          world,
          standIn,
          policyFile: POLICY,
          input: { policy: 'bench', scheduledTime: NOW.toISOString() },
          maxHistoryEvents: HISTORY_LIMIT,
          ...(variant === 'naive'
            ? { definitionPath: new URL('./naive.asl.json', import.meta.url), cores: naiveCores, functionSettings: NAIVE_FUNCTIONS }
            : {}),
        }),
      );
    }
  } finally {
    await standIn.close();
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const r = results.at(-1) as RunResult;
  const calls = standIn.model.calls;
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  const retries = Object.entries(r.invocations).reduce((n, [state, k]) => n + Math.max(0, k - (r.stateVisits[state] ?? 0)), 0);
  const transitions = r.transitions + retries;
  const envelope = r.output as ResultEnvelope | undefined;
  const targets = clusters + SHARED;
  const finished = r.status === 'SUCCEEDED';
  const logBytes = snapshotLogBytes(r.records);
  const row: Row = {
    variant,
    ...(scenario ? { scenario: scenario.name } : {}),
    clusters,
    sharedSnapshots: SHARED,
    status: finished ? (envelope?.data?.status ?? 'SUCCEEDED') : `FAILED ${r.error}`,
    finished,
    historyEvents: r.historyEvents,
    transitions,
    maxPayloadBytes: Math.max(...results.map((x) => x.maxPayloadBytes)),
    lambdaInvocations: r.lambdaInvocations,
    lambdaSeconds: Math.round(r.lambdaSeconds),
    maxInvocationSeconds: Math.round(Math.max(...results.map((x) => x.maxInvocationSeconds)) * 10) / 10,
    lambdaGbSeconds: Math.round(r.lambdaGbSeconds * 10) / 10,
    apiCalls: Object.fromEntries(Object.entries(calls).sort()),
    apiCallsTotal: total,
    apiCallsPerTarget: r2(total / targets),
    throttledCalls: standIn.pace?.throttledCalls ?? 0,
    throttled: { ...(standIn.pace?.throttled ?? {}) },
    maxCopiesInFlight: standIn.model.maxCopiesInFlight,
    failures: envelope?.data?.summary.failed ?? 0,
    throttlingFailures: envelope?.data?.failures.filter((f) => f.code === 'THROTTLING').length ?? 0,
    costUsd: cost(transitions, r.lambdaGbSeconds, r.lambdaInvocations),
    elasticDoneHours: partDoneHours(r, startMs, 'elastic'),
    copiesDoneHours: partDoneHours(r, startMs, 'copies'),
    virtualHours: Math.round((r.virtualSeconds / 3600) * 10) / 10,
    wallSeconds: r2(wallSeconds),
    logLines: r.records.length,
    snapshotLogMb: r2(logBytes / 1e6),
    snapshotLogUsd: Math.round((logBytes / 1e9) * PRICE.logGb * 1e4) / 1e4,
  };
  if (!finished) {
    const timedOut = r.error === 'Sandbox.Timedout' || r.error === 'States.Timeout';
    row.note =
      r.error === 'States.HistoryLimit'
        ? `Step Functions fails it at ${HISTORY_LIMIT.toLocaleString('en-US')} history events, after ${r.mapIterations.toLocaleString('en-US')} of ${targets.toLocaleString('en-US')} targets`
        : timedOut
          ? `a Lambda invocation passed its ${NAIVE_LAMBDA.timeoutSeconds} s timeout (${r.invocationLog.at(-1)?.state ?? 'a step'}: ${Math.round(
              Math.max(...r.invocationLog.map((i) => i.seconds)),
            )} s of calls at the account's rate)`
          : `${r.error}: ${r.cause ?? ''}`.slice(0, 200);
    if (r.mapIterations > 0) {
      const k = targets / r.mapIterations;
      const gb = r.lambdaGbSeconds * k;
      const tr = Math.round(transitions * k);
      row.projected = {
        historyEvents: Math.round(r.historyEvents * k),
        transitions: tr,
        lambdaGbSeconds: Math.round(gb * 10) / 10,
        costUsd: cost(tr, gb, Math.round(r.lambdaInvocations * k)),
        fromTargets: r.mapIterations,
      };
    }
  }
  return row;
}

/** A run that stopped before any target: projected from the largest run of its variant that reached some. */
function projectFrom(row: Row, rows: Row[]): Row {
  if (row.finished || row.projected) return row;
  const ref = rows.filter((x) => x.variant === row.variant && !x.scenario && x.projected).sort((a, b) => b.clusters - a.clusters)[0];
  if (!ref?.projected) return row;
  const k = (row.clusters + SHARED) / (ref.clusters + SHARED);
  return {
    ...row,
    projected: {
      historyEvents: Math.round(ref.projected.historyEvents * k),
      transitions: Math.round(ref.projected.transitions * k),
      lambdaGbSeconds: Math.round(ref.projected.lambdaGbSeconds * k * 10) / 10,
      costUsd: Math.round(ref.projected.costUsd * k * 1e5) / 1e5,
      fromTargets: ref.projected.fromTargets,
    },
  };
}

/** Targets for ours (issue 15): at the largest fleet, and elastic freshness at 1,000 clusters. */
export const BUDGET = {
  historyEvents: 4000,
  maxPayloadBytes: 64 * 1024,
  apiCallsPerTarget: 6,
  maxInvocationSeconds: 300,
  costUsd: 0.05,
  elasticDoneHoursAt1000: 4,
  benchWallSeconds: 300,
  initMs: 150,
};

const SCENARIOS: { clusters: number; scenario: Scenario }[] = [
  { clusters: 1000, scenario: { name: 're-run of a slot (the second execution adopts every snapshot)', executions: 2 } },
  {
    clusters: 150,
    scenario: {
      name: 'create throttling storm (the first 1,500 CreateClusterSnapshot attempts throttled)',
      world: (w) => ({ ...w, faults: [{ operation: 'CreateClusterSnapshot', error: 'ThrottlingException', count: 1500 }] }),
    },
  },
];

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const hours = (h: number | null) => (h === null ? '-' : h.toFixed(2));
const usd = (n: number) => `$${n < 0.01 ? n.toFixed(4) : n < 1 ? n.toFixed(3) : n.toFixed(2)}`;

function consoleTable(rows: Row[]): string {
  const cols: [string, (r: Row) => string][] = [
    ['variant', (r) => r.variant],
    ['clusters', (r) => String(r.clusters)],
    ['status', (r) => r.status],
    ['history', (r) => String(r.historyEvents)],
    ['payload B', (r) => String(r.maxPayloadBytes)],
    ['calls/target', (r) => r.apiCallsPerTarget.toFixed(2)],
    ['throttled', (r) => String(r.throttledCalls)],
    ['lambdas', (r) => String(r.lambdaInvocations)],
    ['lambda s', (r) => String(r.lambdaSeconds)],
    ['max inv s', (r) => r.maxInvocationSeconds.toFixed(1)],
    ['GB-s', (r) => r.lambdaGbSeconds.toFixed(1)],
    ['transitions', (r) => String(r.transitions)],
    ['cost', (r) => usd(r.costUsd)],
    ['elastic h', (r) => hours(r.elasticDoneHours)],
    ['copies h', (r) => hours(r.copiesDoneHours)],
    ['wall s', (r) => r.wallSeconds.toFixed(1)],
  ];
  const cells = [cols.map(([h]) => h), ...rows.map((r) => cols.map(([, f]) => f(r)))];
  const widths = cols.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? '').length)));
  return cells.map((c) => c.map((x, i) => x.padStart(widths[i] ?? 0)).join('  ')).join('\n');
}

/** The Markdown table docs/performance.md shows (written by --write between the bench markers). */
function markdown(rows: Row[], scenarios: Row[], machine: { date: string; node: string; cores: number }, totalWall: number): string {
  const needs = (r: Row, measured: string, projected?: string) =>
    r.projected && projected ? `${measured} (needs ≈ ${projected})` : measured;
  const lines: string[] = [
    `Measured ${machine.date} on this project's CI machine (${machine.cores} cores, Node ${machine.node}); the whole bench took ${Math.round(totalWall)} s of wall time. All figures in virtual time unless marked wall.`,
    '',
    '| variant | clusters | status | history events | largest payload | AWS calls per target | throttled calls | Lambda invocations | Lambda total / largest | GB-seconds | transitions | cost per run | elastic done | copies done | wall |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows
      .map((r) =>
        [
          r.variant,
          int(r.clusters),
          r.finished ? r.status : `cannot finish: ${r.note ?? r.status}`,
          needs(r, int(r.historyEvents), r.projected && int(r.projected.historyEvents)),
          `${(r.maxPayloadBytes / 1024).toFixed(1)} KiB`,
          r.apiCallsPerTarget.toFixed(2),
          int(r.throttledCalls),
          int(r.lambdaInvocations),
          `${int(r.lambdaSeconds)} s / ${r.maxInvocationSeconds.toFixed(0)} s`,
          int(r.lambdaGbSeconds),
          int(r.transitions),
          needs(r, usd(r.costUsd), r.projected && usd(r.projected.costUsd)),
          r.elasticDoneHours === null ? '-' : `${r.elasticDoneHours.toFixed(2)} h`,
          r.copiesDoneHours === null ? '-' : `${r.copiesDoneHours.toFixed(2)} h`,
          `${r.wallSeconds.toFixed(1)} s`,
        ].join(' | '),
      )
      .map((l) => `| ${l} |`),
  ];
  if (scenarios.length === 0) return lines.join('\n');
  lines.push(
    '',
    'Bounded state (ours):',
    '',
    '| scenario | clusters | status | largest payload | failures (THROTTLING) | history events | AWS calls per target | throttled calls | wall |',
    '|---|---|---|---|---|---|---|---|---|',
    ...scenarios.map(
      (r) =>
        `| ${r.scenario ?? ''} | ${int(r.clusters)} | ${r.status} | ${(r.maxPayloadBytes / 1024).toFixed(1)} KiB | ${r.failures} (${r.throttlingFailures}) | ${int(r.historyEvents)} | ${r.apiCallsPerTarget.toFixed(2)} | ${int(r.throttledCalls)} | ${r.wallSeconds.toFixed(1)} s |`,
    ),
  );
  return lines.join('\n');
}

function chart(rows: Row[]): string {
  // One metric for both variants: what each measured, and what naive would need where it stopped.
  const both = (metric: 'costUsd' | 'historyEvents') =>
    (
      [
        ['ours', 'ours', '#1f77b4'],
        ['naive', 'naive per-target poll loop', '#d62728'],
      ] as const
    ).map(([variant, label, color]) => ({
      label,
      color,
      points: rows
        .filter((r) => r.variant === variant && !r.scenario)
        .map((r) => ({ clusters: r.clusters, value: r[metric], ...(r.projected ? { needed: r.projected[metric] } : {}) })),
    }));
  return benchChart(
    [
      {
        title: 'Cost per run (USD)',
        unit: (v) => `$${v}`,
        series: both('costUsd'),
        lines: [{ value: BUDGET.costUsd, label: 'target $0.05', color: '#2ca02c' }],
      },
      {
        title: 'Step Functions history events per run',
        unit: (v) => v.toLocaleString('en-US'),
        series: both('historyEvents'),
        lines: [
          { value: HISTORY_LIMIT, label: 'Step Functions limit 25,000', color: '#d62728' },
          { value: BUDGET.historyEvents, label: 'target 4,000', color: '#2ca02c' },
        ],
      },
    ],
    'hollow: what naive needs (extrapolated); square: where it stopped',
  );
}

/** Replaces what stands between a file's bench markers. */
function writeBetweenMarkers(file: URL, table: string): void {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('<!-- bench:start -->');
  const end = text.indexOf('<!-- bench:end -->');
  if (start < 0 || end < start) throw new Error(`${file.pathname} lacks the bench markers`);
  writeFileSync(file, `${text.slice(0, start)}<!-- bench:start -->\n\n${table}\n\n${text.slice(end)}`);
}

function writeDocs(full: string, main: string, svg: string): void {
  writeBetweenMarkers(new URL('../docs/performance.md', import.meta.url), full);
  writeBetweenMarkers(new URL('../README.md', import.meta.url), main);
  writeFileSync(new URL('../docs/bench.svg', import.meta.url), svg);
}

async function main() {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      sizes: { type: 'string', default: '100,1000,10000' },
      'no-naive': { type: 'boolean', default: false },
      'no-scenarios': { type: 'boolean', default: false },
      'no-bundles': { type: 'boolean', default: false },
    },
  });
  const t0 = performance.now();
  const sizes = String(values.sizes).split(',').map(Number);
  const log = (s: string) => (values.json ? process.stderr.write(`${s}\n`) : process.stdout.write(`${s}\n`));
  let rows: Row[] = [];
  for (const n of sizes) {
    rows.push(await measure('ours', n));
    log(`ours  ${n}: ${rows.at(-1)?.wallSeconds}s`);
    if (!values['no-naive']) {
      rows.push(await measure('naive', n));
      log(`naive ${n}: ${rows.at(-1)?.wallSeconds}s`);
    }
  }
  rows = rows.map((r) => projectFrom(r, rows));
  const scenarios: Row[] = [];
  if (!values['no-scenarios']) {
    for (const s of SCENARIOS) {
      scenarios.push(await measure('ours', s.clusters, s.scenario));
      log(`scenario ${s.scenario.name}: ${scenarios.at(-1)?.wallSeconds}s`);
    }
  }
  const bundles = values['no-bundles'] ? [] : await measureBundles();
  const machine = { date: new Date().toISOString().slice(0, 10), node: process.version, cores: availableParallelism() };
  const wallSeconds = r2((performance.now() - t0) / 1000);
  const pace = { latency: { page: PAGE_LATENCY, read: READ_LATENCY, write: WRITE_LATENCY }, buckets: DEFAULT_BUCKETS };
  if (values.write) writeDocs(markdown(rows, scenarios, machine, wallSeconds), markdown(rows, [], machine, wallSeconds), chart(rows));
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ machine, wallSeconds, pace, rows, scenarios, bundles, budgets: BUDGET }, null, 2)}\n`);
    return;
  }
  log('');
  log(
    `backup-orchestrator bench, ${machine.date}, Node ${machine.node}, ${machine.cores} cores; latency and throttling in virtual time (docs/aws-behaviour.md P1-P6). History events derived from the documented per-state counts.`,
  );
  log('');
  log(consoleTable(rows));
  for (const r of rows.filter((x) => !x.finished)) {
    log(
      `  ${r.variant} ${r.clusters}: cannot finish: ${r.note ?? r.status}${r.projected ? `; needs ≈ ${int(r.projected.historyEvents)} history events, ${usd(r.projected.costUsd)} per run` : ''}`,
    );
  }
  if (scenarios.length > 0) {
    log('');
    log('bounded state (ours):');
    log(consoleTable(scenarios));
  }
  const big = rows.filter((r) => r.variant === 'ours').sort((a, b) => b.clusters - a.clusters)[0];
  if (big) {
    log('');
    log(
      `AWS calls by operation (ours, ${big.clusters} clusters): ${Object.entries(big.apiCalls)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    const check = (name: string, ok: boolean, value: string, limit: string) =>
      `  ${ok ? 'ok  ' : 'MISS'} ${name} ${value} (target ${limit})`;
    log('');
    log(`targets at ${big.clusters} clusters + ${big.sharedSnapshots} shared snapshots:`);
    log(check('history events', big.historyEvents <= BUDGET.historyEvents, String(big.historyEvents), String(BUDGET.historyEvents)));
    log(check('largest payload bytes', big.maxPayloadBytes <= BUDGET.maxPayloadBytes, String(big.maxPayloadBytes), '65536'));
    log(check('AWS calls per target', big.apiCallsPerTarget <= BUDGET.apiCallsPerTarget, big.apiCallsPerTarget.toFixed(2), '6'));
    log(check('longest invocation s', big.maxInvocationSeconds <= BUDGET.maxInvocationSeconds, String(big.maxInvocationSeconds), '300'));
    log(check('no failure from throttling', big.finished && big.throttlingFailures === 0, big.status, 'SUCCEEDED, no THROTTLING'));
    log(check('cost per run', big.costUsd < BUDGET.costUsd, usd(big.costUsd), '< $0.05'));
    const k = rows.find((r) => r.variant === 'ours' && r.clusters === 1000);
    if (k) {
      const e = k.elasticDoneHours ?? Number.POSITIVE_INFINITY;
      log(check('elastic done at 1,000 (h)', e <= BUDGET.elasticDoneHoursAt1000, hours(k.elasticDoneHours), '4'));
    }
    log(check('bench wall seconds', wallSeconds < BUDGET.benchWallSeconds, String(wallSeconds), '300'));
  }
  if (bundles.length > 0) {
    log('');
    log('bundles (esbuild, minified, SDK included) and module initialisation (median of 5 node processes):');
    for (const b of bundles)
      log(
        `  ${b.initMs <= BUDGET.initMs ? 'ok  ' : 'OVER'} ${b.function.padEnd(18)} ${String(Math.round(b.bytes / 1024)).padStart(6)} KiB  init ${b.initMs.toFixed(1)} ms`,
      );
  }
  if (values.write) log('\nwrote docs/performance.md (table) and docs/bench.svg');
}

if (process.argv[1]?.endsWith('bench.ts')) await main();
