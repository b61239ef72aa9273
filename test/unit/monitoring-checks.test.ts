import { describe, expect, it } from 'vitest';
import {
  CONSTRAINT_CHECK_TYPES,
  checkConstraints,
  DatasetAccumulator,
  detectDrift,
  driftFindings,
  featureHistograms,
  formatMonitoringFile,
  ksCriticalCoefficient,
  modelMonitorMetrics,
  parseConstraints,
  parseViolations,
  suggestBaseline,
} from '../../lambdas/domain/model-monitor/statistics/index.js';
import { SeededRandom } from '../support/seeded-random.js';

const NAMES = ['income', 'age', 'region', 'clicks'];
const REGIONS = ['north', 'south', 'east', 'west'];

function baselineRows(r: SeededRandom, n: number) {
  return Array.from({ length: n }, () => [
    r.normal(5000, 800).toFixed(2),
    String(18 + r.poisson(20)),
    REGIONS[r.categorical([4, 3, 2, 1])],
    String(r.poisson(5)),
  ]);
}

describe('constraint checks on a monitoring window', () => {
  const r = new SeededRandom(21);
  const { statistics: baseline, constraints } = suggestBaseline(baselineRows(r, 5000), NAMES);

  /** A CSV window: each row's cells built by `cells`. */
  function window(n: number, cells: (i: number) => string) {
    const acc = DatasetAccumulator.forBaseline(baseline);
    const lines = Array.from({ length: n }, (_, i) => cells(i));
    acc.addPayload({ data: lines.join('\n'), contentType: 'text/csv' });
    return acc.toStatistics();
  }
  const normalRow = () =>
    `${r.normal(5000, 800).toFixed(2)},${18 + r.poisson(20)},${REGIONS[r.categorical([4, 3, 2, 1])]},${r.poisson(5)}`;

  it('a window like the baseline passes every check', () => {
    const current = window(3000, normalRow);
    const result = checkConstraints({ constraints, baseline, current });
    expect(result.outcome).toBe('Completed');
    expect(result.violations).toEqual([]);
    expect(result.distances.map((d) => d.feature)).toEqual(NAMES);
  });

  it('reports each of the six check types where it applies', () => {
    const current = window(3000, (i) => {
      const income = r.normal(6500, 800).toFixed(2); // drift
      const age = i % 50 === 0 ? 'unknown' : String(18 + r.poisson(20)); // type mismatch
      const region = i % 20 === 5 ? 'mars' : REGIONS[r.categorical([4, 3, 2, 1])]; // outside the domain
      // clicks left empty; an extra column appears.
      return `${income},${age},${i % 10 === 0 ? '' : region},,${i}`;
    });
    const shortWindow = checkConstraints({ constraints, baseline, current });
    const types = shortWindow.violations.map((v) => `${v.feature_name}:${v.constraint_check_type}`).sort();
    expect(types).toEqual([
      '_c4:extra_column_check',
      'age:data_type_check',
      'clicks:completeness_check',
      'income:baseline_drift_check',
      'region:categorical_values_check',
      'region:completeness_check',
    ]);
    const missing = window(200, () => `${r.normal(5000, 800).toFixed(2)},${18 + r.poisson(20)}`);
    expect(
      checkConstraints({ constraints, baseline, current: missing }).violations.map(
        (v) => v.constraint_check_type,
      ),
    ).toEqual(['missing_column_check', 'missing_column_check']);
    const all = new Set(
      [
        ...shortWindow.violations,
        ...checkConstraints({ constraints, baseline, current: missing }).violations,
      ].map((v) => v.constraint_check_type),
    );
    expect([...all].sort()).toEqual([...CONSTRAINT_CHECK_TYPES].sort());
    const descriptions = Object.fromEntries(
      shortWindow.violations
        .filter((v) => v.feature_name !== 'clicks')
        .map((v) => [v.constraint_check_type, v.description]),
    );
    expect(descriptions.data_type_check).toBe(
      'Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. Observed: Only 98.0% of data is Integral.',
    );
    expect(descriptions.completeness_check).toBe(
      'Data completeness requirement is not met. Expected: 100.0% of data is non-null. Observed: Only 90.0% of data is non-null.',
    );
    expect(descriptions.baseline_drift_check).toMatch(
      /^Baseline drift distance: 0\.\d+ exceeds threshold: 0\.1$/,
    );
    // The file round-trips through the schema.
    const file = formatMonitoringFile({ violations: shortWindow.violations });
    expect(parseViolations(file).violations).toEqual(shortWindow.violations);
  });

  it('ChiSquared categorical drift compares the p-value with the categorical threshold', () => {
    const chi = parseConstraints(
      formatMonitoringFile(constraints).replace(
        '"categorical_drift_method": "LInfinity"',
        '"categorical_drift_method": "ChiSquared"',
      ),
    );
    const skewed = window(
      3000,
      () => `${r.normal(5000, 800).toFixed(2)},30,${REGIONS[r.categorical([1, 1, 1, 1])]},4`,
    );
    const v = checkConstraints({ constraints: chi, baseline, current: skewed }).violations.find(
      (x) => x.feature_name === 'region',
    );
    expect(v?.description).toMatch(/^Baseline drift chi-squared test p-value: .+ is below threshold: 0\.1$/);
  });

  it('an empty window is a NoData outcome, not a crash', () => {
    const empty = DatasetAccumulator.forBaseline(baseline);
    empty.addPayload({ data: 'not json', contentType: 'application/json' });
    const current = empty.toStatistics();
    const checks = checkConstraints({ constraints, baseline, current });
    expect(checks).toMatchObject({ outcome: 'NoData', violations: [], distances: [] });
    expect(checks.message).toMatch(/no rows/);
    const drift = detectDrift(baseline, current);
    expect(drift.outcome).toBe('NoData');
    expect(drift.drifted).toEqual([]);
    expect(empty.summary).toMatchObject({ records: 1, unparseable: 1, rows: 0 });
  });

  it("emits Model Monitor's per-feature metrics, and none when emit_metrics is Disabled", () => {
    const current = window(1000, normalRow);
    const checks = checkConstraints({ constraints, baseline, current });
    const metrics = modelMonitorMetrics(current, checks, constraints);
    const names = metrics.map((m) => m.MetricName);
    for (const f of NAMES) {
      expect(names).toContain(`feature_non_null_${f}`);
      expect(names).toContain(`feature_baseline_drift_${f}`);
      expect(names).toContain(`feature_string_${f}`);
    }
    expect(names).toContain('feature_data_income');
    expect(names).toContain('feature_fractional_income');
    expect(names).toContain('feature_integral_age');
    expect(names).not.toContain('feature_data_region');
    const data = metrics.find((m) => m.MetricName === 'feature_data_age');
    expect(data?.StatisticValues?.SampleCount).toBe(1000);
    expect(metrics.find((m) => m.MetricName === 'feature_non_null_income')?.Value).toBe(1);
    const off = parseConstraints(
      formatMonitoringFile(constraints).replace('"emit_metrics": "Enabled"', '"emit_metrics": "Disabled"'),
    );
    expect(modelMonitorMetrics(current, checks, off)).toEqual([]);
  });

  it('names the rules that flagged each feature', () => {
    const current = window(
      5000,
      () => `${r.normal(5400, 800).toFixed(2)},${18 + r.poisson(20)},north,${r.poisson(5)}`,
    );
    const checks = checkConstraints({ constraints, baseline, current });
    const drift = detectDrift(baseline, current);
    expect(driftFindings(checks.distances, drift)).toEqual([
      // 0.5 SD: calibrated test flags it, the Robust L∞ (≈ 0.2 − 0.03) also does.
      { feature: 'income', flaggedBy: ['l_infinity', 'ks+effect'] },
      { feature: 'region', flaggedBy: ['l_infinity', 'chi2+effect'] },
    ]);
  });

  it('builds side-by-side histograms on shared buckets for the report', () => {
    const current = window(2000, normalRow);
    const [bIncome, cIncome] = [baseline.features[0], current.features[0]];
    const [bRegion, cRegion] = [baseline.features[2], current.features[2]];
    if (!bIncome || !cIncome || !bRegion || !cRegion) throw new Error('features missing');
    const income = featureHistograms(bIncome, cIncome);
    expect(income?.kind).toBe('numeric');
    expect(income?.labels).toHaveLength(10);
    expect(income?.baseline.reduce((s, x) => s + x, 0)).toBe(5000);
    expect(income?.current.reduce((s, x) => s + x, 0)).toBe(2000);
    const region = featureHistograms(bRegion, cRegion);
    expect(region).toMatchObject({ kind: 'categorical', labels: ['east', 'north', 'south', 'west'] });
  });

  it('lets the Robust coefficient follow another confidence, and does not call a feature without constraints extra', () => {
    const current = window(
      3000,
      () => `${r.normal(5200, 800).toFixed(2)},${18 + r.poisson(20)},north,${r.poisson(5)}`,
    );
    const deequ = checkConstraints({ constraints, baseline, current }).distances.find(
      (d) => d.feature === 'income',
    );
    const loose = checkConstraints({
      constraints,
      baseline,
      current,
      robustCoefficient: ksCriticalCoefficient(0.05),
    }).distances.find((d) => d.feature === 'income');
    expect(ksCriticalCoefficient(0.05)).toBeCloseTo(1.358, 3);
    expect(loose?.robust).toBeGreaterThan(deequ?.robust ?? Number.POSITIVE_INFINITY);
    const fewer = parseConstraints(
      formatMonitoringFile({
        ...constraints,
        features: constraints.features.filter((f) => f.name !== 'clicks'),
      }),
    );
    const types = checkConstraints({ constraints: fewer, baseline, current }).violations.map(
      (v) => `${v.feature_name}:${v.constraint_check_type}`,
    );
    expect(types.filter((t) => t.startsWith('clicks'))).toEqual([]);
  });
});
