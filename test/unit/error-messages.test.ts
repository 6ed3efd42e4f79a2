/**
 * Policy-file errors say what to do: tag rules in words (one message per problem), times with an example,
 * YAML syntax errors with line and column, unknown fields with the field meant.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors.js';
import { closestField, editDistance, parsePolicyFile, parsePolicyYaml } from '../../functions/domain/policy.js';
import { runInputSchema } from '../../functions/domain/run.js';
import { policyTagProblems, tagProblem } from '../../functions/domain/tags.js';

const ARN = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/abc';

const errorOf = (parse: () => unknown) => {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('expected a validation error');
};
const yamlError = (yaml: string) => errorOf(() => parsePolicyYaml(yaml));
const withStaticTags = (tags: Record<string, string>) =>
  errorOf(() => parsePolicyFile({ policies: [{ name: 'daily', elastic: { clusterArns: [ARN] }, tags: { static: tags } }] }));
const messages = (text: string) => text.split('; ');

/** The docdb-elastic model's TagKey pattern, copied from the service model (the test reads no model file). */
const ELASTIC_TAG_KEY = /^(?!aws:)[a-zA-Z+-=._:/]+$/;
/** Printable ASCII, a tab, and letters and digits of other scripts. */
const CHARACTERS = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), '\t', 'ä', 'ß', 'Ж', '٣', '\u00a0'];

