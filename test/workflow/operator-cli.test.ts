/**
 * The operator CLI end to end: the real CLI process, the real SDK clients (Step Functions, STS,
 * CloudFormation, docdb-elastic, RDS) against the stand-in, whose Step Functions endpoint runs the
 * real workflow in the local interpreter.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffWorlds } from '../../local/diff.js';
import { controlPlane } from '../../local/standin/services/sfn.js';
import { type StandIn, startStandIn } from '../../local/standin/server.js';
import { examplePolicies, exampleWorld } from './helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const STACK = 'backup-orchestrator-local';
let standIn: StandIn;
let control: ReturnType<typeof controlPlane>;

beforeEach(async () => {
  control = controlPlane({ policyFile: examplePolicies(), stackName: STACK, standIn: () => standIn });
  standIn = await startStandIn(exampleWorld(), control);
});
afterEach(async () => {
  await control.done();
  await standIn.close();
});

type Env = Record<string, string | undefined>;
function cli(...args: string[]): Promise<{ code: number | null; lines: unknown[]; err: string; out: string }> {
  return cliWith({}, ['--stack', STACK, ...args]);
}
function cliWith(env: Env, args: string[]): Promise<{ code: number | null; lines: unknown[]; err: string; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/index.ts', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIASTANDIN',
        AWS_SECRET_ACCESS_KEY: 'x',
        AWS_ENDPOINT_URL: standIn.url,
        ...env,
      },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) =>
      resolve({
        code,
        out,
        lines: out.startsWith('{')
          ? out
              .trim()
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l))
          : [],
        err,
      }),
    );
  });
}

describe('operator CLI', () => {
  it('start --follow prints the start envelope, shows progress and exits with the run status', async () => {
    const r = await cli('start', '--policy', 'daily', '--follow', '--interval', '0.05');
    expect(r.code).toBe(0);
    const [started, result] = r.lines as [
      { success: boolean; data: { id: string; created_at: string } },
      { data: { status: string; summary: { created: number } } },
    ];
    expect(started.success).toBe(true);
    expect(started.data.id).toMatch(/^arn:aws:states:us-east-1:123456789012:execution:backup-orchestrator-local:/);
    expect(Date.parse(started.data.created_at)).not.toBeNaN();
    expect(result.data).toMatchObject({ status: 'SUCCEEDED', summary: { created: 2 } });
    expect(r.err).toMatch(/Start Operations/);
    expect(r.err).toMatch(/elastic \d+\/\d+ started/);

    const latest = await cli('status');
    expect(latest.code).toBe(0);
    expect(latest.lines[0]).toMatchObject({ success: true, data: { id: started.data.id, status: 'SUCCEEDED', result: { success: true } } });
    const byArn = await cli('status', started.data.id);
    expect(byArn.lines[0]).toMatchObject({ data: { id: started.data.id } });
  });

  it('exits 3 when a followed run ends PARTIAL, 1 when it fails', async () => {
    standIn.model.faults.push({ operation: 'CreateClusterSnapshot', error: 'ServiceQuotaExceededException', left: 1 });
    const partial = await cli('start', '--policy', 'daily', '--follow', '--interval', '0.05');
    expect(partial.code).toBe(3);
    expect(partial.lines[1]).toMatchObject({ data: { status: 'PARTIAL', summary: { failed: 1 } } });
    // A run that fails is exit 1, and so is its status; the envelope says success: false.
    const sfn = new SFNClient({ region: 'us-east-1', endpoint: standIn.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: control.stateMachineArn(),
        input: JSON.stringify({ policy: 'daily', skip: ['nothing'] }),
      }),
    );
    await control.done();
    const status = await cli('status', executionArn ?? '');
    expect(status.code).toBe(1);
    expect(status.lines[0]).toMatchObject({
      success: false,
      error: { code: 'VALIDATION_ERROR', message: expect.stringMatching(/^run FAILED: input\.skip/) },
      data: { status: 'FAILED' },
    });
  });

  it('refuses invalid input before starting anything, with or without --follow (exit 2)', async () => {
    const nope = await cli('start', '--policy', 'nope', '--follow', '--interval', '0.05');
    expect(nope.code).toBe(2);
    expect(nope.lines[0]).toMatchObject({
      success: false,
      error: { code: 'VALIDATION_ERROR', message: expect.stringContaining('--policy: unknown policy "nope"') },
    });
    const other = 'arn:aws:docdb-elastic:eu-west-1:123456789012:cluster/6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
    const elsewhere = await cli('start', '--policy', 'daily', '--targets', other);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.lines[0]).toMatchObject({ error: { message: '--targets 1: cluster is in eu-west-1, not us-east-1' } });
    expect(control.executions.size).toBe(0);
  });

  it('start --slot re-runs a scheduled slot: what the first attempt made is adopted, not made again', async () => {
    const first = await cli('start', '--policy', 'daily', '--slot', '2026-11-22T02:00:00Z', '--follow', '--interval', '0.05');
    expect(first.lines[1]).toMatchObject({ data: { slot: '2026-11-22T02:00:00.000Z', summary: { created: 2 } } });
    const again = await cli('start', '--policy', 'daily', '--slot', '2026-11-22T02:00:00Z', '--follow', '--interval', '0.05');
    expect(again.code).toBe(0);
    expect(again.lines[1]).toMatchObject({ data: { slot: '2026-11-22T02:00:00.000Z', summary: { created: 0, skipped: 4 } } });
  });

  it('prints its help when called bare, and explains a missing region (exit 2); --region and --profile are flags', async () => {
    const bare = await cliWith({}, []);
    expect(bare.code).toBe(0);
    expect(bare.out).toMatch(/^Usage: backup-orchestrator \[options\] \[command\]/);
    expect(bare.out).toMatch(/--region <region>/);
    expect(bare.out).toMatch(/--profile <name>/);
    const home = mkdtempSync(join(tmpdir(), 'bo-home-'));
    const noRegion = await cliWith({ AWS_REGION: undefined, HOME: home }, ['--stack', STACK, 'status']);
    expect(noRegion.code).toBe(2);
    expect(noRegion.lines[0]).toMatchObject({
      error: { code: 'VALIDATION_ERROR', message: expect.stringMatching(/set AWS_REGION, pass --region/) },
    });
    const withFlag = await cliWith({ AWS_REGION: undefined, HOME: home }, ['--region', 'us-east-1', '--stack', STACK, 'status']);
    expect(withFlag.lines[0]).toMatchObject({ success: false, error: { code: 'NOT_FOUND', message: 'the state machine has no runs yet' } });
    writeFileSync(
      join(home, 'config'),
      '[profile standin]\nregion = us-east-1\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = x\n',
    );
    const profile = await cliWith(
      {
        AWS_REGION: undefined,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'config'),
      },
      ['--profile', 'standin', '--stack', STACK, 'status'],
    );
    expect(profile.lines[0]).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('plan shows what would be created, copied and deleted, and why, changing nothing', async () => {
    const before = standIn.model.toWorld();
    const r = await cli('plan', '--policy', 'daily');
    expect(r.code).toBe(0);
    const data = (
      r.lines[0] as {
        data: {
          account: string;
          plan: { create: number; copy: number; delete: number };
          created: unknown[];
          copied: { reasons: string[] }[];
          deleted: { reasons: string[] }[];
        };
      }
    ).data;
    expect(data.account).toBe('123456789012');
    expect(data.plan).toMatchObject({ create: 2, copy: 2 });
    expect(data.created).toHaveLength(2);
    expect(data.copied).toHaveLength(2);
    expect(data.copied.filter((c) => c.reasons.some((x) => x.startsWith('encrypted: copied with arn:aws:kms:')))).toHaveLength(1);
    expect(data.plan.delete).toBeGreaterThan(0);
    for (const d of data.deleted) expect(d.reasons.length).toBeGreaterThan(0);
    // every snapshot, not the report's first 20: what would be deleted, and what is kept and why
    const all = (r.lines[0] as { data: { snapshots: Record<string, { reasons?: string[] }[]>; summary: { kept: number } } }).data;
    expect(all.snapshots['would-delete']).toHaveLength(data.plan.delete);
    expect(all.snapshots.kept).toHaveLength(all.summary.kept);
    for (const k of all.snapshots.kept ?? []) expect(k.reasons?.length).toBeGreaterThan(0);
    expect(diffWorlds(before, standIn.model.toWorld())).toEqual({ created: [], copied: [], deleted: [], tagged: [] });
    expect(Object.keys(standIn.model.calls).filter((op) => /^(Create|Copy|Delete|Tag|AddTags)/.test(op))).toEqual([]);
  });

  it('answers bad input with VALIDATION_ERROR and exit 2, before any AWS call', async () => {
    for (const args of [
      ['start'],
      ['start', '--policy', 'daily', '--targets', 'not-an-arn'],
      ['start', '--policy', 'daily', '--skip', 'everything'],
      ['start', '--policy', 'x'.repeat(100)],
      ['status', 'not-an-arn'],
      ['validate-config', 'test/fixtures/invalid-policies.yml'],
      ['frobnicate'],
      ['start', '--policy', 'daily', '--bogus'],
    ]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.lines[0], args.join(' ')).toMatchObject({
        success: false,
        error: { code: 'VALIDATION_ERROR', message: expect.any(String) },
      });
    }
    expect(standIn.model.calls).toEqual({});
  });

  it('maps AWS errors onto the workflow codes', async () => {
    const r = await cli('status', 'arn:aws:states:us-east-1:123456789012:execution:backup-orchestrator-local:missing');
    expect(r.code).toBe(1);
    expect(r.lines[0]).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    const stack = await cli('--stack', 'other-stack', 'status');
    expect(stack.lines[0]).toMatchObject({
      success: false,
      error: { code: 'VALIDATION_ERROR', message: expect.stringContaining('does not exist') },
    });
  });

  it('audit --json classifies every cluster: protected, excluded by a named rule, or unprotected', async () => {
    const r = await cli('audit', '--json');
    expect(r.code).toBe(3); // some clusters are unprotected
    const data = (
      r.lines[0] as {
        data: { counts: Record<string, number>; clusters: { name: string; class: string; policies: string[]; rule?: string }[] };
      }
    ).data;
    const byId = Object.fromEntries((data.clusters as unknown as { id: string }[]).map((c) => [c.id, c]));
    const byName = Object.fromEntries(data.clusters.map((c) => [c.name, c]));
    expect(byName['orders-prod']).toMatchObject({ class: 'protected', policies: ['daily'] });
    expect(byName.ledger).toMatchObject({ class: 'protected', policies: ['monthly-archive'] });
    expect(byName['search-staging']).toMatchObject({ class: 'unprotected' });
    expect(byId['111122223333:catalog']).toMatchObject({ class: 'protected', policies: ['daily'] });
    expect(Object.values(byName).some((c) => c.class === 'excluded' && /copy\.engines/.test(c.rule ?? ''))).toBe(true);
    expect(data.counts.unprotected).toBe(data.clusters.filter((c) => c.class === 'unprotected').length);
    const table = await cli('audit');
    expect(table.out).toMatch(/^kind +cluster +class/);
    expect(table.out).toMatch(/search-staging +unprotected/);
  });

  it('drill starts a run of the drill workflow; status --drills shows the last drill of each target', async () => {
    const r = await cli('drill', '--policy', 'daily', '--follow', '--interval', '0.05');
    expect(r.code).toBe(0);
    expect(r.lines[1]).toMatchObject({ success: true, data: { policy: 'daily', summary: { passed: 1, failed: 0 } } });
    const drilled = (r.lines[1] as { data: { drills: { target: string }[] } }).data.drills[0]?.target;
    const status = await cli('status', (r.lines[0] as { data: { id: string } }).data.id, '--drills');
    expect(status.code).toBe(0);
    const last = (status.lines[0] as { data: { lastDrills: { target: string; result?: string; restoreSeconds?: number }[] } }).data
      .lastDrills;
    expect(last.find((t) => t.target === drilled)).toMatchObject({ result: 'passed', restoreSeconds: expect.any(Number) });
    const nope = await cli('drill', '--policy', 'monthly-archive');
    expect(nope.code).toBe(2);
    expect(nope.lines[0]).toMatchObject({ error: { message: expect.stringContaining('has no restoreDrill settings') } });
  });
});
