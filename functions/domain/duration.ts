/** restic-style calendar durations: `1y2m3d4h` (years, months, days, hours; zero parts omitted). */
export interface CalendarDuration {
  years: number;
  months: number;
  days: number;
  hours: number;
}

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)d)?(?:(\d+)h)?$/;

export function parseDuration(text: string): CalendarDuration | undefined {
  const m = DURATION_RE.exec(text);
  if (!m || text === '') return undefined;
  const [, y, mo, d, h] = m;
  return { years: Number(y ?? 0), months: Number(mo ?? 0), days: Number(d ?? 0), hours: Number(h ?? 0) };
}

export function formatDuration(d: CalendarDuration): string {
  const parts = [
    d.years ? `${d.years}y` : '',
    d.months ? `${d.months}m` : '',
    d.days ? `${d.days}d` : '',
    d.hours ? `${d.hours}h` : '',
  ].join('');
  return parts || '0h';
}

export function isZeroDuration(d: CalendarDuration): boolean {
  return d.years === 0 && d.months === 0 && d.days === 0 && d.hours === 0;
}

/**
 * now - d by calendar arithmetic on UTC wall-clock fields (years, months and days together, with
 * overflow normalised as Go's time.AddDate does), then the hours as an exact duration.
 */
export function subtractDuration(now: Date, d: CalendarDuration): Date {
  const shifted = Date.UTC(
    now.getUTCFullYear() - d.years,
    now.getUTCMonth() - d.months,
    now.getUTCDate() - d.days,
    now.getUTCHours(),
    now.getUTCMinutes(),
    now.getUTCSeconds(),
    now.getUTCMilliseconds(),
  );
  return new Date(shifted - d.hours * 3_600_000);
}
