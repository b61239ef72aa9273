/**
 * Monitoring schedule expressions and when a schedule is due. Pure: times in, times out.
 *
 * Accepted `ScheduleExpression`s (anything else is refused with a ValidationException naming
 * the expression):
 * - SageMaker's cron forms, in UTC, minute always 0:
 *   `cron(0 * ? * * *)` hourly; `cron(0 H ? * * *)` daily at hour H (0–23);
 *   `cron(0 H/N ? * * *)` every N hours (1–24) from hour H (H may be `*`, meaning 0). As
 *   SageMaker's guide describes `cron(0 17/12 ? * * *)` ("every 12 hours, starting at 5pm"),
 *   the hours are H, H+N, H+2N, … modulo 24.
 * - `NOW`: one execution, at once; needs `DataAnalysisStartTime` and `DataAnalysisEndTime`.
 * - Understudy's `rate(N minutes)` with N ≥ 5, `rate(N hours)`, `rate(N days)` (`1 hour`,
 *   `1 day` singular, as EventBridge writes them): fire times count from the schedule's
 *   anchor (its creation, or its last update or start), like an EventBridge rate rule.
 *
 * The data analysed by the execution fired at time t is, by default, the period before it:
 * `[previous fire time, t)` — the previous hour for hourly, the previous 5 minutes for
 * `rate(5 minutes)`. `DataAnalysisStartTime` / `DataAnalysisEndTime` (ISO 8601 durations
 * such as `-PT1H`, `-PT0H`, offsets from t, at most 24 hours apart) replace that window.
 *
 * A schedule is due when a fire time after its last execution's (or, before its first, after
 * its anchor) has passed. Fires missed while nothing ran are not replayed: the latest one runs.
 *
 * The rate/cron syntax and rate fire times are the kernel's (kernel/schedule-expression.ts,
 * which the local EventBridge scheduler parses with too); the rules above are SageMaker's.
 */
import { ValidationException } from '../kernel/errors.js';
import {
  type CronFields,
  cronFields,
  latestRateFire,
  nextRateFire,
  parseRate,
  type Rate,
  scheduleExpressionParts,
} from '../kernel/schedule-expression.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The shortest rate Understudy runs (the monitor Lambda's tick). */
export const MIN_RATE_MINUTES = 5;

export type ParsedSchedule =
  | { readonly kind: 'cron'; readonly expression: string; readonly hours: readonly number[] }
  | { readonly kind: 'rate'; readonly expression: string; readonly periodMs: number }
  | { readonly kind: 'now'; readonly expression: 'NOW' };

export interface AnalysisOffsets {
  /** Offset of the window's start from the fire time, in ms (≤ 0). */
  readonly startMs: number;
  /** Offset of the window's end from the fire time, in ms (≤ 0). */
  readonly endMs: number;
}

const ACCEPTED =
  'Use cron(0 * ? * * *) (hourly), cron(0 H ? * * *) (daily at hour H), cron(0 H/N ? * * *) or cron(0 */N ? * * *) (every N hours), NOW, or rate(N minutes) with N ≥ 5, rate(N hours), rate(N days).';

function reject(expression: string, why: string): never {
  throw new ValidationException(`Invalid ScheduleExpression '${expression}': ${why} ${ACCEPTED}`);
}

function hourNumber(text: string, expression: string, what: string, max: number, min = 0): number {
  if (!/^\d{1,2}$/.test(text)) reject(expression, `${what} '${text}' is not a number.`);
  const value = Number(text);
  if (value < min || value > max) reject(expression, `${what} ${value} is outside ${min}–${max}.`);
  return value;
}

