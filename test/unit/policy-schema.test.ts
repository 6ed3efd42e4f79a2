/**
 * policies.schema.json and the field table in docs/policies.md are generated from the zod schema
 * (npm run policy-schema). These fail when either is stale, and check that editors get help.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parsePolicyFile } from '../../functions/domain/policy.js';
import { REFERENCE_PATH, referenceText, SCHEMA_PATH, schemaText } from '../../scripts/policy-schema.js';

type Node = { description?: string; properties?: Record<string, Node>; items?: Node };

function undescribed(node: Node, path: string): string[] {
  const own = node.description ? [] : [path];
  const children = Object.entries(node.properties ?? {}).flatMap(([k, v]) => undescribed(v, `${path}.${k}`));
  return [
    ...(path === '$' ? [] : own),
    ...children,
    ...(node.items ? undescribed(node.items, `${path}[]`).filter((p) => p !== `${path}[]`) : []),
  ];
}

describe('policies.schema.json', () => {
  it('is what npm run policy-schema generates from the zod schema (run it after changing the schema)', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(schemaText());
  });

  it('describes every field, so an editor can explain it', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Node;
    expect(undescribed(schema, '$')).toEqual([]);
  });

  it('is named by policies.yml for the YAML language server', () => {
    expect(readFileSync(new URL('../../policies.yml', import.meta.url), 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=./policies.schema.json',
    );
  });
});

describe('docs/policies.md', () => {
  it('holds the field table generated from the schema', () => {
    const current = readFileSync(REFERENCE_PATH, 'utf8');
    expect(referenceText(current)).toBe(current);
  });
});

describe('what an editor flags with the schema', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
  const shipped = parseYaml(readFileSync(new URL('../../policies.yml', import.meta.url), 'utf8')) as {
    policies: Record<string, unknown>[];
  };
  const withPolicy = (change: Record<string, unknown>) => ({ ...shipped, policies: [{ ...shipped.policies[0], ...change }] });

  it('accepts the shipped policies.yml', () => {
    expect(validate(shipped), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['an unknown field', { keepDaly: 7 }],
    ['a count that is not an integer', { retention: { keepDaily: 'seven' } }],
    ['an unknown copy selection', { copy: { sourceAccounts: ['111122223333'], select: 'latest' } }],
    ['an account id that is not 12 digits', { copy: { sourceAccounts: ['1234'] } }],
    ['a policy name with a space', { name: 'my policy' }],
  ])('rejects %s, as the product does', (_what, change) => {
    expect(validate(withPolicy(change))).toBe(false);
    expect(() => parsePolicyFile(withPolicy(change))).toThrow();
  });
});
