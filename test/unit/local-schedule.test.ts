import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  nextFireTime,
  parseScheduleExpression,
  Scheduler,
  scheduledEvent,
} from '../../scripts/local/schedule.js';

const at = (iso: string) => new Date(iso);
const next = (expression: string, after: string, anchor?: string) =>
  nextFireTime(
    parseScheduleExpression(expression),
    at(after),
    anchor ? at(anchor) : undefined,
  )?.toISOString();

describe('rate expressions', () => {
  it('parses minutes, hours and days', () => {
    expect(parseScheduleExpression('rate(5 minutes)')).toMatchObject({ kind: 'rate', periodMs: 300_000 });
    expect(parseScheduleExpression('rate(1 minute)')).toMatchObject({ periodMs: 60_000 });
    expect(parseScheduleExpression('rate(2 hours)')).toMatchObject({ periodMs: 7_200_000 });
    expect(parseScheduleExpression('rate(1 day)')).toMatchObject({ periodMs: 86_400_000 });
  });

  it('rejects what EventBridge rejects', () => {
    for (const bad of [
      'rate(1 minutes)',
      'rate(5 minute)',
      'rate(0 minutes)',
      'rate(5 seconds)',
      'rate(x)',
      'rate()',
    ]) {
      expect(() => parseScheduleExpression(bad), bad).toThrow();
    }
  });

  it('fires every period counted from the anchor', () => {
    const anchor = '2026-01-01T00:00:30Z';
    expect(next('rate(5 minutes)', anchor, anchor)).toBe('2026-01-01T00:05:30.000Z');
    expect(next('rate(5 minutes)', '2026-01-01T00:05:30Z', anchor)).toBe('2026-01-01T00:10:30.000Z');
    expect(next('rate(5 minutes)', '2026-01-01T00:07:00Z', anchor)).toBe('2026-01-01T00:10:30.000Z');
    expect(next('rate(1 hour)', '2025-12-31T00:00:00Z', anchor)).toBe('2026-01-01T00:00:30.000Z');
  });
});

describe('cron expressions (EventBridge, UTC)', () => {
  it('daily, weekdays, every 15 minutes', () => {
    expect(next('cron(0 10 * * ? *)', '2026-01-01T10:00:00Z')).toBe('2026-01-02T10:00:00.000Z');
    expect(next('cron(0 10 * * ? *)', '2026-01-01T09:59:00Z')).toBe('2026-01-01T10:00:00.000Z');
    // 2026-01-02 is a Friday: the next weekday 18:00 after Friday 18:00 is Monday.
    expect(next('cron(0 18 ? * MON-FRI *)', '2026-01-02T18:00:00Z')).toBe('2026-01-05T18:00:00.000Z');
    expect(next('cron(0/15 * * * ? *)', '2026-01-01T10:07:00Z')).toBe('2026-01-01T10:15:00.000Z');
  });

  it('numbers days of the week from Sunday = 1', () => {
    // 2026-01-01 is a Thursday.
    expect(next('cron(0 0 ? * 1 *)', '2026-01-01T00:00:00Z')).toBe('2026-01-04T00:00:00.000Z'); // Sunday
    expect(next('cron(0 0 ? * 7 *)', '2026-01-01T00:00:00Z')).toBe('2026-01-03T00:00:00.000Z'); // Saturday
    expect(next('cron(0 0 ? * 2-3 *)', '2026-01-01T00:00:00Z')).toBe('2026-01-05T00:00:00.000Z'); // Mon-Tue
    expect(next('cron(0 9 ? * 2#1 *)', '2026-01-01T00:00:00Z')).toBe('2026-01-05T09:00:00.000Z'); // 1st Monday
    expect(next('cron(0 12 ? * 6L *)', '2026-01-01T00:00:00Z')).toBe('2026-01-30T12:00:00.000Z'); // last Friday
  });

  it('day of month, last day, and the year field', () => {
    expect(next('cron(0 8 1 * ? *)', '2026-01-15T00:00:00Z')).toBe('2026-02-01T08:00:00.000Z');
    expect(next('cron(0 0 L * ? *)', '2026-02-01T00:00:00Z')).toBe('2026-02-28T00:00:00.000Z');
    expect(next('cron(0 0 1 1 ? 2030)', '2026-06-01T00:00:00Z')).toBe('2030-01-01T00:00:00.000Z');
    expect(next('cron(0 0 1 1 ? 2028-2030)', '2028-06-01T00:00:00Z')).toBe('2029-01-01T00:00:00.000Z');
    expect(next('cron(0 0 1 1 ? 2020)', '2026-06-01T00:00:00Z')).toBeUndefined();
  });

  it('rejects what EventBridge rejects, and W which is not supported here', () => {
    for (const bad of [
      'cron(0 10 * * *)', // five fields
      'cron(0 10 * * * *)', // neither day field is ?
      'cron(0 10 ? * ? *)', // both are
      'cron(0 10 ? * 8 *)', // no day 8
      'cron(0 10 15W * ? *)',
      'cron(61 10 * * ? *)',
      'cron(0 10 * * ? 20x0)',
      'every day',
    ]) {
      expect(() => parseScheduleExpression(bad), bad).toThrow();
    }
  });
});

describe('scheduled events', () => {
  it('has the EventBridge shape', () => {
    const event = scheduledEvent({
      ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/r',
      account: '123456789012',
      region: 'us-east-1',
      time: new Date('2026-01-01T00:05:00.123Z'),
    });
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-01-01T00:05:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:123456789012:rule/r'],
      detail: {},
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('Scheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires enabled jobs at their due times and stops', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const fired: string[] = [];
    const scheduler = new Scheduler(
      [
        { id: 'rate', schedule: parseScheduleExpression('rate(1 minute)'), enabled: true },
        { id: 'cron', schedule: parseScheduleExpression('cron(0/2 * * * ? *)'), enabled: true },
        { id: 'off', schedule: parseScheduleExpression('rate(1 minute)'), enabled: false },
      ],
      (job, time) => fired.push(`${job.id}@${time.toISOString().slice(11, 16)}`),
    );
    scheduler.start();
    expect(scheduler.nextFire('rate')?.toISOString()).toBe('2026-01-01T00:01:00.000Z');
    expect(scheduler.nextFire('off')).toBeUndefined();
    vi.advanceTimersByTime(4 * 60_000);
    expect(fired.sort()).toEqual([
      'cron@00:02',
      'cron@00:04',
      'rate@00:01',
      'rate@00:02',
      'rate@00:03',
      'rate@00:04',
    ]);
    scheduler.stop();
    vi.advanceTimersByTime(10 * 60_000);
    expect(fired).toHaveLength(6);
  });
});