function parseCron(fields: CronFields, expression: string): ParsedSchedule {
  const { minutes, hours, dayOfMonth, month, dayOfWeek, year } = fields;
  if (minutes !== '0' && minutes !== '00') {
    reject(expression, 'SageMaker runs monitoring on the hour: the minute field must be 0.');
  }
  if (dayOfMonth !== '?' || month !== '*' || dayOfWeek !== '*' || year !== '*') {
    reject(expression, `SageMaker accepts only '? * * *' for day-of-month, month, day-of-week and year.`);
  }
  if (hours === '*') return { kind: 'cron', expression, hours: range(0, 1) };
  const step = /^(\*|\d{1,2})\/(\d{1,2})$/.exec(hours);
  if (step) {
    const start = step[1] === '*' ? 0 : hourNumber(step[1] as string, expression, 'start hour', 23);
    const every = hourNumber(step[2] as string, expression, 'hour step', 24, 1);
    return { kind: 'cron', expression, hours: range(start, every) };
  }
  return { kind: 'cron', expression, hours: [hourNumber(hours, expression, 'hour', 23)] };
}

/** Hours start, start+every, … modulo 24, ascending. */
function range(start: number, every: number): number[] {
  const hours = new Set<number>();
  for (let h = start; hours.size < 24; h += every) {
    const hour = h % 24;
    if (hours.has(hour)) break;
    hours.add(hour);
  }
  return [...hours].sort((a, b) => a - b);
}

/** Understudy runs rates down to its monitor's tick. */
function parseMonitoringRate(rate: Rate, expression: string): ParsedSchedule {
  if (rate.unit === 'minute' && rate.value < MIN_RATE_MINUTES) {
    reject(expression, `the shortest rate is ${MIN_RATE_MINUTES} minutes (the monitor's tick).`);
  }
  return { kind: 'rate', expression, periodMs: rate.periodMs };
}

/** Parses a ScheduleExpression; throws ValidationException naming it when it is not accepted. */
export function parseScheduleExpression(expression: string): ParsedSchedule {
  const text = expression.trim();
  if (text === 'NOW') return { kind: 'now', expression: 'NOW' };
  const parts = scheduleExpressionParts(text);
  if (!parts) reject(expression, 'it is not a cron(...) or rate(...) expression, nor NOW.');
  const refuse = (why: string) => reject(expression, why);
  return parts.kind === 'cron'
    ? parseCron(cronFields(parts.body, refuse), expression)
    : parseMonitoringRate(parseRate(parts.body, refuse), expression);
}

/**
 * An ISO 8601 duration used as an offset (`-PT1H`, `-PT0H`, `PT0H`, `-P1DT2H30M`, `-PT90M`),
 * in ms. Throws ValidationException naming the field when it is not one.
 */
export function parseIsoOffset(text: string, field: string): number {
  const match = /^([+-])?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!match || /T$/.test(text.trim()) || text.trim().replace(/^[+-]/, '') === 'P') {
    throw new ValidationException(
      `${field} '${text}' is not an ISO 8601 duration offset such as -PT1H or -PT0H.`,
    );
  }
  const ms =
    Number(match[2] ?? 0) * DAY +
    Number(match[3] ?? 0) * HOUR +
    Number(match[4] ?? 0) * MINUTE +
    Number(match[5] ?? 0) * 1000;
  return match[1] === '-' ? -ms : ms;
}

/** The schedule's DataAnalysisStartTime / DataAnalysisEndTime, checked; undefined when neither is set. */
export function parseAnalysisOffsets(
  schedule: ParsedSchedule,
  start: string | undefined,
  end: string | undefined,
): AnalysisOffsets | undefined {
  if (start === undefined && end === undefined) {
    if (schedule.kind === 'now') {
      throw new ValidationException(
        'ScheduleExpression NOW needs ScheduleConfig.DataAnalysisStartTime and DataAnalysisEndTime (e.g. -PT1H and -PT0H).',
      );
    }
    return undefined;
  }
  if (start === undefined || end === undefined) {
    throw new ValidationException('Set both DataAnalysisStartTime and DataAnalysisEndTime, or neither.');
  }
  const startMs = parseIsoOffset(start, 'DataAnalysisStartTime');
  const endMs = parseIsoOffset(end, 'DataAnalysisEndTime');
  if (startMs > 0 || endMs > 0) {
    throw new ValidationException(
      `DataAnalysisStartTime (${start}) and DataAnalysisEndTime (${end}) must not be in the future of the run (use negative offsets).`,
    );
  }
  if (startMs >= endMs) {
    throw new ValidationException(
      `DataAnalysisStartTime (${start}) must be before DataAnalysisEndTime (${end}).`,
    );
  }
  if (endMs - startMs > DAY) {
    throw new ValidationException(
      `DataAnalysisStartTime (${start}) must not precede DataAnalysisEndTime (${end}) by more than 24 hours.`,
    );
  }
  return { startMs, endMs };
}

