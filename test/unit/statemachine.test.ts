import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse as parseYaml } from 'yaml';
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

type RawState = State & {
  Resource?: unknown;
  Iterator?: { States: Record<string, RawState> };
  ItemProcessor?: { States: Record<string, RawState> };
  Branches?: { States: Record<string, RawState> }[];
};
/** A definition as written (function references still Fn::GetAtt), for what the local loader rewrites. */
const raw = (file: string) =>
  parseYaml(readFileSync(new URL(`../../statemachine/${file}`, import.meta.url), 'utf8'), { merge: true }) as {
    States: Record<string, RawState>;
  };
/** Every Task state, nested ones (Map, Parallel) included, by path. */
function tasksOf(states: Record<string, RawState>, prefix = ''): [string, RawState][] {
  return Object.entries(states).flatMap(([name, s]) => {
    const path = `${prefix}${name}`;
    const nested = [...(s.Iterator ? [s.Iterator] : []), ...(s.ItemProcessor ? [s.ItemProcessor] : []), ...(s.Branches ?? [])];
    return [...(s.Type === 'Task' ? [[path, s] as [string, RawState]] : []), ...nested.flatMap((n) => tasksOf(n.States, `${path} > `))];
  });
}
/** A Lambda task: the lambda:invoke integration, a function ARN, or a reference to one of serverless.yml's functions. */
function isLambdaTask(s: RawState): boolean {
  const r = s.Resource;
  if (typeof r === 'string')
    return /^arn:aws[a-z-]*:states:::lambda:invoke(\.|$)/.test(r) || /^arn:aws[a-z-]*:lambda:[^:]*:\d*:function:/.test(r);
  const ref = (r as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(ref) && ref[1] === 'Arn';
}
/** What a Task does with error `name`: the first retrier that matches it, as Step Functions picks it. */
function retrierFor(s: RawState, name: string) {
  return (s.Retry ?? []).find((r) => r.ErrorEquals.some((e) => e === name || e === 'States.ALL' || e === 'States.TaskFailed'));
}
/** Lambda tasks that do not retry each of the errors AWS lists (with the default MaxAttempts of 3 when unset). */
function missingLambdaRetries(states: Record<string, RawState>): string[] {
  return tasksOf(states)
    .filter(([, s]) => isLambdaTask(s))
    .flatMap(([path, s]) =>
      LAMBDA_TRANSIENT.filter((e) => (retrierFor(s, e)?.MaxAttempts ?? (retrierFor(s, e) ? 3 : 0)) < 1).map((e) => `${path}: ${e}`),
    );
}

describe('Lambda retries in both state machines', () => {
  for (const file of ['backup.asl.yml', 'drill.asl.yml']) {
    it(`${file}: every Lambda task retries the Lambda errors AWS lists for Lambda tasks, and the invoke throttle`, () => {
      const tasks = tasksOf(raw(file).States);
      // Every Task is a Lambda task here: a Task of another kind would need its own retry rules.
      expect(tasks.filter(([, s]) => !isLambdaTask(s)).map(([p]) => p)).toEqual([]);
      expect(tasks.length).toBeGreaterThanOrEqual(file === 'backup.asl.yml' ? 7 : 6);
      expect(missingLambdaRetries(raw(file).States)).toEqual([]);
    });
  }

  it('finds a Lambda task that misses one (the check above can fail)', () => {
    const states: Record<string, RawState> = {
      A: {
        Type: 'Task',
        Resource: { 'Fn::GetAtt': ['fn', 'Arn'] } as unknown as string,
        Retry: [{ ErrorEquals: ['Lambda.ServiceException'] }],
      },
      M: {
        Type: 'Map',
        Iterator: {
          States: {
            B: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Retry: [{ ErrorEquals: ['Lambda.TooManyRequestsException'], MaxAttempts: 0 }, { ErrorEquals: ['States.ALL'] }],
            },
          },
        },
      },
    };
    expect(missingLambdaRetries(states)).toEqual([
      'A: Lambda.ClientExecutionTimeoutException',
      'A: Lambda.AWSLambdaException',
      'A: Lambda.SdkClientException',
      'A: Lambda.TooManyRequestsException',
      'M > B: Lambda.TooManyRequestsException',
    ]);
  });
});

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

  it('gives every Task bounded retries and a catch ending in States.ALL', () => {
    const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(7);
    for (const [name, s] of tasks) {
      for (const r of s.Retry ?? []) expect(r.MaxAttempts, `${name} retry is bounded`).toBeLessThanOrEqual(10);
      const catches = s.Catch ?? [];
      expect(catches.length, `${name} has Catch`).toBeGreaterThan(0);
      expect(catches.at(-1)?.ErrorEquals, `${name}: States.ALL comes last`).toEqual(['States.ALL']);
    }
  });

  it('retries Apply Retention a few times on Lambda errors, then falls back on the interruption loop', () => {
    const s = states['Apply Retention'] as State;
    // The four errors that may come after the function ran: few retries (the interruption loop counts exactly).
    for (const r of s.Retry ?? []) {
      if (r.ErrorEquals.some((e) => e !== 'Lambda.TooManyRequestsException'))
        expect(r.MaxAttempts, r.ErrorEquals.join()).toBeLessThanOrEqual(2);
    }
    expect((s.Retry ?? []).flatMap((r) => r.ErrorEquals)).not.toContain('States.ALL');
    expect(s.Catch?.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'Count Interruption', ResultPath: '$.lastError' });
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
