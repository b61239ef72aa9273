import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  addDifference,
  compareClassifiers,
  compareRegressors,
  correctnessMoments,
  EMPTY_MOMENTS,
  MCNEMAR_EXACT_BELOW,
  mcnemarTest,
  meanDifferenceT,
  meanDifferenceZ,
  mergeMoments,
  type PairedCorrectness,
  type PairedMoments,
  pairedTTest,
  squaredErrorDifference,
  wilcoxonSignedRank,
} from '../../lambdas/domain/stats/paired.js';
import { SeededRandom } from '../support/seeded-random.js';

/** Computed by scripts/fixtures/evaluation-reference.py with statsmodels and scipy. */
interface Fixture {
  mcnemar: {
    name: string;
    table: PairedCorrectness;
    exact: { statistic: number; pValue: number };
    chiSquare: { statistic: number; pValue: number } | null;
    accuracyDifference: number;
    z95: [number, number] | null;
    z90: [number, number] | null;
  }[];
  regression: {
    name: string;
    label: number[];
    production: number[];
    shadow: number[];
    t: { statistic: number; pValue: number; dof: number };
    meanDifference: number;
    ci95: [number, number];
    ci90: [number, number];
    wilcoxon: { method: 'exact' | 'normal'; statistic: number; pValue: number };
  }[];
  wilcoxon: {
    name: string;
    differences: number[];
    method: 'exact' | 'normal';
    statistic: number;
    pValue: number;
  }[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/evaluation/reference.json', import.meta.url), 'utf8'),
) as Fixture;

const TOLERANCE = 1e-9;
/**
 * Student's t comes from jstat, whose incomplete beta (and its inverse) is good to about 1e-8
 * relative: far below what a verdict needs, so t-based values are compared at 1e-7.
 */
const T_TOLERANCE = 1e-7;

function close(actual: number, expected: number, tolerance = TOLERANCE): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(
    tolerance * Math.max(1, Math.abs(expected)),
  );
}

/** An interval's bounds, to `tolerance` of its width (where a quantile's relative error shows). */
function closeInterval(
  actual: { lower: number; upper: number },
  expected: [number, number],
  tolerance: number,
): void {
  const width = expected[1] - expected[0];
  expect(Math.abs(actual.lower - expected[0])).toBeLessThanOrEqual(tolerance * width);
  expect(Math.abs(actual.upper - expected[1])).toBeLessThanOrEqual(tolerance * width);
}

function momentsOf(values: readonly number[]): PairedMoments {
  return values.reduce(addDifference, EMPTY_MOMENTS);
}

describe('McNemar against statsmodels mcnemar', () => {
  it.each(fixture.mcnemar)('$name', ({ table, exact, chiSquare }) => {
    const result = mcnemarTest(table);
    const discordant = table.productionOnlyCorrect + table.shadowOnlyCorrect;
    if (discordant < MCNEMAR_EXACT_BELOW) {
      expect(result.method).toBe('exact-binomial');
      close(result.statistic, exact.statistic);
      close(result.pValue, exact.pValue);
    } else {
      expect(result.method).toBe('chi-square-corrected');
      close(result.statistic, chiSquare?.statistic ?? Number.NaN);
      close(result.pValue, chiSquare?.pValue ?? Number.NaN);
    }
    // Either form on demand, through the threshold.
    close(mcnemarTest(table, Number.POSITIVE_INFINITY).pValue, exact.pValue);
    if (chiSquare) close(mcnemarTest(table, 0).pValue, chiSquare.pValue);
  });

  it('switches from exact to chi-square at 25 discordant events', () => {
    expect(
      mcnemarTest({ bothCorrect: 0, productionOnlyCorrect: 4, shadowOnlyCorrect: 20, neitherCorrect: 0 })
        .method,
    ).toBe('exact-binomial');
    expect(
      mcnemarTest({ bothCorrect: 0, productionOnlyCorrect: 5, shadowOnlyCorrect: 20, neitherCorrect: 0 })
        .method,
    ).toBe('chi-square-corrected');
  });

  it('refuses counts that are not counts', () => {
    expect(() =>
      mcnemarTest({ bothCorrect: 1, productionOnlyCorrect: -1, shadowOnlyCorrect: 0, neitherCorrect: 0 }),
    ).toThrow(/productionOnlyCorrect/);
    expect(() =>
      mcnemarTest({ bothCorrect: 1.5, productionOnlyCorrect: 0, shadowOnlyCorrect: 0, neitherCorrect: 0 }),
    ).toThrow(RangeError);
  });
});

