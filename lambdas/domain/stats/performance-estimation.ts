/**
 * Confidence-based performance estimation (CBPE, as NannyML's): a binary classifier's accuracy,
 * confusion matrix and ROC AUC estimated from its predicted probabilities alone, before any
 * label arrives. It is right exactly when the probabilities are calibrated (P(y = 1 | p) = p),
 * which `calibration.ts` checks on an offline labelled set — and can repair (isotonic).
 *
 * Inputs: P(y = 1) per row and the decision threshold (a row is predicted positive when
 * p > threshold, as scikit-learn's `predict` does: 0.5 itself is negative). Accuracy and the
 * confusion cells are sums over rows (`CbpeAccumulator` merges them across batches); the AUC needs
 * every score of the window.
 *
 * Uncertainty: the Poisson-binomial standard error. Under calibration each row is correct with
 * probability qᵢ = p (predicted positive) or 1 − p (negative), independently, so the realised
 * accuracy of the window has mean Σqᵢ/n and variance Σqᵢ(1 − qᵢ)/n² exactly. This is the spread
 * of the realised accuracy around the estimate for *these* rows, which is what a reader comparing
 * the two once labels arrive asks for; NannyML's sampling error is instead the spread of the
 * estimate across chunks of a reference set (std of reference correctness / √n), which needs a
 * reference and answers another question. The interval is estimate ± z·se, the normal
 * approximation of the Poisson-binomial, fine from a few dozen rows.
 *
 * References (test/unit/stats-performance-estimation.test.ts): the expected AUC equals
 * scikit-learn's `roc_auc_score` on the rows duplicated as a positive of weight p and a negative
 * of weight 1 − p (the same trapezoids as NannyML's `estimate_roc_auc`); a seeded simulation
 * checks the interval's coverage of the realised accuracy.
 */
import { type Interval, twoSidedZ } from './intervals.js';

/** Expected counts of each confusion-matrix cell over the window. */
export interface ExpectedConfusion {
  readonly truePositive: number;
  readonly falsePositive: number;
  readonly trueNegative: number;
  readonly falseNegative: number;
}

export interface CbpeOptions {
  /** Predicted positive when p > threshold. @default 0.5 */
  readonly threshold?: number;
  /** The model's own labels (1 positive), instead of thresholding the probabilities. */
  readonly predicted?: ArrayLike<number>;
  /** Two-sided level of the accuracy interval. @default 0.95 */
  readonly confidenceLevel?: number;
}

export interface AccuracyEstimate {
  readonly count: number;
  /** Mean over rows of P(prediction correct): max(p, 1 − p) at threshold 0.5. */
  readonly expectedAccuracy: number;
  /** √(Σqᵢ(1 − qᵢ))/n, the Poisson-binomial standard error of the realised accuracy. */
  readonly standardError: number;
  readonly interval: Interval;
  readonly confidenceLevel: number;
  readonly expectedConfusion: ExpectedConfusion;
}

export interface CbpeEstimate extends AccuracyEstimate {
  readonly threshold: number;
  /** Expected ROC AUC; NaN when the window's expected positives or negatives are 0. */
  readonly expectedRocAuc: number;
}

/**
 * The mergeable part of CBPE: per-row sums of the expected confusion cells and of the
 * correctness variance. `add` a batch's probabilities, `merge` another accumulator's state.
 */
export class CbpeAccumulator {
  private tp = 0;
  private fp = 0;
  private tn = 0;
  private fn = 0;
  private variance = 0;
  private n = 0;

  constructor(readonly threshold = 0.5) {
    checkThreshold(threshold);
  }

