import { describe, expect, it } from 'vitest';
import { ValidationException } from '../../lambdas/domain/kernel/errors.js';
import {
  analysisWindow,
  dueFireTime,
  nextFireAfter,
  parseAnalysisOffsets,
  parseIsoOffset,
  parseScheduleExpression,
  periodOf,
} from '../../lambdas/domain/model-monitor/schedule-expression.js';

const t = (iso: string) => Date.parse(iso);
const MIN = 60_000;
const HOUR = 60 * MIN;

function rejection(expression: string): string {
  try {
    parseScheduleExpression(expression);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationException);
    return (error as Error).message;
  }
  throw new Error(`${expression} was accepted`);
}

describe('ScheduleExpression', () => {
  it("accepts SageMaker's cron forms", () => {
    expect(parseScheduleExpression('cron(0 * ? * * *)')).toMatchObject({
      kind: 'cron',
      hours: [...Array(24).keys()],
    });
    expect(parseScheduleExpression('cron(0 12 ? * * *)')).toMatchObject({ hours: [12] });
    expect(parseScheduleExpression('cron(0 00 ? * * *)')).toMatchObject({ hours: [0] });
    expect(parseScheduleExpression('cron(0 */6 ? * * *)')).toMatchObject({ hours: [0, 6, 12, 18] });
    expect(parseScheduleExpression('cron(0 0/2 ? * * *)')).toMatchObject({
      hours: [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22],
    });
    // "Every 12 hours, starting at 5pm UTC", as SageMaker's guide reads it.
    expect(parseScheduleExpression('cron(0 17/12 ? * * *)')).toMatchObject({ hours: [5, 17] });
    expect(parseScheduleExpression('cron(0 3/24 ? * * *)')).toMatchObject({ hours: [3] });
  });

  it('accepts NOW and rates of at least 5 minutes', () => {
    expect(parseScheduleExpression('NOW')).toEqual({ kind: 'now', expression: 'NOW' });
    expect(parseScheduleExpression('rate(5 minutes)')).toMatchObject({ kind: 'rate', periodMs: 5 * MIN });
    expect(parseScheduleExpression('rate(1 hour)')).toMatchObject({ periodMs: HOUR });
    expect(parseScheduleExpression('rate(2 days)')).toMatchObject({ periodMs: 48 * HOUR });
  });

  it('refuses what SageMaker (or Understudy) would not run, naming the expression', () => {
    for (const bad of [
      'cron(30 * ? * * *)', // not on the hour
      'cron(0 * * * ? *)', // day-of-week form
      'cron(0 12 ? * MON *)',
      'cron(0 25 ? * * *)',
      'cron(0 */0 ? * * *)',
      'cron(0 */25 ? * * *)',
      'cron(0 * ? * *)', // five fields
      'cron(* * * * *)',
      'rate(1 minute)',
      'rate(4 minutes)',
      'rate(1 minutes)',
      'rate(2 hour)',
      'rate(5 weeks)',
      'every 5 minutes',
      'now',
      '',
    ]) {
      expect(rejection(bad)).toContain(`'${bad}'`);
    }
    expect(rejection('rate(1 minute)')).toMatch(/shortest rate is 5 minutes/);
    expect(rejection('cron(30 * ? * * *)')).toMatch(/minute field must be 0/);
  });
});

describe('analysis offsets', () => {
  it('reads ISO 8601 durations', () => {
    expect(parseIsoOffset('-PT1H', 'x')).toBe(-HOUR);
    expect(parseIsoOffset('-PT0H', 'x')).toBe(-0);
    expect(parseIsoOffset('PT0H', 'x')).toBe(0);
    expect(parseIsoOffset('-P1DT2H30M', 'x')).toBe(-(26.5 * HOUR));
    expect(parseIsoOffset('-PT90M', 'x')).toBe(-90 * MIN);
    for (const bad of ['1H', '-PT', 'P', '-PTH', 'PT1X', '-1h']) {
      expect(() => parseIsoOffset(bad, 'DataAnalysisStartTime')).toThrow(/DataAnalysisStartTime/);
    }
  });

  it('NOW needs both offsets; a window is at most 24 hours and not in the future', () => {
    const now = parseScheduleExpression('NOW');
    expect(() => parseAnalysisOffsets(now, undefined, undefined)).toThrow(/NOW needs/);
    expect(parseAnalysisOffsets(now, '-PT1H', '-PT0H')).toEqual({ startMs: -HOUR, endMs: -0 });
    const hourly = parseScheduleExpression('cron(0 * ? * * *)');
    expect(parseAnalysisOffsets(hourly, undefined, undefined)).toBeUndefined();
    expect(() => parseAnalysisOffsets(hourly, '-PT1H', undefined)).toThrow(/both/);
    expect(() => parseAnalysisOffsets(hourly, '-PT0H', '-PT1H')).toThrow(/before/);
    expect(() => parseAnalysisOffsets(hourly, '-PT25H', '-PT0H')).toThrow(/24 hours/);
    expect(() => parseAnalysisOffsets(hourly, '-PT1H', 'PT1H')).toThrow(/future/);
  });
});

