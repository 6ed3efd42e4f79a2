import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { STATE_MACHINE_TIMEOUT_SECONDS } from '../../functions/domain/limits.js';
import type { NextStep } from '../../functions/domain/run.js';
import { DRILL_DEFINITION_PATH, loadDefinition } from '../../local/runner.js';
import { ERROR_NAMES } from '../../functions/domain/errors.js';

/** Where a definition uses JSONata: the QueryLanguage switch, its fields, and {% %} expressions. */
function jsonataFeatures(node: unknown, path = ''): string[] {
  if (typeof node === 'string') return node.startsWith('{%') && path ? [path] : [];
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => {
    const p = path ? `${path}.${k}` : k;
    if (['QueryLanguage', 'Arguments', 'Output', 'Assign'].includes(k)) return [p];
    return jsonataFeatures(v, p);
  });
}

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator') as (
  definition: unknown,
  opts?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errors: unknown[] };

type State = {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[];
  Resource?: string;
};
const { definition } = loadDefinition('us-east-1', '123456789012');
const states = definition.States as unknown as Record<string, State>;
const next = (s: State) =>
  [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)].filter((n): n is string => !!n);
const LAMBDA_TRANSIENT = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

describe('statemachine/backup.asl.yml', () => {
  it('is valid ASL (asl-validator)', () => {
    const result = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('uses JSONPath only: the local interpreter silently ignores JSONata', () => {
    expect(jsonataFeatures(definition)).toEqual([]);
  });

  it('finds each JSONata construct in a definition (the check above can fail)', () => {
    const withJsonata = {
      QueryLanguage: 'JSONata',
      States: {
        A: { Type: 'Task', Arguments: { x: 1 }, Output: '{% $states.result %}', Assign: { y: 2 } },
        B: { Type: 'Pass', QueryLanguage: 'JSONata' },
      },
    };
    expect(jsonataFeatures(withJsonata)).toEqual([
      'QueryLanguage',
      'States.A.Arguments',
      'States.A.Output',
      'States.A.Assign',
      'States.B.QueryLanguage',
    ]);
  });

  it('catches and retries only error names that something raises', () => {
    const ours = new Set(Object.values(ERROR_NAMES));
    const names = Object.values(states).flatMap((s) => [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals));
    const unknown = names.filter((n) => !ours.has(n) && !/^(States|Lambda|Sandbox|Runtime)\./.test(n));
    expect(unknown).toEqual([]);
    // the names the definition relies on exist as classes
    for (const n of ['ThrottlingError', 'InternalError', 'ValidationError', 'AccessDeniedError', 'KmsKeyNotAccessibleError'])
      expect(names, n).toContain(n);
  });

  it('gives every Task retries on the Lambda errors AWS lists, and a catch ending in States.ALL', () => {
    const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(7);
    for (const [name, s] of tasks) {
      const retried = (s.Retry ?? []).flatMap((r) => r.ErrorEquals);
      for (const r of s.Retry ?? []) expect(r.MaxAttempts, `${name} retry is bounded`).toBeLessThanOrEqual(10);
      const catches = s.Catch ?? [];
      expect(catches.length, `${name} has Catch`).toBeGreaterThan(0);
      expect(catches.at(-1)?.ErrorEquals, `${name}: States.ALL comes last`).toEqual(['States.ALL']);
      if (name === 'Apply Retention') {
        // Retried through the interruption loop instead, so the next attempt knows its plan may have run.
        expect(retried).toEqual(['Lambda.TooManyRequestsException']);
        expect(catches.at(-1)).toMatchObject({ Next: 'Count Interruption', ResultPath: '$.lastError' });
        continue;
      }
      for (const e of LAMBDA_TRANSIENT) expect(retried, `${name} retries ${e}`).toContain(e);
    }
  });

  it('comes back to Apply Retention after an interruption, counting it, a bounded number of times', () => {
    const count = states['Count Interruption'] as unknown as { Type: string; Parameters: Record<string, string>; Next: string };
    expect(count.Type).toBe('Pass');
    expect(count.Parameters['interrupted.$']).toBe('States.MathAdd($.interrupted, 1)');
    expect(next(states[count.Next] as State).sort()).toEqual(['Give Up On Retention', 'Wait Before Retrying Deletions']);
    expect(states['Wait Before Retrying Deletions']?.Next).toBe('Apply Retention');
  });

  it('retries throttling and internal errors on the steps that read their counts back from AWS, and never retries validation', () => {
    for (const name of ['Start Operations', 'Check Operations', 'Apply Tags']) {
      const retried = (states[name]?.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect(retried).toEqual(expect.arrayContaining(['ThrottlingError', 'InternalError']));
      expect(retried).not.toContain('ValidationError');
      expect(retried).not.toContain('States.ALL');
    }
  });

  it('times a run out where functions/domain/limits.ts says (the run deadline is derived from it)', () => {
    expect(definition.TimeoutSeconds).toBe(STATE_MACHINE_TIMEOUT_SECONDS);
  });

  it('routes every next step a core can name', () => {
    const choice = states['Next Step?'] as unknown as {
      Choices: { Variable: string; StringEquals: string; Next: string }[];
      Default: string;
    };
    const named: Record<Exclude<NextStep, 'report'>, string> = {
      create: 'Start Operations',
      wait: 'Wait For Operations',
      tag: 'Apply Tags',
      retain: 'Apply Retention',
      'retain-later': 'Wait Before Retrying Deletions',
    };
    expect(Object.fromEntries(choice.Choices.map((c) => [c.StringEquals, c.Next]))).toEqual(named);
    for (const c of choice.Choices) expect(c.Variable).toBe('$.progress.next');
    expect(choice.Default).toBe('Report');
  });

  it('has every transition target defined and every state reachable', () => {
    const reachable = new Set<string>();
    const walk = (name: string) => {
      if (reachable.has(name)) return;
      expect(states[name], `state ${name} exists`).toBeDefined();
      reachable.add(name);
      for (const n of next(states[name] as State)) walk(n);
    };
    walk(definition.StartAt as string);
    expect([...reachable].sort()).toEqual(Object.keys(states).sort());
  });

  it('ends every path: from each state a terminal state can be reached', () => {
    const terminal = (s: State) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End === true;
    for (const name of Object.keys(states)) {
      const seen = new Set<string>();
      const stack = [name];
      let ends = false;
      while (stack.length > 0 && !ends) {
        const n = stack.pop() as string;
        if (seen.has(n)) continue;
        seen.add(n);
        const s = states[n] as State;
        if (terminal(s)) ends = true;
        stack.push(...next(s));
      }
      expect(ends, `${name} can end`).toBe(true);
    }
  });

  it('polls in a Wait state whose loop passes through a Lambda that enforces the bound', () => {
    const wait = states['Wait For Operations'];
    expect(wait?.Type).toBe('Wait');
    expect((wait as unknown as { SecondsPath: string }).SecondsPath).toBe('$.progress.waitSeconds');
    expect(wait?.Next).toBe('Check Operations');
    // The loop: Next Step? -> Wait -> Check -> Next Step?. Check ends it at the run deadline or settings.poll.maxIterations.
    expect(states['Check Operations']?.Next).toBe('Next Step?');
    for (const [name, s] of Object.entries(states)) {
      if (name === 'Next Step?') continue;
      expect(next(s).includes('Wait For Operations') ? name : 'ok').toBe('ok');
    }
  });

  it('fails invalid input at the first state with a stable error name and the envelope as cause', () => {
    const first = states[definition.StartAt as string];
    expect(first?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'Describe Failure' }]);
    const fail = states['Run Failed'] as unknown as { Type: string; ErrorPath: string; CausePath: string };
    expect(fail.Type).toBe('Fail');
    expect(fail.ErrorPath).toBe('$.error');
    expect(fail.CausePath).toBe('$.cause');
  });

  describe('statemachine/drill.asl.yml', () => {
    const drill = loadDefinition('us-east-1', '123456789012', DRILL_DEFINITION_PATH).definition;
    const drillStates = drill.States as unknown as Record<string, State & { Iterator?: { States: Record<string, State> } }>;

    it('is valid ASL, JSONPath only', () => {
      const result = aslValidator(structuredClone(drill), { checkPaths: true, checkArn: true });
      expect(result.errors).toEqual([]);
      expect(jsonataFeatures(drill)).toEqual([]);
    });

    it('ends every failure path in Clean Up Drills, so no drill cluster outlives an error', () => {
      for (const [name, s] of Object.entries(drillStates)) {
        if (s.Type !== 'Task' && s.Type !== 'Map') continue;
        if (['Clean Up Drills', 'Report Drills', 'Describe Failure'].includes(name)) continue;
        const last = (s.Catch ?? []).at(-1);
        expect(last, name).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'Clean Up Drills', ResultPath: '$.lastError' });
      }
      expect(drillStates['Clean Up Drills']?.Next).toBe('Report Drills');
      // a validation error answers like any other: the Map state's item catches it
      const invoke = drillStates['Validate Drill Clusters']?.Iterator?.States['Invoke Validation'];
      expect(invoke?.Catch?.[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'Validation Errored' });
    });
  });
});
