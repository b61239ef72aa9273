/**
 * Calibrated drift, beside SageMaker's L∞ check. On a large window any difference is
 * "significant" and on a small one big differences are noise; a fixed L∞ threshold gets both
 * wrong. Here each feature is flagged only when
 *   (1) a two-sample test rejects "same distribution" after correcting for testing every
 *       feature — KS for numeric features, chi-square homogeneity for String ones — and
 *   (2) the shift is large enough to matter, by an effect size.
 *
 * Effect thresholds (defaults):
 * - normalised Wasserstein W1/σ_baseline ≥ 0.1: the distribution moved, on average, by at
 *   least a tenth of the baseline's standard deviation — half of Cohen's "small" effect
 *   (d = 0.2), so the gate only removes shifts too small for a model to notice;
 * - PSI ≥ 0.1: the industry's line between "stable" and "moderate shift" (Siddiqi), which
 *   also catches shape changes (a new mode, a changed spread) whose W1 is small.
 * A numeric feature needs either, a categorical one the PSI. Jensen–Shannon distance is
 * reported, not gated.
 *
 * Numeric features are compared through statistics.json's `distribution.kll.sketch`: exact
 * value counts for features with at most 1,000 distinct numbers, else the DDSketch's bins
 * (or a SageMaker KLL sketch's items). With DDSketches on the same grid (the monitor centres
 * the window's sketches on the baseline's), the KS statistic D computed on bins satisfies
 * D_bins ≤ D_exact ≤ D_bins + max bin mass (`statisticErrorBound`), and W1 is within
 * α/(1−α)·(E|X−c| + E|Y−c|) of the exact value (`wassersteinErrorBound`); see `errorBounds`.
 * PSI and JS use the baseline's deciles as buckets.
 */
import {
  bucketCounts,
  lInfinity,
  maxStep,
  meanAbsoluteDeviationFrom,
  quantileOf,
  wasserstein1,
} from '../../stats/cdf.js';
import { jensenShannonDistance, populationStabilityIndex } from '../../stats/divergence.js';
import { benjaminiHochberg, bonferroni, chiSquareHomogeneity, ksPValue } from '../../stats/hypothesis.js';
import {
  alignCategories,
  categoricalCounts,
  type NumericDistribution,
  numericDistribution,
  sameGrid,
} from './distributions.js';
import type { FeatureStatistics, Statistics } from './schemas.js';

/** Floored proportions: the rule Model Monitor's drift reports have always used (see PsiSmoothing). */
const MONITOR_PSI_SMOOTHING = 'floor';

export type Correction = 'benjamini-hochberg' | 'bonferroni' | 'none';

export interface DriftOptions {
  /** Family-wise (Bonferroni) or false-discovery (Benjamini–Hochberg) level. @default 0.05 */
  readonly alpha?: number;
  /** @default 'benjamini-hochberg' */
  readonly correction?: Correction;
  /** @default 0.1 */
  readonly psiThreshold?: number;
  /** On W1 / baseline standard deviation. @default 0.1 */
  readonly wassersteinThreshold?: number;
  /** KS p-value: exact for small samples (n·m ≤ exactMaxProduct), else asymptotic. @default 'auto' */
  readonly ksMethod?: 'auto' | 'exact' | 'asymptotic';
  /** @default 1_000_000 */
  readonly exactMaxProduct?: number;
  /** Buckets (baseline quantiles) for PSI and JS on numeric features. @default 10 */
  readonly numericBuckets?: number;
  /** Chi-square: categories whose expected count is below this are pooled. @default 5 */
  readonly minExpected?: number;
}

export type DriftRule = 'l_infinity' | 'ks+effect' | 'chi2+effect';

export interface FeatureDrift {
  readonly feature: string;
  readonly kind: 'numeric' | 'categorical';
  readonly test: 'ks' | 'chi2';
  /** KS D, or Pearson's χ². */
  readonly statistic: number;
  /** Numeric, DDSketches on one grid: D_exact ∈ [statistic, statistic + bound]. */
  readonly statisticErrorBound?: number;
  readonly dof?: number;
  readonly pValue: number;
  readonly pValueMethod: 'exact' | 'asymptotic';
  /** After the correction for the number of features. */
  readonly adjustedPValue: number;
  readonly baselineCount: number;
  readonly currentCount: number;
  readonly effect: {
    readonly psi: number;
    readonly jensenShannon: number;
    readonly wasserstein?: number;
    readonly wassersteinNormalized?: number;
    readonly wassersteinErrorBound?: number;
  };
  readonly significant: boolean;
  readonly effectExceeded: boolean;
  readonly drifted: boolean;
  /** The rule that flagged the feature, if any. */
  readonly rule: 'ks+effect' | 'chi2+effect' | null;
}

export interface DriftReport {
  readonly outcome: 'NoData' | 'Compared';
  readonly message?: string;
  readonly alpha: number;
  readonly correction: Correction;
  readonly thresholds: { readonly psi: number; readonly wassersteinNormalized: number };
  readonly features: FeatureDrift[];
  /** Baseline features that could not be tested, and why. */
  readonly skipped: { readonly feature: string; readonly reason: string }[];
  /** Names of the drifted features. */
  readonly drifted: string[];
}

