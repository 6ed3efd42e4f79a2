/**
 * EventBridge Scheduler expressions: `cron(minutes hours day-of-month month day-of-week year)` and
 * `rate(value unit)`, parsed with the service's rules and evaluated in a time zone (next fire time).
 * Pure: no clock, no I/O.
 */

export type Schedule =
  { kind: 'rate'; value: number; unit: 'minute' | 'hour' | 'day'; ms: number } | { kind: 'cron'; fields: CronFields; text: string };

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  /** Day-of-month: a set, or 'L' (last day), or a `nW` weekday rule, or '?' (any). */
  dom: { any: true } | { days: Set<number>; last: boolean; nearestWeekday?: number };
  months: Set<number>;
  /** Day-of-week 1-7 = SUN-SAT: a set, `nL` (last n-day of the month), `n#k` (k-th n-day), or '?'. */
  dow: { any: true } | { days: Set<number>; lastOf?: number; nth?: { day: number; k: number } };
  years: Set<number> | 'any';
}

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const EXAMPLE = 'for example cron(0 3 * * ? *) (03:00 every day) or rate(1 day)';

function range(from: number, to: number, step = 1): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i += step) out.push(i);
  return out;
}

/** One field: `*`, `a`, `a-b`, `a/n`, `*\/n`, `a-b/n`, comma lists; names for months and days. */
function parseField(text: string, name: string, min: number, max: number, names?: string[]): Set<number> {
  const out = new Set<number>();
  const value = (v: string): number => {
    const byName = names?.indexOf(v.toUpperCase()) ?? -1;
    const n = byName >= 0 ? byName + min : /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ScheduleError(
        `${name} "${v}" is out of range: use ${min}-${max}${names ? ` or ${names[0]}-${names[names.length - 1]}` : ''}`,
      );
    }
    return n;
  };
  for (const part of text.split(',')) {
    const [base, stepText] = part.split('/');
    if (base === undefined || base === '' || part.split('/').length > 2) throw new ScheduleError(`${name} "${text}" is not a valid field`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1)
        throw new ScheduleError(`${name} "${part}": the step after / must be a whole number of at least 1`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (base === '*') [lo, hi] = [min, max];
    else if (base.includes('-')) {
      const [a, b] = base.split('-');
      lo = value(a ?? '');
      hi = value(b ?? '');
      if (lo > hi) throw new ScheduleError(`${name} "${part}": the range runs backwards`);
    } else {
      lo = value(base);
      hi = stepText !== undefined ? max : lo;
    }
    for (const v of range(lo, hi, step)) out.add(v);
  }
  return out;
}

/** Parses and checks an expression with EventBridge Scheduler's rules; the error says what is wrong and shows an example. */
export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) {
    const m = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(rate[1]?.trim() ?? '');
    if (!m) throw new ScheduleError(`"${expression}" must be rate(<value> <unit>) with unit minute(s), hour(s) or day(s), ${EXAMPLE}`);
    const value = Number(m[1]);
    const unitText = m[2] as string;
    if (value < 1) throw new ScheduleError(`"${expression}": the value must be at least 1, for example rate(1 day)`);
    const singular = !unitText.endsWith('s');
    if (value === 1 && !singular)
      throw new ScheduleError(`"${expression}": a value of 1 takes the singular unit, e.g. rate(1 ${unitText.slice(0, -1)})`);
    if (value > 1 && singular)
      throw new ScheduleError(`"${expression}": a value above 1 takes the plural unit, e.g. rate(${value} ${unitText}s)`);
    const unit = (singular ? unitText : unitText.slice(0, -1)) as 'minute' | 'hour' | 'day';
    const ms = value * { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[unit];
    return { kind: 'rate', value, unit, ms };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) throw new ScheduleError(`"${expression}" must be a cron(...) or rate(...) expression, ${EXAMPLE}`);
  const parts = (cron[1] ?? '').trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new ScheduleError(
      `"${expression}" has ${parts.length} fields; cron needs 6 (minutes hours day-of-month month day-of-week year), ${EXAMPLE}`,
    );
  }
  const [mi, ho, dm, mo, dw, yr] = parts as [string, string, string, string, string, string];
  if ((dm === '?') === (dw === '?')) {
    throw new ScheduleError(`"${expression}": exactly one of day-of-month and day-of-week must be ?, ${EXAMPLE}`);
  }
  const minutes = parseField(mi, 'minutes', 0, 59);
  const hours = parseField(ho, 'hours', 0, 23);
  let dom: CronFields['dom'];
  if (dm === '?') dom = { any: true };
  else if (dm === 'L') dom = { days: new Set(), last: true };
  else if (/^\d+W$/.test(dm)) {
    const n = Number(dm.slice(0, -1));
    if (n < 1 || n > 31) throw new ScheduleError(`day-of-month "${dm}" is out of range: use 1-31`);
    dom = { days: new Set(), last: false, nearestWeekday: n };
  } else dom = { days: parseField(dm, 'day-of-month', 1, 31), last: false };
  const months = parseField(mo, 'month', 1, 12, MONTHS);
  let dow: CronFields['dow'];
  if (dw === '?') dow = { any: true };
  else if (/^([1-7]|[A-Za-z]{3})L$/.test(dw))
    dow = { days: new Set(), lastOf: [...parseField(dw.slice(0, -1), 'day-of-week', 1, 7, DAYS)][0] as number };
  else if (/^([1-7]|[A-Za-z]{3})#[1-5]$/.test(dw)) {
    const [d, k] = dw.split('#');
    dow = { days: new Set(), nth: { day: [...parseField(d ?? '', 'day-of-week', 1, 7, DAYS)][0] as number, k: Number(k) } };
  } else dow = { days: parseField(dw, 'day-of-week', 1, 7, DAYS) };
  const years = yr === '*' ? 'any' : parseField(yr, 'year', 1970, 2199);
  return { kind: 'cron', fields: { minutes, hours, dom, months, dow, years }, text: expression };
}

