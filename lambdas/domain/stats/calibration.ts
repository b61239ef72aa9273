/**
 * Is a binary classifier's probability calibrated (P(y = 1 | p) = p)? Checked on an offline
 * labelled set, this says whether confidence-based performance estimation
 * (`performance-estimation.ts`) can be trusted on live traffic, and `fitIsotonic` repairs a
 * miscalibrated model from the same set.
 *
 * The reliability table bins the probabilities as scikit-learn's `calibration_curve` does
 * (`uniform`: n equal-width bins of [0, 1]; `quantile`: edges at the sample's percentiles, linear
 * interpolation; a value on an inner edge belongs to the bin below), and keeps empty bins with a
 * count of 0. The expected calibration error is Σ_b (n_b/n)·|fraction positive_b − mean p_b|.
 *
 * Why ECE decides trust: with equal-width bins whose edges include the decision threshold (10
 * bins at 0.5), every bin lies on one side of the threshold, so on the offline set the realised
 * accuracy minus CBPE's estimate is Σ_b ±(n_b/n)(fraction_b − mean p_b), at most the ECE in
 * absolute value. `maxEce` (0.05 by default) therefore bounds the estimate's bias at 5 points of
 * accuracy on data like the offline set. A perfectly calibrated model still shows an ECE above 0
 * on a finite set — about Σ_b (n_b/n)·√(2/π)·√(Σᵢ pᵢ(1 − pᵢ))/n_b, its `noiseFloor` — so a set
 * whose noise floor passes half of `maxEce` cannot tell and the check answers `InsufficientData`
 * (about 1,500 rows suffice with 10 bins).
 */

export type BinStrategy = 'uniform' | 'quantile';

export interface ReliabilityBin {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean predicted probability in the bin (NaN when empty) — `prob_pred`. */
  readonly meanPredicted: number;
  /** Fraction of positive labels in the bin (NaN when empty) — `prob_true`. */
  readonly fractionPositive: number;
}

export type CalibrationStatus = 'Calibrated' | 'Miscalibrated' | 'InsufficientData';

export interface CalibrationOptions {
  /** @default 10 */
  readonly bins?: number;
  /** @default 'uniform' (its edges include 0.5, which makes the ECE bound CBPE's accuracy bias) */
  readonly strategy?: BinStrategy;
  /** The largest ECE at which CBPE is trusted. @default 0.05 */
  readonly maxEce?: number;
}

export interface CalibrationCheck {
  readonly status: CalibrationStatus;
  readonly count: number;
  readonly expectedCalibrationError: number;
  /** The ECE expected of a perfectly calibrated model with these probabilities and bins. */
  readonly noiseFloor: number;
  readonly maxEce: number;
  readonly strategy: BinStrategy;
  readonly bins: readonly ReliabilityBin[];
}

export const DEFAULT_MAX_ECE = 0.05;

/** The reliability table of probabilities against 0/1 labels. */
export function reliabilityTable(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = 10,
  strategy: BinStrategy = 'uniform',
): ReliabilityBin[] {
  checkPairs(probabilities, labels);
  if (!(Number.isInteger(bins) && bins >= 1))
    throw new RangeError(`bins must be a positive integer; got ${bins}`);
  const edges = strategy === 'uniform' ? uniformEdges(bins) : percentileEdges(probabilities, bins);
  const count = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    const b = binOf(edges, p);
    count[b] = (count[b] as number) + 1;
    sumP[b] = (sumP[b] as number) + p;
    sumY[b] = (sumY[b] as number) + (labels[i] as number);
  }
  return count.map((n, b) => ({
    lower: edges[b] as number,
    upper: edges[b + 1] as number,
    count: n,
    meanPredicted: n === 0 ? Number.NaN : (sumP[b] as number) / n,
    fractionPositive: n === 0 ? Number.NaN : (sumY[b] as number) / n,
  }));
}

/** The calibration check: reliability table, ECE, its noise floor and the verdict on trust. */
export function checkCalibration(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: CalibrationOptions = {},
): CalibrationCheck {
  const strategy = options.strategy ?? 'uniform';
  const maxEce = options.maxEce ?? DEFAULT_MAX_ECE;
  if (!(maxEce > 0 && maxEce < 1)) throw new RangeError(`maxEce must be in (0, 1); got ${maxEce}`);
  const table = reliabilityTable(probabilities, labels, options.bins ?? 10, strategy);
  const count = probabilities.length;
  const edges = [table[0]?.lower ?? 0, ...table.map((b) => b.upper)];
  // Σᵢ pᵢ(1 − pᵢ) per bin: the variance of its positive count under perfect calibration.
  const variance = new Array<number>(table.length).fill(0);
  for (let i = 0; i < count; i++) {
    const p = probabilities[i] as number;
    const b = binOf(edges, p);
    variance[b] = (variance[b] as number) + p * (1 - p);
  }
  let ece = 0;
  let noiseFloor = 0;
  table.forEach((bin, b) => {
    if (bin.count === 0) return;
    ece += (bin.count / count) * Math.abs(bin.fractionPositive - bin.meanPredicted);
    // E|N(0, σ²)| = σ√(2/π): the normal approximation of the bin's |Σ(yᵢ − pᵢ)|.
    noiseFloor += (Math.sqrt(2 / Math.PI) * Math.sqrt(variance[b] as number)) / count;
  });
  const status: CalibrationStatus =
    count === 0 || noiseFloor > maxEce / 2
      ? 'InsufficientData'
      : ece <= maxEce
        ? 'Calibrated'
        : 'Miscalibrated';
  return {
    status,
    count,
    expectedCalibrationError: count === 0 ? Number.NaN : ece,
    noiseFloor,
    maxEce,
    strategy,
    bins: table,
  };
}

