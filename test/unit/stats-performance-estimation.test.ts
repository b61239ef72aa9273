import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  applyIsotonic,
  type BinStrategy,
  checkCalibration,
  fitIsotonic,
  reliabilityTable,
} from '../../lambdas/domain/stats/calibration.js';
import {
  CbpeAccumulator,
  type ExpectedConfusion,
  estimateMulticlassPerformance,
  estimatePerformance,
  expectedRocAuc,
} from '../../lambdas/domain/stats/performance-estimation.js';
import { SeededRandom } from '../support/seeded-random.js';

/** Computed by scripts/fixtures/evaluation-reference.py with scikit-learn and numpy (NannyML when installed). */
interface Fixture {
  cbpe: {
    name: string;
    probabilities: number[];
    expectedAccuracy: number;
    standardError: number;
    expectedConfusion: ExpectedConfusion;
    expectedRocAuc: number;
    /** NannyML's estimate_accuracy and estimate_roc_auc, when the script could import nannyml. */
    nannyml?: { accuracy: number; rocAuc: number };
  }[];
  multiclassCbpe: {
    name: string;
    probabilities: number[][];
    expectedAccuracy: number;
    standardError: number;
    expectedRocAucByClass: number[];
    expectedRocAucMacro: number;
    expectedRocAucWeighted: number;
  }[];
  calibration: {
    name: string;
    bins: number;
    strategy: BinStrategy;
    probabilities: number[];
    labels: number[];
    edges: number[];
    counts: number[];
    probTrue: number[];
    probPred: number[];
    ece: number;
  }[];
  isotonic: {
    name: string;
    probabilities: number[];
    labels: number[];
    queries: number[];
    predictions: number[];
  }[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/evaluation/reference.json', import.meta.url), 'utf8'),
) as Fixture;

const TOLERANCE = 1e-9;

function close(actual: number, expected: number, tolerance = TOLERANCE): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(
    tolerance * Math.max(1, Math.abs(expected)),
  );
}

describe('CBPE against scikit-learn, numpy and NannyML', () => {
  it.each(fixture.cbpe)('$name', (c) => {
    const estimate = estimatePerformance(c.probabilities);
    close(estimate.expectedAccuracy, c.expectedAccuracy);
    close(estimate.standardError, c.standardError);
    for (const cell of ['truePositive', 'falsePositive', 'trueNegative', 'falseNegative'] as const) {
      close(estimate.expectedConfusion[cell], c.expectedConfusion[cell]);
    }
    close(estimate.expectedRocAuc, c.expectedRocAuc);
    if (c.nannyml !== undefined) {
      close(estimate.expectedAccuracy, c.nannyml.accuracy);
      // NannyML rounds its cumulative expected counts to 5 decimals before the trapezoids.
      close(estimate.expectedRocAuc, c.nannyml.rocAuc, 1e-6);
    }
  });

  it('merges batches into the same estimate as one pass', () => {
    const p = (fixture.cbpe[0] as Fixture['cbpe'][number]).probabilities;
    const whole = new CbpeAccumulator().add(p).estimate();
    const merged = new CbpeAccumulator()
      .add(p.slice(0, 100))
      .merge(new CbpeAccumulator().add(p.slice(100)))
      .estimate();
    close(merged.expectedAccuracy, whole.expectedAccuracy, 1e-12);
    close(merged.standardError, whole.standardError, 1e-12);
    expect(() => new CbpeAccumulator(0.5).merge(new CbpeAccumulator(0.3))).toThrow(/thresholds/);
  });

  it("estimates the model's own labels when given: the same as the threshold that made them", () => {
    // The threshold path is the one checked against scikit-learn above.
    const p = (fixture.cbpe[0] as Fixture['cbpe'][number]).probabilities;
    for (const cut of [0.5, 0.6, 0.25]) {
      const labels = p.map((x) => (x > cut ? 1 : 0));
      const byLabels = estimatePerformance(p, { predicted: labels });
      const byThreshold = estimatePerformance(p, { threshold: cut });
      close(byLabels.expectedAccuracy, byThreshold.expectedAccuracy, 1e-12);
      close(byLabels.standardError, byThreshold.standardError, 1e-12);
      expect(byLabels.expectedConfusion).toEqual(byThreshold.expectedConfusion);
    }
    expect(() => estimatePerformance([0.2, 0.7], { predicted: [1] })).toThrow(/1 predicted labels for 2/);
  });

  it('predicts positive strictly above the threshold, and refuses what is not a probability', () => {
    expect(estimatePerformance([0.5]).expectedConfusion.trueNegative).toBe(0.5);
    expect(estimatePerformance([0.7], { threshold: 0.7 }).expectedConfusion.falseNegative).toBeCloseTo(
      0.7,
      15,
    );
    expect(() => estimatePerformance([1.2])).toThrow(RangeError);
    expect(Number.isNaN(expectedRocAuc([1, 1]))).toBe(true);
    expect(estimatePerformance([]).count).toBe(0);
  });
});

