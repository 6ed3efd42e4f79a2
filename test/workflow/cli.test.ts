/**
 * `npm start` as a newcomer runs it: the CLI process, its JSON document and exit codes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

const ROOT = new URL('../..', import.meta.url).pathname;
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'local/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('npm start', () => {
  it('prints one JSON document with the envelope and the diff', () => {
    const { code, out } = cli('--json');
    expect(code).toBe(0);
    const doc = JSON.parse(out);
    expect(doc.result.success).toBe(true);
    expect(typeof doc.result.data.id).toBe('string');
    expect(Date.parse(doc.result.data.created_at)).not.toBeNaN();
    expect(doc.diff.created.length).toBeGreaterThan(0);
    expect(doc.diff.copied.length).toBeGreaterThan(0);
    expect(doc.diff.deleted.length).toBeGreaterThan(0);
    expect(doc.diff.deleted).toHaveLength(doc.result.data.summary.deleted);
  });

  it('`npm start -- --json` itself prints one JSON document on stdout, and no warning a user cannot act on', () => {
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const r = spawnSync('npm', ['start', '--', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/Warning/);
    const doc = JSON.parse(r.stdout);
    expect(doc.result.success).toBe(true);
    expect(Object.keys(doc.diff)).toEqual(['created', 'copied', 'deleted', 'tagged']);
  });

  it("keeps npm's own warnings: the project's .npmrc moves the script banner off stdout without silencing npm", () => {
    const r = spawnSync('npm', ['run', 'typecheck', '--', '--version'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, npm_config_bogus_setting: '1' },
    });
    expect(r.stdout.trim()).toMatch(/^Version \d/);
    expect(r.stderr).toMatch(/npm warn Unknown env config "bogus-setting"/);
    expect(r.stderr).toMatch(/> backup-orchestrator@[\d.]+ typecheck/);
  });

  it('shows progress and a summary table', () => {
    const { code, out, err } = cli();
    expect(code).toBe(0);
    expect(err).toMatch(/Start Operations/);
    expect(err).toMatch(/check \d+: elastic \d+\/\d+ started, \d+ creating.*copies \d+\/\d+ done/);
    expect(out).toMatch(/SUCCEEDED/);
    expect(out).toMatch(/created\s+2/);
    expect(out).toMatch(
      /Deleted \(12\):\n\s+daily-orders-prod-[a-z0-9]+-\d{12} of orders-prod, 2026-11-\d\dT[\d:.]+Z: daily: all 7 kept by newer snapshots/,
    );
    // what was kept, and why, with names and times: not bare ARNs
    expect(out).toMatch(/Kept \(21\):\n\s+daily-orders-prod-[a-z0-9]+-202611220200 of orders-prod, 2026-11-22T[\d:.]+Z: daily 2026-11-22/);
    expect(out).toMatch(/\.\.\. and 1 more \(npm start -- --json lists every one\)/);
    expect(out).not.toMatch(/arn:aws:docdb-elastic/);
  });

  it('lists every snapshot created, copied, deleted and kept with its reasons in --json', () => {
    const doc = JSON.parse(cli('--json').out);
    const s = doc.snapshots;
    expect(s.deleted).toHaveLength(doc.result.data.summary.deleted);
    expect(s.kept).toHaveLength(doc.result.data.summary.kept);
    expect(s.created).toHaveLength(2);
    for (const l of [...s.deleted, ...s.kept])
      expect(l).toMatchObject({
        arn: expect.any(String),
        name: expect.any(String),
        of: expect.any(String),
        time: expect.any(String),
        reasons: expect.arrayContaining([expect.any(String)]),
      });
  });

  it("--dry-run (the CLI's flag) lists what it would create, copy and delete, and changes nothing", () => {
    const doc = JSON.parse(cli('--dry-run', '--json').out);
    expect(doc.result.data.dryRun).toBe(true);
    expect(doc.snapshots['would-create']).toHaveLength(2);
    expect(doc.snapshots['would-copy']).toHaveLength(2);
    expect(doc.snapshots['would-delete']).toHaveLength(12);
    expect(doc.snapshots['would-delete'][0].reasons[0]).toMatch(/daily: all 7 kept by newer snapshots/);
    expect(doc.diff).toEqual({ created: [], copied: [], deleted: [], tagged: [] });
  });

  it('a saved world runs its next scheduled slot, with a new execution id; --slot re-runs a slot and adopts what it made', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bo-'));
    const day1 = join(dir, 'day1.json');
    const day2 = join(dir, 'day2.json');
    const first = JSON.parse(cli('--save-world', day1, '--json').out).result.data;
    expect(first.slot).toBe('2026-11-22T02:00:00.000Z');
    const second = cli('--world', day1, '--save-world', day2, '--json');
    expect(second.err).toMatch(/running its next scheduled slot, 2026-11-23T02:00:00.000Z/);
    const d2 = JSON.parse(second.out).result.data;
    expect(d2.slot).toBe('2026-11-23T02:00:00.000Z'); // cron(0 3 * * ? *) Europe/Berlin
    expect(d2.summary.created).toBe(2);
    expect(d2.id).not.toBe(first.id);
    const runs = (JSON.parse(readFileSync(day2, 'utf8')) as { runs: { slot: string }[] }).runs;
    expect(runs.map((r) => r.slot)).toEqual([first.slot, d2.slot]);
    const again = JSON.parse(cli('--world', day2, '--slot', '2026-11-23T02:00:00Z', '--json').out).result.data;
    expect(again.slot).toBe('2026-11-23T02:00:00.000Z');
    expect(again.id).not.toBe(d2.id);
    expect(again.summary.created).toBe(0);
    expect(again.summary.skipped).toBeGreaterThanOrEqual(2);
  });

  it('saves the world, and the saved world runs the next day', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bo-'));
    const saved = join(dir, 'day1.json');
    expect(cli('--save-world', saved, '--json').code).toBe(0);
    const next = cli('--world', saved, '--now', '2026-11-23T02:00:00Z', '--json');
    expect(next.code).toBe(0);
    const doc = JSON.parse(next.out);
    expect(doc.result.data.summary.created).toBe(2);
    expect(JSON.parse(readFileSync(saved, 'utf8')).elasticClusters.length).toBe(4);
  });

  it('exits 2 with a clear message on bad flags and invalid worlds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bo-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ accountId: 'x', region: 'us-east-1', now: '2026-01-01T00:00:00Z' }));
    const bogus = cli('--bogus');
    expect(bogus).toMatchObject({ code: 2, err: expect.stringMatching(/unknown option '--bogus'/) });
    expect(bogus.err).toMatch(/Usage: npm start --/); // usage follows an unknown flag...
    expect(cli('--now', 'tomorrow').err).not.toMatch(/Usage/); // ...and nothing else
    expect(cli('--world', bad)).toMatchObject({ code: 2, err: expect.stringMatching(/accountId: must be a 12-digit account id/) });
    expect(cli('--world', join(dir, 'missing.json'))).toMatchObject({ code: 2, err: expect.stringMatching(/cannot be read/) });
    expect(cli('--input', '{nope')).toMatchObject({ code: 2, err: expect.stringMatching(/--input: not valid JSON/) });
    expect(cli('--now', 'tomorrow')).toMatchObject({ code: 2, err: expect.stringMatching(/--now/) });
  });

  it('with --json, every outcome is one JSON document on stdout, usage errors included (exit 2)', () => {
    for (const args of [['--policy', 'nope'], ['--bogus'], ['--now', 'tomorrow'], ['--skip', 'everything'], ['--slot', 'yesterday']]) {
      const { code, out, err } = cli(...args, '--json');
      expect(code, args.join(' ')).toBe(2);
      expect(JSON.parse(out), args.join(' ')).toEqual({ success: false, error: { code: 'VALIDATION_ERROR', message: expect.any(String) } });
      expect(err).toBe('');
    }
    expect(JSON.parse(cli('--policy', 'nope', '--json').out).error.message).toMatch(/--policy: unknown policy "nope"/);
    expect(JSON.parse(cli('--slot', 'yesterday', '--json').out).error.message).toMatch(/--slot/);
  });

  it('warns about a policy file whose deadlines or poll settings cannot fit in a run, and still runs it', () => {
    const doc = parseDocument(readFileSync(join(ROOT, 'policies.yml'), 'utf8'));
    doc.setIn(['policies', 0, 'deadlines', 'copyMinutes'], 10080);
    doc.setIn(['settings', 'poll', 'maxIterations'], 1000);
    const file = join(mkdtempSync(join(tmpdir(), 'bo-')), 'too-long.yml');
    writeFileSync(file, doc.toString());
    const { code, out, err } = cli('--config', file, '--json');
    expect(err).toMatch(
      /^warning: settings\.poll: 1000 checks \(maxIterations\) wait up to [\d.]+ h, but a run may take 66 h .*\(serverless package refuses this\)$/m,
    );
    expect(err).toMatch(
      /^warning: policy "daily": deadlines\.copyMinutes: 10080 minutes cannot be kept: a run may take 66 h .*\(serverless package refuses this\)$/m,
    );
    // ...and the rehearsal runs it all the same
    expect(code).toBe(0);
    const result = JSON.parse(out).result;
    expect(result.success).toBe(true);
    expect(result.data.policy).toBe('daily');
    expect(result.data.summary.created).toBe(2);
    // the shipped policy file fits: no warning
    expect(cli('--json').err).not.toMatch(/warning:/);
  });

  it('refuses targets in another account or region before it starts anything', () => {
    const other = 'arn:aws:docdb-elastic:eu-west-1:123456789012:cluster/6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
    const { code, out } = cli('--targets', other, '--json');
    expect(code).toBe(2);
    expect(JSON.parse(out).error.message).toMatch(/--targets 1: cluster is in eu-west-1, not us-east-1/);
  });

  it('--serve prints the settings that point the operator CLI at the stand-in', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--serve', '--port', '0'], { cwd: ROOT });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += String(d);
        if (out.includes('plan --policy')) resolve();
      });
      child.on('exit', () => reject(new Error(`exited early: ${out}`)));
    });
    child.kill('SIGINT');
    expect(out).toMatch(
      /^export AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+ AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=\S+ AWS_SECRET_ACCESS_KEY=\S+$/m,
    );
    expect(out).toMatch(/^npx backup-orchestrator --stack backup-orchestrator-local plan --policy daily$/m);
  });
});
