/**
 * The layer rules of CONTRIBUTING.md are enforced by lint (eslint.config.js). These tests show that
 * lint does fail on a forbidden import, and that it is type-aware, by linting edited copies of real files.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FUNCTION_KEYS } from '../../functions/domain/deploy.js';

const root = new URL('../..', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

/** The messages lint gives a real file with `extra` appended (the file itself is not changed). */
async function lintWith(file: string, extra: string): Promise<string[]> {
  const text = `${readFileSync(`${root}/${file}`, 'utf8')}\n${extra}\n`;
  const [result] = await eslint.lintText(text, { filePath: `${root}/${file}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('lint enforces the layers', { timeout: 60_000 }, () => {
  it('passes the real files', async () => {
    expect(await lintWith('functions/domain/naming.ts', '')).toEqual([]);
    expect(await lintWith('functions/apply-tags/apply-tags.ts', '')).toEqual([]);
  });

  it.each([
    ['functions/domain/naming.ts', "export { RDSClient } from '@aws-sdk/client-rds';", /imports no AWS SDK/],
    ['functions/domain/naming.ts', "export type { Deps } from '../runtime/deps.js';", /imports only functions\/domain/],
    ['functions/domain/naming.ts', "export { readFileSync } from 'node:fs';", /does no I\/O/],
    ['functions/aws/rds.ts', "export type { Deps } from '../runtime/deps.js';", /imports only functions\/domain\/ and the SDK/],
    ['functions/apply-tags/apply-tags.ts', "export { buildReport } from '../report/report.js';", /never another function folder/],
    ['functions/apply-tags/apply-tags.ts', "export { runWorkflow } from '../../local/runner.js';", /imports nothing from local/],
    ['cli/main.ts', "export { ELASTIC_STATUSES } from '../local/standin/world.js';", /imports nothing from local/],
  ])('%s may not: %s', async (file, line, why) => {
    const messages = await lintWith(file, line);
    expect(
      messages.some((m) => m.startsWith('no-restricted-imports') && why.test(m)),
      messages.join('\n'),
    ).toBe(true);
  });

  it('is type-aware: a promise left floating is an error', async () => {
    const messages = await lintWith(
      'functions/domain/naming.ts',
      'export function forget(p: Promise<void>): void {\n  p.then(() => undefined);\n}',
    );
    expect(messages.some((m) => m.startsWith('@typescript-eslint/no-floating-promises'))).toBe(true);
  });
});

describe('one folder per Lambda function', () => {
  const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const words = (key: string) => key.replace(/[A-Z]/g, (c) => ` ${c}`).replace(/^./, (c) => c.toUpperCase());
  const sls = parseYaml(readFileSync(`${root}/serverless.yml`, 'utf8')) as { functions: Record<string, { handler: string }> };

  it('lives in functions/<kebab case of its serverless.yml key>/handler.ts, and every key is a deployed function', () => {
    expect(Object.keys(sls.functions).sort()).toEqual([...FUNCTION_KEYS].sort());
    for (const [key, fn] of Object.entries(sls.functions)) {
      expect(fn.handler, key).toBe(`functions/${kebab(key)}/handler.handler`);
      expect(existsSync(`${root}/functions/${kebab(key)}/handler.ts`), key).toBe(true);
    }
    const layers = ['aws', 'domain', 'runtime', 'workflow'];
    const folders = readdirSync(`${root}/functions`, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(folders.filter((f) => !layers.includes(f)).sort()).toEqual(Object.keys(sls.functions).map(kebab).sort());
  });

  it.each(['backup.asl.yml', 'drill.asl.yml'])('is invoked by a state named for what it does (%s)', (file) => {
    const definition = parseYaml(readFileSync(`${root}/statemachine/${file}`, 'utf8')) as { States: unknown };
    const tasks = Object.entries(definition.States as Record<string, { Type: string; Resource?: { 'Fn::GetAtt'?: [string, string] } }>)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name, s]) => [name, s.Resource?.['Fn::GetAtt']?.[0] ?? ''] as const);
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, key] of tasks) expect(name).toBe(words(key));
  });
});

describe('formatting (npm run format:check)', () => {
  it('covers the code and rejects a misformatted copy of a real file', async () => {
    const file = `${root}/functions/domain/naming.ts`;
    const options = { ...(await prettier.resolveConfig(file)), filepath: file };
    const text = readFileSync(file, 'utf8');
    expect(await prettier.check(text, options)).toBe(true);
    expect(await prettier.check(text.replace(/;\n/, '\n'), options)).toBe(false);
    for (const f of ['functions/domain/naming.ts', 'cli/main.ts', 'local/runner.ts', 'test/unit/layers.test.ts', 'package.json'])
      expect((await prettier.getFileInfo(`${root}/${f}`, { ignorePath: `${root}/.prettierignore` })).ignored, f).toBe(false);
  });
});
