/**
 * Which way a model-quality metric gets worse: the one rule behind every suggested constraint
 * (the analyzer's baseline in model-monitor, the offline evaluation's in evaluation) and the
 * evaluation view's "online is worse than offline". Error rates and errors get worse as they
 * rise; every other metric SageMaker reports (accuracy, precision, recall, F-scores, AUC, R²)
 * gets worse as it falls.
 */

export type Better = 'higher' | 'lower';

const LOWER_IS_BETTER: ReadonlySet<string> = new Set([
  'false_positive_rate',
  'false_negative_rate',
  'mae',
  'mse',
  'rmse',
]);

export function betterDirection(metric: string): Better {
  return LOWER_IS_BETTER.has(metric) ? 'lower' : 'higher';
}

/** The constraint operator that flags a metric for being worse than its threshold. */
export function violationOperator(metric: string): 'LessThanThreshold' | 'GreaterThanThreshold' {
  return betterDirection(metric) === 'lower' ? 'GreaterThanThreshold' : 'LessThanThreshold';
}
