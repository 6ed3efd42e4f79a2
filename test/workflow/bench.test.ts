/**
 * The benchmark stays runnable: a 10-cluster run of both variants prints the documented JSON rows.
 * (Figures and budgets are printed by `npm run bench`; nothing here is timed.)
 */
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';

it('npm run bench -- --json prints a row per variant and size', async () => {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bench.ts', '--json', '--sizes', '10', '--no-bundles'], {
      cwd: new URL('../..', import.meta.url).pathname,
    });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`bench exited ${code}`))));
  });
  const doc = JSON.parse(out) as { rows: Record<string, unknown>[]; ratios: unknown[]; machine: { cores: number } };
  expect(doc.rows.map((r) => [r.variant, r.clusters, r.status])).toEqual([
    ['ours', 10, 'SUCCEEDED'],
    ['naive', 10, 'SUCCEEDED'],
  ]);
  for (const r of doc.rows) {
    for (const k of [
      'sharedSnapshots',
      'historyEvents',
      'transitions',
      'maxPayloadBytes',
      'lambdaInvocations',
      'apiCallsPerTarget',
      'costUsd',
      'wallSeconds',
    ]) {
      expect(typeof r[k], k).toBe('number');
    }
    expect(Object.keys(r.apiCalls as object).length).toBeGreaterThan(3);
  }
  const [ours, naive] = doc.rows as { historyEvents: number; maxCopiesInFlight: number }[];
  expect(ours?.historyEvents).toBeLessThan(naive?.historyEvents ?? 0);
  expect(ours?.maxCopiesInFlight).toBeLessThanOrEqual(5);
  expect(doc.ratios).toHaveLength(1);
}, 60_000);