describe('the reliability table against scikit-learn calibration_curve', () => {
  it.each(fixture.calibration)('$name', (c) => {
    const table = reliabilityTable(c.probabilities, c.labels, c.bins, c.strategy);
    expect(table.map((b) => b.count)).toEqual(c.counts);
    table.forEach((b, i) => {
      close(b.lower, c.edges[i] as number);
      close(b.upper, c.edges[i + 1] as number);
    });
    const nonEmpty = table.filter((b) => b.count > 0);
    nonEmpty.forEach((b, i) => {
      close(b.fractionPositive, c.probTrue[i] as number);
      close(b.meanPredicted, c.probPred[i] as number);
    });
    const check = checkCalibration(c.probabilities, c.labels, { bins: c.bins, strategy: c.strategy });
    close(check.expectedCalibrationError, c.ece);
  });

  it('refuses labels that are not 0/1 and mismatched lengths', () => {
    expect(() => reliabilityTable([0.2, 0.3], [0, 2])).toThrow(/label/);
    expect(() => reliabilityTable([0.2], [0, 1])).toThrow(/labels/);
  });
});

describe('isotonic recalibration against scikit-learn IsotonicRegression', () => {
  it.each(fixture.isotonic)('$name', (c) => {
    const calibrator = fitIsotonic(c.probabilities, c.labels);
    c.queries.forEach((q, i) => {
      close(applyIsotonic(calibrator, q), c.predictions[i] as number);
    });
  });
});

/** p drawn from a mixture that covers confident and uncertain rows, like a real classifier's. */
function drawProbability(r: SeededRandom): number {
  const u = r.uniform();
  return r.uniform() < 0.5 ? u * u : 1 - u * u;
}

/** An overconfident model: the true probability p reported as p³ / (p³ + (1 − p)³). */
function overconfident(p: number): number {
  return p ** 3 / (p ** 3 + (1 - p) ** 3);
}

/**
 * Seeded simulations (bounded, so deterministic). A calibrated model's windows: draw p, draw each
 * label ~ Bernoulli(p), compare CBPE's estimate from p alone with the realised accuracy.
 */
