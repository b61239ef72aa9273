import jstat from 'jstat';

const { jStat } = jstat;

/** A two-sided interval for a proportion. */
export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

/**
 * Wilson score interval for a binomial proportion `successes / trials` at a two-sided
 * confidence level (0.95 → 95%), without continuity correction — the same numbers as
 * statsmodels' `proportion_confint(method='wilson')`.
 *
 * Hand-written because jstat has no proportion intervals; the normal quantile comes from
 * jstat. Chosen over the Wald interval, whose coverage collapses near 0 and 1 (exactly
 * where an agreement rate lives): Wilson stays close to nominal coverage there and its
 * bounds stay inside [0, 1]. At `successes === trials` the upper bound is exactly 1.
 */
export function wilsonInterval(successes: number, trials: number, confidenceLevel = 0.95): Interval {
  checkCounts(successes, trials);
  checkLevel(confidenceLevel);
  if (trials === 0) return { lower: 0, upper: 1 };
  const z = jStat.normal.inv(1 - (1 - confidenceLevel) / 2, 0, 1);
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const center = (p + z2n / 2) / (1 + z2n);
  const halfWidth = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials));
  return {
    lower: successes === 0 ? 0 : Math.max(0, center - halfWidth),
    upper: successes === trials ? 1 : Math.min(1, center + halfWidth),
  };
}

/**
 * One-sided exact (Clopper–Pearson) confidence bounds for a binomial proportion: `lower`
 * is the (1 − alpha) lower bound and `upper` the (1 − alpha) upper bound, from Beta
 * quantiles (jstat). Exact bounds never undercover, even at 0 events in few trials, which
 * is where a verdict on a near-perfect shadow is decided.
 */
export function clopperPearsonBounds(events: number, trials: number, alpha = 0.05): Interval {
  checkCounts(events, trials);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1); got ${alpha}`);
  if (trials === 0) return { lower: 0, upper: 1 };
  return {
    lower: events === 0 ? 0 : jStat.beta.inv(alpha, events, trials - events + 1),
    upper: events === trials ? 1 : jStat.beta.inv(1 - alpha, events + 1, trials - events),
  };
}

/**
 * Jensen–Shannon distance, base 2, between two histograms over the same bins (counts or
 * weights, normalised here): sqrt(½ KL(p‖m) + ½ KL(q‖m)) with m = (p + q)/2, in [0, 1].
 * Matches `scipy.spatial.distance.jensenshannon(p, q, base=2)`. No smoothing is needed:
 * m is positive wherever p or q is, and 0·log 0 is taken as 0.
 *
 * Hand-written: neither jstat nor sketches-js has it, and it is a few lines.
 */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  const [pn, qn] = normalisePair(p, q);
  let divergence = 0;
  for (let i = 0; i < pn.length; i++) {
    const a = pn[i] as number;
    const b = qn[i] as number;
    const m = (a + b) / 2;
    if (a > 0) divergence += 0.5 * a * Math.log2(a / m);
    if (b > 0) divergence += 0.5 * b * Math.log2(b / m);
  }
  // Rounding can leave a tiny negative for identical inputs, or a hair above 1.
  return Math.sqrt(Math.min(1, Math.max(0, divergence)));
}

/** The PSI smoothing added to each bin's proportion before renormalising. */
export const DEFAULT_PSI_EPSILON = 1e-4;

/**
 * Population Stability Index of `actual` (shadow) against `expected` (production) over the
 * same bins: Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ), natural log.
 *
 * Epsilon smoothing: an empty bin would make ln(a/e) infinite, so each side's proportions
 * are smoothed as pᵢ' = (pᵢ + ε) / (1 + k·ε) for k bins — additive smoothing that keeps
 * each side a distribution and leaves populated bins all but unchanged (ε = 1e-4 by
 * default). The conventional reading: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major.
 *
 * Hand-written for the same reason as Jensen–Shannon (and no library fixes the smoothing).
 */
export function populationStabilityIndex(
  expected: readonly number[],
  actual: readonly number[],
  epsilon = DEFAULT_PSI_EPSILON,
): number {
  if (!(epsilon > 0)) throw new RangeError(`epsilon must be positive; got ${epsilon}`);
  const [e, a] = normalisePair(expected, actual);
  const k = e.length;
  let psi = 0;
  for (let i = 0; i < k; i++) {
    const ei = ((e[i] as number) + epsilon) / (1 + k * epsilon);
    const ai = ((a[i] as number) + epsilon) / (1 + k * epsilon);
    psi += (ai - ei) * Math.log(ai / ei);
  }
  return psi;
}

function normalisePair(p: readonly number[], q: readonly number[]): [number[], number[]] {
  if (p.length !== q.length || p.length === 0) {
    throw new RangeError(
      `histograms need the same, non-zero number of bins; got ${p.length} and ${q.length}`,
    );
  }
  return [normalise(p), normalise(q)];
}

function normalise(counts: readonly number[]): number[] {
  let total = 0;
  for (const c of counts) {
    if (!(c >= 0) || !Number.isFinite(c)) throw new RangeError(`bin counts must be finite and ≥ 0; got ${c}`);
    total += c;
  }
  if (total === 0) throw new RangeError('a histogram is empty');
  return counts.map((c) => c / total);
}

function checkCounts(successes: number, trials: number): void {
  if (
    !Number.isInteger(trials) ||
    trials < 0 ||
    !Number.isInteger(successes) ||
    successes < 0 ||
    successes > trials
  ) {
    throw new RangeError(`need integers 0 ≤ successes ≤ trials; got ${successes} of ${trials}`);
  }
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1); got ${level}`);
}