describe('the paired accuracy difference against statsmodels DescrStatsW.zconfint_mean', () => {
  it.each(fixture.mcnemar.filter((c) => c.z95 !== null))(
    '$name',
    ({ table, accuracyDifference, z95, z90 }) => {
      const moments = correctnessMoments(table);
      const at95 = meanDifferenceZ(moments, 0.95);
      const at90 = meanDifferenceZ(moments, 0.9);
      close(at95.estimate, accuracyDifference);
      close(at95.interval.lower, z95?.[0] ?? Number.NaN);
      close(at95.interval.upper, z95?.[1] ?? Number.NaN);
      close(at90.interval.lower, z90?.[0] ?? Number.NaN);
      close(at90.interval.upper, z90?.[1] ?? Number.NaN);
      // compareClassifiers reports the interval at 1 − α.
      const comparison = compareClassifiers(table, { alpha: 0.1 });
      close(comparison.accuracyDifference.interval.lower, z90?.[0] ?? Number.NaN);
      close(comparison.shadowAccuracy - comparison.productionAccuracy, accuracyDifference);
    },
  );
});

describe('the paired t-test on squared errors against scipy ttest_rel', () => {
  it.each(fixture.regression)('$name', ({ label, production, shadow, t, meanDifference, ci95, ci90 }) => {
    const moments = momentsOf(
      label.map((y, i) => squaredErrorDifference(y, production[i] as number, shadow[i] as number)),
    );
    const test = pairedTTest(moments);
    close(test.statistic, t.statistic);
    close(test.pValue, t.pValue, T_TOLERANCE);
    expect(test.dof).toBe(t.dof);
    const interval95 = meanDifferenceT(moments, 0.95);
    close(interval95.estimate, meanDifference);
    closeInterval(interval95.interval, ci95, T_TOLERANCE);
    const comparison = compareRegressors(moments, { alpha: 0.1 });
    closeInterval(comparison.squaredErrorDifference.interval, ci90, T_TOLERANCE);
  });

  it('merges partial summaries into the same summary as one pass, in any order', () => {
    const { label, production, shadow } = fixture.regression[0] as Fixture['regression'][number];
    const d = label.map((y, i) => squaredErrorDifference(y, production[i] as number, shadow[i] as number));
    const whole = momentsOf(d);
    const parts = [d.slice(0, 7), d.slice(7, 150), d.slice(150)].map(momentsOf);
    for (const merged of [
      parts.reduce(mergeMoments, EMPTY_MOMENTS),
      [...parts].reverse().reduce(mergeMoments, EMPTY_MOMENTS),
    ]) {
      expect(merged.count).toBe(whole.count);
      close(merged.mean, whole.mean, 1e-12);
      close(merged.m2, whole.m2, 1e-12);
    }
  });

  it('stays exact where n, Σd, Σd² would cancel: large squared errors, tiny differences', () => {
    const d = Array.from({ length: 1000 }, (_, i) => 1e8 + (i % 2 === 0 ? 1e-3 : -1e-3));
    const moments = momentsOf(d);
    close(moments.m2 / (moments.count - 1), (1000 * 1e-6) / 999, 1e-6);
  });
});

describe('the Wilcoxon signed-rank test against scipy wilcoxon', () => {
  it.each(fixture.wilcoxon)('$name ($method)', ({ differences, method, statistic, pValue }) => {
    const result = wilcoxonSignedRank(differences);
    expect(result.method).toBe(method);
    close(result.statistic, statistic);
    close(result.pValue, pValue);
  });

  it.each(fixture.regression)(
    '$name, on squared-error differences',
    ({ label, production, shadow, wilcoxon }) => {
      const d = label.map((y, i) => squaredErrorDifference(y, production[i] as number, shadow[i] as number));
      const result = wilcoxonSignedRank(d);
      expect(result.method).toBe(wilcoxon.method);
      close(result.statistic, wilcoxon.statistic);
      close(result.pValue, wilcoxon.pValue);
    },
  );

  it('answers p = 1 when no difference is left to rank', () => {
    expect(wilcoxonSignedRank([0, 0, 0]).pValue).toBe(1);
    expect(wilcoxonSignedRank([0, 2]).pValue).toBe(1);
  });
});

