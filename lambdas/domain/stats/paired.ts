/**
 * Paired comparison of two models (production and shadow) scored on the same labelled events:
 * which one is more often right (classification, McNemar's test) or closer (regression, a
 * paired test on squared errors), by how much, with its interval, and a verdict at a stated α.
 *
 * Every input is a small mergeable summary, so the shadow pipeline can accumulate it event by
 * event and merge deltas from concurrent batches (as it does its sketches) without keeping the
 * events:
 * - classification needs only the 2×2 table of who was right (`PairedCorrectness`): counts add;
 * - the paired t-test needs only the count, mean and sum of squared deviations of the per-event
 *   differences (`PairedMoments`, the numerically stable form of n, Σd, Σd²), merged with Chan,
 *   Golub and LeVeque's formula (`mergeMoments`) — sums of squares would cancel catastrophically
 *   when squared errors are large and their differences small;
 * - the Wilcoxon signed-rank test, the robust alternative, ranks the differences and so needs
 *   them all: it is for a bounded window of events, not for an unbounded aggregate.
 *
 * References (checked in test/unit/stats-paired.test.ts against fixtures that
 * scripts/fixtures/evaluation-reference.py computes): statsmodels' `mcnemar`, scipy's
 * `ttest_rel` and `wilcoxon`, statsmodels' `DescrStatsW.zconfint_mean`.
 */
import wilcoxon from '@stdlib/stats-wilcoxon';
import jstat from 'jstat';
import { chiSquareSf } from './hypothesis.js';
import { checkConfidenceLevel, type Interval, twoSidedZ } from './intervals.js';

const { jStat } = jstat;

/**
 * How production and shadow fared on the same labelled events. Counts of events, each
 * classified by whether each model's prediction equalled the label.
 */
export interface PairedCorrectness {
  readonly bothCorrect: number;
  /** Production right, shadow wrong (McNemar's b). */
  readonly productionOnlyCorrect: number;
  /** Shadow right, production wrong (McNemar's c). */
  readonly shadowOnlyCorrect: number;
  readonly neitherCorrect: number;
}

/** The verdict on the shadow against production: `Better` means the shadow is better. */
export type PairedVerdict = 'Better' | 'Worse' | 'NoSignificantDifference' | 'InsufficientData';

export interface PairedOptions {
  /** Two-sided significance level of the test behind the verdict. @default 0.05 */
  readonly alpha?: number;
  /** Fewer labelled events than this give `InsufficientData`, whatever the test says. @default 30 */
  readonly minEvents?: number;
}

export type McNemarMethod = 'exact-binomial' | 'chi-square-corrected';

export interface McNemarResult {
  /** Discordant events, b + c: the only ones the test looks at. */
  readonly discordant: number;
  /** min(b, c) for the exact test, (|b − c| − 1)² / (b + c) for the chi-square. */
  readonly statistic: number;
  readonly pValue: number;
  readonly method: McNemarMethod;
}

/**
 * Below this many discordant events McNemar's test is exact (`exact-binomial`), at or above it
 * the continuity-corrected chi-square. The usual rule of thumb (e.g. Rosner, *Fundamentals of
 * Biostatistics*; statsmodels leaves the choice to its caller): under H₀, b ~ Binomial(b + c, ½),
 * and from about 25 discordant pairs its normal approximation — which the corrected chi-square
 * is — is close to the exact p-value, while below it the approximation can be far off. The exact
 * test is always valid (slightly conservative); the chi-square is the form readers recognise.
 */
export const MCNEMAR_EXACT_BELOW = 25;

/**
 * McNemar's test of H₀ "both models are right equally often" on paired correctness — the same
 * numbers as statsmodels' `mcnemar(table, exact=True)` below `exactBelow` discordant events and
 * `mcnemar(table, exact=False, correction=True)` from it on. With no discordant event the models
 * never disagree and p = 1.
 */
