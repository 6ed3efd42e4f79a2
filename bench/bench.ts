/**
 * `npm run bench`: the real workflow at fleet sizes against the stand-in, with the naive design beside
 * it, plus each function's bundle size and module initialisation time. `--json` prints one document.
 * Options: --sizes 10,100,1000  --no-naive  --no-bundles
 */
import { parseArgs } from 'node:util';
import { elasticSnapshotName } from '../functions/domain/naming.js';
import { parsePolicyYaml } from '../functions/domain/policy.js';
import { ownershipTags } from '../functions/domain/tags.js';
import { type RunResult, runWorkflow } from '../local/runner.js';
import { startStandIn } from '../local/standin/server.js';
import { parseWorld, type WorldInput } from '../local/standin/world.js';
import { measureBundles } from './bundles.js';
import { naiveCores } from './naive.js';

const SHARED = 100;
const SOURCE = '111122223333';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/bench-0000-4000-8000-000000000000';
const NOW = new Date('2026-11-22T02:00:00Z');
/** Prices (us-east-1): Standard transitions, Lambda arm64 GB-seconds and requests. */
const PRICE = { transition: 0.025 / 1000, gbSecond: 0.0000133334, request: 0.2 / 1e6 };
/** Memory of each function in serverless.yml (MB); the naive functions get the default. */
const MEMORY: Record<string, number> = { startOperations: 512, checkOperations: 512, applyRetention: 512 };

