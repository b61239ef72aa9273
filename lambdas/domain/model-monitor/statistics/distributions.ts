/**
 * Reading the distributions a statistics.json holds: the numeric CDF of a feature (from
 * Understudy's DDSketch, or from SageMaker's KLL sketch so that baselines made by SageMaker
 * keep working), and the categorical counts of a String feature.
 */
import { bucketCounts, cdfFromWeighted, type EmpiricalCdf, quantileOf } from '../../stats/cdf.js';
import type { FeatureStatistics, Statistics } from './schemas.js';
import { CenteredSketch } from './sketch.js';

export interface NumericDistribution {
  readonly cdf: EmpiricalCdf;
  /** `exact`: the feature's value counts (≤ 1,000 distinct numbers); else the sketch's bins or items. */
  readonly source: 'exact' | 'DDSketch' | 'KLL';
  /** For DDSketches: the bin grid (two sketches with equal grids have aligned bins). */
  readonly grid?: { readonly center: number; readonly relativeAccuracy: number };
}

/**
 * Distributions already built, per feature statistics object: an execution's checks, drift
 * tests and report each read the same features' distributions (a sketch rebuilt from its
 * bins each time, ~1 ms a feature). Statistics objects are not changed once built.
 */
const distributions = new WeakMap<FeatureStatistics, NumericDistribution | null>();

/** The feature's numeric distribution, or null when the file has no usable sketch. */
export function numericDistribution(feature: FeatureStatistics): NumericDistribution | null {
  let distribution = distributions.get(feature);
  if (distribution === undefined) {
    distribution = buildNumericDistribution(feature);
    distributions.set(feature, distribution);
  }
  return distribution;
}

function buildNumericDistribution(feature: FeatureStatistics): NumericDistribution | null {
  const stats = feature.numerical_statistics;
  const sketch = stats?.distribution?.kll?.sketch;
  if (!stats || !sketch || stats.common.num_present === 0) return null;
  const info = sketch.understudy;
  if (info?.values && info.values.length > 0) {
    const points: [number, number][] = [];
    for (let i = 0; i + 1 < info.values.length; i += 2)
      points.push([info.values[i] as number, info.values[i + 1] as number]);
    return { cdf: cdfFromWeighted(points), source: 'exact' };
  }
  if (info) {
    const [pos = [], neg = [], zero = [0]] = sketch.data;
    const dd = CenteredSketch.fromJSON({
      type: 'DDSketch',
      relative_accuracy: info.relative_accuracy,
      center: info.center,
      data: [pos, neg, [zero[0] ?? 0]],
    });
    if (dd.count === 0) return null;
    return {
      cdf: dd.toCdf(),
      source: 'DDSketch',
      grid: { center: info.center, relativeAccuracy: info.relative_accuracy },
    };
  }
  // SageMaker's KLL sketch (deequ QuantileNonSample): level h items weigh 2^h.
  const points: [number, number][] = [];
  sketch.data.forEach((level, h) => {
    for (const item of level) points.push([item, 2 ** h]);
  });
  const cdf = cdfFromWeighted(points);
  return cdf.total > 0 ? { cdf, source: 'KLL' } : null;
}

/** The DDSketch a statistics file holds for a numeric feature (null without one, or for a KLL sketch). */
export function featureSketch(statistics: Statistics, featureName: string): CenteredSketch | null {
  const sketch = statistics.features.find((f) => f.name === featureName)?.numerical_statistics?.distribution
    ?.kll?.sketch;
  const info = sketch?.understudy;
  if (!sketch || !info) return null;
  const [pos = [], neg = [], zero = [0]] = sketch.data;
  return CenteredSketch.fromJSON({
    type: 'DDSketch',
    relative_accuracy: info.relative_accuracy,
    center: info.center,
    data: [pos, neg, [zero[0] ?? 0]],
  });
}

/** True when two distributions come from DDSketches on the same bin grid. */
export function sameGrid(a: NumericDistribution, b: NumericDistribution): boolean {
  return (
    a.grid !== undefined &&
    b.grid !== undefined &&
    a.grid.center === b.grid.center &&
    a.grid.relativeAccuracy === b.grid.relativeAccuracy
  );
}

export interface CategoricalCounts {
  readonly counts: ReadonlyMap<string, number>;
  /** Values not listed in the buckets (beyond the cap). */
  readonly other: number;
  readonly total: number;
}