export function mcnemarTest(table: PairedCorrectness, exactBelow = MCNEMAR_EXACT_BELOW): McNemarResult {
  checkTable(table);
  const b = table.productionOnlyCorrect;
  const c = table.shadowOnlyCorrect;
  const discordant = b + c;
  if (discordant < exactBelow) {
    const k = Math.min(b, c);
    const pValue = discordant === 0 ? 1 : Math.min(1, 2 * jStat.binomial.cdf(k, discordant, 0.5));
    return { discordant, statistic: k, pValue, method: 'exact-binomial' };
  }
  const statistic = (Math.abs(b - c) - 1) ** 2 / discordant;
  return {
    discordant,
    statistic,
    pValue: chiSquareSf(statistic, 1),
    method: 'chi-square-corrected',
  };
}

/**
 * Count, mean and sum of squared deviations (M₂) of per-event differences, shadow − production.
 * The empty summary is `{ count: 0, mean: 0, m2: 0 }`.
 */
export interface PairedMoments {
  readonly count: number;
  readonly mean: number;
  readonly m2: number;
}

export const EMPTY_MOMENTS: PairedMoments = { count: 0, mean: 0, m2: 0 };

/** The summary with one more difference (Welford's update). */
export function addDifference(moments: PairedMoments, difference: number): PairedMoments {
  if (!Number.isFinite(difference)) throw new RangeError(`a difference must be finite; got ${difference}`);
  const count = moments.count + 1;
  const delta = difference - moments.mean;
  const mean = moments.mean + delta / count;
  return { count, mean, m2: moments.m2 + delta * (difference - mean) };
}

/** Two summaries as one (Chan, Golub & LeVeque 1979): order-free, so deltas merge in any order. */
export function mergeMoments(a: PairedMoments, b: PairedMoments): PairedMoments {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  return {
    count,
    mean: a.mean + (delta * b.count) / count,
    m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / count,
  };
}

/** The per-event differences of the correctness indicators (shadow − production ∈ {−1, 0, 1}). */
export function correctnessMoments(table: PairedCorrectness): PairedMoments {
  checkTable(table);
  const count = totalOf(table);
  if (count === 0) return EMPTY_MOMENTS;
  const sum = table.shadowOnlyCorrect - table.productionOnlyCorrect;
  const sumSquares = table.shadowOnlyCorrect + table.productionOnlyCorrect;
  // Integers: Σd² − (Σd)²/n is exact here, no cancellation to fear.
  return { count, mean: sum / count, m2: sumSquares - (sum * sum) / count };
}

export interface MeanDifference {
  /** Mean of shadow − production over the events. */
  readonly estimate: number;
  readonly standardError: number;
  readonly interval: Interval;
  readonly confidenceLevel: number;
}

/**
 * The paired z-interval for the mean difference, estimate ± z·s/√n with the sample standard
 * deviation s (n − 1) — statsmodels' `DescrStatsW(d).zconfint_mean()`. For correctness
 * differences this is the Wald interval for the difference of two paired proportions, which
 * is fine with hundreds of labelled events and too narrow with few discordant ones: the verdict
 * comes from McNemar's test, not from this interval.
 */
export function meanDifferenceZ(moments: PairedMoments, confidenceLevel = 0.95): MeanDifference {
  return meanDifference(moments, twoSidedZ(confidenceLevel), confidenceLevel);
}

/** The paired t-interval for the mean difference, estimate ± t(n − 1)·s/√n (scipy `ttest_rel(...).confidence_interval()`). */
export function meanDifferenceT(moments: PairedMoments, confidenceLevel = 0.95): MeanDifference {
  checkConfidenceLevel(confidenceLevel);
  const t =
    moments.count > 1 ? jStat.studentt.inv(1 - (1 - confidenceLevel) / 2, moments.count - 1) : Number.NaN;
  return meanDifference(moments, t, confidenceLevel);
}

