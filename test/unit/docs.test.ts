/**
 * What README and the docs say that the code must keep true.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
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

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen'];
/** A count as the docs write it: digits, or a word up to thirteen. */
const countOf = (text: string | undefined) =>
  text === undefined ? NaN : /^\d+$/.test(text) ? Number(text) : WORDS.indexOf(text.toLowerCase());

describe('docs/operations.md', () => {
  it('counts the functions and state machines the stack holds as serverless.yml defines them', () => {
    const sls = parseYaml(read('serverless.yml')) as {
      functions: Record<string, unknown>;
      stepFunctions: { stateMachines: Record<string, unknown> };
    };
    const stack = read('docs/operations.md').split('## The stack')[1]?.split('\n## ')[0]?.replace(/\s+/g, ' ') ?? '';
    const functions = /\b(\w+) functions on `nodejs/.exec(stack)?.[1];
    const machines = /\bholding (\w+) state machines?\b/.exec(stack)?.[1];
    expect({ functions: countOf(functions), stateMachines: countOf(machines) }).toEqual({
      functions: Object.keys(sls.functions).length,
      stateMachines: Object.keys(sls.stepFunctions.stateMachines).length,
    });
    expect(countOf('eight')).toBe(8);
  });
});
