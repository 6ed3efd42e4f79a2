/**
 * The CLI as it ships: dist/cli.cjs, one file with its dependencies, built by `npm run build:cli` (which
 * test:package runs first, and `prepare` runs on install and before `npm pack`). .ci/run also installs the
 * packed tarball into an empty folder and runs it there.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('the built CLI', () => {
  // A copy in an empty folder: nothing of the clone (node_modules, TypeScript sources) is at hand.
  const dir = mkdtempSync(join(tmpdir(), 'bo-cli-'));
  copyFileSync(join(ROOT, 'dist/cli.cjs'), join(dir, 'cli.cjs'));
  copyFileSync(join(ROOT, 'policies.yml'), join(dir, 'policies.yml'));
  copyFileSync(join(ROOT, 'test/fixtures/invalid-policies.yml'), join(dir, 'invalid.yml'));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['cli.cjs', ...args], { cwd: dir, encoding: 'utf8', env, timeout: 30_000 });

  it('runs on its own, and --help lists the commands', () => {
    const r = cli('--help');
    expect(r.status).toBe(0);
    for (const command of ['start', 'status', 'plan', 'validate-config']) expect(r.stdout).toContain(command);
    expect(r.stderr).toBe('');
  });

  it('validates a policy file, and rejects an invalid one with exit 2', () => {
    const ok = cli('validate-config', 'policies.yml');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      success: true,
      data: { policies: expect.arrayContaining([expect.objectContaining({ name: 'daily' })]) },
    });
    const bad = cli('validate-config', 'invalid.yml');
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
  });

  it('is what package.json ships as the bin, with the engines the tests run on', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      files: string[];
      engines: { node: string };
    };
    expect(pkg.bin['backup-orchestrator']).toBe('dist/cli.cjs');
    expect(pkg.files).toContain('dist/cli.cjs');
    expect(readFileSync(join(ROOT, 'dist/cli.cjs'), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    // engines says Node ^20.19 or >=22.13: the versions CI runs (the machine's 20 and 22 from the registry)
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    expect(pkg.engines.node).toBe('^20.19 || >=22.13');
    expect((major === 20 && minor >= 19) || (major === 22 && minor >= 13) || major > 22).toBe(true);
  });
});
