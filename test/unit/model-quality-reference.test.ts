/**
 * Model-quality metrics against an independent computation: scikit-learn/numpy values stored in
 * test/fixtures/model-quality/reference.json by scripts/fixtures/model-quality-reference.py.
 * Standard deviations are compared on the subsamples numpy drew (handed to the code under
 * test), so no random generator is shared between the two.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  binaryClassificationMetrics,
  type Metric,
  modelQualityStatistics,
  multiclassClassificationMetrics,
  regressionMetrics,
} from '../../lambdas/domain/model-quality/metrics.js';
import { bootstrapIntervals } from '../../lambdas/domain/model-quality/resampling.js';

interface Expected {
  item_count: number;
  confusion_matrix?: Record<string, Record<string, number>>;
  metrics: Record<string, { value: number; standard_deviation: number | 'NaN' }>;
  roc?: { false_positive_rates: number[]; true_positive_rates: number[] };
  pr?: { precisions: number[]; recalls: number[] };
  weighted_auc?: number;
}
interface Case {
  name: string;
  problem_type: string;
  actual: (number | string)[];
  predicted: (number | string)[];
  probability?: number[];
  probabilities?: number[][];
  classes?: string[];
  subsamples: number[][];
  bootstrap?: {
    resamples: number[][];
    confidence_level: number;
    mae_interval: { lower: number; upper: number };
  };
  expected: Expected;
}

const reference = JSON.parse(
  readFileSync(new URL('../fixtures/model-quality/reference.json', import.meta.url), 'utf8'),
) as { cases: Case[] };
const byName = (name: string) => reference.cases.find((c) => c.name === name) as Case;

function expectMetrics(actual: Record<string, unknown>, expected: Expected['metrics']): void {
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name] as Metric | undefined;
    expect(got, name).toBeDefined();
    expect(got?.value, `${name}.value`).toBeCloseTo(want.value, 10);
    if (want.standard_deviation === 'NaN') expect(got?.standard_deviation, `${name}.sd`).toBe('NaN');
    else expect(got?.standard_deviation as number, `${name}.sd`).toBeCloseTo(want.standard_deviation, 10);
    const ci = got?.confidence_interval;
    expect(ci?.lower, `${name} interval`).toBeLessThanOrEqual(want.value + 1e-12);
    expect(ci?.upper, `${name} interval`).toBeGreaterThanOrEqual(want.value - 1e-12);
  }
  // Nothing is reported that scikit-learn was not asked about.
  const reported = Object.keys(actual).filter((k) => typeof (actual[k] as Metric).value !== 'undefined');
  expect(reported.sort()).toEqual(Object.keys(expected).sort());
}

/** Equal length, equal values to the fixture's 6 decimals. */
function expectSeries(actual: readonly number[], expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expect(actual[i]).toBeCloseTo(expected[i] as number, 6);
}

describe('binary classification metrics equal scikit-learn', () => {
  for (const name of ['binary-1000', 'binary-small']) {
    it(name, () => {
      const c = byName(name);
      const got = binaryClassificationMetrics(
        {
          actual: c.actual as number[],
          predicted: c.predicted as number[],
          probability: c.probability as number[],
        },
        { subsamples: c.subsamples, bootstrapResamples: 50 },
      );
      expect(got.confusion_matrix).toEqual(c.expected.confusion_matrix);
      const {
        confusion_matrix,
        receiver_operating_characteristic_curve,
        precision_recall_curve,
        ...metrics
      } = got;
      expectMetrics(metrics, c.expected.metrics);
      const roc = c.expected.roc as NonNullable<Expected['roc']>;
      expectSeries(receiver_operating_characteristic_curve.false_positive_rates, roc.false_positive_rates);
      expectSeries(receiver_operating_characteristic_curve.true_positive_rates, roc.true_positive_rates);
      const pr = c.expected.pr as NonNullable<Expected['pr']>;
      expectSeries(precision_recall_curve.recalls, pr.recalls);
      expectSeries(precision_recall_curve.precisions, pr.precisions);
    });
  }

  it('matches the layout of SageMaker documented example (4 rows, no standard deviations)', () => {
    // The confusion matrix of "Model quality metrics and Amazon CloudWatch monitoring".
    const got = binaryClassificationMetrics({ actual: [0, 0, 0, 1], predicted: [0, 1, 1, 1] });
    expect(got.confusion_matrix).toEqual({ '0': { '0': 1, '1': 2 }, '1': { '0': 0, '1': 1 } });
    expect(got.precision.value).toBeCloseTo(1 / 3, 15);
    expect(got.accuracy.value).toBe(0.5);
    expect(got.true_negative_rate.value).toBe(0.33333333333333337); // 1 − FPR, as SageMaker prints it
    expect(got.f0_5_best_constant_classifier.value).toBeCloseTo(0.29411764705882354, 15);
    expect(got.f2_best_constant_classifier.value).toBeCloseTo(0.625, 15);
    expect(got.recall.standard_deviation).toBe('NaN');
  });

  it('rejects labels that are not 0 or 1, and rows that do not pair up', () => {
    expect(() => binaryClassificationMetrics({ actual: [0, 2], predicted: [0, 1] })).toThrow(/0 or 1; got 2/);
    expect(() => binaryClassificationMetrics({ actual: [0, 1], predicted: [0] })).toThrow(/pair up/);
    expect(() => binaryClassificationMetrics({ actual: [], predicted: [] })).toThrow(/at least one/);
  });
});

