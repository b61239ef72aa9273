/**
 * The model-quality constraints an offline evaluation suggests, in SageMaker's constraints.json
 * layout (`binary_classification_constraints` etc., `{threshold, comparison_operator}`), which the
 * model-quality monitor reads as it reads any baseline's.
 *
 * SageMaker's suggested baseline puts each metric's own baseline value as its threshold, so a
 * live window as good as the baseline on average violates about half the time from sampling
 * alone. Understudy puts the far end of the metric's confidence interval on the offline set
 * instead (the lower bound of a metric where higher is better, the upper bound of an error): a
 * window violates when its metric is worse than what the offline evaluation itself makes
 * plausible. Metrics without a value (an AUC with one class) are left out.
 */

import type { ComparisonOperator } from '../model-monitor/model-quality-run.js';
import { type Better, betterDirection, violationOperator } from '../model-quality/direction.js';
import type { Metric, ModelQualityStatistics } from '../model-quality/metrics.js';

/** The metrics constrained and compared per problem type, each with the way it gets worse. */
function directions<const M extends readonly string[]>(...metrics: M): { [K in M[number]]: Better } {
  return Object.fromEntries(metrics.map((m) => [m, betterDirection(m)])) as { [K in M[number]]: Better };
}

export const CONSTRAINED_METRICS = {
  binary_classification_metrics: {
    key: 'binary_classification_constraints',
    metrics: directions('accuracy', 'precision', 'recall', 'f1', 'auc'),
  },
  multiclass_classification_metrics: {
    key: 'multiclass_classification_constraints',
    metrics: directions('accuracy', 'weighted_precision', 'weighted_recall', 'weighted_f1'),
  },
  regression_metrics: {
    key: 'regression_constraints',
    metrics: directions('mae', 'mse', 'rmse', 'r2'),
  },
} as const satisfies Record<string, { key: string; metrics: Record<string, Better> }>;

export type MetricsSection = keyof typeof CONSTRAINED_METRICS;

export interface ModelQualityConstraints {
  readonly version: 0;
  readonly [section: string]:
    | number
    | Record<string, { threshold: number; comparison_operator: ComparisonOperator }>;
}

export function suggestModelQualityConstraints(statistics: ModelQualityStatistics): ModelQualityConstraints {
  const out: Record<string, unknown> = { version: 0 };
  for (const [section, { key, metrics }] of Object.entries(CONSTRAINED_METRICS)) {
    const values = statistics[section as MetricsSection] as Record<string, Metric | undefined> | undefined;
    if (!values) continue;
    const constraints: Record<string, { threshold: number; comparison_operator: ComparisonOperator }> = {};
    for (const [metric, better] of Object.entries(metrics)) {
      const m = values[metric];
      if (!m || typeof m.value !== 'number') continue;
      const bound = better === 'higher' ? m.confidence_interval.lower : m.confidence_interval.upper;
      if (!Number.isFinite(bound)) continue;
      constraints[metric] = {
        threshold: bound,
        comparison_operator: violationOperator(metric),
      };
    }
    out[key] = constraints;
  }
  return out as ModelQualityConstraints;
}