const POLICY = parsePolicyYaml(`
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

/** N clusters with 30 earlier daily snapshots each; 100 new shared snapshots; creates 10 min-3 h, copies 10-60 min. */
export function benchWorld(clusters: number, naive = false): WorldInput {
  const rnd = random(clusters);
  const day = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
  return {
    accountId: '123456789012',
    region: 'us-east-1',
    now: NOW.toISOString(),
    quotas: { elasticSnapshots: clusters * 40 + 100, manualClusterSnapshots: 1000, concurrentCopies: naive ? 1000 : 5 },
    kmsKeys: [KEY],
    elasticClusters: Array.from({ length: clusters }, (_, i) => {
      const name = `bench-${String(i).padStart(4, '0')}`;
      const arn = `arn:aws:docdb-elastic:us-east-1:123456789012:cluster/bench${String(i).padStart(4, '0')}-0000-4000-8000-000000000000`;
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

export interface Row {
  variant: 'ours' | 'naive';
  clusters: number;
  sharedSnapshots: number;
  historyEvents: number;
  transitions: number;
  maxPayloadBytes: number;
  lambdaInvocations: number;
  apiCalls: Record<string, number>;
  apiCallsPerTarget: number;
  maxCopiesInFlight: number;
  costUsd: number;
  wallSeconds: number;
  virtualHours: number;
  status: string;
}

async function measure(variant: 'ours' | 'naive', clusters: number): Promise<Row> {
  const world = parseWorld(benchWorld(clusters, variant === 'naive'));
  const standIn = await startStandIn(world);
  const t0 = performance.now();
  let r: RunResult;
  try {
    r = await runWorkflow({
      world,
      standIn,
      policyFile: POLICY,
      input: { policy: 'bench' },
      ...(variant === 'naive' ? { definitionPath: new URL('./naive.asl.json', import.meta.url), cores: naiveCores } : {}),
    });
  } finally {
    await standIn.close();
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const calls = standIn.model.calls;
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  const retries = Object.entries(r.invocations).reduce((n, [state, k]) => n + Math.max(0, k - (r.stateVisits[state] ?? 0)), 0);
  const transitions = r.transitions + retries;
  const gbSeconds = Object.entries(r.lambdaMs).reduce((s, [fn, ms]) => s + (ms / 1000) * ((MEMORY[fn] ?? 256) / 1024), 0);
  return {
    variant,
    clusters,
    sharedSnapshots: SHARED,
    historyEvents: r.historyEvents,
    transitions,
    maxPayloadBytes: r.maxPayloadBytes,
    lambdaInvocations: r.lambdaInvocations,
    apiCalls: Object.fromEntries(Object.entries(calls).sort()),
    apiCallsPerTarget: Math.round((total / (clusters + SHARED)) * 100) / 100,
    maxCopiesInFlight: standIn.model.maxCopiesInFlight,
    costUsd: Math.round((transitions * PRICE.transition + gbSeconds * PRICE.gbSecond + r.lambdaInvocations * PRICE.request) * 1e5) / 1e5,
    wallSeconds: Math.round(wallSeconds * 100) / 100,
    virtualHours: Math.round((r.virtualSeconds / 3600) * 10) / 10,
    status: r.status === 'SUCCEEDED' ? ((r.output as { data?: { status?: string } })?.data?.status ?? 'SUCCEEDED') : `FAILED ${r.error}`,
  };
}

const BUDGET = {
  historyEvents: 4000,
  maxPayloadBytes: 64 * 1024,
  apiCallsPerTarget: 6,
  maxCopiesInFlight: 5,
  wallSeconds: 20,
  initMs: 150,
};

function table(rows: Row[]): string {
  const cols: [string, (r: Row) => string][] = [
    ['variant', (r) => r.variant],
    ['clusters', (r) => String(r.clusters)],
    ['shared', (r) => String(r.sharedSnapshots)],
    ['status', (r) => r.status],
    ['history events', (r) => String(r.historyEvents)],
    ['transitions', (r) => String(r.transitions)],
    ['max payload B', (r) => String(r.maxPayloadBytes)],
    ['lambda calls', (r) => String(r.lambdaInvocations)],
    ['API calls', (r) => String(Object.values(r.apiCalls).reduce((a, b) => a + b, 0))],
    ['API/target', (r) => r.apiCallsPerTarget.toFixed(2)],
    ['copies in flight', (r) => String(r.maxCopiesInFlight)],
    ['cost USD', (r) => r.costUsd.toFixed(4)],
    ['virtual h', (r) => r.virtualHours.toFixed(1)],
    ['wall s', (r) => r.wallSeconds.toFixed(2)],
  ];
  const cells = [cols.map(([h]) => h), ...rows.map((r) => cols.map(([, f]) => f(r)))];
  const widths = cols.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? '').length)));
  return cells.map((c) => c.map((x, i) => x.padStart(widths[i] ?? 0)).join('  ')).join('\n');
}

async function main() {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      sizes: { type: 'string', default: '10,100,1000' },
      'no-naive': { type: 'boolean', default: false },
      'no-bundles': { type: 'boolean', default: false },
    },
  });
  const sizes = String(values.sizes).split(',').map(Number);
  const log = (s: string) => (values.json ? process.stderr.write(`${s}\n`) : process.stdout.write(`${s}\n`));
  const rows: Row[] = [];
  for (const n of sizes) {
    rows.push(await measure('ours', n));
    log(`ours  ${n}: ${rows.at(-1)?.wallSeconds}s`);
    if (!values['no-naive']) {
      rows.push(await measure('naive', n));
      log(`naive ${n}: ${rows.at(-1)?.wallSeconds}s`);
    }
  }
  const bundles = values['no-bundles'] ? [] : await measureBundles();
  const ratios = sizes.flatMap((n) => {
    const o = rows.find((r) => r.variant === 'ours' && r.clusters === n);
    const v = rows.find((r) => r.variant === 'naive' && r.clusters === n);
    if (!o || !v) return [];
    const total = (r: Row) => Object.values(r.apiCalls).reduce((a, b) => a + b, 0);
    return [
      {
        clusters: n,
        historyEvents: o.historyEvents / v.historyEvents,
        transitions: o.transitions / v.transitions,
        maxPayloadBytes: o.maxPayloadBytes / v.maxPayloadBytes,
        lambdaInvocations: o.lambdaInvocations / v.lambdaInvocations,
        apiCalls: total(o) / total(v),
        costUsd: o.costUsd / v.costUsd,
      },
    ];
  });
  const machine = {
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    cores: (await import('node:os')).availableParallelism(),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ machine, rows, ratios, bundles, budgets: BUDGET }, null, 2)}\n`);
    return;
  }
  log('');
  log(
    `backup-orchestrator bench, ${machine.date}, Node ${machine.node}, ${machine.cores} cores. History events derived from the documented per-state counts (runner.historyEvents).`,
  );
  log('');
  log(table(rows));
  if (ratios.length > 0) {
    log('');
    log('ours / naive:');
    for (const r of ratios) {
      log(
        `  ${r.clusters} clusters: history ${r.historyEvents.toFixed(3)}, transitions ${r.transitions.toFixed(3)}, payload ${r.maxPayloadBytes.toFixed(3)}, lambda ${r.lambdaInvocations.toFixed(3)}, API calls ${r.apiCalls.toFixed(3)}, cost ${r.costUsd.toFixed(3)}`,
      );
    }
  }
  const big = rows.find((r) => r.variant === 'ours' && r.clusters === Math.max(...sizes));
  if (big) {
    log('');
    log(
      `API calls by operation (ours, ${big.clusters} clusters): ${Object.entries(big.apiCalls)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    const check = (name: string, value: number, limit: number) => `${value <= limit ? 'ok  ' : 'OVER'} ${name} ${value} (budget ${limit})`;
    log('');
    log(`budgets at ${big.clusters} clusters + ${big.sharedSnapshots} shared snapshots:`);
    log(`  ${check('history events', big.historyEvents, BUDGET.historyEvents)}`);
    log(`  ${check('largest state payload bytes', big.maxPayloadBytes, BUDGET.maxPayloadBytes)}`);
    log(`  ${check('API calls per target', big.apiCallsPerTarget, BUDGET.apiCallsPerTarget)}`);
    log(`  ${check('copies in flight', big.maxCopiesInFlight, BUDGET.maxCopiesInFlight)}`);
    log(`  ${check('wall seconds', big.wallSeconds, BUDGET.wallSeconds)}`);
  }
  if (bundles.length > 0) {
    log('');
    log('bundles (esbuild, minified, SDK included) and module initialisation (median of 5 node processes):');
    for (const b of bundles)
      log(
        `  ${b.initMs <= BUDGET.initMs ? 'ok  ' : 'OVER'} ${b.function.padEnd(18)} ${String(Math.round(b.bytes / 1024)).padStart(6)} KiB  init ${b.initMs.toFixed(1)} ms`,
      );
  }
}

await main();
