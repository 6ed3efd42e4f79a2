/**
 * Timeouts that must fit inside each other: an AWS call's worst case (attempts × request timeout plus the
 * SDK's longest backoffs) inside each function's timeout (serverless.yml), after the work budget of the
 * functions that use one (runtime/handler.ts); each function's timeout inside its Task's TimeoutSeconds;
 * and README stating them. Every number comes from the code, serverless.yml or the SDK.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MAXIMUM_RETRY_DELAY } from '@smithy/core/retry';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { MAX_ATTEMPTS, REQUEST_TIMEOUT_MS } from '../../functions/aws/clients.js';
import { TIMEOUT_MARGIN_MS, WORK_BUDGET_MS } from '../../functions/runtime/handler.js';
import { iamStatements } from '../fixtures/iam.js';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const require = createRequire(import.meta.url);

const sls = parseYaml(read('serverless.yml')) as {
  provider: { timeout: number };
  functions: Record<string, { handler: string; timeout?: number }>;
};
/** Each function's timeout in seconds, as serverless.yml sets it (the provider's default otherwise). */
const timeoutOf = (key: string) => sls.functions[key]?.timeout ?? sls.provider.timeout;

/**
 * What a `Retry-After` answer may add to a backoff, read from the SDK's retry strategy (it is not
 * exported): `min(retryAfter, delay + extra)`. An SDK upgrade that changes the expression fails here.
 */
function retryAfterExtraMs(): number {
  const source = readFileSync(require.resolve('@smithy/core/retry'), 'utf8');
  const m = /delayFromErrorType \+ ([\d_]+)\)/.exec(source);
  if (!m?.[1]) throw new Error('the SDK no longer bounds a Retry-After wait as this test expects: re-read its retry strategy');
  return Number(m[1].replace(/_/g, ''));
}

/** The longest one AWS call can take: every attempt timing out, and the longest backoff before each retry. */
const worstCallMs = MAX_ATTEMPTS * REQUEST_TIMEOUT_MS + (MAX_ATTEMPTS - 1) * (MAXIMUM_RETRY_DELAY + retryAfterExtraMs());

/** When an invocation stops starting new work, from its start (runtime/handler.ts). */
const workBudgetMs = (timeoutMs: number) => Math.max(0, Math.min(WORK_BUDGET_MS, timeoutMs - TIMEOUT_MARGIN_MS));

/** The functions that call AWS: those whose role grants an AWS action (scripts/policy-resources.cjs). */
function callingFunctions(): Set<string> {
  return new Set(
    Object.entries(iamStatements())
      .filter(([, statements]) => statements.flatMap((s) => [s.Action].flat()).some((a) => !/^(logs|xray):/.test(a)))
      .map(([fn]) => fn),
  );
}

/** The source files a function's handler runs (relative imports, followed), the shared runtime left out. */
function sourcesOf(handler: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (path: string) => {
    if (seen.has(path) || path.startsWith('functions/runtime/')) return;
    const text = read(path);
    seen.set(path, text);
    for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) {
      const next = new URL(`${m[1]}.ts`, new URL(path, ROOT)).pathname.slice(ROOT.pathname.length);
      visit(next);
    }
  };
  visit(`${handler.replace(/\.handler$/, '')}.ts`);
  return seen;
}
/** Whether a function stops starting work at its budget (deps.budgetEndsAt). */
const usesBudget = (key: string) => [...sourcesOf(sls.functions[key]?.handler ?? '').values()].some((t) => t.includes('budgetEndsAt'));

describe('request timeouts fit the functions', () => {
  it('derives the worst call from the settings: attempts × request timeout plus the backoffs', () => {
    expect(MAX_ATTEMPTS).toBeGreaterThan(1);
    expect(REQUEST_TIMEOUT_MS).toBeGreaterThan(0);
    expect(worstCallMs).toBe(MAX_ATTEMPTS * REQUEST_TIMEOUT_MS + (MAX_ATTEMPTS - 1) * (MAXIMUM_RETRY_DELAY + 5_000));
  });

  it('finds the functions that call AWS and those that stop at a work budget (the checks below see them)', async () => {
    const calling = callingFunctions();
    expect([...calling].sort()).toEqual(
      Object.keys(sls.functions)
        .filter((k) => !['validateInput', 'report', 'describeFailure', 'reportDrills'].includes(k))
        .sort(),
    );
    expect(Object.keys(sls.functions).filter(usesBudget).sort()).toEqual(['applyRetention', 'checkOperations', 'startOperations']);
  });

  it("fits a call's worst case inside every calling function's timeout, after the work budget where it has one", async () => {
    const calling = callingFunctions();
    const misfits: string[] = [];
    for (const key of Object.keys(sls.functions)) {
      if (!calling.has(key)) continue;
      const timeoutMs = timeoutOf(key) * 1000;
      const before = usesBudget(key) ? workBudgetMs(timeoutMs) : 0;
      if (before + worstCallMs > timeoutMs) misfits.push(`${key}: ${before} ms of work + ${worstCallMs} ms of one call > ${timeoutMs} ms`);
    }
    expect(misfits).toEqual([]);
  });

  it('gives each Task more time than its function has (else the Task times out first)', () => {
    for (const file of ['backup.asl.yml', 'drill.asl.yml']) {
      const def = parseYaml(read(`statemachine/${file}`), { merge: true }) as {
        States: Record<string, { Type: string; Resource?: { 'Fn::GetAtt'?: [string, string] }; TimeoutSeconds?: number }>;
      };
      for (const [name, s] of Object.entries(def.States)) {
        const fn = s.Resource?.['Fn::GetAtt']?.[0];
        if (s.Type !== 'Task' || !fn) continue;
        expect(s.TimeoutSeconds, `${file} ${name}`).toBeGreaterThan(timeoutOf(fn));
      }
    }
  });

  it("README states the request timeout, the attempts, the worst call, the work budget and every function's timeout", () => {
    const readme = read('README.md');
    const start = readme.indexOf('- **Timeouts.**');
    const end = readme.slice(start + 1).search(/\n(- |\n)/);
    const section = start < 0 || end < 0 ? '' : readme.slice(start, start + 1 + end).replace(/\s+/g, ' ');
    expect(section.length).toBeGreaterThan(20);
    expect(section).toContain(`after ${REQUEST_TIMEOUT_MS / 1000} s`);
    expect(section).toContain(`${MAX_ATTEMPTS} attempts`);
    expect(section).toContain(`${worstCallMs / 1000} s`);
    expect(section).toContain(`${WORK_BUDGET_MS / 1000} s`);
    // "`a`, `b` and `c` 30 s": every function once, with its serverless.yml timeout
    const stated = new Map<string, number>();
    for (const m of section.matchAll(/((?:`\w+`(?:, | and )?)+) (\d+) s\b/g))
      for (const fn of (m[1] ?? '').matchAll(/`(\w+)`/g)) stated.set(fn[1] as string, Number(m[2]));
    expect(Object.fromEntries(stated)).toEqual(Object.fromEntries(Object.keys(sls.functions).map((k) => [k, timeoutOf(k)])));
  });
});
