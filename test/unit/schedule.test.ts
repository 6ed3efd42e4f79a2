/**
 * EventBridge Scheduler expressions: the rules the service enforces, and the next fire time in a zone.
 */
import { describe, expect, it } from 'vitest';
import { fitName, fitProblems, loopSeconds } from '../../functions/domain/deploy.js';
import { checksThatFit, parsePolicyYaml } from '../../functions/domain/policy.js';
import { RUN_BUDGET_SECONDS } from '../../functions/domain/limits.js';
import { firstSlotAfter, nextFire, parseSchedule } from '../../functions/domain/schedule.js';

const next = (expr: string, tz: string, after: string) => nextFire(parseSchedule(expr), tz, new Date(after))?.toISOString();

describe('schedule expressions', () => {
  it.each([
    ['cron(30 1 * * * *)', /exactly one of day-of-month and day-of-week must be \?.*cron\(0 3 \* \* \? \*\)/],
    ['cron(0 3 ? * ? *)', /exactly one of day-of-month and day-of-week must be \?/],
    ['cron(61 1 * * ? *)', /minutes "61" is out of range: use 0-59/],
    ['cron(0 24 * * ? *)', /hours "24" is out of range: use 0-23/],
    ['cron(0 3 * 13 ? *)', /month "13" is out of range: use 1-12 or JAN-DEC/],
    ['cron(0 3 ? * 8 *)', /day-of-week "8" is out of range: use 1-7 or SUN-SAT/],
    ['cron(0 3 * * ?)', /has 5 fields; cron needs 6/],
    ['rate(0 days)', /the value must be at least 1, for example rate\(1 day\)/],
    ['rate(1 days)', /a value of 1 takes the singular unit, e.g. rate\(1 day\)/],
    ['rate(2 day)', /a value above 1 takes the plural unit, e.g. rate\(2 days\)/],
    ['rate(5 weeks)', /unit minute\(s\), hour\(s\) or day\(s\)/],
    ['at(2026-01-01T00:00:00)', /must be a cron\(\.\.\.\) or rate\(\.\.\.\) expression/],
    ['cron(? 3 * * ? *)', /minutes "\?": \? may stand only alone, in day-of-month or day-of-week/],
    ['cron(0 3 1# * ? *)', /day-of-month "1#": # may stand only in day-of-week/],
    ['cron(0 3 ? * 6#6 *)', /day-of-week "6#6": the week after # must be 1-5/],
    ['cron(0 3 ? * 9L *)', /day-of-week "9" is out of range: use 1-7 or SUN-SAT/],
    ['cron(0 3 32W * ? *)', /day-of-month "32" is out of range: use 1-31/],
    ['cron(0 3 * * ? 1969)', /year "1969" is out of range: use 1970-2199/],
    ['cron(0 5-1 * * ? *)', /hours "5-1": the range runs backwards/],
    ['cron(0/0 3 * * ? *)', /minutes "0\/0": the step after \/ must be a whole number of at least 1/],
    ['cron(x 3 * * ? *)', /minutes "x" is not a value of the field: use 0-59/],
    ['cron(0 3 1,,2 * ? *)', /day-of-month "1,,2" is not a valid field/],
  ])('%s is refused with a message that says why and shows a valid form', (expr, message) => {
    expect(() => parseSchedule(expr)).toThrow(message);
  });

  it.each([
    'cron(30 1 * * * *)',
    'cron(0 3 ? * ? *)',
    'cron(61 1 * * ? *)',
    'cron(0 24 * * ? *)',
    'cron(0 3 * 13 ? *)',
    'cron(0 3 ? * 8 *)',
    'cron(0 3 ? * 6#6 *)',
    'cron(0 3 * * ? 1969)',
    'cron(0 3 * *)',
    'rate(0 days)',
    'rate(1 days)',
    'rate(2 day)',
    'rate(5 weeks)',
    'at(2026-01-01T00:00:00)',
  ])('the message for %s names the expression and shows an example that is itself valid', (expr) => {
    let message = '';
    try {
      parseSchedule(expr);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.startsWith(`"${expr}"`)).toBe(true);
    const shown = message.slice(Math.max(message.indexOf('for example'), message.indexOf('e.g.')));
    const examples = [...shown.matchAll(/(?:cron|rate)\([^)]*\)/g)].map((m) => m[0]);
    expect(examples.length, message).toBeGreaterThan(0);
    for (const example of examples) expect(() => parseSchedule(example), example).not.toThrow();
  });

  it.each([
    'cron(0 3 * * ? *)',
    'cron(0/15 * * * ? *)',
    'cron(0 4 1 * ? *)',
    'cron(0 12 ? * MON-FRI *)',
    'cron(0 3 L * ? *)',
    'cron(0 3 15W * ? *)',
    'cron(0 3 ? * 6#3 *)',
    'cron(0 3 ? * 2L 2026-2030)',
    'rate(1 day)',
    'rate(12 hours)',
    'rate(1 minute)',
    'rate(30 minutes)',
    'cron(30 2 * * ? *)',
    'cron(0 3,15 * * ? *)',
    'cron(0 3 1 JAN,JUL ? *)',
    'cron(0 3 ? * FRIL *)',
    'cron(0 3 ? * fri#2 *)',
    'cron(0 3 ? * 1/2 *)',
    'cron(0 3 * * ? 2026-2030)',
  ])('%s is accepted', (expr) => {
    expect(() => parseSchedule(expr)).not.toThrow();
  });

  it("finds the next fire time in the schedule's time zone, across daylight saving", () => {
    expect(next('cron(0 3 * * ? *)', 'UTC', '2026-11-22T02:59:00Z')).toBe('2026-11-22T03:00:00.000Z');
    expect(next('cron(0 3 * * ? *)', 'UTC', '2026-11-22T03:00:00Z')).toBe('2026-11-23T03:00:00.000Z');
    // 03:00 in Berlin is 02:00 UTC in winter, 01:00 UTC in summer
    expect(next('cron(0 3 * * ? *)', 'Europe/Berlin', '2026-11-22T00:00:00Z')).toBe('2026-11-22T02:00:00.000Z');
    expect(next('cron(0 3 * * ? *)', 'Europe/Berlin', '2026-07-01T00:00:00Z')).toBe('2026-07-01T01:00:00.000Z');
    expect(next('cron(0 4 1 * ? *)', 'UTC', '2026-11-22T00:00:00Z')).toBe('2026-12-01T04:00:00.000Z');
    expect(next('cron(0 3 L * ? *)', 'UTC', '2026-02-01T00:00:00Z')).toBe('2026-02-28T03:00:00.000Z');
    expect(next('cron(0 12 ? * MON-FRI *)', 'UTC', '2026-11-21T00:00:00Z')).toBe('2026-11-23T12:00:00.000Z'); // Saturday -> Monday
    expect(next('cron(0 3 ? * 6#3 *)', 'UTC', '2026-11-01T00:00:00Z')).toBe('2026-11-20T03:00:00.000Z'); // third Friday
    expect(next('cron(0 3 15W * ? *)', 'UTC', '2026-11-01T00:00:00Z')).toBe('2026-11-16T03:00:00.000Z'); // the 15th is a Sunday
    // a rate schedule's phase is unknown: at most one period later
    expect(next('rate(12 hours)', 'UTC', '2026-11-22T00:00:00Z')).toBe('2026-11-22T12:00:00.000Z');
  });

  it('the first scheduled run of a policy is the earliest of its enabled schedules', () => {
    const schedules = [
      { expression: 'cron(0 3 * * ? *)', timezone: 'UTC', enabled: true },
      { expression: 'cron(0 1 * * ? *)', timezone: 'UTC', enabled: false },
      { expression: 'cron(0 2 * * ? *)', timezone: 'UTC', enabled: true },
    ];
    expect(firstSlotAfter(schedules, new Date('2026-11-22T00:00:00Z'))?.toISOString()).toBe('2026-11-22T02:00:00.000Z');
    expect(firstSlotAfter([], new Date('2026-11-22T00:00:00Z'))).toBeUndefined();
  });
});

describe('deploy-time names and bounds', () => {
  it('shorten a name past a limit to a readable prefix and a hash of the whole, deterministically and uniquely', () => {
    expect(fitName('short-name', 64)).toBe('short-name');
    const a = fitName(`backup-orchestrator-preproduction-${'x'.repeat(40)}-1`, 64);
    const b = fitName(`backup-orchestrator-preproduction-${'x'.repeat(40)}-2`, 64);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).toBe(fitName(`backup-orchestrator-preproduction-${'x'.repeat(40)}-1`, 64));
    expect(a).not.toBe(b);
    expect(a).toMatch(/^backup-orchestrator-preprod.*xxxx-1-[0-9a-z]{6}$/);
  });

  it('give the check loop as many checks as fit in a run at its shortest wait by default, at most 1000', () => {
    const poll = { initialSeconds: 600, backoff: 2, maxSeconds: 3600 };
    const n = checksThatFit(poll);
    // a run of nothing but the shortest waits (copies queued the whole run) still ends at its deadline, not by the bound
    expect(n * poll.initialSeconds).toBeLessThanOrEqual(RUN_BUDGET_SECONDS);
    expect((n + 1) * poll.initialSeconds).toBeGreaterThan(RUN_BUDGET_SECONDS);
    expect(loopSeconds({ ...poll, maxIterations: n })).toBeGreaterThan(RUN_BUDGET_SECONDS);
    expect(checksThatFit({ initialSeconds: 1 })).toBe(1000);
    expect(checksThatFit({ initialSeconds: 3600 })).toBe(Math.floor(RUN_BUDGET_SECONDS / 3600));
  });

  it('flag a hand-set bound on checks whose waits cannot fit in a run, never the default', () => {
    const ARN = 'arn:aws:docdb-elastic:us-east-1:123456789012:cluster/00000000-0000-4000-8000-000000000001';
    const base = { initialSeconds: 3600, backoff: 1, maxSeconds: 3600 };
    expect(
      fitProblems(
        parsePolicyYaml(`settings: { poll: ${JSON.stringify(base)} }\npolicies: [{ name: p, elastic: { clusterArns: ['${ARN}'] } }]`),
      ),
    ).toEqual([]);
    expect(
      fitProblems(
        parsePolicyYaml(
          `settings: { poll: ${JSON.stringify({ ...base, maxIterations: 100 })} }\npolicies: [{ name: p, elastic: { clusterArns: ['${ARN}'] } }]`,
        ),
      ),
    ).toEqual([expect.stringMatching(/^settings\.poll: 100 checks/)]);
  });
});
