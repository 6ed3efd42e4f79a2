/**
 * `npm start` as a newcomer runs it: the CLI process, its JSON document and exit codes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

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

  it('shows progress and a summary table', () => {
    const { code, out, err } = cli();
    expect(code).toBe(0);
    expect(err).toMatch(/Start Operations/);
    expect(err).toMatch(/check \d+: elastic \d+\/\d+ started, \d+ creating.*copies \d+\/\d+ done/);
    expect(out).toMatch(/SUCCEEDED/);
    expect(out).toMatch(/created\s+2/);
    expect(out).toMatch(
      /Deleted:\n\s+daily-orders-prod-[a-z0-9]+-\d{12} of orders-prod, 2026-11-\d\dT[\d:.]+Z: daily: all 7 kept by newer snapshots/,
    );
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
    expect(cli('--bogus')).toMatchObject({ code: 2, err: expect.stringMatching(/Unknown option '--bogus'/) });
    expect(cli('--world', bad)).toMatchObject({ code: 2, err: expect.stringMatching(/accountId: must be a 12-digit account id/) });
    expect(cli('--world', join(dir, 'missing.json'))).toMatchObject({ code: 2, err: expect.stringMatching(/cannot be read/) });
    expect(cli('--input', '{nope')).toMatchObject({ code: 2, err: expect.stringMatching(/--input: not valid JSON/) });
    expect(cli('--now', 'tomorrow')).toMatchObject({ code: 2, err: expect.stringMatching(/--now/) });
  });

  it('exits non-zero with the envelope error when the run fails', () => {
    const { code, out } = cli('--policy', 'nope', '--json');
    expect(code).toBe(1);
    const doc = JSON.parse(out);
    expect(doc.result).toEqual({
      success: false,
      error: { code: 'VALIDATION_ERROR', message: expect.stringContaining('unknown policy "nope"') },
    });
  });
});
