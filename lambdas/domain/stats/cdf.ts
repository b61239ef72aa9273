/**
 * Weighted step CDFs and the distances between them. Every distribution the monitor compares
 * (a raw sample, a DDSketch's bins, a SageMaker KLL sketch's weighted items) becomes an
 * `EmpiricalCdf`: distinct values in ascending order, each with its weight. The distances
 * below are written by hand because they are a few lines over this shape and no installed
 * library computes them on weighted, pre-binned data; each is checked against scipy in
 * test/unit/monitoring-reference.test.ts.
 */
export interface EmpiricalCdf {
  /** Distinct values, ascending. */
  readonly values: Float64Array;
  /** Weight (count) of each value; same length as `values`. */
  readonly weights: Float64Array;
  /** Sum of the weights (the sample size). */
  readonly total: number;
}

/** The ECDF of a raw sample (NaN values are ignored). */
export function cdfFromSample(sample: ArrayLike<number>): EmpiricalCdf {
  const sorted = Float64Array.from(sample).filter((x) => !Number.isNaN(x));
  sorted.sort();
  const values = new Float64Array(sorted.length);
  const weights = new Float64Array(sorted.length);
  let k = -1;
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i] as number;
    if (k >= 0 && values[k] === x) {
      weights[k] = (weights[k] as number) + 1;
    } else {
      k++;
      values[k] = x;
      weights[k] = 1;
    }
  }
  return { values: values.slice(0, k + 1), weights: weights.slice(0, k + 1), total: sorted.length };
}

/** The ECDF of weighted points in any order (equal values are combined). */
export function cdfFromWeighted(points: readonly (readonly [number, number])[]): EmpiricalCdf {
  const sorted = points.filter(([x, w]) => Number.isFinite(x) && w > 0).sort((a, b) => a[0] - b[0]);
  const values: number[] = [];
  const weights: number[] = [];
  let total = 0;
  for (const [x, w] of sorted) {
    total += w;
    if (values.length > 0 && values[values.length - 1] === x) {
      weights[weights.length - 1] = (weights[weights.length - 1] as number) + w;
    } else {
      values.push(x);
      weights.push(w);
    }
  }
  return { values: Float64Array.from(values), weights: Float64Array.from(weights), total };
}

/**
 * Walks the union of both supports in ascending order, calling `visit` after each point
 * with both CDFs evaluated there (right-continuous, as scipy's `searchsorted(side='right')`)
 * and the gap to the next point (0 after the last).
 */
function walk(
  a: EmpiricalCdf,
  b: EmpiricalCdf,
  visit: (fa: number, fb: number, x: number, gap: number) => void,
): void {
  const av = a.values;
  const bv = b.values;
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  while (i < av.length || j < bv.length) {
    const xa = i < av.length ? (av[i] as number) : Number.POSITIVE_INFINITY;
    const xb = j < bv.length ? (bv[j] as number) : Number.POSITIVE_INFINITY;
    const x = Math.min(xa, xb);
    if (xa === x) ca += a.weights[i++] as number;
    if (xb === x) cb += b.weights[j++] as number;
    const next = Math.min(
      i < av.length ? (av[i] as number) : Number.POSITIVE_INFINITY,
      j < bv.length ? (bv[j] as number) : Number.POSITIVE_INFINITY,
    );
    visit(ca / a.total, cb / b.total, x, next === Number.POSITIVE_INFINITY ? 0 : next - x);
  }
}

/**
 * L∞ distance between the CDFs: sup |F_a(x) − F_b(x)|, the two-sample Kolmogorov–Smirnov
 * statistic D and deequ's `linf_simple`.
 */
export function lInfinity(a: EmpiricalCdf, b: EmpiricalCdf): number {
  if (a.total === 0 || b.total === 0) return Number.NaN;
  let d = 0;
  walk(a, b, (fa, fb) => {
    const diff = Math.abs(fa - fb);
    if (diff > d) d = diff;
  });
  return d;
}

/** First Wasserstein distance W1 = ∫|F_a − F_b| dx (scipy.stats.wasserstein_distance). */
export function wasserstein1(a: EmpiricalCdf, b: EmpiricalCdf): number {
  if (a.total === 0 || b.total === 0) return Number.NaN;
  let w = 0;
  walk(a, b, (fa, fb, _x, gap) => {
    w += Math.abs(fa - fb) * gap;
  });
  return w;
}

/** F(x) = weight of values ≤ x, over the total. */
export function cdfAt(cdf: EmpiricalCdf, x: number): number {
  // Binary search for the last value ≤ x, then sum weights up to it (prefix sums are cheap
  // to recompute here: called a handful of times per feature).
  let lo = 0;
  let hi = cdf.values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cdf.values[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  let w = 0;
  for (let i = 0; i < lo; i++) w += cdf.weights[i] as number;
  return w / cdf.total;
}

/**
 * Counts in the buckets (−∞, e₀], (e₀, e₁], …, (e_last, ∞) for ascending `edges`. Weights,
 * not proportions, so that tests can be run on them.
 */
export function bucketCounts(cdf: EmpiricalCdf, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let k = 0;
  for (let i = 0; i < cdf.values.length; i++) {
    const x = cdf.values[i] as number;
    while (k < edges.length && x > (edges[k] as number)) k++;
    counts[k] = (counts[k] as number) + (cdf.weights[i] as number);
  }
  return counts;
}

/**
 * The value at quantile q (0 ≤ q ≤ 1) as the lower empirical quantile (the smallest value whose
 * CDF reaches q), which is numpy's `method='inverted_cdf'`.
 */
export function quantileOf(cdf: EmpiricalCdf, q: number): number {
  if (cdf.total === 0) return Number.NaN;
  const target = q * cdf.total;
  let w = 0;
  for (let i = 0; i < cdf.values.length; i++) {
    w += cdf.weights[i] as number;
    if (w >= target) return cdf.values[i] as number;
  }
  return cdf.values[cdf.values.length - 1] as number;
}

/** Largest weight share of any one point: the step size that bounds binning error. */
export function maxStep(cdf: EmpiricalCdf): number {
  let m = 0;
  for (let i = 0; i < cdf.weights.length; i++)
    if ((cdf.weights[i] as number) > m) m = cdf.weights[i] as number;
  return cdf.total > 0 ? m / cdf.total : 0;
}

/** Mean of |x − c| over the distribution. */
export function meanAbsoluteDeviationFrom(cdf: EmpiricalCdf, c: number): number {
  let s = 0;
  for (let i = 0; i < cdf.values.length; i++)
    s += Math.abs((cdf.values[i] as number) - c) * (cdf.weights[i] as number);
  return cdf.total > 0 ? s / cdf.total : 0;
}