describe('when a schedule is due', () => {
  it('rate: fire times count from the anchor; the latest passed one runs once', () => {
    const rate = parseScheduleExpression('rate(5 minutes)');
    const anchor = t('2026-11-25T10:02:30Z');
    expect(dueFireTime(rate, anchor, undefined, anchor + 4 * MIN)).toBeUndefined();
    expect(dueFireTime(rate, anchor, undefined, anchor + 5 * MIN)).toBe(anchor + 5 * MIN);
    expect(dueFireTime(rate, anchor, anchor + 5 * MIN, anchor + 9 * MIN)).toBeUndefined();
    // Missed fires are not replayed: the latest passed one runs.
    expect(dueFireTime(rate, anchor, anchor + 5 * MIN, anchor + 23 * MIN)).toBe(anchor + 20 * MIN);
    expect(nextFireAfter(rate, anchor, anchor + 5 * MIN)).toBe(anchor + 10 * MIN);
    expect(analysisWindow(rate, anchor + 5 * MIN, undefined)).toEqual({
      start: anchor,
      end: anchor + 5 * MIN,
    });
    expect(periodOf(rate, anchor)).toBe(5 * MIN);
  });

  it('hourly cron: on the hour after the anchor, analysing the previous hour', () => {
    const hourly = parseScheduleExpression('cron(0 * ? * * *)');
    const anchor = t('2026-11-25T10:20:00Z');
    expect(dueFireTime(hourly, anchor, undefined, t('2026-11-25T10:59:59Z'))).toBeUndefined();
    const fire = dueFireTime(hourly, anchor, undefined, t('2026-11-25T11:04:00Z'));
    expect(fire).toBe(t('2026-11-25T11:00:00Z'));
    expect(dueFireTime(hourly, anchor, fire, t('2026-11-25T11:59:00Z'))).toBeUndefined();
    expect(analysisWindow(hourly, fire as number, undefined)).toEqual({
      start: t('2026-11-25T10:00:00Z'),
      end: t('2026-11-25T11:00:00Z'),
    });
    // With offsets, the window is relative to the fire time.
    expect(analysisWindow(hourly, fire as number, { startMs: -2 * HOUR, endMs: -HOUR })).toEqual({
      start: t('2026-11-25T09:00:00Z'),
      end: t('2026-11-25T10:00:00Z'),
    });
  });

  it('daily and every-N-hours cron analyse the period since the previous fire', () => {
    const daily = parseScheduleExpression('cron(0 12 ? * * *)');
    const anchor = t('2026-11-25T13:00:00Z');
    expect(dueFireTime(daily, anchor, undefined, t('2026-11-26T11:00:00Z'))).toBeUndefined();
    const fire = dueFireTime(daily, anchor, undefined, t('2026-11-26T12:03:00Z')) as number;
    expect(fire).toBe(t('2026-11-26T12:00:00Z'));
    expect(analysisWindow(daily, fire, undefined).start).toBe(t('2026-11-25T12:00:00Z'));
    expect(periodOf(daily, fire)).toBe(24 * HOUR);
    const sixHourly = parseScheduleExpression('cron(0 */6 ? * * *)');
    expect(nextFireAfter(sixHourly, anchor, anchor)).toBe(t('2026-11-25T18:00:00Z'));
    expect(analysisWindow(sixHourly, t('2026-11-25T18:00:00Z'), undefined).start).toBe(
      t('2026-11-25T12:00:00Z'),
    );
  });

  it('NOW runs once, at once, over its offsets', () => {
    const now = parseScheduleExpression('NOW');
    const anchor = t('2026-11-25T10:20:00Z');
    expect(dueFireTime(now, anchor, undefined, anchor)).toBe(anchor);
    expect(dueFireTime(now, anchor, anchor, anchor + HOUR)).toBeUndefined();
    expect(nextFireAfter(now, anchor, anchor)).toBeUndefined();
    expect(analysisWindow(now, anchor, { startMs: -HOUR, endMs: 0 })).toEqual({
      start: anchor - HOUR,
      end: anchor,
    });
  });
});
