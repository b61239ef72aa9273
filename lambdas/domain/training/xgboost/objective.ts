/** The objectives' gradients, starting margins and output transforms, as XGBoost defines them. */
import { ValidationException } from '../../kernel/errors.js';
import type { Objective, XGBoostParams } from './hyperparameters.js';

const sigmoid = (m: number) => 1 / (1 + Math.exp(-m));
/** XGBoost's floor on a hessian, so that a confident row still weighs something. */
const MIN_HESS = 1e-16;

/** Refuses labels the objective cannot learn, naming the first bad row. */
export function checkLabels(labels: Float64Array, params: XGBoostParams, channel: string): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    const ok =
      params.objective === 'reg:squarederror'
        ? Number.isFinite(y)
        : params.objective === 'binary:logistic'
          ? y >= 0 && y <= 1
          : Number.isInteger(y) && y >= 0 && y < params.numClass;
    if (!ok) {
      const want =
        params.objective === 'reg:squarederror'
          ? 'a finite number'
          : params.objective === 'binary:logistic'
            ? 'in [0, 1]'
            : `an integer class in [0, ${params.numClass})`;
      throw new ValidationException(
        `The ${channel} channel's label on row ${i + 1} is ${y}; objective ${params.objective} needs ${want}`,
      );
    }
  }
}

/**
 * The margin every row starts from, per output group: base_score when given (a probability
 * for binary:logistic), else estimated from the labels as XGBoost (since 2.0) and LightGBM do
 * for these objectives: the mean label, in margin space. Softmax ignores a shift common to all
 * classes, so multi:softprob starts at 0.
 */
export function baseMargins(labels: Float64Array, params: XGBoostParams): number[] {
  if (params.objective === 'multi:softprob') return new Array<number>(params.numClass).fill(0);
  let mean = params.baseScore;
  if (mean === undefined) {
    let sum = 0;
    for (const y of labels) sum += y;
    mean = sum / labels.length;
  }
  if (params.objective === 'reg:squarederror') return [mean];
  const p = Math.min(Math.max(mean, 1e-7), 1 - 1e-7);
  return [Math.log(p / (1 - p))];
}

/**
 * Fills per-group gradient and hessian arrays from the margins (`margins[row * groups + k]`).
 * Squared error: g = m - y, h = 1. Logistic: g = p - y, h = p(1 - p). Softmax: g = p_k - [y = k],
 * h = 2 p_k (1 - p_k), XGBoost's (doubled) diagonal bound on the hessian.
 */
export function gradients(
  objective: Objective,
  margins: Float64Array,
  labels: Float64Array,
  grad: readonly Float64Array[],
  hess: readonly Float64Array[],
): void {
  const rows = labels.length;
  if (objective === 'reg:squarederror') {
    const [g, h] = [grad[0] as Float64Array, hess[0] as Float64Array];
    for (let r = 0; r < rows; r++) {
      g[r] = (margins[r] as number) - (labels[r] as number);
      h[r] = 1;
    }
    return;
  }
  if (objective === 'binary:logistic') {
    const [g, h] = [grad[0] as Float64Array, hess[0] as Float64Array];
    for (let r = 0; r < rows; r++) {
      const p = sigmoid(margins[r] as number);
      g[r] = p - (labels[r] as number);
      h[r] = Math.max(p * (1 - p), MIN_HESS);
    }
    return;
  }
  const groups = grad.length;
  const p = new Float64Array(groups);
  for (let r = 0; r < rows; r++) {
    softmaxInto(margins, r * groups, groups, p);
    const y = labels[r] as number;
    for (let k = 0; k < groups; k++) {
      const pk = p[k] as number;
      (grad[k] as Float64Array)[r] = pk - (k === y ? 1 : 0);
      (hess[k] as Float64Array)[r] = Math.max(2 * pk * (1 - pk), MIN_HESS);
    }
  }
}

export function softmaxInto(margins: Float64Array, base: number, groups: number, out: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < groups; k++) max = Math.max(max, margins[base + k] as number);
  let sum = 0;
  for (let k = 0; k < groups; k++) {
    const e = Math.exp((margins[base + k] as number) - max);
    out[k] = e;
    sum += e;
  }
  for (let k = 0; k < groups; k++) out[k] = (out[k] as number) / sum;
}

/**
 * Predictions from margins: the value for regression, P(class 1) for binary:logistic, one
 * probability per class (row-major) for multi:softprob.
 */
export function transform(objective: Objective, margins: Float64Array, groups: number): Float64Array {
  if (objective === 'reg:squarederror') return margins.slice();
  if (objective === 'binary:logistic') return margins.map(sigmoid);
  const out = new Float64Array(margins.length);
  const p = new Float64Array(groups);
  for (let base = 0; base < margins.length; base += groups) {
    softmaxInto(margins, base, groups, p);
    out.set(p, base);
  }
  return out;
}
