/** XGBoost's evaluation metrics, over predictions in the objective's output space. */
import { meanAbsoluteError, meanSquaredError, rocAuc } from '../metrics.js';
import type { EvalMetric } from './hyperparameters.js';

/** Whether a larger value is better (early stopping's direction). */
export const MAXIMIZED: ReadonlySet<EvalMetric> = new Set(['auc']);

/** XGBoost clips probabilities by this before taking logs. */
const EPS = 1e-16;

/**
 * One metric. `predictions` is one value per row, or for multi-class metrics `groups` class
 * probabilities per row (row-major).
 */
export function evaluate(
  metric: EvalMetric,
  predictions: Float64Array,
  labels: Float64Array,
  groups: number,
): number {
  const n = labels.length;
  let sum = 0;
  switch (metric) {
    case 'rmse':
      return Math.sqrt(meanSquaredError(labels, predictions));
    case 'mae':
      return meanAbsoluteError(labels, predictions);
    case 'logloss':
      for (let i = 0; i < n; i++) {
        const p = Math.min(Math.max(predictions[i] as number, EPS), 1 - EPS);
        const y = labels[i] as number;
        sum -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
      }
      return sum / n;
    case 'error':
      for (let i = 0; i < n; i++) sum += ((predictions[i] as number) > 0.5 ? 1 : 0) !== labels[i] ? 1 : 0;
      return sum / n;
    case 'auc':
      return rocAuc(labels, predictions);
    case 'mlogloss':
      for (let i = 0; i < n; i++) {
        const p = predictions[i * groups + (labels[i] as number)] as number;
        sum -= Math.log(Math.min(Math.max(p, EPS), 1 - EPS));
      }
      return sum / n;
    case 'merror':
      for (let i = 0; i < n; i++) sum += argmax(predictions, i * groups, groups) !== labels[i] ? 1 : 0;
      return sum / n;
  }
}

export function argmax(values: Float64Array, base: number, count: number): number {
  let best = 0;
  for (let k = 1; k < count; k++)
    if ((values[base + k] as number) > (values[base + best] as number)) best = k;
  return best;
}
