/**
 * The monitoring statistics against an independent computation: scipy/numpy values stored in
 * test/fixtures/monitoring/reference.json by scripts/fixtures/monitoring-reference.py.
 * Exact computations must agree to 1e-9; sketch-based ones within the error bound the sketch
 * documents (and reports) for that comparison.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  benjaminiHochberg,
  bonferroni,
  bucketCounts,
  type CenteredSketch,
  cdfFromSample,
  chiSquareHomogeneity,
  DatasetAccumulator,
  type DriftReport,
  detectDrift,
  driftDistance,
  featureSketch,
  jensenShannonDistance,
  kolmogorovSf,
  ksPValue,
  ksPValueExact,
  lInfinity,
  lInfinityRobust,
  populationStabilityIndex,
  resolveMonitoringConfig,
  type Statistics,
  suggestBaseline,
  wasserstein1,
} from '../../lambdas/domain/model-monitor/statistics/index.js';
import { chiSquareSf } from '../../lambdas/domain/stats/hypothesis.js';

interface NumericCase {
  name: string;
  baseline: number[];
  current: number[];
  ks: { statistic: number; p_asymp_scipy: number; p_kolmogorov_limit: number; p_exact_scipy?: number };
  l_infinity: { simple: number; robust: number };
  wasserstein: number;
  wasserstein_normalized: number;
  edges: number[];
  bucket_counts: { baseline: number[]; current: number[] };
  psi: number;
  jensen_shannon: number;
  summary: { count: number; mean: number; sum: number; std_dev: number; min: number; max: number };
  quantiles: { q: number; value: number }[];
}

interface CategoricalCase {
  name: string;
  baseline_counts: number[];
  current_counts: number[];
  chi2: { statistic: number; p_value: number; dof: number };
  l_infinity: { simple: number; robust: number };
  psi: number;
  jensen_shannon: number;
}

const reference = JSON.parse(
  readFileSync(new URL('../fixtures/monitoring/reference.json', import.meta.url), 'utf8'),
) as {
  numeric: NumericCase[];
  categorical: CategoricalCase[];
  corrections: { p_values: number[]; benjamini_hochberg: number[]; bonferroni: number[] };
  kolmogorov: { lambda: number; sf: number }[];
  chi2_sf: { x: number; dof: number; sf: number }[];
};

const EXACT = 1e-9;
const column = (values: readonly number[]) => values.map((v) => [v]);

/** Baseline statistics as SuggestBaseline writes them, and the window's as a monitor execution would. */
function sketchOf(statistics: Statistics): CenteredSketch {
  const sketch = featureSketch(statistics, 'x');
  if (!sketch) throw new Error('no DDSketch for x');
  return sketch;
}

function sketched(c: NumericCase): { baseline: Statistics; current: Statistics; drift: DriftReport } {
  const { statistics: baseline } = suggestBaseline(column(c.baseline), ['x']);
  const acc = DatasetAccumulator.forBaseline(baseline);
  for (const v of c.current) acc.addRow([v]);
  const current = acc.toStatistics();
  return { baseline, current, drift: detectDrift(baseline, current, { ksMethod: 'asymptotic' }) };
}

