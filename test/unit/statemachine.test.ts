import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../local/runner.js';

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
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[];
  Resource?: string;
};
const { definition } = loadDefinition('us-east-1', '123456789012');
const states = definition.States as unknown as Record<string, State>;
const next = (s: State) =>
  [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)].filter(
    (n): n is string => !!n,
  );
const LAMBDA_TRANSIENT = [
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
    const json = JSON.stringify(definition);
    expect(json).not.toMatch(/"QueryLanguage"|"Arguments"|"Output"|"Assign"|\{%/);
    // and the check itself can fail:
    expect(JSON.stringify({ ...definition, QueryLanguage: 'JSONata' })).toMatch(/"QueryLanguage"/);
  });

  it('gives every Task retries on Lambda transient errors and a catch ending in States.ALL', () => {
    const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(6);
    for (const [name, s] of tasks) {
      const retried = (s.Retry ?? []).flatMap((r) => r.ErrorEquals);
      for (const e of LAMBDA_TRANSIENT) expect(retried, `${name} retries ${e}`).toContain(e);
      for (const r of s.Retry ?? []) expect(r.MaxAttempts, `${name} retry is bounded`).toBeLessThanOrEqual(10);
      const catches = s.Catch ?? [];
      expect(catches.length, `${name} has Catch`).toBeGreaterThan(0);
      expect(catches.at(-1)?.ErrorEquals, `${name}: States.ALL comes last`).toEqual(['States.ALL']);
    }
  });

  it('retries throttling and internal errors on every AWS-calling step, and never retries validation', () => {
    for (const name of ['Plan And Start', 'Check Operations', 'Apply Tags', 'Apply Retention']) {
      const retried = (states[name]?.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect(retried).toEqual(expect.arrayContaining(['ThrottlingError', 'InternalError']));
      expect(retried).not.toContain('ValidationError');
      expect(retried).not.toContain('States.ALL');
    }
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
    expect(states['Check Operations']?.Next).toBe('Operations Pending?');
    // The only cycle: Choice -> Wait -> Check -> Choice. Check sets pending=false at settings.poll.maxIterations.
    const cycleStates = ['Operations Pending?', 'Wait For Operations', 'Check Operations'];
    for (const [name, s] of Object.entries(states)) {
      if (cycleStates.includes(name)) continue;
      for (const n of next(s))
        expect(cycleStates.includes(n) && n !== 'Operations Pending?' ? `${name}->${n}` : 'ok').toBe('ok');
    }
  });

  it('fails invalid input at the first state with a stable error name and the envelope as cause', () => {
    const first = states[definition.StartAt as string];
    expect(first?.Catch?.[0]?.ErrorEquals).toEqual(['ValidationError']);
    const fail = states['Run Failed'] as unknown as { Type: string; ErrorPath: string; CausePath: string };
    expect(fail.Type).toBe('Fail');
    expect(fail.ErrorPath).toBe('$.error');
    expect(fail.CausePath).toBe('$.cause');
  });
});
