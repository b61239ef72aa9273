import { describe, expect, it } from 'vitest';
import {
  type ComparisonConfig,
  type ComparisonObservation,
  createAggregate,
  emptyAggregate,
  jensenShannonDistance,
  populationStabilityIndex,
  summarize,
  VERDICT_TEST_NAME,
  verdictTest,
} from '../../lambdas/domain/shadow-tests/index.js';
import { classificationTraffic, regressionTraffic } from '../fixtures/shadow/simulate.js';
import { seeded } from '../support/seeded-random.js';

const CLASSIFIER: ComparisonConfig = { kind: 'classification' };
const TOLERANCE = 0.1;
const REGRESSOR: ComparisonConfig = { kind: 'regression', absoluteTolerance: TOLERANCE };

function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

describe('an identical shadow', () => {
  it.each([
    ['classification', CLASSIFIER, classificationTraffic({ requests: 1000, rowsPerRequest: 2, seed: 11 })],
    ['regression', REGRESSOR, regressionTraffic({ requests: 2000, tolerance: 0, seed: 12 })],
  ] as const)(
    '%s: agreement 1, interval up to 1, no divergence, verdict NoDifference',
    (_, config, traffic) => {
      const report = summarize(createAggregate(config, traffic));
      expect(report.RowsCompared).toBe(2000);
      expect(report.AgreementRate.Value).toBe(1);
      expect(report.AgreementRate.ConfidenceInterval).toMatchObject({
        Method: 'WilsonScore',
        ConfidenceLevel: 0.95,
        Upper: 1,
      });
      expect(report.AgreementRate.ConfidenceInterval.Lower).toBeGreaterThan(0.99);
      expect(report.JensenShannon).toBe(0);
      expect(report.Psi).toBe(0);
      expect(report.Difference).toMatchObject({ Mean: 0, P50: 0, P99: 0, Max: 0 });
      expect(report.Verdict).toBe('NoDifference');
      expect(report.VerdictTest).toMatchObject({ Name: VERDICT_TEST_NAME, Mismatches: 0, Trials: 2000 });
      expect(report.VerdictTest.UpperBound).toBeLessThan(0.01);
    },
  );

  it('gives InsufficientData below the minimum sample, and while the bounds straddle the margin', () => {
    const few = summarize(createAggregate(CLASSIFIER, classificationTraffic({ requests: 60, seed: 13 })));
    expect(few.Verdict).toBe('InsufficientData');
    expect(few.VerdictTest.Reason).toMatch(/at least 100/);
    // 200 perfect rows: the exact upper bound 1 − 0.05^(1/200) ≈ 0.0149 is not below 1%.
    const some = summarize(createAggregate(CLASSIFIER, classificationTraffic({ requests: 200, seed: 14 })));
    expect(some.Verdict).toBe('InsufficientData');
    expect(some.VerdictTest.Reason).toMatch(/Inconclusive/);
    expect(summarize(emptyAggregate(CLASSIFIER))).toMatchObject({
      Verdict: 'InsufficientData',
      AgreementRate: { Value: null, ConfidenceInterval: { Lower: 0, Upper: 1 } },
      JensenShannon: null,
      Psi: null,
      Difference: { Count: 0, Mean: null, P50: null },
    });
  });
});

