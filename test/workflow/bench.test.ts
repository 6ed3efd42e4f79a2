/**
 * The benchmark stays runnable: a 10-cluster run of both variants, under the stand-in's latency and
 * throttling, prints the documented JSON rows. (Figures and targets are printed by `npm run bench`;
 * nothing here is timed.)
 */
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';

it('npm run bench -- --json prints a row per variant and size', async () => {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/bench.ts', '--json', '--sizes', '10', '--no-bundles', '--no-scenarios'],
      { cwd: new URL('../..', import.meta.url).pathname },
    );
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`bench exited ${code}`))));
  });
  const doc = JSON.parse(out) as { rows: Record<string, unknown>[]; machine: { cores: number }; pace: { buckets: object } };
  expect(doc.rows.map((r) => [r.variant, r.clusters, r.status])).toEqual([
    ['ours', 10, 'SUCCEEDED'],
    ['naive', 10, 'SUCCEEDED'],
  ]);
  for (const r of doc.rows) {
    // the fields issue 15 names, all numbers (the parts' done hours: null for the naive variant, which emits none)
    for (const k of [
      'sharedSnapshots',
      'historyEvents',
      'maxPayloadBytes',
      'apiCallsPerTarget',
      'throttledCalls',
      'lambdaGbSeconds',
      'maxInvocationSeconds',
      'costUsd',
      'wallSeconds',
      'transitions',
      'lambdaInvocations',
      'snapshotLogMb',
    ]) {
      expect(typeof r[k], k).toBe('number');
    }
    expect(Object.keys(r.apiCalls as object).length).toBeGreaterThan(3);
  }
  const [ours, naive] = doc.rows as {
    historyEvents: number;
    maxCopiesInFlight: number;
    elasticDoneHours: number;
    copiesDoneHours: number;
  }[];
  expect(ours?.historyEvents).toBeLessThan(naive?.historyEvents ?? 0);
  expect(ours?.maxCopiesInFlight).toBeLessThanOrEqual(5);
  expect(ours?.elasticDoneHours).toBeLessThan(ours?.copiesDoneHours ?? 0);
  expect(Object.keys(doc.pace.buckets)).toEqual(['docdb-elastic', 'rds']);
}, 60_000);