/** The feature's value counts, or null when it has no categorical distribution. */
export function categoricalCounts(feature: FeatureStatistics): CategoricalCounts | null {
  const stats = feature.string_statistics;
  const buckets = stats?.distribution?.categorical?.buckets;
  if (!stats || !buckets || stats.common.num_present === 0) return null;
  const counts = new Map<string, number>();
  let listed = 0;
  for (const b of buckets) {
    counts.set(b.value, (counts.get(b.value) ?? 0) + b.count);
    listed += b.count;
  }
  const other = Math.max(feature.understudy?.other_count ?? 0, stats.common.num_present - listed);
  return { counts, other, total: listed + other };
}

/** Aligned count vectors over the union of both features' categories (plus one "other" slot if any). */
export function alignCategories(
  a: CategoricalCounts,
  b: CategoricalCounts,
): { labels: string[]; a: number[]; b: number[] } {
  const labels = [...new Set([...a.counts.keys(), ...b.counts.keys()])].sort();
  const va = labels.map((l) => a.counts.get(l) ?? 0);
  const vb = labels.map((l) => b.counts.get(l) ?? 0);
  if (a.other > 0 || b.other > 0) {
    labels.push('(other)');
    va.push(a.other);
    vb.push(b.other);
  }
  return { labels, a: va, b: vb };
}

/** Values present (of any type). */
export function presentOf(feature: FeatureStatistics): number | null {
  const t = feature.understudy?.type_counts;
  if (t) return t.integral + t.fractional + t.string;
  return (
    feature.string_statistics?.common.num_present ?? feature.numerical_statistics?.common.num_present ?? null
  );
}

/** Completeness: the share of the dataset's rows in which the feature has a value. */
export function completenessOf(feature: FeatureStatistics): number | null {
  const common = feature.string_statistics?.common ?? feature.numerical_statistics?.common;
  if (!common) return null;
  const rows = common.num_present + common.num_missing;
  const present = presentOf(feature) ?? common.num_present;
  return rows > 0 ? present / rows : null;
}

export interface FeatureHistograms {
  readonly feature: string;
  readonly kind: 'numeric' | 'categorical';
  /** Bucket labels: `(lo, hi]` ranges for numeric features, values for categorical ones. */
  readonly labels: string[];
  /** Numeric features: the bucket edges (labels.length − 1 of them); empty for categorical. */
  readonly edges: number[];
  readonly baseline: number[];
  readonly current: number[];
}

/**
 * Baseline and current counts on the same buckets, for side-by-side histograms in a report:
 * numeric features on `buckets` equal-width buckets spanning both windows' ranges, String
 * features on the union of their categories. Null when the feature cannot be compared.
 */
export function featureHistograms(
  baseline: FeatureStatistics,
  current: FeatureStatistics,
  buckets = 10,
): FeatureHistograms | null {
  const a = numericDistribution(baseline);
  const b = numericDistribution(current);
  if ((baseline.inferred_type === 'Integral' || baseline.inferred_type === 'Fractional') && a && b) {
    const lo = Math.min(quantileOf(a.cdf, 0), quantileOf(b.cdf, 0));
    const hi = Math.max(quantileOf(a.cdf, 1), quantileOf(b.cdf, 1));
    const width = (hi - lo) / buckets;
    const edges = width > 0 ? Array.from({ length: buckets - 1 }, (_, i) => lo + (i + 1) * width) : [];
    const fmt = (x: number) => Number(x.toPrecision(4)).toString();
    const bounds = [lo, ...edges, hi];
    return {
      feature: baseline.name,
      kind: 'numeric',
      labels: bounds.slice(1).map((upper, i) => `(${fmt(bounds[i] as number)}, ${fmt(upper)}]`),
      edges,
      baseline: bucketCounts(a.cdf, edges),
      current: bucketCounts(b.cdf, edges),
    };
  }
  const ca = categoricalCounts(baseline);
  const cb = categoricalCounts(current);
  if (baseline.inferred_type === 'String' && ca && cb) {
    const aligned = alignCategories(ca, cb);
    return {
      feature: baseline.name,
      kind: 'categorical',
      labels: aligned.labels,
      edges: [],
      baseline: aligned.a,
      current: aligned.b,
    };
  }
  return null;
}
