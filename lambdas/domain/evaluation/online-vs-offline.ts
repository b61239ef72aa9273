/**
 * Is a live window's model quality significantly worse than the offline evaluation's?
 *
 * The offline set and a window's labelled events are two independent samples (different rows),
 * each metric an estimate with its confidence interval in statistics.json. The test is a
 * one-sided z-test on the difference of two independent estimates, H₀ "online is as good as
 * offline", against "online is worse" in the metric's bad direction (lower accuracy, higher
 * RMSE): z = (worse-way difference) / √(se_offline² + se_online²), p = 1 − Φ(z). Each standard
 * error is read back from the metric's own interval, se = (upper − lower) / (2·z_{(1+level)/2}),
 * which is what the file states for every metric alike (Wilson for proportions, bootstrap for
 * F-scores, AUC, R², errors) — SageMaker's standard deviation is "NaN" below 200 rows and comes
 * from 80% subsamples, so it is not a standard error. One-sided because only a drop is a finding
 * (a better live window is not a problem to flag). A window compares several metrics at once:
 * each is flagged at α / (number compared), Bonferroni, so a window is flagged falsely at most
 * α of the time. With a few dozen labelled events the intervals are wide and nothing is flagged:
 * the labelled count is shown beside every window for that reason.
 */

import jstat from 'jstat';
import type { Metric } from '../model-quality/metrics.js';
import { twoSidedZ } from '../stats/intervals.js';

const { jStat } = jstat;

export interface MetricComparison {
  readonly Metric: string;
  readonly Offline: MetricValue;
  readonly Online: MetricValue;
  /** Online − offline. */
  readonly Difference: number;
  /** One-sided p-value of "online worse than offline". */
  readonly PValue: number;
  /** p < α / (metrics compared in the window). */
  readonly SignificantlyWorse: boolean;
}

export interface MetricValue {
  readonly Value: number;
  readonly ConfidenceInterval: { readonly Lower: number; readonly Upper: number; readonly Level: number };
}

/** The standard error an interval implies, as if it were a normal one at its level. */
export function standardErrorOf(metric: Metric): number {
  const { lower, upper, confidence_level: level } = metric.confidence_interval;
  return (upper - lower) / (2 * twoSidedZ(level));
}

/** p-value of "online worse than offline" in the metric's bad direction; NaN without spread. */
export function onlineWorsePValue(offline: Metric, online: Metric, better: 'higher' | 'lower'): number {
  if (typeof offline.value !== 'number' || typeof online.value !== 'number') return Number.NaN;
  const se = Math.hypot(standardErrorOf(offline), standardErrorOf(online));
  const worseBy = better === 'higher' ? offline.value - online.value : online.value - offline.value;
  if (!(se > 0) || !Number.isFinite(se)) return worseBy > 0 ? 0 : 1;
  return 1 - jStat.normal.cdf(worseBy / se, 0, 1);
}

const asMetricValue = (m: Metric): MetricValue => ({
  Value: m.value as number,
  ConfidenceInterval: {
    Lower: m.confidence_interval.lower,
    Upper: m.confidence_interval.upper,
    Level: m.confidence_interval.confidence_level,
  },
});

/** Each metric both sides have a value for, compared; `directions` names the metrics and their good way. */
export function compareWithOffline(
  offline: Readonly<Record<string, Metric | undefined>>,
  online: Readonly<Record<string, Metric | undefined>>,
  directions: Readonly<Record<string, 'higher' | 'lower'>>,
  alpha = 0.05,
): MetricComparison[] {
  const pairs = Object.entries(directions).flatMap(([name, better]) => {
    const off = offline[name];
    const on = online[name];
    return off && on && typeof off.value === 'number' && typeof on.value === 'number'
      ? [{ name, better, off, on }]
      : [];
  });
  return pairs.map(({ name, better, off, on }) => {
    const p = onlineWorsePValue(off, on, better);
    return {
      Metric: name,
      Offline: asMetricValue(off),
      Online: asMetricValue(on),
      Difference: (on.value as number) - (off.value as number),
      PValue: p,
      SignificantlyWorse: p < alpha / pairs.length,
    };
  });
}