  /**
   * `predicted`, when given, is the model's own label per row (1 positive): a model whose label
   * is not its probability thresholded here (another cut-off, a calibrated score beside a raw
   * decision) is estimated for the labels it gave.
   */
  add(probabilities: ArrayLike<number>, predicted?: ArrayLike<number>): this {
    if (predicted !== undefined && predicted.length !== probabilities.length) {
      throw new RangeError(`${predicted.length} predicted labels for ${probabilities.length} probabilities`);
    }
    for (let i = 0; i < probabilities.length; i++) {
      const p = probabilities[i] as number;
      checkProbability(p);
      const positive = predicted === undefined ? p > this.threshold : predicted[i] === 1;
      const correct = positive ? p : 1 - p;
      if (positive) {
        this.tp += p;
        this.fp += 1 - p;
      } else {
        this.tn += 1 - p;
        this.fn += p;
      }
      this.variance += correct * (1 - correct);
      this.n++;
    }
    return this;
  }

  merge(other: CbpeAccumulator): this {
    if (other.threshold !== this.threshold) {
      throw new RangeError(`cannot merge thresholds ${other.threshold} and ${this.threshold}`);
    }
    this.tp += other.tp;
    this.fp += other.fp;
    this.tn += other.tn;
    this.fn += other.fn;
    this.variance += other.variance;
    this.n += other.n;
    return this;
  }

  estimate(confidenceLevel = 0.95): AccuracyEstimate {
    const z = twoSidedZ(confidenceLevel);
    const expectedConfusion = {
      truePositive: this.tp,
      falsePositive: this.fp,
      trueNegative: this.tn,
      falseNegative: this.fn,
    };
    if (this.n === 0) {
      return {
        count: 0,
        expectedAccuracy: Number.NaN,
        standardError: Number.NaN,
        interval: { lower: 0, upper: 1 },
        confidenceLevel,
        expectedConfusion,
      };
    }
    const expectedAccuracy = (this.tp + this.tn) / this.n;
    const standardError = Math.sqrt(this.variance) / this.n;
    return {
      count: this.n,
      expectedAccuracy,
      standardError,
      interval: {
        lower: Math.max(0, expectedAccuracy - z * standardError),
        upper: Math.min(1, expectedAccuracy + z * standardError),
      },
      confidenceLevel,
      expectedConfusion,
    };
  }
}

/** CBPE over one window of predicted probabilities: accuracy with its interval, confusion, AUC. */
export function estimatePerformance(
  probabilities: ArrayLike<number>,
  options: CbpeOptions = {},
): CbpeEstimate {
  const threshold = options.threshold ?? 0.5;
  const accuracy = new CbpeAccumulator(threshold)
    .add(probabilities, options.predicted)
    .estimate(options.confidenceLevel ?? 0.95);
  return { ...accuracy, threshold, expectedRocAuc: expectedRocAuc(probabilities) };
}

/**
 * Expected ROC AUC under calibration: at each distinct score s, the expected true positives are
 * Σ_{pᵢ ≥ s} pᵢ and false positives Σ_{pᵢ ≥ s} (1 − pᵢ), over expected positives Σpᵢ and negatives
 * Σ(1 − pᵢ); the area under those (FPR, TPR) points by trapezoids (ties as one step, so they
 * count half, as in scikit-learn). O(n log n). Written here because it is a sweep over a sort;
 * no JS library computes a weighted AUC.
 */
export function expectedRocAuc(probabilities: ArrayLike<number>): number {
  const sorted = Float64Array.from(probabilities);
  for (const p of sorted) checkProbability(p);
  sorted.sort().reverse();
  let positives = 0;
  for (const p of sorted) positives += p;
  const negatives = sorted.length - positives;
  if (!(positives > 0 && negatives > 0)) return Number.NaN;
  let tp = 0;
  let area = 0;
  for (let i = 0; i < sorted.length; ) {
    const s = sorted[i] as number;
    let groupTp = 0;
    let groupFp = 0;
    for (; i < sorted.length && sorted[i] === s; i++) {
      groupTp += s;
      groupFp += 1 - s;
    }
    area += (groupFp * (2 * tp + groupTp)) / 2;
    tp += groupTp;
  }
  return area / (positives * negatives);
}

function checkProbability(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`a probability must be in [0, 1]; got ${p}`);
}

function checkThreshold(t: number): void {
  if (!(t >= 0 && t < 1)) throw new RangeError(`threshold must be in [0, 1); got ${t}`);
}

