import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type Constraints,
  checkConstraints,
  DatasetAccumulator,
  detectDrift,
  formatMonitoringFile,
  InvalidMonitoringFileError,
  MonitoringError,
  numericDistribution,
  parseConstraints,
  parseStatistics,
  parseViolations,
  readCsvHeader,
  resolveMonitoringConfig,
  suggestBaseline,
  suggestBaselineFromPayloads,
} from '../../lambdas/domain/model-monitor/statistics/index.js';
import { SeededRandom } from '../support/seeded-random.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/monitoring/${name}`, import.meta.url), 'utf8');

function dataset(seed = 1, n = 2000) {
  const r = new SeededRandom(seed);
  return Array.from({ length: n }, () => [
    r.normal(40, 8),
    r.poisson(2),
    ['gold', 'silver', 'bronze'][r.categorical([1, 3, 6])],
    r.uniform() < 0.05 ? null : r.exponential(1),
  ]);
}
const NAMES = ['score', 'visits', 'tier', 'latency'];

describe('statistics.json and constraints.json', () => {
  const { statistics, constraints } = suggestBaseline(dataset(), NAMES);

  it('follow Model Monitor schema and round-trip through text', () => {
    expect(statistics.version).toBe(0);
    expect(statistics.dataset.item_count).toBe(2000);
    expect(statistics.features.map((f) => [f.name, f.inferred_type])).toEqual([
      ['score', 'Fractional'],
      ['visits', 'Integral'],
      ['tier', 'String'],
      ['latency', 'Fractional'],
    ]);
    const score = statistics.features[0]?.numerical_statistics;
    expect(Object.keys(score ?? {})).toEqual([
      'common',
      'mean',
      'sum',
      'std_dev',
      'min',
      'max',
      'distribution',
    ]);
    expect(score?.distribution?.kll?.sketch?.parameters).toEqual({ c: 0.01, k: 0 });
    const tier = statistics.features[2]?.string_statistics;
    expect(tier?.distinct_count).toBe(3);
    expect(tier?.distribution?.categorical?.buckets.map((b) => b.value)).toEqual([
      'bronze',
      'silver',
      'gold',
    ]);
    expect(parseStatistics(formatMonitoringFile(statistics))).toEqual(statistics);
    expect(parseConstraints(formatMonitoringFile(constraints))).toEqual(constraints);
  });

  it('suggests constraints as deequ does, with SageMaker monitoring_config defaults', () => {
    expect(constraints.features).toEqual([
      {
        name: 'score',
        inferred_type: 'Fractional',
        completeness: 1,
        num_constraints: { is_non_negative: true },
        monitoringConfigOverrides: {},
      },
      {
        name: 'visits',
        inferred_type: 'Integral',
        completeness: 1,
        num_constraints: { is_non_negative: true },
        monitoringConfigOverrides: {},
      },
      {
        name: 'tier',
        inferred_type: 'String',
        completeness: 1,
        string_constraints: { domains: ['bronze', 'gold', 'silver'] },
        monitoringConfigOverrides: {},
      },
      // 95% complete: the lower 95% bound, rounded down to 2 decimals.
      {
        name: 'latency',
        inferred_type: 'Fractional',
        completeness: 0.94,
        num_constraints: { is_non_negative: true },
        monitoringConfigOverrides: {},
      },
    ]);
    expect(constraints.monitoring_config).toEqual({
      evaluate_constraints: 'Enabled',
      emit_metrics: 'Enabled',
      datatype_check_threshold: 1,
      domain_content_threshold: 1,
      distribution_constraints: {
        perform_comparison: 'Enabled',
        comparison_threshold: 0.1,
        comparison_method: 'Robust',
        categorical_comparison_threshold: 0.1,
        categorical_drift_method: 'LInfinity',
      },
    });
  });

  it('reads a dataset with a header from CSV payloads, and refuses one without', () => {
    const csv = `a,b\n${dataset(2, 50)
      .map((r) => `${r[0]},${r[1]}`)
      .join('\n')}\n`;
    const { featureNames, body } = readCsvHeader(csv);
    expect(featureNames).toEqual(['a', 'b']);
    const baseline = suggestBaselineFromPayloads([{ data: body, contentType: 'text/csv' }], featureNames);
    expect(baseline.statistics.dataset.item_count).toBe(50);
    expect(baseline.parse).toMatchObject({ records: 1, rows: 50, unparseable: 0 });
    expect(() => readCsvHeader('1.5,2\n3,4\n')).toThrow(/is data, not a header/);
    expect(() => readCsvHeader('')).toThrow(MonitoringError);
    expect(() => readCsvHeader('a,a\n1,2')).toThrow(/twice/);
  });
});

describe('invalid files are typed errors naming the problem', () => {
  it.each([
    ['{"version": 0, "features": [', 'syntax', /constraints\.json is not valid JSON/],
    ['{"features": [{"name": "a", "inferred_type": "Float"}]}', 'schema', /features\[0\]\.inferred_type/],
    [
      '{"features": [{"name": "a", "inferred_type": "Integral", "completeness": 1.5}]}',
      'schema',
      /features\[0\]\.completeness/,
    ],
    [
      '{"features": [], "monitoring_config": {"distribution_constraints": {"comparison_method": "Fancy"}}}',
      'schema',
      /monitoring_config\.distribution_constraints\.comparison_method/,
    ],
    [
      '{"features": [{"name": "a", "inferred_type": "String"}, {"name": "a", "inferred_type": "String"}]}',
      'schema',
      /feature 'a' appears twice/,
    ],
    ['[]', 'schema', /\(root\)/],
  ])('constraints %s', (text, kind, message) => {
    const attempt = () => parseConstraints(text);
    expect(attempt).toThrow(InvalidMonitoringFileError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as InvalidMonitoringFileError).kind).toBe(kind);
      expect((error as InvalidMonitoringFileError).file).toBe('constraints.json');
    }
  });

  it('statistics with a malformed DDSketch', () => {
    const { statistics } = suggestBaseline([[1], [2]], ['x']);
    const broken = JSON.parse(JSON.stringify(statistics));
    broken.features[0].numerical_statistics.distribution.kll.sketch.data = [[1, 2, 3], [], [0]];
    expect(() => parseStatistics(broken)).toThrow(/\[key, count\] pairs/);
  });

  it('violations files', () => {
    expect(() =>
      parseViolations(
        '{"violations": [{"feature_name": "a", "constraint_check_type": "made_up", "description": ""}]}',
      ),
    ).toThrow(/violations\[0\]\.constraint_check_type/);
  });
});