type Untested = Omit<FeatureDrift, 'adjustedPValue' | 'significant' | 'drifted' | 'rule' | 'effectExceeded'>;

/** Compares every baseline feature with the window's, corrects, and flags. */
export function detectDrift(
  baseline: Statistics,
  current: Statistics,
  options: DriftOptions = {},
): DriftReport {
  const alpha = options.alpha ?? 0.05;
  const correction = options.correction ?? 'benjamini-hochberg';
  const psiThreshold = options.psiThreshold ?? 0.1;
  const wassersteinThreshold = options.wassersteinThreshold ?? 0.1;
  const base = {
    alpha,
    correction,
    thresholds: { psi: psiThreshold, wassersteinNormalized: wassersteinThreshold },
  };
  if (current.dataset.item_count === 0) {
    return {
      ...base,
      outcome: 'NoData',
      message: 'The window holds no rows: nothing to compare with the baseline.',
      features: [],
      skipped: [],
      drifted: [],
    };
  }
  const currentByName = new Map(current.features.map((f) => [f.name, f]));
  const tested: Untested[] = [];
  const skipped: { feature: string; reason: string }[] = [];
  for (const b of baseline.features) {
    const c = currentByName.get(b.name);
    if (!c) {
      skipped.push({ feature: b.name, reason: 'absent from this window' });
      continue;
    }
    const result =
      b.inferred_type === 'Integral' || b.inferred_type === 'Fractional'
        ? testNumeric(b, c, options)
        : b.inferred_type === 'String'
          ? testCategorical(b, c, options)
          : 'the baseline has no values for it (Unknown type)';
    if (typeof result === 'string') skipped.push({ feature: b.name, reason: result });
    else tested.push(result);
  }
  const pValues = tested.map((t) => t.pValue);
  const adjusted =
    correction === 'bonferroni'
      ? bonferroni(pValues)
      : correction === 'benjamini-hochberg'
        ? benjaminiHochberg(pValues)
        : pValues;
  const features = tested.map((t, i): FeatureDrift => {
    const adjustedPValue = adjusted[i] as number;
    const significant = adjustedPValue <= alpha;
    const effectExceeded =
      t.effect.psi >= psiThreshold ||
      (t.effect.wassersteinNormalized !== undefined &&
        t.effect.wassersteinNormalized >= wassersteinThreshold);
    const drifted = significant && effectExceeded;
    return {
      ...t,
      adjustedPValue,
      significant,
      effectExceeded,
      drifted,
      rule: drifted ? (t.test === 'ks' ? 'ks+effect' : 'chi2+effect') : null,
    };
  });
  return {
    ...base,
    outcome: 'Compared',
    features,
    skipped,
    drifted: features.filter((f) => f.drifted).map((f) => f.feature),
  };
}

function testNumeric(b: FeatureStatistics, c: FeatureStatistics, options: DriftOptions): Untested | string {
  const a = numericDistribution(b);
  const d = numericDistribution(c);
  if (!a) return 'the baseline has no numeric sketch for it';
  if (!d) return 'no numeric values in this window';
  const statistic = lInfinity(a.cdf, d.cdf);
  const n = a.cdf.total;
  const m = d.cdf.total;
  const { pValue, method } = ksPValue(statistic, n, m, {
    method: options.ksMethod ?? 'auto',
    ...(options.exactMaxProduct === undefined ? {} : { exactMaxProduct: options.exactMaxProduct }),
  });
  const buckets = options.numericBuckets ?? 10;
  const edges: number[] = [];
  for (let k = 1; k < buckets; k++) {
    const q = quantileOf(a.cdf, k / buckets);
    if (edges.length === 0 || q > (edges[edges.length - 1] as number)) edges.push(q);
  }
  const pa = bucketCounts(a.cdf, edges);
  const pd = bucketCounts(d.cdf, edges);
  const wasserstein = wasserstein1(a.cdf, d.cdf);
  const sigma = b.numerical_statistics?.std_dev ?? 0;
  const wassersteinNormalized =
    sigma > 0 ? wasserstein / sigma : wasserstein > 0 ? Number.POSITIVE_INFINITY : 0;
  const bounds = errorBounds(a, d);
  return {
    feature: b.name,
    kind: 'numeric',
    test: 'ks',
    statistic,
    ...(bounds ? { statisticErrorBound: bounds.statistic } : {}),
    pValue,
    pValueMethod: method,
    baselineCount: n,
    currentCount: m,
    effect: {
      psi: populationStabilityIndex(pa, pd, MONITOR_PSI_SMOOTHING),
      jensenShannon: jensenShannonDistance(pa, pd),
      wasserstein,
      wassersteinNormalized,
      ...(bounds ? { wassersteinErrorBound: bounds.wasserstein } : {}),
    },
  };
}