describe('verdicts', () => {
  it('says InsufficientData below minEvents and for a degenerate summary', () => {
    const few = { bothCorrect: 5, productionOnlyCorrect: 0, shadowOnlyCorrect: 20, neitherCorrect: 0 };
    expect(compareClassifiers(few).verdict).toBe('InsufficientData');
    expect(compareClassifiers(few, { minEvents: 20 }).verdict).toBe('Better');
    expect(compareRegressors(momentsOf([1])).verdict).toBe('InsufficientData');
    expect(() => compareClassifiers(few, { alpha: 1 })).toThrow(/alpha/);
  });

  it('reads the direction from shadow − production: higher accuracy, lower squared error', () => {
    const worse = { bothCorrect: 700, productionOnlyCorrect: 90, shadowOnlyCorrect: 40, neitherCorrect: 170 };
    expect(compareClassifiers(worse).verdict).toBe('Worse');
    expect(compareRegressors(momentsOf(Array.from({ length: 50 }, (_, i) => -1 - (i % 3)))).verdict).toBe(
      'Better',
    );
    expect(compareRegressors(momentsOf(Array.from({ length: 50 }, () => 0))).verdict).toBe(
      'NoSignificantDifference',
    );
  });
});

/**
 * Seeded simulations (bounded, so deterministic): a shadow that is truly better is found better,
 * an identical one is never found different, and one that is as good but wrong on other events
 * is found different in about α of experiments.
 */
describe('the paired comparison on simulated shadow experiments', () => {
  const EXPERIMENTS = 200;
  const EVENTS = 1000;
  const ALPHA = 0.05;
  // One-sided 99.9% binomial margin on a rate of α over 200 experiments: α + 3.1·√(α(1−α)/200).
  const FALSE_ALARM_LIMIT = ALPHA + 3.1 * Math.sqrt((ALPHA * (1 - ALPHA)) / EXPERIMENTS);

  function classification(r: SeededRandom, shadowAccuracy: number, identical: boolean): PairedCorrectness {
    const cells = { bothCorrect: 0, productionOnlyCorrect: 0, shadowOnlyCorrect: 0, neitherCorrect: 0 };
    for (let i = 0; i < EVENTS; i++) {
      const production = r.uniform() < 0.8;
      const shadow = identical ? production : r.uniform() < shadowAccuracy;
      if (production && shadow) cells.bothCorrect++;
      else if (production) cells.productionOnlyCorrect++;
      else if (shadow) cells.shadowOnlyCorrect++;
      else cells.neitherCorrect++;
    }
    return cells;
  }

  function regression(r: SeededRandom, shadowNoise: number, identical: boolean): PairedMoments {
    let moments = EMPTY_MOMENTS;
    for (let i = 0; i < EVENTS; i++) {
      const label = r.normal(10, 3);
      const production = label + r.normal(0, 1);
      const shadow = identical ? production : label + r.normal(0, shadowNoise);
      moments = addDifference(moments, squaredErrorDifference(label, production, shadow));
    }
    return moments;
  }

  function verdicts(run: () => { verdict: string }): Record<string, number> {
    const counts: Record<string, number> = {};
    for (let e = 0; e < EXPERIMENTS; e++) {
      const { verdict } = run();
      counts[verdict] = (counts[verdict] ?? 0) + 1;
    }
    return counts;
  }

  it('classification: a better shadow (88% vs 80%) is Better, an identical one never different', () => {
    const r = new SeededRandom(12);
    // Power at 1,000 events: about 272 discordant, c − b ≈ 80 ± 16.5, so z ≈ 4.8.
    const better = verdicts(() => compareClassifiers(classification(r, 0.88, false), { alpha: ALPHA }));
    expect(better.Worse).toBeUndefined();
    expect((better.Better ?? 0) / EXPERIMENTS).toBeGreaterThanOrEqual(0.98);
    expect(verdicts(() => compareClassifiers(classification(r, 0.8, true), { alpha: ALPHA }))).toEqual({
      NoSignificantDifference: EXPERIMENTS,
    });
    const equallyGood = verdicts(() => compareClassifiers(classification(r, 0.8, false), { alpha: ALPHA }));
    expect(((equallyGood.Better ?? 0) + (equallyGood.Worse ?? 0)) / EXPERIMENTS).toBeLessThanOrEqual(
      FALSE_ALARM_LIMIT,
    );
  });

  it('regression: a better shadow (error sd 0.8 vs 1) is Better, an identical one never different', () => {
    const r = new SeededRandom(13);
    const better = verdicts(() => compareRegressors(regression(r, 0.8, false), { alpha: ALPHA }));
    expect(better.Worse).toBeUndefined();
    expect((better.Better ?? 0) / EXPERIMENTS).toBeGreaterThanOrEqual(0.98);
    expect(verdicts(() => compareRegressors(regression(r, 1, true), { alpha: ALPHA }))).toEqual({
      NoSignificantDifference: EXPERIMENTS,
    });
    const equallyGood = verdicts(() => compareRegressors(regression(r, 1, false), { alpha: ALPHA }));
    expect(((equallyGood.Better ?? 0) + (equallyGood.Worse ?? 0)) / EXPERIMENTS).toBeLessThanOrEqual(
      FALSE_ALARM_LIMIT,
    );
  });
});