/** The latest fire time ≤ `at` (ms), or undefined before the first one after `anchor`. */
export function latestFireAtOrBefore(
  schedule: ParsedSchedule,
  anchor: number,
  at: number,
): number | undefined {
  switch (schedule.kind) {
    case 'now':
      return at >= anchor ? anchor : undefined;
    case 'rate':
      return latestRateFire(anchor, schedule.periodMs, at);
    case 'cron': {
      const fire = previousCronFire(schedule.hours, at);
      return fire > anchor ? fire : undefined;
    }
  }
}

/** The latest `hh:00` UTC at or before `at` whose hour is one of `hours`. */
function previousCronFire(hours: readonly number[], at: number): number {
  let hour = Math.floor(at / HOUR) * HOUR;
  for (let i = 0; i <= 48; i++, hour -= HOUR) {
    if (hours.includes(new Date(hour).getUTCHours())) return hour;
  }
  throw new Error('unreachable: a cron schedule fires at least daily');
}

/** The first fire time strictly after `after` (ms); undefined for a NOW schedule that already ran. */
export function nextFireAfter(schedule: ParsedSchedule, anchor: number, after: number): number | undefined {
  switch (schedule.kind) {
    case 'now':
      return after < anchor ? anchor : undefined;
    case 'rate':
      return nextRateFire(anchor, schedule.periodMs, after);
    case 'cron': {
      let hour = Math.floor(after / HOUR) * HOUR + HOUR;
      for (let i = 0; i <= 48; i++, hour += HOUR) {
        if (schedule.hours.includes(new Date(hour).getUTCHours())) return hour;
      }
      throw new Error('unreachable: a cron schedule fires at least daily');
    }
  }
}

/**
 * The fire time to run now, if the schedule is due: the latest fire time ≤ `now` that is
 * after the last execution's scheduled time (and after the anchor).
 */
export function dueFireTime(
  schedule: ParsedSchedule,
  anchor: number,
  lastScheduled: number | undefined,
  now: number,
): number | undefined {
  const fire = latestFireAtOrBefore(schedule, anchor, now);
  if (fire === undefined) return undefined;
  if (lastScheduled !== undefined && fire <= lastScheduled) return undefined;
  return fire;
}

/** The data window `[start, end)` (ms) analysed by the execution fired at `fire`. */
export function analysisWindow(
  schedule: ParsedSchedule,
  fire: number,
  offsets: AnalysisOffsets | undefined,
): { start: number; end: number } {
  if (offsets) return { start: fire + offsets.startMs, end: fire + offsets.endMs };
  switch (schedule.kind) {
    case 'rate':
      return { start: fire - schedule.periodMs, end: fire };
    case 'cron':
      return { start: previousCronFire(schedule.hours, fire - 1), end: fire };
    case 'now':
      // parseAnalysisOffsets insists on offsets for NOW; an hour back if it ever gets here.
      return { start: fire - HOUR, end: fire };
  }
}

/** The schedule's period in ms (the gap between fires; 24 h for daily cron), undefined for NOW. */
export function periodOf(schedule: ParsedSchedule, fire: number): number | undefined {
  if (schedule.kind === 'now') return undefined;
  if (schedule.kind === 'rate') return schedule.periodMs;
  return fire - previousCronFire(schedule.hours, fire - 1);
}