/**
 * A monotone map from raw to calibrated probability: the fitted points (x ascending), linearly
 * interpolated between them and held constant beyond them. Plain arrays, so it can be stored with
 * the model package and applied at inference or estimation time.
 */
export interface IsotonicCalibrator {
  readonly x: readonly number[];
  readonly y: readonly number[];
}

/**
 * Isotonic regression of labels on probabilities by the pool-adjacent-violators algorithm —
 * scikit-learn's `IsotonicRegression(y_min=0, y_max=1, out_of_bounds='clip')`: equal x are first
 * pooled into their (weighted) mean, then adjacent blocks that decrease are merged into their
 * weighted mean until the sequence is non-decreasing. Written by hand because no maintained npm
 * package does isotonic regression (nor Platt scaling); PAVA is one linear pass with a stack.
 */
export function fitIsotonic(probabilities: ArrayLike<number>, labels: ArrayLike<number>): IsotonicCalibrator {
  checkPairs(probabilities, labels);
  if (probabilities.length === 0)
    throw new RangeError('isotonic calibration needs at least one labelled row');
  const order = Array.from({ length: probabilities.length }, (_, i) => i).sort(
    (a, b) => (probabilities[a] as number) - (probabilities[b] as number),
  );
  // Blocks on a stack: each its first x, last x, weight and mean label.
  const xs: number[] = [];
  const means: number[] = [];
  const weights: number[] = [];
  const starts: number[] = [];
  for (const i of order) {
    const x = probabilities[i] as number;
    const y = labels[i] as number;
    if (xs.length > 0 && xs[xs.length - 1] === x) {
      const k = xs.length - 1;
      const w = weights[k] as number;
      means[k] = ((means[k] as number) * w + y) / (w + 1);
      weights[k] = w + 1;
    } else {
      xs.push(x);
      means.push(y);
      weights.push(1);
    }
  }
  // PAVA over the distinct x: block k covers distinct points starts[k] .. starts[k+1] − 1.
  const blockMean: number[] = [];
  const blockWeight: number[] = [];
  for (let j = 0; j < xs.length; j++) {
    let m = means[j] as number;
    let w = weights[j] as number;
    let start = j;
    while (blockMean.length > 0 && (blockMean[blockMean.length - 1] as number) >= m) {
      const pm = blockMean.pop() as number;
      const pw = blockWeight.pop() as number;
      start = starts.pop() as number;
      m = (pm * pw + m * w) / (pw + w);
      w += pw;
    }
    blockMean.push(m);
    blockWeight.push(w);
    starts.push(start);
  }
  const y = new Array<number>(xs.length);
  starts.forEach((start, k) => {
    const end = k + 1 < starts.length ? (starts[k + 1] as number) : xs.length;
    for (let j = start; j < end; j++) y[j] = Math.min(1, Math.max(0, blockMean[k] as number));
  });
  return { x: xs, y };
}

/** The calibrated probability of p: linear between fitted points, clipped beyond them. */
export function applyIsotonic(calibrator: IsotonicCalibrator, p: number): number {
  const { x, y } = calibrator;
  const last = x.length - 1;
  if (p <= (x[0] as number)) return y[0] as number;
  if (p >= (x[last] as number)) return y[last] as number;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((x[mid] as number) <= p) lo = mid;
    else hi = mid;
  }
  const x0 = x[lo] as number;
  const x1 = x[hi] as number;
  const y0 = y[lo] as number;
  return y0 + ((p - x0) * ((y[hi] as number) - y0)) / (x1 - x0);
}

function uniformEdges(bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => i / bins);
}

/** numpy's `percentile` with linear interpolation at 0, 100/bins, ..., 100. */
function percentileEdges(probabilities: ArrayLike<number>, bins: number): number[] {
  const sorted = Float64Array.from(probabilities).sort();
  if (sorted.length === 0) return uniformEdges(bins);
  return Array.from({ length: bins + 1 }, (_, i) => {
    const position = (i / bins) * (sorted.length - 1);
    const below = Math.floor(position);
    const above = Math.min(sorted.length - 1, below + 1);
    const lo = sorted[below] as number;
    return lo + (position - below) * ((sorted[above] as number) - lo);
  });
}

/** numpy's `searchsorted(edges[1:-1], p, side='left')`: the number of inner edges below p. */
function binOf(edges: readonly number[], p: number): number {
  let b = 0;
  while (b < edges.length - 2 && (edges[b + 1] as number) < p) b++;
  return b;
}

function checkPairs(probabilities: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (probabilities.length !== labels.length) {
    throw new RangeError(`${probabilities.length} probabilities but ${labels.length} labels`);
  }
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`a probability must be in [0, 1]; got ${p} at row ${i}`);
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new RangeError(`a label must be 0 or 1; got ${y} at row ${i}`);
  }
}