describe.each(reference.numeric)('numeric case $name', (c) => {
  const a = cdfFromSample(c.baseline);
  const b = cdfFromSample(c.current);
  const n = c.baseline.length;
  const m = c.current.length;

  it('KS statistic, L∞ Simple and Robust match scipy/deequ exactly', () => {
    const d = lInfinity(a, b);
    expect(Math.abs(d - c.ks.statistic)).toBeLessThanOrEqual(EXACT);
    expect(Math.abs(d - c.l_infinity.simple)).toBeLessThanOrEqual(EXACT);
    expect(Math.abs(lInfinityRobust(d, n, m) - c.l_infinity.robust)).toBeLessThanOrEqual(EXACT);
  });

  it('the asymptotic p-value is the Kolmogorov limit law at the effective size (to 1e-9) and close to scipy asymp', () => {
    const { pValue, method } = ksPValue(c.ks.statistic, n, m, { method: 'asymptotic' });
    expect(method).toBe('asymptotic');
    expect(Math.abs(pValue - c.ks.p_kolmogorov_limit)).toBeLessThanOrEqual(EXACT);
    // scipy's method='asymp' evaluates the finite-n one-sample law kstwo(round(nm/(n+m))),
    // which the limit law exceeds by O(1/√(nm/(n+m))): the limit law is the conservative one.
    expect(pValue).toBeGreaterThanOrEqual(c.ks.p_asymp_scipy - EXACT);
    expect(pValue - c.ks.p_asymp_scipy).toBeLessThanOrEqual(1.5 / Math.sqrt((n * m) / (n + m)));
  });

  it('Wasserstein, bucket counts, PSI and Jensen–Shannon match scipy/numpy exactly', () => {
    expect(Math.abs(wasserstein1(a, b) - c.wasserstein)).toBeLessThanOrEqual(EXACT);
    const pb = bucketCounts(a, c.edges);
    const pc = bucketCounts(b, c.edges);
    expect(pb).toEqual(c.bucket_counts.baseline);
    expect(pc).toEqual(c.bucket_counts.current);
    expect(Math.abs(populationStabilityIndex(pb, pc, 'floor') - c.psi)).toBeLessThanOrEqual(EXACT);
    expect(Math.abs(jensenShannonDistance(pb, pc) - c.jensen_shannon)).toBeLessThanOrEqual(EXACT);
  });

  it('count, mean, sum, std_dev (population), min and max match numpy to 1e-9 relative', () => {
    const { statistics } = suggestBaseline(column(c.baseline), ['x']);
    const stats = statistics.features[0]?.numerical_statistics;
    expect(stats?.common.num_present).toBe(c.summary.count);
    for (const key of ['mean', 'sum', 'std_dev', 'min', 'max'] as const) {
      const expected = c.summary[key];
      expect(Math.abs((stats?.[key] ?? Number.NaN) - expected)).toBeLessThanOrEqual(
        EXACT * Math.max(1, Math.abs(expected)),
      );
    }
  });

  it('sketch-based KS and Wasserstein lie within the error bounds the comparison reports', () => {
    const { drift } = sketched(c);
    const f = drift.features[0];
    expect(f?.test).toBe('ks');
    const bound = f?.statisticErrorBound ?? Number.NaN;
    // Binning can only hide part of the largest CDF gap, never add to it.
    expect(f?.statistic).toBeLessThanOrEqual(c.ks.statistic + EXACT);
    expect(c.ks.statistic - (f?.statistic ?? 0)).toBeLessThanOrEqual(bound + EXACT);
    const wBound = f?.effect.wassersteinErrorBound ?? Number.NaN;
    expect(Math.abs((f?.effect.wasserstein ?? 0) - c.wasserstein)).toBeLessThanOrEqual(wBound + EXACT);
    // The p-value follows from the statistic: same limit law, evaluated at the sketch's D.
    expect(f?.pValue).toBeCloseTo(ksPValue(f?.statistic ?? 0, n, m, { method: 'asymptotic' }).pValue, 12);
  });

  it('sketch quantiles are within the relative accuracy of the exact order statistics', () => {
    const { statistics } = suggestBaseline(column(c.baseline), ['x']);
    const sketch = sketchOf(statistics);
    const center = sketch.center;
    for (const { q, value } of c.quantiles) {
      const estimate = sketch.quantile(q);
      expect(Math.abs(estimate - value)).toBeLessThanOrEqual(
        sketch.relativeAccuracy * Math.abs(value - center) + 1e-9,
      );
    }
  });

  it('sketch-based PSI and JS on the reference buckets stay within the error propagated from the CDF bound', () => {
    const { baseline, current } = sketched(c);
    const sa = sketchOf(baseline).toCdf();
    const sc = sketchOf(current).toCdf();
    const pb = bucketCounts(sa, c.edges);
    const pc = bucketCounts(sc, c.edges);
    // Each CDF value at an edge is off by at most one bin's mass, so each bucket share by 2ε.
    const eps = 2 * Math.max(maxShare(sa), maxShare(sc));
    const p = c.bucket_counts.baseline.map((x) => Math.max(x / n, 1e-4));
    const q = c.bucket_counts.current.map((x) => Math.max(x / m, 1e-4));
    let psiSlope = 0;
    for (let i = 0; i < p.length; i++) {
      const r = (q[i] as number) / (p[i] as number);
      psiSlope += Math.abs(Math.log(r) + 1 - 1 / r) + Math.abs(-Math.log(r) - 1 + r);
    }
    expect(Math.abs(populationStabilityIndex(pb, pc, 'floor') - c.psi)).toBeLessThanOrEqual(
      2 * eps * psiSlope + EXACT,
    );
    // JS distance is 1/2-Hölder in the shares: |√JSD − √JSD'| ≤ √|JSD − JSD'| ≤ √(k·2ε·ln 2 / ln 2).
    expect(Math.abs(jensenShannonDistance(pb, pc) - c.jensen_shannon)).toBeLessThanOrEqual(
      Math.sqrt(p.length * 2 * eps) + EXACT,
    );
  });
});