describe('tag keys and values', () => {
  it('say which characters are allowed, in words, with the policy and the quoted key', () => {
    expect(withStaticTags({ 'bad key': 'x' })).toBe(
      'policy "daily": tags.static."bad key": the tag key may contain only letters A-Z and a-z, digits 0-9 and _ . : / = + - ' +
        '(the characters both docdb-elastic and RDS accept), not a space: rename the key',
    );
  });

  it.each([
    ['a space (both APIs refuse it)', { 'a b': 'x' }],
    ['"@" (docdb-elastic refuses it)', { 'a@b': 'x' }],
    ['"," (RDS refuses it)', { 'a,b': 'x' }],
    ['a letter outside A-Z (docdb-elastic refuses it)', { größe: 'x' }],
    ['the aws: prefix (both refuse it)', { 'aws:x': 'x' }],
    ['the rds: prefix (RDS refuses it)', { 'rds:x': 'x' }],
    ['a long key (both refuse it)', { ['k'.repeat(129)]: 'x' }],
    ['a long value (both refuse it)', { k: 'v'.repeat(257) }],
    ['a bad value character (RDS refuses it)', { k: 'a#b' }],
  ])('give one message, with no regular expression, for %s', (_what, tags) => {
    const found = messages(withStaticTags(tags));
    expect(found).toHaveLength(1);
    expect(found[0]).not.toMatch(/\^|\$|\[a-z|\(\?!/);
    expect(found[0]).toMatch(/: (rename the key|change the value|shorten it to \d+ at most)$/);
  });

  it('give one message per problem when a tag has several', () => {
    const found = messages(withStaticTags({ 'aws:a b': 'x#' }));
    expect(found).toEqual([
      'policy "daily": tags.static."aws:a b": the tag key must not start with "aws:" (AWS reserves the prefixes aws: and rds: for its own tags): rename the key',
      expect.stringMatching(/^policy "daily": tags.static."aws:a b": the tag key may contain only .*, not a space: rename the key$/),
      expect.stringMatching(/^policy "daily": tags.static."aws:a b": the tag value may contain only .*, not "#": change the value$/),
    ]);
  });

  it("keep the orchestrator's reserved prefix clear, and name unprintable characters", () => {
    expect(withStaticTags({ 'backup-orchestrator:team': 'x' })).toBe(
      'policy "daily": tags.static."backup-orchestrator:team": the key prefix backup-orchestrator: is reserved for the tags the orchestrator sets itself: rename the key',
    );
    expect(withStaticTags({ 'a\tb': 'x' })).toMatch(/not U\+0009: rename the key$/);
    expect(withStaticTags({ '': 'x' })).toContain('tags.static."": the tag key is empty: give it 1-128 characters');
    expect(withStaticTags({ k: 'rds:x' })).toContain('the tag value must not start with "rds:"');
  });

  it('accept a tag exactly when both APIs accept it (docdb-elastic: the model pattern)', () => {
    for (const c of CHARACTERS) {
      const key = `k${c}`;
      expect(tagProblem('docdb-elastic', key, 'v') === undefined, JSON.stringify(key)).toBe(ELASTIC_TAG_KEY.test(key));
    }
    const key = fc.string({ unit: fc.constantFrom(...CHARACTERS, 'aws:', 'rds:', 'AWS:'), minLength: 0, maxLength: 6 });
    fc.assert(
      fc.property(key, key, (k, v) => {
        const both = tagProblem('docdb-elastic', k, v) === undefined && tagProblem('rds', k, v) === undefined;
        expect(policyTagProblems(k, v).length === 0).toBe(both);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('times', () => {
  it('show an example of the expected format', () => {
    const result = runInputSchema.safeParse({ policy: 'daily', scheduledTime: 'tomorrow 03:00' });
    expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'scheduledTime: must be an ISO 8601 time with a time zone, such as 2026-11-22T03:00:00Z',
    ]);
    expect(runInputSchema.safeParse({ policy: 'daily', scheduledTime: '2026-11-22T03:00:00+01:00' }).success).toBe(true);
  });
});

describe('YAML syntax errors', () => {
  it('give the line and column and the reason, on one line, with no code frame', () => {
    const message = yamlError('policies:\n  - name: daily\n    elastic: {clusterArns: [a]\n');
    expect(message).toMatch(/^policy file: YAML syntax error at line \d+, column \d+: \S.*$/);
    expect(message).not.toContain('\n');
    expect(message).not.toContain('\\n');
    expect(message).not.toContain('^');
  });

  it('put each error on its own line', () => {
    const lines = yamlError('policies:\n  - name: a\n  - name: b\n\tx: 1\nfoo: : bar\n').split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line).toMatch(/^policy file: YAML syntax error at line \d+, column \d+: [^\n\\]+$/);
    expect(lines).toContain('policy file: YAML syntax error at line 4, column 1: Tabs are not allowed as indentation');
  });

  it('name a repeated key and a second document where they are', () => {
    expect(yamlError('settings: {}\nsettings: {}\n')).toBe('policy file: YAML syntax error at line 2, column 1: Map keys must be unique');
    expect(yamlError('policies: []\n---\npolicies: []\n')).toBe(
      'policy file: YAML syntax error at line 2, column 1: the file holds more than one YAML document (a --- line): keep one',
    );
  });

  it('say which alias has no anchor', () => {
    expect(yamlError('policies: *daily')).toBe(
      'policy file: not valid YAML: Unresolved alias (the anchor must be set before the alias): daily',
    );
  });

  it('say what an empty file or a list needs', () => {
    expect(yamlError('')).toBe('policy file: the file is empty: define a policies: list with at least one policy');
    expect(yamlError('- name: daily')).toBe('policy file: must be a YAML mapping with a policies: list, not a list');
  });
});

describe('unknown fields', () => {
  it.each([
    [
      'a policy field',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, retension: {keepDaily: 7}}]`,
      'policy "daily": unknown field "retension": did you mean "retention"?',
    ],
    [
      'a nested field, letters swapped',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, retention: {keepDialy: 7}}]`,
      'policy "daily": retention: unknown field "keepDialy": did you mean "keepDaily"?',
    ],
    [
      'a field of a list item',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, schedules: [{expression: 'rate(1 day)', timeZone: UTC}]}]`,
      'policy "daily": schedules.0: unknown field "timeZone": did you mean "timezone"?',
    ],
    [
      'a settings field behind a default and a transform',
      `settings: {poll: {maxSecond: 60}}\npolicies: [{name: daily, elastic: {clusterArns: ['${ARN}']}}]`,
      'policy file: settings.poll: unknown field "maxSecond": did you mean "maxSeconds"?',
    ],
    [
      'a top-level field',
      `setings: {}\npolicies: [{name: daily, elastic: {clusterArns: ['${ARN}']}}]`,
      'policy file: unknown field "setings": did you mean "settings"?',
    ],
    [
      'a field close to none',
      `policies: [{name: daily, elastic: {clusterArns: ['${ARN}']}, owner: me}]`,
      'policy "daily": unknown field "owner": the fields allowed here are name, description, schedules, elastic, copy, retention, tags, deadlines, dryRun, restoreDrill, rpoHours',
    ],
  ])('suggest the field meant: %s', (_what, yaml, expected) => {
    expect(messages(yamlError(yaml))).toContain(expected);
  });

  it('give one message per unknown field, and say what a missing field needs', () => {
    const found = messages(yamlError(`policies: [{elastic: {clusterArns: ['${ARN}']}, nam: daily, dryrun: true}]`));
    expect(found).toEqual([
      'policy #1: name: is required (a string): add it',
      'policy #1: unknown field "nam": did you mean "name"?',
      'policy #1: unknown field "dryrun": did you mean "dryRun"?',
    ]);
    expect(yamlError('settings: {}')).toBe('policy file: policies: is required (a list): add it');
  });

  it('are close when a few edits away, relative to their length', () => {
    expect(editDistance('retension', 'retention')).toBe(1);
    expect(editDistance('keepDialy', 'keepDaily')).toBe(1);
    expect(editDistance('DRYRUN', 'dryRun')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestField('nme', ['name', 'copy'])).toBe('name');
    expect(closestField('cpy', ['name', 'copy'])).toBe('copy');
    expect(closestField('ab', ['name', 'copy'])).toBeUndefined();
    expect(closestField('keepDay', ['keepDaily', 'keepLast'])).toBe('keepDaily');
    expect(closestField('retain', ['retention'])).toBeUndefined();
  });
});
