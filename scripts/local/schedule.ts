/**
 * EventBridge schedule expressions — `rate(5 minutes)` and six-field
 * `cron(minutes hours day-of-month month day-of-week year)` in UTC — and a scheduler that
 * fires a callback at each due time. Nothing in moto is time-driven, so this is what makes
 * the stack's scheduled rules run locally. The syntax and rate fire times are the kernel's
 * (lambdas/domain/kernel/schedule-expression.ts, shared with Model Monitor's schedules);
 * EventBridge's cron fields and their fire times (cron-parser) are added here.
 */
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { CronExpressionParser } from 'cron-parser';
import {
  type CronFields,
  cronFields,
  nextRateFire,
  parseRate,
  scheduleExpressionParts,
} from '../../lambdas/domain/kernel/schedule-expression.js';

export type Schedule =
  | { readonly kind: 'rate'; readonly expression: string; readonly periodMs: number }
  | {
      readonly kind: 'cron';
      readonly expression: string;
      /** The five-field expression handed to cron-parser (no year, `?` as `*`, Sunday = 0). */
      readonly cron: string;
      readonly year: (year: number) => boolean;
    };

/** EventBridge numbers days of the week 1-7 from Sunday; cron-parser 0-6. */
function mapDayOfWeek(field: string, expression: string): string {
  if (field === '?' || field === '*') return '*';
  const shift = (n: string) => {
    const day = Number(n);
    if (!Number.isInteger(day) || day < 1 || day > 7)
      throw new Error(`day-of-week out of range in ${expression}`);
    return String(day - 1);
  };
  return field
    .split(',')
    .map((part) => {
      const nth = /^(\w+)#(\d)$/.exec(part);
      if (nth?.[1] && nth[2]) return `${/^\d+$/.test(nth[1]) ? shift(nth[1]) : nth[1]}#${nth[2]}`;
      const last = /^(\d)L$/.exec(part);
      if (last?.[1]) return `${shift(last[1])}L`;
      if (part === 'L') return '6'; // the last day of the week: Saturday
      const [range, step] = part.split('/');
      const mapped = (range ?? '')
        .split('-')
        .map((bound) => (/^\d+$/.test(bound) ? shift(bound) : bound))
        .join('-');
      return step === undefined ? mapped : `${mapped}/${step}`;
    })
    .join(',');
}

/** A predicate for the year field (`*`, `2030`, `2030-2032`, `2030,2035`, `2030/5`). */
function parseYearField(field: string, expression: string): (year: number) => boolean {
  if (field === '*' || field === '?') return () => true;
  const tests = field.split(',').map((part) => {
    const match = /^(\*|\d{4})(?:-(\d{4}))?(?:\/(\d+))?$/.exec(part);
    if (!match?.[1]) throw new Error(`invalid year field in ${expression}`);
    const from = match[1] === '*' ? 1970 : Number(match[1]);
    const to = match[2] ? Number(match[2]) : match[3] || match[1] === '*' ? 2199 : from;
    const step = match[3] ? Number(match[3]) : 1;
    if (step < 1) throw new Error(`invalid year step in ${expression}`);
    return (year: number) => year >= from && year <= to && (year - from) % step === 0;
  });
  return (year) => tests.some((test) => test(year));
}

function parseCron(fields: CronFields, expression: string): Schedule {
  const { minutes, hours, dayOfMonth, month, dayOfWeek, year } = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new Error(`exactly one of day-of-month and day-of-week must be "?": ${expression}`);
  }
  if (/W/i.test(dayOfMonth))
    throw new Error(`the W (nearest weekday) wildcard is not supported locally: ${expression}`);
  const cron = [
    minutes,
    hours,
    dayOfMonth === '?' ? '*' : dayOfMonth,
    month,
    mapDayOfWeek(dayOfWeek, expression),
  ].join(' ');
  try {
    CronExpressionParser.parse(cron, { tz: 'UTC' });
  } catch (error) {
    throw new Error(`invalid cron expression ${expression}: ${(error as Error).message}`);
  }
  return { kind: 'cron', expression, cron, year: parseYearField(year, expression) };
}

/** Parses `rate(...)` or `cron(...)`; throws on anything EventBridge would reject. */
export function parseScheduleExpression(expression: string): Schedule {
  const parts = scheduleExpressionParts(expression);
  if (!parts) throw new Error(`invalid schedule expression: ${expression}`);
  const refuse = (why: string): never => {
    throw new Error(`invalid schedule expression ${expression}: ${why}`);
  };
  return parts.kind === 'rate'
    ? { kind: 'rate', expression, periodMs: parseRate(parts.body, refuse).periodMs }
    : parseCron(cronFields(parts.body, refuse), expression);
}

/**
 * The first fire time strictly after `after`, or undefined if there is none. Rate schedules
 * count periods from `anchor` (when the rule was set up); cron schedules are in UTC.
 */
export function nextFireTime(schedule: Schedule, after: Date, anchor: Date = after): Date | undefined {
  if (schedule.kind === 'rate') {
    // A rule set up at the anchor: the anchor counts as a fire time for a caller asking from before it.
    return new Date(
      nextRateFire(anchor.getTime(), schedule.periodMs, after.getTime(), { anchorFires: true }),
    );
  }
  const iterator = CronExpressionParser.parse(schedule.cron, { tz: 'UTC', currentDate: after });
  for (let i = 0; i < 100_000; i++) {
    if (!iterator.hasNext()) return undefined;
    const date = iterator.next().toDate();
    if (date.getUTCFullYear() > 2199) return undefined;
    if (schedule.year(date.getUTCFullYear())) return date;
  }
  return undefined;
}

/** The event EventBridge delivers to a scheduled rule's target. */
export function scheduledEvent(options: {
  ruleArn: string;
  account: string;
  region: string;
  time?: Date;
}): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: options.account,
    time: (options.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: options.region,
    resources: [options.ruleArn],
    detail: {},
  };
}

export interface ScheduledJob {
  readonly id: string;
  readonly schedule: Schedule;
  readonly enabled: boolean;
}

/** setTimeout's longest delay; longer waits re-arm. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Fires each enabled job at its due times. A run that is still going when the next is due
 * overlaps it, as concurrent Lambda invocations would.
 */
export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly next = new Map<string, Date>();
  private readonly anchor: Date;
  private running = false;

  constructor(
    private readonly jobs: readonly ScheduledJob[],
    private readonly fire: (job: ScheduledJob, time: Date) => void,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.anchor = now();
  }

  start(): void {
    this.running = true;
    for (const job of this.jobs) if (job.enabled) this.arm(job, this.now());
  }

  stop(): void {
    this.running = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.next.clear();
  }

  nextFire(id: string): Date | undefined {
    return this.next.get(id);
  }

  private arm(job: ScheduledJob, after: Date): void {
    const due = nextFireTime(job.schedule, after, this.anchor);
    if (!due || !this.running) return;
    this.next.set(job.id, due);
    const wait = () => {
      const delay = due.getTime() - this.now().getTime();
      if (delay > MAX_DELAY_MS) {
        this.timers.set(job.id, setTimeout(wait, MAX_DELAY_MS));
        return;
      }
      this.timers.set(
        job.id,
        setTimeout(
          () => {
            if (!this.running) return;
            this.fire(job, due);
            this.arm(job, due);
          },
          Math.max(0, delay),
        ),
      );
    };
    wait();
  }
}