describe.each(reference.numeric.filter((c) => c.ks.p_exact_scipy !== undefined))('small case $name', (c) => {
  it('the exact p-value matches scipy method=exact, and small samples use it', () => {
    const n = c.baseline.length;
    const m = c.current.length;
    expect(
      Math.abs(ksPValueExact(c.ks.statistic, n, m) - (c.ks.p_exact_scipy as number)),
    ).toBeLessThanOrEqual(EXACT);
    expect(ksPValue(c.ks.statistic, n, m).method).toBe('exact');
  });
});

function maxShare(cdf: { weights: Float64Array; total: number }): number {
  let max = 0;
  for (const w of cdf.weights) max = Math.max(max, w);
  return max / cdf.total;
}

describe.each(reference.categorical)('categorical case $name', (c) => {
  it('chi-square homogeneity matches scipy chi2_contingency(correction=False)', () => {
    const r = chiSquareHomogeneity([c.baseline_counts, c.current_counts]);
    expect(Math.abs(r.statistic - c.chi2.statistic)).toBeLessThanOrEqual(EXACT);
    expect(Math.abs(r.pValue - c.chi2.p_value)).toBeLessThanOrEqual(EXACT);
    expect(r.dof).toBe(c.chi2.dof);
  });

  it('PSI and Jensen–Shannon match', () => {
    expect(
      Math.abs(populationStabilityIndex(c.baseline_counts, c.current_counts, 'floor') - c.psi),
    ).toBeLessThanOrEqual(EXACT);
    expect(
      Math.abs(jensenShannonDistance(c.baseline_counts, c.current_counts) - c.jensen_shannon),
    ).toBeLessThanOrEqual(EXACT);
  });

  it('deequ categorical L∞ (Simple and Robust) and the calibrated chi-square agree when computed from statistics files', () => {
    const labels = c.baseline_counts.map((_, i) => `level${i}`);
    const rows = (counts: number[]) => counts.flatMap((k, i) => Array.from({ length: k }, () => [labels[i]]));
    const { statistics: baseline, constraints } = suggestBaseline(rows(c.baseline_counts), ['cat']);
    const { statistics: current } = suggestBaseline(rows(c.current_counts), ['cat']);
    const [b, cur] = [baseline.features[0], current.features[0]];
    if (!b || !cur) throw new Error('no feature');
    const config = resolveMonitoringConfig(constraints, 'cat');
    const d = driftDistance('String', b, cur, { ...config, comparisonMethod: 'Simple' });
    expect(Math.abs((d?.simple ?? Number.NaN) - c.l_infinity.simple)).toBeLessThanOrEqual(EXACT);
    expect(Math.abs((d?.robust ?? Number.NaN) - c.l_infinity.robust)).toBeLessThanOrEqual(EXACT);
    const drift = detectDrift(baseline, current);
    expect(Math.abs((drift.features[0]?.pValue ?? Number.NaN) - c.chi2.p_value)).toBeLessThanOrEqual(EXACT);
  });
});

describe('corrections and distributions', () => {
  it('Benjamini–Hochberg matches scipy.stats.false_discovery_control and Bonferroni min(1, m·p)', () => {
    const { p_values, benjamini_hochberg, bonferroni: bonf } = reference.corrections;
    benjaminiHochberg(p_values).forEach((p, i) => {
      expect(Math.abs(p - (benjamini_hochberg[i] as number))).toBeLessThanOrEqual(1e-12);
    });
    bonferroni(p_values).forEach((p, i) => {
      expect(Math.abs(p - (bonf[i] as number))).toBeLessThanOrEqual(1e-12);
    });
  });

  it.each(reference.kolmogorov)(
    'Kolmogorov survival function at λ = $lambda matches scipy.special.kolmogorov',
    ({ lambda, sf }) => {
      expect(Math.abs(kolmogorovSf(lambda) - sf)).toBeLessThanOrEqual(EXACT);
    },
  );

  it.each(reference.chi2_sf)(
    'chi-square survival function at x = $x, dof = $dof matches scipy',
    ({ x, dof, sf }) => {
      expect(Math.abs(chiSquareSf(x, dof) - sf)).toBeLessThanOrEqual(EXACT);
    },
  );
});