describe('hand-edited constraints are honoured', () => {
  const { statistics: baseline, constraints } = suggestBaseline(dataset(3), NAMES);
  const shifted = new DatasetAccumulator(NAMES);
  const r = new SeededRandom(4);
  for (let i = 0; i < 2000; i++)
    shifted.addRow([
      r.normal(42.5, 8),
      r.poisson(2),
      ['gold', 'silver', 'bronze'][r.categorical([1, 3, 6])],
      r.exponential(1),
    ]);
  const current = shifted.toStatistics();
  const edit = (change: (c: Constraints) => void): Constraints => {
    const copy = parseConstraints(formatMonitoringFile(constraints));
    change(copy);
    return parseConstraints(formatMonitoringFile(copy));
  };
  const driftOn = (c: Constraints) =>
    checkConstraints({ constraints: c, baseline, current }).violations.filter(
      (v) => v.constraint_check_type === 'baseline_drift_check',
    );

  it('comparison_threshold, comparison_method (incl. linf_simple) and per-feature overrides', () => {
    expect(driftOn(constraints)).toHaveLength(0);
    const strict = edit((c) => {
      if (c.monitoring_config?.distribution_constraints)
        c.monitoring_config.distribution_constraints.comparison_threshold = 0.05;
    });
    expect(driftOn(strict).map((v) => v.feature_name)).toEqual(['score']);
    const simple = parseConstraints(
      formatMonitoringFile(constraints).replace(
        '"comparison_method": "Robust"',
        '"comparison_method": "linf_simple"',
      ),
    );
    expect(resolveMonitoringConfig(simple).comparisonMethod).toBe('Simple');
    const override = edit((c) => {
      const score = c.features.find((f) => f.name === 'score');
      if (score) score.monitoringConfigOverrides = { comparison_threshold: 0.05 };
    });
    expect(driftOn(override).map((v) => v.feature_name)).toEqual(['score']);
    expect(resolveMonitoringConfig(override, 'visits').comparisonThreshold).toBe(0.1);
  });

  it('completeness, domains and evaluate_constraints', () => {
    const checks = (c: Constraints) =>
      checkConstraints({ constraints: c, baseline, current }).violations.map((v) => v.constraint_check_type);
    const noGold = edit((c) => {
      const tier = c.features.find((f) => f.name === 'tier');
      if (tier) tier.string_constraints = { domains: ['silver', 'bronze'] };
    });
    expect(checks(noGold)).toEqual(['categorical_values_check']);
    const lenient = edit((c) => {
      if (c.monitoring_config) c.monitoring_config.domain_content_threshold = 0.8;
      const tier = c.features.find((f) => f.name === 'tier');
      if (tier) tier.string_constraints = { domains: ['silver', 'bronze'] };
    });
    expect(checks(lenient)).toEqual([]);
    const disabled = edit((c) => {
      if (c.monitoring_config) c.monitoring_config.evaluate_constraints = 'Disabled';
      const tier = c.features.find((f) => f.name === 'tier');
      if (tier) tier.string_constraints = { domains: ['silver'] };
    });
    expect(checks(disabled)).toEqual([]);
  });
});

describe('baselines made by SageMaker (KLL sketches)', () => {
  const baseline = parseStatistics(fixture('sagemaker-statistics.json'));
  const constraints = parseConstraints(fixture('sagemaker-constraints.json'));

  it('are read, with the KLL levels weighted 2^level', () => {
    const age = numericDistribution(baseline.features[0] ?? ({} as never));
    expect(age?.source).toBe('KLL');
    expect(age?.cdf.total).toBe(1000);
  });

  it('drive the checks and the calibrated drift test', () => {
    const r = new SeededRandom(9);
    const same = DatasetAccumulator.forBaseline(baseline);
    const moved = DatasetAccumulator.forBaseline(baseline);
    for (let i = 0; i < 3000; i++) {
      const plan = ['basic', 'pro', 'team'][r.categorical([6, 3, 1])];
      same.addRow([r.normal(30, 5), plan]);
      moved.addRow([r.normal(36, 5), plan]);
    }
    expect(checkConstraints({ constraints, baseline, current: same.toStatistics() }).violations).toEqual([]);
    expect(detectDrift(baseline, same.toStatistics()).drifted).toEqual([]);
    const violations = checkConstraints({ constraints, baseline, current: moved.toStatistics() }).violations;
    expect(violations.map((v) => [v.feature_name, v.constraint_check_type])).toEqual([
      ['age', 'baseline_drift_check'],
    ]);
    expect(violations[0]?.description).toMatch(/^Baseline drift distance: 0\.\d+ exceeds threshold: 0\.1$/);
    expect(detectDrift(baseline, moved.toStatistics()).drifted).toEqual(['age']);
  });
});