describe('a shadow that differs on a known fraction f of rows', () => {
  it.each([0.05, 0.2])(
    'f = %s: the Wilson interval holds 1 − f in ≥ 89 of 100 seeded trials; verdict Different',
    (f) => {
      let covered = 0;
      for (let trial = 0; trial < 100; trial++) {
        const traffic = classificationTraffic({
          requests: 2000,
          differFraction: f,
          seed: 1000 * f + trial,
          classes: 4,
        });
        const report = summarize(createAggregate(CLASSIFIER, traffic));
        const { Lower, Upper } = report.AgreementRate.ConfidenceInterval;
        if (Lower <= 1 - f && 1 - f <= Upper) covered++;
        expect(report.Verdict).toBe('Different');
      }
      // A 95% interval covers in Binomial(100, 0.95) trials: fewer than 89 has probability 0.4%.
      expect(covered).toBeGreaterThanOrEqual(89);
    },
  );

  it('regression: the tolerance decides agreement, and the report finds the fraction', () => {
    const traffic = regressionTraffic({
      requests: 5000,
      differFraction: 0.05,
      tolerance: TOLERANCE,
      seed: 21,
    });
    const report = summarize(createAggregate(REGRESSOR, traffic));
    const { Lower, Upper } = report.AgreementRate.ConfidenceInterval;
    expect(Lower).toBeLessThan(0.95);
    expect(Upper).toBeGreaterThan(0.95);
    expect(report.Verdict).toBe('Different');
    expect(report.AgreementCriterion).toEqual({
      Type: 'WithinTolerance',
      AbsoluteTolerance: TOLERANCE,
      RelativeTolerance: 0,
    });
    // The same traffic with a tolerance wider than every offset agrees everywhere.
    const lenient = summarize(createAggregate({ kind: 'regression', absoluteTolerance: 2 }, traffic));
    expect(lenient.AgreementRate.Value).toBe(1);
    expect(lenient.Verdict).toBe('NoDifference');
  });

  it('calls a disagreement below the margin NoDifference once the data show it', () => {
    const traffic = classificationTraffic({ requests: 20_000, differFraction: 0.002, seed: 22 });
    const report = summarize(createAggregate(CLASSIFIER, traffic));
    expect(report.AgreementRate.Value).toBeLessThan(1);
    expect(report.Verdict).toBe('NoDifference');
    // A stricter margin turns the same data into Different.
    expect(summarize(createAggregate(CLASSIFIER, traffic), { margin: 0.0005 }).Verdict).toBe('Different');
  });

  it('counts shadow failures against the shadow even when every answer it gave agrees', () => {
    const traffic: ComparisonObservation[] = classificationTraffic({ requests: 3000, seed: 23 }).map(
      (o, i) =>
        i % 10 === 0 ? { production: o.production, shadowError: 'timed out', shadowErrorKind: 'Timeout' } : o,
    );
    const report = summarize(createAggregate(CLASSIFIER, traffic));
    expect(report.AgreementRate.Value).toBe(1);
    expect(report.ShadowErrors).toMatchObject({ Timeout: 300, Total: 300, RowsNotAnswered: 300 });
    expect(report.Verdict).toBe('Different');
  });
});

describe('verdictTest error rates', () => {
  it('concludes wrongly at most about alpha of the time when the mismatch rate sits on the margin', () => {
    const random = seeded(31);
    const verdicts = { NoDifference: 0, Different: 0, InsufficientData: 0 };
    for (let trial = 0; trial < 200; trial++) {
      let mismatches = 0;
      for (let i = 0; i < 5000; i++) if (random() < 0.01) mismatches++;
      verdicts[verdictTest(mismatches, 5000, { margin: 0.01, alpha: 0.05, minRows: 100 }).verdict]++;
    }
    // Each wrong call has probability ≤ 5%: 18 or more of 200 would have probability ≤ 1.2%.
    expect(verdicts.NoDifference).toBeLessThanOrEqual(17);
    expect(verdicts.Different).toBeLessThanOrEqual(17);
  });
});