describe('CBPE on simulated windows', () => {
  const WINDOWS = 100;
  const ROWS = 500;

  function coverage(seed: number, report: (p: number) => number): number {
    const r = new SeededRandom(seed);
    let covered = 0;
    for (let w = 0; w < WINDOWS; w++) {
      const reported: number[] = [];
      let correct = 0;
      for (let i = 0; i < ROWS; i++) {
        const p = drawProbability(r);
        const label = r.uniform() < p ? 1 : 0;
        const shown = report(p);
        reported.push(shown);
        if ((shown > 0.5 ? 1 : 0) === label) correct++;
      }
      const { interval } = estimatePerformance(reported);
      const realised = correct / ROWS;
      if (interval.lower <= realised && realised <= interval.upper) covered++;
    }
    return covered;
  }

  it('covers the realised accuracy in at least 90 of 100 windows of a calibrated model', () => {
    expect(coverage(2024, (p) => p)).toBeGreaterThanOrEqual(90);
  });

  it('does not for an overconfident model, which the calibration check flags', () => {
    expect(coverage(2025, overconfident)).toBeLessThan(50);
    const r = new SeededRandom(7);
    const p = Array.from({ length: 3000 }, () => drawProbability(r));
    const labels = p.map((x) => (r.uniform() < x ? 1 : 0));
    expect(checkCalibration(p, labels).status).toBe('Calibrated');
    const check = checkCalibration(p.map(overconfident), labels);
    expect(check.status).toBe('Miscalibrated');
    expect(check.expectedCalibrationError).toBeGreaterThan(0.05);
    // Too few rows for the check to tell a calibrated model from one 5 points off.
    expect(checkCalibration(p.slice(0, 300), labels.slice(0, 300)).status).toBe('InsufficientData');
  });

  it('covers again once recalibrated by isotonic regression on an offline set', () => {
    const r = new SeededRandom(8);
    const rows = (n: number) => {
      const p = Array.from({ length: n }, () => drawProbability(r));
      return { p, labels: p.map((x) => (r.uniform() < x ? 1 : 0)) };
    };
    const offline = rows(5000);
    const calibrator = fitIsotonic(offline.p.map(overconfident), offline.labels);
    // Checked on held-out rows: on its own fitting set isotonic regression has an ECE of 0.
    const holdout = rows(3000);
    const recalibrated = (p: number) => applyIsotonic(calibrator, overconfident(p));
    expect(checkCalibration(holdout.p.map(overconfident), holdout.labels).status).toBe('Miscalibrated');
    expect(checkCalibration(holdout.p.map(recalibrated), holdout.labels).status).toBe('Calibrated');
    expect(coverage(2026, recalibrated)).toBeGreaterThanOrEqual(90);
  });
});

describe('multiclass CBPE against scikit-learn and numpy', () => {
  it.each(fixture.multiclassCbpe)('$name', (c) => {
    const classes = (c.probabilities[0] ?? []).map((_, k) => `class-${k}`);
    const estimate = estimateMulticlassPerformance(c.probabilities, classes);
    expect(estimate.count).toBe(c.probabilities.length);
    close(estimate.expectedAccuracy, c.expectedAccuracy);
    close(estimate.standardError, c.standardError);
    expect(estimate.expectedRocAucByClass).toHaveLength(classes.length);
    estimate.expectedRocAucByClass.forEach((auc, k) => {
      close(auc, c.expectedRocAucByClass[k] as number);
    });
    close(estimate.expectedRocAucMacro, c.expectedRocAucMacro);
    close(estimate.expectedRocAucWeighted, c.expectedRocAucWeighted);
  });

  it('refuses rows that are not probability distributions over the classes', () => {
    expect(() => estimateMulticlassPerformance([[0.5, 0.5, 0.2]], ['a', 'b', 'c'])).toThrow(/sum to 1.2/);
    expect(() => estimateMulticlassPerformance([[0.5, 0.5]], ['a', 'b', 'c'])).toThrow(
      /2 probabilities for 3 classes/,
    );
    expect(() => estimateMulticlassPerformance([[1.2, -0.2]], ['a', 'b'])).toThrow(/must be in \[0, 1\]/);
  });

  it('covers the realised accuracy in at least 90 of 100 windows of a calibrated 4-class model', () => {
    const r = new SeededRandom(2027);
    const classes = ['a', 'b', 'c', 'd'];
    let covered = 0;
    for (let w = 0; w < 100; w++) {
      const rows: number[][] = [];
      let correct = 0;
      for (let i = 0; i < 400; i++) {
        // Rows of varied confidence (any will do); the model is calibrated because each label
        // is drawn from its own row's probabilities.
        const raw = classes.map(() => r.exponential() ** 1.4);
        const total = raw.reduce((a, b) => a + b, 0);
        const p = raw.map((x) => x / total);
        const label = r.categorical(p);
        let predicted = 0;
        for (let k = 1; k < p.length; k++) if ((p[k] as number) > (p[predicted] as number)) predicted = k;
        if (predicted === label) correct++;
        rows.push(p);
      }
      const { interval } = estimateMulticlassPerformance(rows, classes);
      const realised = correct / 400;
      if (interval.lower <= realised && realised <= interval.upper) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(90);
  });
});
