import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  clopperPearsonBounds,
  DEFAULT_PSI_EPSILON,
  jensenShannonDistance,
  populationStabilityIndex,
  wilsonInterval,
} from '../../lambdas/domain/shadow-tests/index.js';

/** Computed by scripts/fixtures/shadow-statistics.py with SciPy and statsmodels. */
interface Fixture {
  psiEpsilon: number;
  divergence: { name: string; production: number[]; shadow: number[]; jensenShannon: number; psi: number }[];
  wilson: { successes: number; trials: number; confidenceLevel: number; lower: number; upper: number }[];
  clopperPearsonOneSided: { events: number; trials: number; alpha: number; lower: number; upper: number }[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/shadow/statistics.json', import.meta.url), 'utf8'),
) as Fixture;

const TOLERANCE = 1e-9;

describe('Jensen–Shannon distance and PSI against SciPy and a hand PSI', () => {
  it('uses the epsilon the fixture was computed with', () => {
    expect(DEFAULT_PSI_EPSILON).toBe(fixture.psiEpsilon);
  });

  it.each(fixture.divergence)('$name', ({ production, shadow, jensenShannon, psi }) => {
    expect(Math.abs(jensenShannonDistance(production, shadow) - jensenShannon)).toBeLessThan(TOLERANCE);
    expect(Math.abs(populationStabilityIndex(production, shadow, 'additive') - psi)).toBeLessThan(TOLERANCE);
  });

  it('is a distance in [0, 1]: 0 for proportional histograms, 1 for disjoint ones, symmetric', () => {
    expect(jensenShannonDistance([1, 2, 3], [2, 4, 6])).toBe(0);
    expect(jensenShannonDistance([5, 0], [0, 7])).toBeCloseTo(1, 12);
    expect(jensenShannonDistance([1, 9, 3], [4, 1, 1])).toBeCloseTo(
      jensenShannonDistance([4, 1, 1], [1, 9, 3]),
      15,
    );
  });

  it('refuses histograms that cannot be compared', () => {
    expect(() => jensenShannonDistance([1, 2], [1, 2, 3])).toThrow(RangeError);
    expect(() => jensenShannonDistance([0, 0], [1, 2])).toThrow(/empty/);
    expect(() => populationStabilityIndex([1, -1], [1, 1], 'additive')).toThrow(RangeError);
    expect(() => populationStabilityIndex([1, 1], [1, 1], 'additive', 0)).toThrow(/epsilon/);
  });
});

describe('wilsonInterval against statsmodels proportion_confint(method="wilson")', () => {
  it.each(fixture.wilson)(
    '$successes of $trials at $confidenceLevel',
    ({ successes, trials, confidenceLevel, lower, upper }) => {
      const interval = wilsonInterval(successes, trials, confidenceLevel);
      expect(Math.abs(interval.lower - lower)).toBeLessThan(TOLERANCE);
      expect(Math.abs(interval.upper - upper)).toBeLessThan(TOLERANCE);
    },
  );

  it('reaches exactly 1 (and 0) at the boundaries', () => {
    expect(wilsonInterval(2000, 2000).upper).toBe(1);
    expect(wilsonInterval(0, 2000).lower).toBe(0);
    expect(wilsonInterval(0, 0)).toEqual({ lower: 0, upper: 1 });
  });

  it('refuses impossible counts and levels', () => {
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 2, 1)).toThrow(RangeError);
  });
});

describe('clopperPearsonBounds against scipy.stats.beta.ppf', () => {
  it.each(fixture.clopperPearsonOneSided)(
    '$events of $trials at alpha $alpha',
    ({ events, trials, alpha, lower, upper }) => {
      const bounds = clopperPearsonBounds(events, trials, alpha);
      expect(Math.abs(bounds.lower - lower)).toBeLessThan(TOLERANCE);
      expect(Math.abs(bounds.upper - upper)).toBeLessThan(TOLERANCE);
    },
  );

  it('gives the rule of three at zero events', () => {
    // 1 − 0.05^(1/n) ≈ 3/n
    expect(clopperPearsonBounds(0, 3000).upper).toBeCloseTo(1 - 0.05 ** (1 / 3000), 12);
  });
});
