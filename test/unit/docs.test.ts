/**
 * What README says that the code must keep true.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../functions/runtime/config.js';
import { deployProblems } from '../../functions/domain/deploy.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('README', () => {
  it('deploys to the region serverless.yml defaults to and the shipped policies.yml is written for', () => {
    const readme = read('README.md');
    const deploy = [...readme.matchAll(/npx serverless (?:deploy|package) --stage \w+ --region ([a-z0-9-]+)/g)].map((m) => m[1]);
    expect(deploy.length).toBeGreaterThan(0);
    const serverlessDefault = /region: \$\{opt:region, '([a-z0-9-]+)'\}/.exec(read('serverless.yml'))?.[1];
    expect(new Set([...deploy, serverlessDefault])).toEqual(new Set(['us-east-1']));
    const file = loadPolicyFile(new URL('../../policies.yml', import.meta.url).pathname);
    expect(deployProblems(file, { service: 'backup-orchestrator', stage: 'prod', region: 'us-east-1' })).toEqual([]);
    expect(deployProblems(file, { service: 'backup-orchestrator', stage: 'prod', region: 'eu-west-1' }).length).toBeGreaterThan(0);
  });

  it('gives the two commands of the quick start, and they need nothing before them', () => {
    const readme = read('README.md');
    const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## How it works'));
    expect(quick).toMatch(/```bash\nnpm start[^\n]*\nnpm test[^\n]*\n```/);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.prestart).toBe('node scripts/ensure-deps.mjs');
    expect(pkg.scripts.pretest).toBe('node scripts/ensure-deps.mjs');
  });
});
