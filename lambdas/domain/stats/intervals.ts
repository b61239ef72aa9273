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
  const z = twoSidedZ(confidenceLevel);
  if (trials === 0) return { lower: 0, upper: 1 };
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

/** The standard normal quantile z with P(|Z| ≤ z) = `confidenceLevel` (1.96 at 0.95). */
export function twoSidedZ(confidenceLevel: number): number {
  checkConfidenceLevel(confidenceLevel);
  return jStat.normal.inv(1 - (1 - confidenceLevel) / 2, 0, 1);
}

/** Throws unless 0 < level < 1. */
export function checkConfidenceLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1); got ${level}`);
}