describe('figures in the report', () => {
  const traffic = regressionTraffic({
    requests: 4000,
    rowsPerRequest: 2,
    differFraction: 0.1,
    tolerance: TOLERANCE,
    seed: 41,
  });
  const report = summarize(createAggregate(REGRESSOR, traffic));
  const diffs = traffic.flatMap((o) =>
    (o.production ?? []).map((p, i) => Math.abs((p as number) - (o.shadow?.[i] as number))),
  );

  it('counts requests and rows', () => {
    expect(report).toMatchObject({
      TaskKind: 'Regression',
      RequestsMirrored: 4000,
      RequestsCompared: 4000,
      RowsCompared: 8000,
    });
  });

  it('gives the exact mean and max of |production − shadow| and quantiles within 1%', () => {
    expect(report.Difference.Mean).toBeCloseTo(diffs.reduce((a, b) => a + b, 0) / diffs.length, 10);
    expect(report.Difference.Max).toBe(Math.max(...diffs));
    for (const [q, field] of [
      [0.5, 'P50'],
      [0.9, 'P90'],
      [0.99, 'P99'],
    ] as const) {
      const exact = exactQuantile(diffs, q);
      expect(Math.abs((report.Difference[field] as number) - exact)).toBeLessThanOrEqual(
        0.01 * exact + 1e-12,
      );
    }
  });

  it('gives latency quantiles of both sides within 1%', () => {
    for (const [side, field] of [
      ['Production', 'productionLatencyMs'],
      ['Shadow', 'shadowLatencyMs'],
    ] as const) {
      const values = traffic.map((o) => o[field] as number);
      expect(report.Latency[side].Count).toBe(4000);
      for (const [q, name] of [
        [0.5, 'P50'],
        [0.9, 'P90'],
        [0.99, 'P99'],
      ] as const) {
        const exact = exactQuantile(values, q);
        expect(Math.abs((report.Latency[side][name] as number) - exact)).toBeLessThanOrEqual(0.01 * exact);
      }
    }
  });

  it('measures divergence of regression outputs on production-quantile bins', () => {
    expect(report.Divergence).toEqual({ Binning: 'ProductionQuantiles', Bins: 10, PsiEpsilon: 1e-4 });
    expect(report.JensenShannon).toBeGreaterThan(0);
    expect(report.JensenShannon).toBeLessThan(0.1);
    // A shadow shifted by one production standard deviation diverges a lot.
    const shifted = traffic.map((o) => ({ ...o, shadow: o.production?.map((v) => (v as number) + 3) }));
    const far = summarize(createAggregate(REGRESSOR, shifted));
    expect(far.Psi).toBeGreaterThan(0.25);
    expect(far.JensenShannon).toBeGreaterThan(0.3);
    expect(far.Verdict).toBe('Different');
  });

  it('measures divergence of classification outputs on label counts', () => {
    const labels = classificationTraffic({ requests: 3000, differFraction: 0.2, seed: 42, classes: 3 });
    const labelReport = summarize(createAggregate(CLASSIFIER, labels));
    const argmax = (v: unknown) => {
      const row = v as number[];
      return row.indexOf(Math.max(...row));
    };
    const production = [0, 0, 0];
    const shadow = [0, 0, 0];
    for (const o of labels) {
      const [p, q] = [argmax(o.production?.[0]), argmax(o.shadow?.[0])];
      production[p] = (production[p] ?? 0) + 1;
      shadow[q] = (shadow[q] ?? 0) + 1;
    }
    expect(labelReport.Divergence).toMatchObject({ Binning: 'Labels', Bins: 3 });
    expect(labelReport.JensenShannon).toBeCloseTo(jensenShannonDistance(production, shadow), 12);
    expect(labelReport.Psi).toBeCloseTo(populationStabilityIndex(production, shadow, 'additive'), 12);
  });

  it('names every field in PascalCase', () => {
    const keys = (value: unknown): string[] =>
      value !== null && typeof value === 'object'
        ? Array.isArray(value)
          ? value.flatMap(keys)
          : Object.entries(value).flatMap(([k, v]) => [k, ...keys(v)])
        : [];
    const segmented = summarize(
      createAggregate({ ...REGRESSOR, segment: { feature: 'f', column: 0 } }, traffic.slice(0, 10)),
    );
    for (const key of keys(segmented)) expect(key).toMatch(/^[A-Z][A-Za-z0-9]*$/);
  });
});

function segmentCode(observation: ComparisonObservation): number | undefined {
  return (observation.rows?.[0] as number[] | undefined)?.[0];
}

describe('segments', () => {
  // 30 segment codes; code 7's shadow is broken, the rest identical.
  const traffic = classificationTraffic({ requests: 30_000, seed: 51, segments: 30 }).map((o) => {
    return segmentCode(o) === 7
      ? { ...o, shadow: o.shadow?.map((row) => [...(row as number[])].reverse()) }
      : o;
  });
  const report = summarize(
    createAggregate({ kind: 'classification', segment: { feature: 'store', column: 0 } }, traffic),
  );

  it('lists the busiest segments up to maxSegments, then Other', () => {
    const items = report.Segments?.Items ?? [];
    expect(report.Segments?.Feature).toBe('store');
    expect(items).toHaveLength(21);
    expect(items[20]?.Value).toBe('Other');
    expect(items.reduce((a, s) => a + s.RowsCompared, 0)).toBe(30_000);
    const counts = new Map<string, number>();
    for (const o of traffic) {
      const code = String(segmentCode(o));
      counts.set(code, (counts.get(code) ?? 0) + 1);
    }
    const busiest = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 20);
    expect(items.slice(0, 20).map((s) => [s.Value, s.RowsCompared])).toEqual(busiest);
    const fewer = summarize(
      createAggregate({ kind: 'classification', segment: { feature: 'store', column: 0 } }, traffic),
      {
        maxSegments: 5,
      },
    );
    expect(fewer.Segments?.Items).toHaveLength(6);
  });

  it('flags the broken segment and clears the others (Bonferroni-adjusted per-segment verdicts)', () => {
    const bySegment = new Map((report.Segments?.Items ?? []).map((s) => [s.Value, s]));
    const broken = bySegment.get('7') ?? bySegment.get('Other');
    expect(broken?.Verdict).toBe('Different');
    expect(broken?.AgreementRate.Value).toBeLessThan(1);
    const healthy = [...bySegment.values()].filter((s) => s.Value !== '7' && s.Value !== 'Other');
    expect(healthy.length).toBeGreaterThan(15);
    for (const s of healthy) {
      expect(s.AgreementRate.Value).toBe(1);
      expect(s.Verdict).toBe('NoDifference');
    }
  });
});