describe('multiclass classification metrics equal scikit-learn', () => {
  it('multiclass-600: weighted scores, best constant classifier, weighted one-vs-rest AUC', () => {
    const c = byName('multiclass-600');
    const got = multiclassClassificationMetrics(
      {
        actual: c.actual as string[],
        predicted: c.predicted as string[],
        probabilities: { classes: c.classes as string[], rows: c.probabilities as number[][] },
      },
      { subsamples: c.subsamples, bootstrapResamples: 20 },
    );
    expect(got.confusion_matrix).toEqual(c.expected.confusion_matrix);
    const { confusion_matrix, weighted_auc, ...metrics } = got;
    expectMetrics(metrics, c.expected.metrics);
    expect(weighted_auc?.value).toBeCloseTo(c.expected.weighted_auc as number, 10);
  });
});

describe('regression metrics equal scikit-learn', () => {
  const c = byName('regression-300');
  it('regression-300: MAE, MSE, RMSE, R²', () => {
    const got = regressionMetrics(
      { actual: c.actual as number[], predicted: c.predicted as number[] },
      { subsamples: c.subsamples, bootstrapResamples: 50 },
    );
    expectMetrics(got, c.expected.metrics);
  });

  it("the percentile bootstrap equals numpy's inverted_cdf quantiles on the same resamples", () => {
    const boot = c.bootstrap as NonNullable<Case['bootstrap']>;
    const actual = c.actual as number[];
    const predicted = c.predicted as number[];
    const mae = (indices: readonly number[]) => ({
      mae:
        indices.reduce((s, i) => s + Math.abs((actual[i] as number) - (predicted[i] as number)), 0) /
        indices.length,
    });
    const { mae: interval } = bootstrapIntervals(['mae'], mae, boot.resamples, boot.confidence_level);
    expect(interval.lower).toBeCloseTo(boot.mae_interval.lower, 12);
    expect(interval.upper).toBeCloseTo(boot.mae_interval.upper, 12);
  });
});

describe('reproducibility and the 200-sample floor', () => {
  const c = byName('binary-1000');
  const data = {
    actual: c.actual as number[],
    predicted: c.predicted as number[],
    probability: c.probability as number[],
  };

  it('the same seed gives the same file; another seed other standard deviations', () => {
    const a = binaryClassificationMetrics(data, { seed: 7, bootstrapResamples: 30 });
    const b = binaryClassificationMetrics(data, { seed: 7, bootstrapResamples: 30 });
    const other = binaryClassificationMetrics(data, { seed: 8, bootstrapResamples: 30 });
    expect(a).toEqual(b);
    expect(other.f1.standard_deviation).not.toEqual(a.f1.standard_deviation);
    expect(typeof a.f1.standard_deviation).toBe('number');
  });

  it('199 rows get "NaN" standard deviations, 200 get numbers', () => {
    const take = (n: number) => ({
      actual: data.actual.slice(0, n),
      predicted: data.predicted.slice(0, n),
      probability: data.probability.slice(0, n),
    });
    expect(
      binaryClassificationMetrics(take(199), { bootstrapResamples: 10 }).accuracy.standard_deviation,
    ).toBe('NaN');
    expect(
      typeof binaryClassificationMetrics(take(200), { bootstrapResamples: 10 }).accuracy.standard_deviation,
    ).toBe('number');
  });
});

describe('statistics.json', () => {
  it("has SageMaker's top-level layout for each problem type", () => {
    const binary = modelQualityStatistics({
      problemType: 'BinaryClassification',
      actual: [0, 1],
      predicted: [1, 1],
    });
    expect(Object.keys(binary)).toEqual(['version', 'dataset', 'binary_classification_metrics']);
    expect(binary.dataset.item_count).toBe(2);
    const regression = modelQualityStatistics({
      problemType: 'Regression',
      actual: [1, 2, 3],
      predicted: [1, 2, 4],
    });
    expect(regression.regression_metrics?.mae.value).toBeCloseTo(1 / 3, 15);
    const multi = modelQualityStatistics({
      problemType: 'MulticlassClassification',
      actual: ['a', 'b'],
      predicted: ['a', 'a'],
    });
    expect(multi.multiclass_classification_metrics?.confusion_matrix).toEqual({
      a: { a: 1, b: 0 },
      b: { a: 1, b: 0 },
    });
  });
});
