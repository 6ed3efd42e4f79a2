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
import { type Envelope, examplePolicies, exampleWorld } from './helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('hung calls', () => {
  it('are aborted at the request timeout and retried: the stand-in sees the retry, and the run goes on', async () => {
    const w = exampleWorld();
    w.faults = [
      { operation: 'ListClusters', latencyMs: 60_000, count: 1 },
      { operation: 'DescribeDBClusterSnapshots', latencyMs: 60_000, count: 1 },
    ];
    const standIn = await startStandIn(w);
    try {
      const r = await runWorkflow({ standIn, policyFile: examplePolicies(), input: { policy: 'daily' }, requestTimeoutMs: 300 });
      expect(r.status).toBe('SUCCEEDED');
      expect((r.output as Envelope).data.summary).toMatchObject({ created: 2, copied: 2, failed: 0 });
      // the held answers were never given: both calls were aborted and sent again
      expect(standIn.model.faults.every((f) => f.left === 0)).toBe(true);
      expect(standIn.model.calls.ListClusters).toBeGreaterThan(1);
    } finally {
      await standIn.close();
    }
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
