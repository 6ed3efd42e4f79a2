/**
 * `npm start` and `npm test` install the locked dependencies first when node_modules is missing or does
 * not hold what the lockfile locks (scripts/ensure-deps.mjs, their pre-scripts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain-Node script without types (it runs before any dependency is installed)
import { staleReason } from '../../scripts/ensure-deps.mjs';

const reason = staleReason as (lock: unknown, installed: unknown) => string | undefined;
const ROOT = new URL('../..', import.meta.url);
const lock = JSON.parse(readFileSync(new URL('package-lock.json', ROOT), 'utf8')) as { packages: Record<string, { version: string }> };
const installed = JSON.parse(readFileSync(new URL('node_modules/.package-lock.json', ROOT), 'utf8')) as typeof lock;

describe('ensure-deps', () => {
  it('finds this checkout installed as locked', () => {
    expect(reason(lock, installed)).toBeUndefined();
  });

  it('says why it installs: node_modules missing, a package missing, or a package older than the lockfile', () => {
    expect(reason(lock, undefined)).toBe('node_modules is missing');
    const { 'node_modules/zod': _, ...withoutZod } = installed.packages;
    expect(reason(lock, { packages: withoutZod })).toBe('node_modules/zod is missing');
    const older = { ...installed.packages, 'node_modules/zod': { ...installed.packages['node_modules/zod'], version: '3.0.0' } };
    expect(reason(lock, { packages: older })).toBe(
      `node_modules/zod is 3.0.0, the lockfile says ${lock.packages['node_modules/zod']?.version}`,
    );
  });

  it('does not ask for optional packages of other platforms', () => {
    const other = { packages: { ...lock.packages, 'node_modules/@esbuild/sunos-x64': { version: '1.0.0', optional: true } } };
    expect(reason(other, installed)).toBeUndefined();
  });
});