/**
 * How far the KS statistic and W1 computed on these representations can be from the values on
 * the raw data (null when a side is a KLL sketch, whose rank error is not known here).
 * Exact sides add nothing. A DDSketch side moves each value by at most α·|v − center| (so W1
 * by at most α/(1−α)·E|rep − center|) and shifts its CDF, wherever it is evaluated, by at most
 * its heaviest bin; two sketches on one grid move together, so the larger of the two bins
 * bounds D (and D_bins ≤ D_exact), otherwise their sum.
 */
function errorBounds(
  a: NumericDistribution,
  b: NumericDistribution,
): { statistic: number; wasserstein: number } | null {
  if (a.source === 'KLL' || b.source === 'KLL') return null;
  const side = (x: NumericDistribution) =>
    x.source === 'DDSketch' && x.grid
      ? {
          step: maxStep(x.cdf),
          transport:
            (x.grid.relativeAccuracy / (1 - x.grid.relativeAccuracy)) *
            meanAbsoluteDeviationFrom(x.cdf, x.grid.center),
        }
      : { step: 0, transport: 0 };
  const sa = side(a);
  const sb = side(b);
  return {
    statistic: sameGrid(a, b) ? Math.max(sa.step, sb.step) : sa.step + sb.step,
    wasserstein: sa.transport + sb.transport,
  };
}

/**
 * Pools the categories whose expected count (under homogeneity) is below `minExpected` into
 * one column, and that column into the smallest other one if it is still below.
 */
export function poolSparseCategories(
  a: readonly number[],
  b: readonly number[],
  minExpected = 5,
): [number[], number[]] {
  const ta = a.reduce((s, x) => s + x, 0);
  const tb = b.reduce((s, x) => s + x, 0);
  const total = ta + tb;
  const keepA: number[] = [];
  const keepB: number[] = [];
  let poolA = 0;
  let poolB = 0;
  for (let i = 0; i < a.length; i++) {
    const col = (a[i] as number) + (b[i] as number);
    if (col === 0) continue;
    const smallestExpected = (Math.min(ta, tb) * col) / total;
    if (smallestExpected < minExpected) {
      poolA += a[i] as number;
      poolB += b[i] as number;
    } else {
      keepA.push(a[i] as number);
      keepB.push(b[i] as number);
    }
  }
  if (poolA + poolB > 0) {
    const expected = (Math.min(ta, tb) * (poolA + poolB)) / total;
    if (expected >= minExpected || keepA.length === 0) {
      keepA.push(poolA);
      keepB.push(poolB);
    } else {
      let smallest = 0;
      for (let i = 1; i < keepA.length; i++) {
        if (
          (keepA[i] as number) + (keepB[i] as number) <
          (keepA[smallest] as number) + (keepB[smallest] as number)
        ) {
          smallest = i;
        }
      }
      keepA[smallest] = (keepA[smallest] as number) + poolA;
      keepB[smallest] = (keepB[smallest] as number) + poolB;
    }
  }
  return [keepA, keepB];
}

function testCategorical(
  b: FeatureStatistics,
  c: FeatureStatistics,
  options: DriftOptions,
): Untested | string {
  const a = categoricalCounts(b);
  const d = categoricalCounts(c);
  if (!a) return 'the baseline has no categorical distribution for it';
  if (!d) return 'no String values in this window';
  const aligned = alignCategories(a, d);
  const [pa, pd] = poolSparseCategories(aligned.a, aligned.b, options.minExpected ?? 5);
  const { statistic, dof, pValue } = chiSquareHomogeneity([pa, pd]);
  return {
    feature: b.name,
    kind: 'categorical',
    test: 'chi2',
    statistic,
    dof,
    pValue,
    pValueMethod: 'asymptotic',
    baselineCount: a.total,
    currentCount: d.total,
    effect: {
      psi: populationStabilityIndex(aligned.a, aligned.b, MONITOR_PSI_SMOOTHING),
      jensenShannon: jensenShannonDistance(aligned.a, aligned.b),
    },
  };
}

export interface DriftFinding {
  readonly feature: string;
  /** Every rule that flagged the feature: SageMaker's L∞ check and/or the calibrated test. */
  readonly flaggedBy: DriftRule[];
}

/**
 * One line per flagged feature naming the rules that flagged it, from the constraint checks'
 * drift distances (`l_infinity`) and the calibrated report (`ks+effect`, `chi2+effect`).
 */
export function driftFindings(
  distances: readonly { readonly feature: string; readonly exceeded: boolean }[],
  report: DriftReport,
): DriftFinding[] {
  const rules = new Map<string, DriftRule[]>();
  const add = (feature: string, rule: DriftRule) => rules.set(feature, [...(rules.get(feature) ?? []), rule]);
  for (const d of distances) if (d.exceeded) add(d.feature, 'l_infinity');
  for (const f of report.features) if (f.rule) add(f.feature, f.rule);
  return [...rules].map(([feature, flaggedBy]) => ({ feature, flaggedBy }));
}
