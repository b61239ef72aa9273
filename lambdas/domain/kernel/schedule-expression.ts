/**
 * The `rate(...)` and `cron(...)` schedule expressions EventBridge defines and SageMaker's
 * monitoring schedules reuse: their syntax, and when a rate fires. One parser for both users —
 * model-monitor/schedule-expression.ts (SageMaker's stricter rules: a few hourly cron forms,
 * rates of at least 5 minutes) and the local EventBridge scheduler (scripts/local/schedule.ts,
 * every cron form) — each adding its own rules and its own error: the functions here hand the
 * reason to `refuse`, and the caller names the expression.
 *
 * Cron fire times are not shared: SageMaker's `H/N` hours wrap around midnight
 * (`cron(0 17/12 ? * * *)` fires at 5:00 and 17:00), EventBridge's do not (17:00 only).
 */

/** Turns why an expression is refused into the caller's error. */
export type Refuse = (reason: string) => never;

export type RateUnit = 'minute' | 'hour' | 'day';

const UNIT_MS: Record<RateUnit, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export interface Rate {
  readonly value: number;
  readonly unit: RateUnit;
  readonly periodMs: number;
}

/** The six fields of a cron expression, in UTC, as written. */
export interface CronFields {
  readonly minutes: string;
  readonly hours: string;
  readonly dayOfMonth: string;
  readonly month: string;
  readonly dayOfWeek: string;
  readonly year: string;
}

/** `rate(body)` or `cron(body)` (surrounding blanks ignored); undefined for anything else. */
export function scheduleExpressionParts(
  expression: string,
): { readonly kind: 'rate' | 'cron'; readonly body: string } | undefined {
  const match = /^(rate|cron)\((.*)\)$/.exec(expression.trim());
  if (!match) return undefined;
  return { kind: match[1] as 'rate' | 'cron', body: match[2] as string };
}

/** A rate's body, `N minutes`, `N hours` or `N days`: singular for 1 and plural otherwise, as EventBridge insists. */
export function parseRate(body: string, refuse: Refuse): Rate {
  const match = /^(\d+)\s+(minute|minutes|hour|hours|day|days)$/.exec(body.trim());
  if (!match) refuse('a rate is "N minutes", "N hours" or "N days".');
  const value = Number(match[1]);
  const written = match[2] as string;
  if (value < 1) refuse('the rate must be positive.');
  if ((value === 1) !== !written.endsWith('s')) {
    refuse(`write "1 ${written.replace(/s$/, '')}" or "${value} ${written.replace(/s?$/, 's')}".`);
  }
  const unit = written.replace(/s$/, '') as RateUnit;
  return { value, unit, periodMs: value * UNIT_MS[unit] };
}

/** A cron expression's body, split into its six fields (minutes hours day-of-month month day-of-week year). */
export function cronFields(body: string, refuse: Refuse): CronFields {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) refuse('a cron expression has six fields.');
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { minutes, hours, dayOfMonth, month, dayOfWeek, year };
}

/**
 * A rate fires every period counted from its anchor (when it was set up, in ms): the first
 * fire strictly after `after`. The anchor itself is a fire time only with `anchorFires`.
 */
export function nextRateFire(
  anchor: number,
  periodMs: number,
  after: number,
  options: { readonly anchorFires?: boolean } = {},
): number {
  const periods = after < anchor ? 0 : Math.floor((after - anchor) / periodMs) + 1;
  return anchor + Math.max(options.anchorFires ? 0 : 1, periods) * periodMs;
}

/** The latest fire at or before `at` of a rate anchored at `anchor` (ms), the anchor not a fire; undefined before the first. */
export function latestRateFire(anchor: number, periodMs: number, at: number): number | undefined {
  if (at < anchor + periodMs) return undefined;
  return anchor + Math.floor((at - anchor) / periodMs) * periodMs;
}
