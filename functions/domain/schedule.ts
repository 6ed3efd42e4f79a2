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
const RATE_EXAMPLE = 'for example rate(1 day), rate(12 hours) or rate(30 minutes)';

/** A cron field: its range, its names, and a valid expression that shows it in use. */
interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  example: string;
}
const MINUTES: FieldSpec = { name: 'minutes', min: 0, max: 59, example: 'cron(30 2 * * ? *) (02:30 every day)' };
const HOURS: FieldSpec = { name: 'hours', min: 0, max: 23, example: 'cron(0 3,15 * * ? *) (03:00 and 15:00 every day)' };
const DAY_OF_MONTH: FieldSpec = {
  name: 'day-of-month',
  min: 1,
  max: 31,
  example: 'cron(0 3 1 * ? *) (03:00 on the 1st of each month; L is the last day, 15W the weekday nearest the 15th)',
};
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: MONTHS,
  example: 'cron(0 3 1 JAN,JUL ? *) (03:00 on 1 January and 1 July)',
};
const DAY_OF_WEEK: FieldSpec = {
  name: 'day-of-week',
  min: 1,
  max: 7,
  names: DAYS,
  example: 'cron(0 3 ? * MON-FRI *) (03:00 Monday to Friday; 6L is the last Friday of the month, 6#3 the third Friday)',
};
const YEAR: FieldSpec = { name: 'year', min: 1970, max: 2199, example: 'cron(0 3 * * ? 2026-2030) (03:00 every day of 2026 to 2030)' };

/** A field's value is wrong: parseSchedule adds the expression and the field's example. */
class FieldError extends Error {
  constructor(
    message: string,
    readonly field: FieldSpec,
  ) {
    super(message);
  }
}

function range(from: number, to: number, step = 1): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i += step) out.push(i);
  return out;
}

/** One value of a field: a number in its range, or (months, days of the week) a name. */
function fieldValue(v: string, f: FieldSpec): number {
  const byName = f.names?.indexOf(v.toUpperCase()) ?? -1;
  const n = byName >= 0 ? byName + f.min : /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (n >= f.min && n <= f.max) return n;
  const allowed = `${f.min}-${f.max}${f.names ? ` or ${f.names[0]}-${f.names[f.names.length - 1]}` : ''}`;
  if (Number.isNaN(n)) throw new FieldError(`${f.name} "${v}" is not a value of the field: use ${allowed}`, f);
  throw new FieldError(`${f.name} "${v}" is out of range: use ${allowed}`, f);
}

/** One field: `*`, `a`, `a-b`, `a/n`, `*\/n`, `a-b/n`, comma lists; names for months and days. */
function parseField(text: string, f: FieldSpec): Set<number> {
  if (text.includes('?')) throw new FieldError(`${f.name} "${text}": ? may stand only alone, in day-of-month or day-of-week`, f);
  if (text.includes('#')) throw new FieldError(`${f.name} "${text}": # may stand only in day-of-week, as in 6#3 (the third Friday)`, f);
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [base, stepText] = part.split('/');
    if (base === undefined || base === '' || part.split('/').length > 2)
      throw new FieldError(`${f.name} "${text}" is not a valid field`, f);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1)
        throw new FieldError(`${f.name} "${part}": the step after / must be a whole number of at least 1`, f);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (base === '*') [lo, hi] = [f.min, f.max];
    else if (base.includes('-')) {
      const [a, b] = base.split('-');
      lo = fieldValue(a ?? '', f);
      hi = fieldValue(b ?? '', f);
      if (lo > hi) throw new FieldError(`${f.name} "${part}": the range runs backwards`, f);
    } else {
      lo = fieldValue(base, f);
      hi = stepText !== undefined ? f.max : lo;
    }
    for (const v of range(lo, hi, step)) out.add(v);
  }
  return out;
}

/** Day-of-month: `?`, `L` (the last day), `nW` (the weekday nearest the n-th), or a field of days. */
function parseDayOfMonth(text: string): CronFields['dom'] {
  if (text === '?') return { any: true };
  if (text === 'L') return { days: new Set(), last: true };
  const weekday = /^(\d+)W$/.exec(text);
  if (weekday) return { days: new Set(), last: false, nearestWeekday: fieldValue(weekday[1] as string, DAY_OF_MONTH) };
  return { days: parseField(text, DAY_OF_MONTH), last: false };
}

/** Day-of-week: `?`, `nL` (the last n-day of the month), `n#k` (the k-th n-day, k 1-5), or a field of days. */
function parseDayOfWeek(text: string): CronFields['dow'] {
  if (text === '?') return { any: true };
  const last = /^(\w+)L$/.exec(text);
  if (last) return { days: new Set(), lastOf: fieldValue(last[1] as string, DAY_OF_WEEK) };
  const nth = /^(\w+)#(.*)$/.exec(text);
  if (nth) {
    const day = fieldValue(nth[1] as string, DAY_OF_WEEK);
    if (!/^[1-5]$/.test(nth[2] as string)) {
      throw new FieldError(`day-of-week "${text}": the week after # must be 1-5, as in 6#3 (the third Friday)`, DAY_OF_WEEK);
    }
    return { days: new Set(), nth: { day, k: Number(nth[2]) } };
  }
  return { days: parseField(text, DAY_OF_WEEK) };
}

/**
 * Parses and checks an expression with EventBridge Scheduler's rules; the error says what is wrong and shows a
 * valid example. The rules (project AWS API facts section 4.1; the scheduler model's ScheduleExpression; the
 * Scheduler User Guide, "Schedule types on EventBridge Scheduler"):
 * - rate(value unit): value a whole number of at least 1; unit minute(s), hour(s) or day(s), singular exactly when
 *   the value is 1 (rate(1 day), rate(2 days));
 * - cron(minutes hours day-of-month month day-of-week year): six fields; minutes 0-59, hours 0-23,
 *   day-of-month 1-31 (with , - * ? / L W), month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT (with , - * ? L #),
 *   year 1970-2199; one of day-of-month and day-of-week must be ? (both cannot be given), the other not.
 */
export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) {
    const m = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(rate[1]?.trim() ?? '');
    if (!m) throw new ScheduleError(`"${expression}" must be rate(<value> <unit>) with unit minute(s), hour(s) or day(s), ${RATE_EXAMPLE}`);
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
    const which = dm === '?' ? 'both are ?' : 'neither is ?';
    throw new ScheduleError(
      `"${expression}": exactly one of day-of-month and day-of-week must be ? (${which}): give the days in one and ? in the other, ` +
        'for example cron(0 3 * * ? *) (03:00 every day) or cron(0 3 ? * MON *) (03:00 on Mondays)',
    );
  }
  try {
    const fields: CronFields = {
      minutes: parseField(mi, MINUTES),
      hours: parseField(ho, HOURS),
      dom: parseDayOfMonth(dm),
      months: parseField(mo, MONTH),
      dow: parseDayOfWeek(dw),
      years: yr === '*' ? 'any' : parseField(yr, YEAR),
    };
    return { kind: 'cron', fields, text: expression };
  } catch (err) {
    // Only FieldError is thrown above.
    const { message, field } = err as FieldError;
    throw new ScheduleError(`"${expression}": ${message}, for example ${field.example}`);
  }
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