/** Wall-clock fields of an instant in a time zone. */
function wallClock(t: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute') };
}

/** The instant a wall-clock time in a zone names (for a time skipped by daylight saving: the instant after the gap). */
function instantOf(y: number, mo: number, d: number, h: number, mi: number, timeZone: string): number {
  const asUtc = Date.UTC(y, mo - 1, d, h, mi);
  let guess = asUtc;
  for (let i = 0; i < 3; i++) {
    const w = wallClock(guess, timeZone);
    const shown = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
    const diff = asUtc - shown;
    if (diff === 0) return guess;
    guess += diff;
  }
  return guess;
}

function dayMatches(f: CronFields, y: number, mo: number, d: number): boolean {
  if (!f.months.has(mo)) return false;
  if (f.years !== 'any' && !f.years.has(y)) return false;
  const lastDay = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const weekday = new Date(Date.UTC(y, mo - 1, d)).getUTCDay() + 1; // 1 = SUN
  if (!('any' in f.dom)) {
    if (f.dom.last) return d === lastDay;
    if (f.dom.nearestWeekday !== undefined) {
      const n = Math.min(f.dom.nearestWeekday, lastDay);
      const wd = new Date(Date.UTC(y, mo - 1, n)).getUTCDay();
      let target = n;
      if (wd === 6) target = n === 1 ? 3 : n - 1;
      else if (wd === 0) target = n === lastDay ? n - 2 : n + 1;
      return d === target;
    }
    return f.dom.days.has(d);
  }
  if (!('any' in f.dow)) {
    if (f.dow.lastOf !== undefined) return weekday === f.dow.lastOf && d + 7 > lastDay;
    if (f.dow.nth) return weekday === f.dow.nth.day && Math.ceil(d / 7) === f.dow.nth.k;
    return f.dow.days.has(weekday);
  }
  return true;
}

/**
 * The first fire time strictly after `after`. A rate schedule's phase is set when the schedule is created,
 * which the product does not know: its first fire after `after` is at most one period later, taken as that.
 */
export function nextFire(schedule: Schedule, timeZone: string, after: Date): Date | undefined {
  if (schedule.kind === 'rate') return new Date(after.getTime() + schedule.ms);
  const f = schedule.fields;
  const start = wallClock(after.getTime(), timeZone);
  const hours = [...f.hours].sort((a, b) => a - b);
  const minutes = [...f.minutes].sort((a, b) => a - b);
  for (let i = 0; i < 366 * 8; i++) {
    const day = new Date(Date.UTC(start.year, start.month - 1, start.day + i));
    const [y, mo, d] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    if (y > 2199) return undefined;
    if (!dayMatches(f, y, mo, d)) continue;
    for (const h of hours) {
      for (const mi of minutes) {
        const t = instantOf(y, mo, d, h, mi, timeZone);
        if (t > after.getTime()) return new Date(t);
      }
    }
  }
  return undefined;
}

/** The first fire time of any of the enabled schedules after `after`. */
export function firstSlotAfter(
  schedules: readonly { expression: string; timezone: string; enabled: boolean }[],
  after: Date,
): Date | undefined {
  let best: Date | undefined;
  for (const s of schedules) {
    if (!s.enabled) continue;
    const t = nextFire(parseSchedule(s.expression), s.timezone, after);
    if (t && (!best || t < best)) best = t;
  }
  return best;
}