export interface MulticlassCbpeEstimate {
  readonly count: number;
  /** Mean over rows of the predicted class's probability (the predicted class is the argmax). */
  readonly expectedAccuracy: number;
  /** √(Σqᵢ(1 − qᵢ))/n with qᵢ the predicted class's probability, as in the binary case. */
  readonly standardError: number;
  readonly interval: Interval;
  readonly confidenceLevel: number;
  readonly classes: readonly string[];
  /** One-vs-rest expected ROC AUC of each class, in `classes` order (NaN where undefined). */
  readonly expectedRocAucByClass: readonly number[];
  /** Their mean: NannyML's multiclass ROC AUC (average "macro"). */
  readonly expectedRocAucMacro: number;
  /** Their mean weighted by each class's expected count Σᵢ pᵢₖ (scikit-learn's "weighted"). */
  readonly expectedRocAucWeighted: number;
}

/** How far a row's probabilities may sum from 1 (float32 model outputs in JSON). */
const ROW_SUM_TOLERANCE = 1e-3;

/**
 * CBPE for a multiclass classifier from per-class probabilities (`rows[i][k]` = P(class k) for
 * row i, `classes` naming k). Under calibration row i is right with probability qᵢ, the
 * probability of its predicted class (the argmax; the first of tied maxima), independently of
 * the other rows: the realised accuracy has mean Σqᵢ/n and the Poisson-binomial variance
 * Σqᵢ(1 − qᵢ)/n², as for binary models. Each class's expected ROC AUC is the binary one of its
 * column (class k against the rest).
 */
export function estimateMulticlassPerformance(
  rows: readonly ArrayLike<number>[],
  classes: readonly string[],
  options: { readonly confidenceLevel?: number } = {},
): MulticlassCbpeEstimate {
  const k = classes.length;
  if (k < 2) throw new RangeError(`a multiclass estimate needs at least 2 classes; got ${k}`);
  const confidenceLevel = options.confidenceLevel ?? 0.95;
  const columns = Array.from({ length: k }, () => new Float64Array(rows.length));
  let correct = 0;
  let variance = 0;
  rows.forEach((row, i) => {
    if (row.length !== k) {
      throw new RangeError(`row ${i} has ${row.length} probabilities for ${k} classes`);
    }
    let sum = 0;
    let best = 0;
    for (let c = 0; c < k; c++) {
      const p = row[c] as number;
      checkProbability(p);
      sum += p;
      if (p > (row[best] as number)) best = c;
      (columns[c] as Float64Array)[i] = p;
    }
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
      throw new RangeError(`the probabilities of row ${i} sum to ${sum}, not 1`);
    }
    const q = row[best] as number;
    correct += q;
    variance += q * (1 - q);
  });
  const n = rows.length;
  const z = twoSidedZ(confidenceLevel);
  const expectedAccuracy = n === 0 ? Number.NaN : correct / n;
  const standardError = n === 0 ? Number.NaN : Math.sqrt(variance) / n;
  const byClass = columns.map((column) => (n === 0 ? Number.NaN : expectedRocAuc(column)));
  const defined = byClass.map((auc, c) => ({ auc, weight: sum(columns[c] as Float64Array) }));
  const finite = defined.filter((d) => Number.isFinite(d.auc));
  const totalWeight = finite.reduce((s, d) => s + d.weight, 0);
  return {
    count: n,
    expectedAccuracy,
    standardError,
    interval:
      n === 0
        ? { lower: 0, upper: 1 }
        : {
            lower: Math.max(0, expectedAccuracy - z * standardError),
            upper: Math.min(1, expectedAccuracy + z * standardError),
          },
    confidenceLevel,
    classes,
    expectedRocAucByClass: byClass,
    expectedRocAucMacro: finite.length === k ? finite.reduce((s, d) => s + d.auc, 0) / k : Number.NaN,
    expectedRocAucWeighted:
      finite.length === k && totalWeight > 0
        ? finite.reduce((s, d) => s + d.auc * d.weight, 0) / totalWeight
        : Number.NaN,
  };
}

function sum(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