function meanDifference(moments: PairedMoments, quantile: number, confidenceLevel: number): MeanDifference {
  if (moments.count < 2) {
    return {
      estimate: moments.count === 1 ? moments.mean : Number.NaN,
      standardError: Number.NaN,
      interval: { lower: Number.NEGATIVE_INFINITY, upper: Number.POSITIVE_INFINITY },
      confidenceLevel,
    };
  }
  const standardError = Math.sqrt(Math.max(0, moments.m2) / (moments.count - 1) / moments.count);
  return {
    estimate: moments.mean,
    standardError,
    interval: {
      lower: moments.mean - quantile * standardError,
      upper: moments.mean + quantile * standardError,
    },
    confidenceLevel,
  };
}

export interface TTestResult {
  readonly statistic: number;
  readonly dof: number;
  readonly pValue: number;
}

/**
 * The paired t-test of H₀ "mean difference 0", two-sided — scipy's `ttest_rel(shadow, production)`
 * on the summary of the differences. With no spread (every difference equal) the statistic is
 * ±∞ (p = 0) unless the differences are all 0 (then p = 1), where scipy answers NaN.
 */
export function pairedTTest(moments: PairedMoments): TTestResult {
  const dof = moments.count - 1;
  if (dof < 1) return { statistic: Number.NaN, dof: Math.max(0, dof), pValue: Number.NaN };
  const standardError = Math.sqrt(Math.max(0, moments.m2) / dof / moments.count);
  if (standardError === 0) {
    return moments.mean === 0
      ? { statistic: 0, dof, pValue: 1 }
      : { statistic: Math.sign(moments.mean) * Number.POSITIVE_INFINITY, dof, pValue: 0 };
  }
  const statistic = moments.mean / standardError;
  return { statistic, dof, pValue: Math.min(1, 2 * (1 - jStat.studentt.cdf(Math.abs(statistic), dof))) };
}

export interface WilcoxonResult {
  /** Events left once zero differences are dropped (Wilcoxon's zero method). */
  readonly nonZero: number;
  /** The smaller of the positive and negative rank sums (scipy's two-sided statistic). */
  readonly statistic: number;
  readonly pValue: number;
  readonly method: 'exact' | 'normal';
}

/**
 * The Wilcoxon signed-rank test of H₀ "differences symmetric about 0", two-sided, dropping zero
 * differences (`zero_method='wilcox'`). Exact for up to 50 non-zero differences without ties
 * (@stdlib/stats-wilcoxon's rule), else the normal approximation with the tie correction and
 * without continuity correction — scipy's `wilcoxon(d, method='exact')` and
 * `wilcoxon(d, method='approx', correction=False)`. The ranks, the exact signed-rank
 * distribution and the tie-corrected variance are @stdlib/stats-wilcoxon's.
 */
export function wilcoxonSignedRank(differences: ArrayLike<number>): WilcoxonResult {
  const nonZeroValues: number[] = [];
  for (const x of Array.from(differences)) {
    if (!Number.isFinite(x)) throw new RangeError(`a difference must be finite; got ${x}`);
    if (x !== 0) nonZeroValues.push(x);
  }
  const nonZero = nonZeroValues.length;
  // One signed rank is + or − with probability ½ each: nothing to reject (stdlib needs two).
  if (nonZero < 2) return { nonZero, statistic: 0, pValue: 1, method: 'exact' };
  const hasTies = new Set(nonZeroValues.map(Math.abs)).size < nonZero;
  const result = wilcoxon(nonZeroValues, { correction: false, zeroMethod: 'wilcox' });
  const total = (nonZero * (nonZero + 1)) / 2;
  return {
    nonZero,
    statistic: Math.min(result.statistic, total - result.statistic),
    // stdlib doubles the smaller tail, which passes 1 when the statistic sits at the centre.
    pValue: Math.min(1, result.pValue),
    method: nonZero <= 50 && !hasTies ? 'exact' : 'normal',
  };
}

export interface PairedComparison {
  readonly verdict: PairedVerdict;
  readonly alpha: number;
  /** Labelled events both models were scored on. */
  readonly events: number;
  readonly pValue: number;
}

