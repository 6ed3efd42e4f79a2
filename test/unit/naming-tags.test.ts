import { describe, expect, it } from 'vitest';
import {
  copySnapshotName,
  elasticSnapshotName,
  isElasticSnapshotNameOf,
  isValidSnapshotName,
  slug,
  timeToken,
} from '../../functions/domain/naming.js';
import { composeTags, isOwnedBy, missingTags, OWNERSHIP_KEYS, ownershipTags, tagProblem } from '../../functions/domain/tags.js';

const ARN = (n: number) => `arn:aws:docdb-elastic:us-east-1:123456789012:cluster/0000000${n}-0000-4000-8000-000000000000`;
const SLOT = new Date('2026-11-22T03:00:00Z');

describe('snapshot names', () => {
  it('follow the API rules even for hostile cluster names and long policies', () => {
    for (const cluster of ['x', 'A--B--', '-lead', 'UPPER_case.name', 'a'.repeat(200), '---', '9starts-with-digit']) {
      const name = elasticSnapshotName('very-long-policy-name-that-goes-on', ARN(1), cluster, SLOT);
      expect(isValidSnapshotName(name), name).toBe(true);
      expect(name.length).toBeLessThanOrEqual(63);
    }
  });
  it('are deterministic and differ per target, policy and slot', () => {
    const a = elasticSnapshotName('daily', ARN(1), 'orders', SLOT);
    expect(elasticSnapshotName('daily', ARN(1), 'orders', SLOT)).toBe(a);
    expect(elasticSnapshotName('daily', ARN(2), 'orders', SLOT)).not.toBe(a);
    expect(elasticSnapshotName('weekly', ARN(1), 'orders', SLOT)).not.toBe(a);
    expect(elasticSnapshotName('daily', ARN(1), 'orders', new Date('2026-11-23T03:00:00Z'))).not.toBe(a);
    expect(a).toBe(`daily-orders-${a.split('-')[2]}-202611220300`);
  });
  it('are recognised only for their own policy and cluster', () => {
    const a = elasticSnapshotName('daily', ARN(1), 'orders', SLOT);
    expect(isElasticSnapshotNameOf(a, 'daily', ARN(1))).toBe(true);
    expect(isElasticSnapshotNameOf(a, 'daily', ARN(2))).toBe(false);
    expect(isElasticSnapshotNameOf(a, 'daily-2', ARN(1))).toBe(false);
    expect(isElasticSnapshotNameOf('orders-before-migration', 'daily', ARN(1))).toBe(false);
  });
  it('name copies per source snapshot', () => {
    const src = 'arn:aws:rds:us-east-1:111122223333:cluster-snapshot:s1';
    const n = copySnapshotName('partner', src, 'Catalog_DB', new Date('2026-11-21T00:00:00Z'));
    expect(n).toMatch(/^partner-catalog-db-202611210000-[0-9a-z]{6}$/);
    expect(copySnapshotName('partner', `${src}x`, 'Catalog_DB', new Date('2026-11-21T00:00:00Z'))).not.toBe(n);
  });
  it('slug and time tokens', () => {
    expect(slug('--Hello__World--', 20)).toBe('hello-world');
    expect(slug('abcdef-ghij', 7)).toBe('abcdef');
    expect(timeToken(SLOT)).toBe('202611220300');
    expect(isValidSnapshotName('a--b')).toBe(false);
    expect(isValidSnapshotName('a-')).toBe(false);
    expect(isValidSnapshotName('1a')).toBe(false);
    expect(isValidSnapshotName('a'.repeat(64))).toBe(false);
  });
});

describe('tags', () => {
  it('checks docdb-elastic keys with the model pattern (the +-= range admits digits), and says the rule in words', () => {
    expect(tagProblem('docdb-elastic', 'cost-center2', 'x')).toBeUndefined();
    expect(tagProblem('docdb-elastic', 'a,b;c<d', 'x')).toBeUndefined();
    expect(tagProblem('docdb-elastic', 'aws:foo', 'x')).toBe('key "aws:foo" must not start with aws: (docdb-elastic)');
    expect(tagProblem('docdb-elastic', 'has space', 'x')).toBe(
      'key "has space" may contain only letters A-Z and a-z, digits 0-9 and + , - . / : ; < = _, not a space (docdb-elastic)',
    );
    expect(tagProblem('docdb-elastic', 'at@sign', 'x')).toMatch(/may contain only .*, not "@" \(docdb-elastic\)$/);
    expect(tagProblem('docdb-elastic', 'k'.repeat(129), 'x')).toMatch(/1-128/);
    expect(tagProblem('docdb-elastic', 'k', 'v'.repeat(257))).toMatch(/256/);
    for (const problem of [tagProblem('docdb-elastic', 'a b', 'x'), tagProblem('docdb-elastic', 'aws:x', 'x')]) {
      expect(problem).not.toMatch(/\^|\$|\[|\(\?/);
    }
  });
  it('checks RDS keys and values', () => {
    expect(tagProblem('rds', 'team', 'platform ops')).toBeUndefined();
    expect(tagProblem('rds', 'rds:x', 'y')).toMatch(/aws: or rds:/);
    expect(tagProblem('rds', 'a#b', 'y')).toBe('key "a#b" may contain only letters, digits, spaces and _ . : / = + - @, not "#" (rds)');
    expect(tagProblem('rds', 'ok', 'bad#value')).toMatch(/^value of "ok" may contain only/);
    expect(tagProblem('rds', 'ok', 'aws:x')).toBe('value of "ok" must not start with aws: or rds: (rds)');
  });
  it('composes ownership over static over source, and drops what does not fit', () => {
    const own = ownershipTags({ policy: 'daily', target: 't', runId: 'r', createdAt: SLOT });
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'v']));
    const { tags, dropped } = composeTags('docdb-elastic', {
      ownership: own,
      static: { team: 'platform' },
      source: { team: 'orders', 'bad key': 'x', [OWNERSHIP_KEYS.policy]: 'forged', ...many },
    });
    expect(tags.team).toBe('platform');
    expect(tags[OWNERSHIP_KEYS.policy]).toBe('daily');
    expect(Object.keys(tags)).toHaveLength(50);
    expect(dropped).toContain('bad key');
    expect(isOwnedBy(tags, 'daily')).toBe(true);
    expect(isOwnedBy(tags, 'weekly')).toBe(false);
  });
  it('adds only missing keys, never overwriting', () => {
    expect(missingTags({ a: '1', b: '2' }, { a: 'x', c: '3' })).toEqual({ c: '3' });
  });
});
