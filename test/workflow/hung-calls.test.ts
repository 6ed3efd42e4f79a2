/**
 * A call that hangs is aborted at its request timeout and retried like any transient failure; the
 * stand-in drops a held answer when its client goes away, so nothing waits for the stall to end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWorkflow } from '../../local/runner.js';
import { startStandIn } from '../../local/standin/server.js';
import type { World } from '../../local/standin/world.js';
import { type Envelope, examplePolicies, exampleWorld } from './helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('hung calls', () => {
  it('are aborted at the request timeout and retried: the stand-in sees the retry, and the run goes on', async () => {
    const run = async (faults: World['faults']) => {
      const w = exampleWorld();
      w.faults = faults;
      const standIn = await startStandIn(w);
      try {
        const r = await runWorkflow({ standIn, policyFile: examplePolicies(), input: { policy: 'daily' }, requestTimeoutMs: 300 });
        return {
          r,
          calls: { ...standIn.model.calls },
          abandoned: { ...standIn.model.abandoned },
          left: standIn.model.faults.map((f) => f.left),
        };
      } finally {
        await standIn.close();
      }
    };
    const calm = await run([]);
    const hung = await run([
      { operation: 'ListClusters', latencyMs: 60_000, count: 1 },
      { operation: 'DescribeDBClusterSnapshots', latencyMs: 60_000, count: 1 },
    ]);
    expect(hung.r.status).toBe('SUCCEEDED');
    expect((hung.r.output as Envelope).data.summary).toEqual((calm.r.output as Envelope).data.summary);
    expect((hung.r.output as Envelope).data.summary).toMatchObject({ created: 2, copied: 2, failed: 0 });
    expect(hung.left).toEqual([0, 0]);
    // The client gave up on each held answer (the stand-in saw the connection go before it answered) ...
    expect(hung.abandoned).toEqual({ ListClusters: 1, DescribeDBClusterSnapshots: 1 });
    // ... and sent the call once more: exactly one call above the same run without the stall.
    expect(hung.calls.ListClusters).toBe((calm.calls.ListClusters ?? 0) + 1);
    expect(hung.calls.DescribeDBClusterSnapshots).toBe((calm.calls.DescribeDBClusterSnapshots ?? 0) + 1);
  });

  it('leave nothing behind: npm start ends promptly after a run in which an answer was held for a minute', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bo-hung-'));
    const world = JSON.parse(readFileSync(join(ROOT, 'local/worlds/example.json'), 'utf8'));
    world.faults = [{ operation: 'ListClusters', latencyMs: 60_000, count: 1 }];
    delete world.$schema;
    writeFileSync(join(dir, 'world.json'), JSON.stringify(world));
    // the spawn gives up after 45 s: a process kept alive by the held answer would not end before 60 s
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--world', join(dir, 'world.json'), '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 45_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).result.data.status).toBe('SUCCEEDED');
  }, 60_000);
});