export interface ClassificationComparison extends PairedComparison {
  readonly productionAccuracy: number;
  readonly shadowAccuracy: number;
  /** Shadow accuracy − production accuracy, with its paired interval at 1 − α. */
  readonly accuracyDifference: MeanDifference;
  readonly test: McNemarResult;
}

/**
 * Production against shadow on the same labelled events, classification: McNemar's test decides
 * the verdict; the accuracy difference and its paired interval say by how much.
 */
export function compareClassifiers(
  table: PairedCorrectness,
  options: PairedOptions = {},
): ClassificationComparison {
  const { alpha, minEvents } = resolve(options);
  const events = totalOf(table);
  const test = mcnemarTest(table);
  const moments = correctnessMoments(table);
  return {
    verdict: verdictOf(events >= minEvents, test.pValue, moments.mean, alpha, 'higher'),
    alpha,
    events,
    pValue: test.pValue,
    productionAccuracy:
      events === 0 ? Number.NaN : (table.bothCorrect + table.productionOnlyCorrect) / events,
    shadowAccuracy: events === 0 ? Number.NaN : (table.bothCorrect + table.shadowOnlyCorrect) / events,
    accuracyDifference: meanDifferenceZ(moments, 1 - alpha),
    test,
  };
}

export interface RegressionComparison extends PairedComparison {
  /** Mean of (shadow's squared error − production's) per event — the difference in MSE — with its t-interval at 1 − α. */
  readonly squaredErrorDifference: MeanDifference;
  readonly test: TTestResult;
}

/**
 * Production against shadow on the same labelled events, regression: the paired t-test on the
 * per-event differences of squared error, (ŷₛ − y)² − (ŷₚ − y)², accumulated as `PairedMoments`.
 * A lower mean squared error is better. With heavy-tailed errors (a few huge misses), read
 * `wilcoxonSignedRank` on the window's differences beside it.
 */
export function compareRegressors(
  squaredErrorDifferences: PairedMoments,
  options: PairedOptions = {},
): RegressionComparison {
  const { alpha, minEvents } = resolve(options);
  const test = pairedTTest(squaredErrorDifferences);
  const events = squaredErrorDifferences.count;
  return {
    verdict: verdictOf(events >= minEvents, test.pValue, squaredErrorDifferences.mean, alpha, 'lower'),
    alpha,
    events,
    pValue: test.pValue,
    squaredErrorDifference: meanDifferenceT(squaredErrorDifferences, 1 - alpha),
    test,
  };
}

/** The squared-error difference of one event, for `addDifference`. */
export function squaredErrorDifference(label: number, production: number, shadow: number): number {
  return (shadow - label) ** 2 - (production - label) ** 2;
}

function verdictOf(
  enough: boolean,
  pValue: number,
  shadowMinusProduction: number,
  alpha: number,
  better: 'higher' | 'lower',
): PairedVerdict {
  if (!enough || Number.isNaN(pValue)) return 'InsufficientData';
  if (pValue >= alpha || shadowMinusProduction === 0) return 'NoSignificantDifference';
  return shadowMinusProduction > 0 === (better === 'higher') ? 'Better' : 'Worse';
}

function resolve(options: PairedOptions): { alpha: number; minEvents: number } {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1); got ${alpha}`);
  const minEvents = options.minEvents ?? 30;
  if (!(Number.isInteger(minEvents) && minEvents >= 2)) {
    throw new RangeError(`minEvents must be an integer ≥ 2; got ${minEvents}`);
  }
  return { alpha, minEvents };
}

function totalOf(table: PairedCorrectness): number {
  return table.bothCorrect + table.productionOnlyCorrect + table.shadowOnlyCorrect + table.neitherCorrect;
}

function checkTable(table: PairedCorrectness): void {
  for (const [name, value] of Object.entries(table)) {
    if (!(Number.isInteger(value) && value >= 0))
      throw new RangeError(`${name} must be a count; got ${value}`);
  }
}
