import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWorld } from '../../local/standin/world.js';
import { worldJsonSchema } from '../../local/world-schema.js';

describe('world file', () => {
  it('the published JSON Schema is the one generated from the validator (run npm run world-schema)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../local/world.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(worldJsonSchema())));
  });
  it('the example world is valid', () => {
    const w = parseWorld(JSON.parse(readFileSync(new URL('../../local/worlds/example.json', import.meta.url), 'utf8')));
    expect(w.elasticClusters.length).toBeGreaterThan(2);
    expect(w.sharedSnapshots.some((s) => s.encrypted)).toBe(true);
    expect(w.faults.length).toBeGreaterThan(0);
  });
  it('names the field of an invalid world', () => {
    expect(() => parseWorld({ accountId: '12', region: 'us-east-1', now: 'yesterday' }, 'w.json')).toThrow(
      /w\.json: accountId: must be a 12-digit account id; now:/,
    );
    expect(() =>
      parseWorld({
        accountId: '123456789012',
        region: 'us-east-1',
        now: '2026-01-01T00:00:00Z',
        faults: [{ operation: 'CreateClusterSnapshot' }],
      }),
    ).toThrow(/faults\.0: a fault needs/);
  });
});
