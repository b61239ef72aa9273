import { describe, expect, it } from 'vitest';
import { ValidationException } from '../../lambdas/domain/kernel/errors.js';
import {
  type ComparisonAggregate,
  type ComparisonConfig,
  type ComparisonObservation,
  createAggregate,
  dedupeByEventId,
  emptyAggregate,
  IncompatibleAggregatesError,
  InvalidAggregateError,
  inferTaskKind,
  MISSING_SEGMENT,
  mergeAggregates,
  parseAggregate,
  recordObservations,
  resolveComparisonConfig,
  summarize,
  TRACKED_LABELS,
  TRACKED_SEGMENTS,
} from '../../lambdas/domain/shadow-tests/index.js';
import { classificationTraffic, regressionTraffic } from '../fixtures/shadow/simulate.js';
import { seeded } from '../support/seeded-random.js';

const CLASSIFIER: ComparisonConfig = { kind: 'classification', segment: { feature: 'region', column: 0 } };
const REGRESSOR: ComparisonConfig = { kind: 'regression', absoluteTolerance: 0.1, relativeTolerance: 0.01 };

/** Float sums are associative only up to rounding: compare them rounded, everything else exactly. */
function normalised(aggregate: ComparisonAggregate): unknown {
  return JSON.parse(
    JSON.stringify(aggregate, (key, value: unknown) =>
      (key === 'sum' || key === 'diffSum') && typeof value === 'number'
        ? Number(value.toPrecision(10))
        : value,
    ),
  );
}

describe('recording observations', () => {
  it('compares classification rows by label, taking the argmax of score vectors', () => {
    const aggregate = createAggregate({ kind: 'classification' }, [
      { production: [[0.1, 0.9], [0.8, 0.2], 1, 'cat'], shadow: [[0.3, 0.7], [0.4, 0.6], 1, 'dog'] },
    ]);
    expect(aggregate.rowsCompared).toBe(4);
    expect(aggregate.rowsAgreed).toBe(2);
    expect(aggregate.labels?.counts).toEqual([
      ['0', 1, 0],
      ['1', 2, 3],
      ['cat', 1, 0],
      ['dog', 0, 1],
    ]);
    // Score vectors give a difference (largest per-class gap); bare labels do not.
    expect(aggregate.difference.count).toBe(2);
    expect(aggregate.difference.max).toBeCloseTo(0.4, 12);
  });

  it('reads a single probability as a binary classifier’s positive class, and refuses other reals', () => {
    const aggregate = createAggregate({ kind: 'classification' }, [
      { production: [0.7, 0.2, 0.55, 1], shadow: [[0.9], 0.4, 0.45, 0.8] },
      { production: [2.5], shadow: [2.5] },
    ]);
    expect(aggregate.rowsAgreed).toBe(3);
    expect(aggregate.rowsCompared).toBe(4);
    expect(aggregate.difference.count).toBe(3);
    expect(aggregate.difference.max).toBeCloseTo(0.2, 12);
    expect(aggregate.shadowErrors.InvalidOutput).toBe(1);
  });

  it('infers the task kind from the output type, else from the values', () => {
    expect(inferTaskKind([1, 0, 2], 'int64')).toBe('classification');
    expect(inferTaskKind(['cat'], 'string')).toBe('classification');
    expect(inferTaskKind([[0.2, 0.8]], 'float32')).toBe('classification');
    expect(inferTaskKind([[3.0], [2.0]], 'float32')).toBe('regression');
    expect(inferTaskKind([3, 2])).toBe('classification');
    expect(inferTaskKind([[0.1, 0.9]])).toBe('classification');
    expect(inferTaskKind([3.5, 2])).toBe('regression');
  });

  it('unwraps single-value rows ([[2]] is the label 2)', () => {
    const aggregate = createAggregate({ kind: 'classification' }, [{ production: [[[2]]], shadow: [2] }]);
    expect(aggregate.rowsAgreed).toBe(1);
  });

  describe('regression tolerance: |p − s| ≤ absolute + relative·|p|', () => {
    const agrees = (config: ComparisonConfig, production: number, shadow: number) =>
      createAggregate(config, [{ production: [production], shadow: [shadow] }]).rowsAgreed === 1;

    it('agrees within the absolute tolerance, boundary included', () => {
      const config: ComparisonConfig = { kind: 'regression', absoluteTolerance: 0.5 };
      expect(agrees(config, 10, 10.5)).toBe(true);
      expect(agrees(config, 10, 9.5)).toBe(true);
      expect(agrees(config, 10, 10.5000001)).toBe(false);
      expect(agrees(config, -3, -3.6)).toBe(false);
    });

    it('adds the relative tolerance, relative to production', () => {
      const config: ComparisonConfig = { kind: 'regression', absoluteTolerance: 0.5, relativeTolerance: 0.1 };
      expect(agrees(config, 100, 110.5)).toBe(true); // 0.5 + 0.1·100
      expect(agrees(config, 100, 110.6)).toBe(false);
      expect(agrees(config, 1, 1.55)).toBe(true); // 0.5 + 0.1·1 = 0.6
      expect(agrees(config, 1, 1.7)).toBe(false);
      // Production is the reference: |p| = 10 gives 1.5, not |s| = 11.6's 1.66.
      expect(agrees(config, 10, 11.6)).toBe(false);
    });

    it('defaults to a float32-rounding tolerance of 1e-6 and no relative tolerance', () => {
      expect(resolveComparisonConfig({ kind: 'regression' })).toMatchObject({
        absoluteTolerance: 1e-6,
        relativeTolerance: 0,
      });
      expect(agrees({ kind: 'regression' }, 3.25, 3.2500004)).toBe(true);
      expect(agrees({ kind: 'regression' }, 3.25, 3.2501)).toBe(false);
      expect(agrees({ kind: 'regression', absoluteTolerance: 0 }, 3.25, 3.25)).toBe(true);
    });

    it('compares vector outputs element by element: every element must agree', () => {
      const config: ComparisonConfig = { kind: 'regression', absoluteTolerance: 0.1 };
      const aggregate = createAggregate(config, [
        {
          production: [
            [1, 2],
            [1, 2],
          ],
          shadow: [
            [1.05, 2.05],
            [1.05, 2.5],
          ],
        },
      ]);
      expect(aggregate.rowsAgreed).toBe(1);
      expect(aggregate.difference.max).toBeCloseTo(0.5, 12);
      expect(aggregate.values?.production.count).toBe(4);
    });
  });

  it('counts production errors and shadow errors by kind, and the rows the shadow did not answer', () => {
    const observations: ComparisonObservation[] = [
      { production: [1, 2], shadow: [1, 2], productionLatencyMs: 3, shadowLatencyMs: 4 },
      { productionError: 'ModelError: boom' },
      { production: [1, 2, 3], shadowError: 'no session', shadowErrorKind: 'MissingModel' },
      { production: [1], shadowError: 'timed out', shadowErrorKind: 'Timeout', shadowLatencyMs: 30_000 },
      { production: [1], shadowError: 'Error: bad input' },
      { production: [1, 2], shadow: [1] },
      { production: [1], shadow: [Number.NaN] },
      { production: [[0.5, 0.5]], shadow: [[0.5]] },
    ];
    const aggregate = createAggregate({ kind: 'regression' }, observations);
    expect(aggregate.requestsMirrored).toBe(8);
    expect(aggregate.requestsCompared).toBe(1);
    expect(aggregate.productionErrors).toBe(1);
    expect(aggregate.shadowErrors).toEqual({ ModelError: 1, Timeout: 1, MissingModel: 1, InvalidOutput: 3 });
    expect(aggregate.rowsCompared).toBe(2);
    expect(aggregate.rowsShadowFailed).toBe(3 + 1 + 1 + 2 + 1 + 1);
    // The invariant the report relies on.
    const errors = Object.values(aggregate.shadowErrors).reduce((a, b) => a + b, 0);
    expect(aggregate.requestsMirrored).toBe(aggregate.requestsCompared + aggregate.productionErrors + errors);
    // Latency is recorded whenever measured (the timeout's too), not for production's failure.
    expect(aggregate.latencyMs.production.count).toBe(1);
    expect(aggregate.latencyMs.shadow.count).toBe(2);
    expect(aggregate.latencyMs.shadow.max).toBe(30_000);
  });

  it('records nothing of a request with one incomparable row', () => {
    const aggregate = createAggregate({ kind: 'classification' }, [
      { production: [1, 2], shadow: [1, null] },
    ]);
    expect(aggregate.rowsCompared).toBe(0);
    expect(aggregate.labels?.counts).toEqual([]);
    expect(aggregate.shadowErrors.InvalidOutput).toBe(1);
  });

  it('breaks rows down by the configured feature, with ranges when edges are given', () => {
    const observations: ComparisonObservation[] = [
      {
        production: [0, 1],
        shadow: [0, 0],
        rows: [
          [5, 1],
          [7, 2],
        ],
      },
      { production: [1], shadow: [1], rows: [[5, 3]] },
      { production: [1], shadow: [1] },
      { production: [1], shadowError: 'x', rows: [[7, 1]] },
    ];
    const byValue = createAggregate(
      { kind: 'classification', segment: { feature: 'f0', column: 0 } },
      observations,
    );
    expect(byValue.segments?.tallies).toEqual([
      { value: MISSING_SEGMENT, rows: 1, agreed: 1, failed: 0, diffCount: 0, diffSum: 0 },
      { value: '5', rows: 2, agreed: 2, failed: 0, diffCount: 0, diffSum: 0 },
      { value: '7', rows: 1, agreed: 0, failed: 1, diffCount: 0, diffSum: 0 },
    ]);
    const byRange = createAggregate(
      { kind: 'classification', segment: { feature: 'f1', column: 1, edges: [2, 3] } },
      observations,
    );
    expect(byRange.segments?.tallies.map((t) => [t.value, t.rows + t.failed])).toEqual([
      [MISSING_SEGMENT, 1],
      ['< 2', 2],
      ['>= 3', 1],
      ['[2, 3)', 1],
    ]);
  });

  it('keeps a bounded number of labels and segments, folding the rest into other', () => {
    const observations: ComparisonObservation[] = Array.from({ length: 400 }, (_, i) => ({
      production: [i],
      shadow: [i],
      rows: [[i]],
    }));
    const aggregate = createAggregate(CLASSIFIER, observations);
    expect(aggregate.labels?.counts).toHaveLength(TRACKED_LABELS);
    expect(aggregate.labels?.other).toEqual([400 - TRACKED_LABELS, 400 - TRACKED_LABELS]);
    expect(aggregate.segments?.tallies).toHaveLength(TRACKED_SEGMENTS);
    expect(aggregate.segments?.other.rows).toBe(400 - TRACKED_SEGMENTS);
  });
});

describe('mergeAggregates', () => {
  const traffic = classificationTraffic({
    requests: 3000,
    rowsPerRequest: 2,
    differFraction: 0.1,
    seed: 1,
    segments: 30,
  });

  it('merging the aggregates of two halves equals the aggregate of all', () => {
    const whole = createAggregate(CLASSIFIER, traffic);
    const merged = mergeAggregates(
      createAggregate(CLASSIFIER, traffic.slice(0, 1234)),
      createAggregate(CLASSIFIER, traffic.slice(1234)),
    );
    expect(normalised(merged)).toEqual(normalised(whole));
    // And so are the figures reported from it (quantiles within sketch error — here exact).
    expect(summarize(merged).Difference.P90).toBe(summarize(whole).Difference.P90);
  });

  it('does the same for regression, whose value sketches hold negative values', () => {
    const data = regressionTraffic({ requests: 2000, differFraction: 0.05, tolerance: 0.1, seed: 2 }).map(
      (o) => ({
        ...o,
        production: o.production?.map((v) => (v as number) - 10),
        shadow: o.shadow?.map((v) => (v as number) - 10),
      }),
    );
    const whole = createAggregate(REGRESSOR, data);
    const merged = mergeAggregates(
      createAggregate(REGRESSOR, data.slice(0, 700)),
      createAggregate(REGRESSOR, data.slice(700)),
    );
    expect(normalised(merged)).toEqual(normalised(whole));
    expect(whole.values?.production.negative).toBeDefined();
    const [a, b] = [summarize(merged), summarize(whole)];
    expect(a.Psi).toBeCloseTo(b.Psi as number, 12);
    expect(a.Difference.Mean).toBeCloseTo(b.Difference.Mean as number, 12);
  });

  it('is commutative and associative (segments and labels past their caps included)', () => {
    const wide: ComparisonObservation[] = Array.from({ length: 900 }, (_, i) => ({
      production: [i % 300],
      shadow: [(i * 7) % 300],
      rows: [[i % 250]],
      productionLatencyMs: i,
    }));
    const [x, y, z] = [wide.slice(0, 200), wide.slice(200, 650), wide.slice(650)].map((part) =>
      createAggregate(CLASSIFIER, part),
    ) as [ComparisonAggregate, ComparisonAggregate, ComparisonAggregate];
    expect(normalised(mergeAggregates(x, y))).toEqual(normalised(mergeAggregates(y, x)));
    expect(normalised(mergeAggregates(mergeAggregates(x, y), z))).toEqual(
      normalised(mergeAggregates(x, mergeAggregates(y, z))),
    );
    expect(normalised(mergeAggregates(mergeAggregates(x, y), z))).toEqual(
      normalised(createAggregate(CLASSIFIER, wide)),
    );
  });

  it('has the empty aggregate as identity, and recordObservations folds a batch in', () => {
    const a = createAggregate(CLASSIFIER, traffic.slice(0, 50));
    expect(mergeAggregates(a, emptyAggregate(CLASSIFIER))).toEqual(a);
    expect(mergeAggregates(emptyAggregate(CLASSIFIER), a)).toEqual(a);
    expect(normalised(recordObservations(a, traffic.slice(50, 80)))).toEqual(
      normalised(createAggregate(CLASSIFIER, traffic.slice(0, 80))),
    );
  });

  it('refuses aggregates built with different configurations', () => {
    expect(() =>
      mergeAggregates(emptyAggregate(REGRESSOR), emptyAggregate({ ...REGRESSOR, absoluteTolerance: 0.2 })),
    ).toThrow(IncompatibleAggregatesError);
    expect(() => mergeAggregates(emptyAggregate(CLASSIFIER), emptyAggregate(REGRESSOR))).toThrow(
      IncompatibleAggregatesError,
    );
  });
});

describe('serialization', () => {
  it('round-trips through JSON and parseAggregate', () => {
    for (const aggregate of [
      createAggregate(
        CLASSIFIER,
        classificationTraffic({ requests: 500, differFraction: 0.1, seed: 3, segments: 5 }),
      ),
      createAggregate(
        REGRESSOR,
        regressionTraffic({ requests: 500, differFraction: 0.1, tolerance: 0.1, seed: 4 }),
      ),
      emptyAggregate(REGRESSOR),
    ]) {
      const parsed = parseAggregate(JSON.parse(JSON.stringify(aggregate)));
      expect(parsed).toEqual(aggregate);
      expect(summarize(parsed)).toEqual(summarize(aggregate));
    }
  });

  it('rejects what is not an aggregate', () => {
    const good = JSON.parse(JSON.stringify(emptyAggregate(CLASSIFIER))) as Record<string, unknown>;
    expect(() => parseAggregate({ ...good, version: 2 })).toThrow(InvalidAggregateError);
    expect(() => parseAggregate({ ...good, rowsCompared: -1 })).toThrow(InvalidAggregateError);
    expect(() => parseAggregate({ ...good, labels: undefined })).toThrow(/output distribution/);
    expect(() => parseAggregate({ ...good, segments: undefined })).toThrow(/Segments/);
    expect(() => parseAggregate('{}')).toThrow(InvalidAggregateError);
  });

  it('stays far below DynamoDB’s 400 KB item limit: 100k rows, 20 segments', () => {
    const sizes = {
      regression: JSON.stringify(
        createAggregate(
          { kind: 'regression', absoluteTolerance: 0.05, segment: { feature: 'region', column: 0 } },
          regressionTraffic({
            requests: 25_000,
            rowsPerRequest: 4,
            differFraction: 0.03,
            tolerance: 0.05,
            seed: 5,
            segments: 20,
          }),
        ),
      ).length,
      classification: JSON.stringify(
        createAggregate(
          CLASSIFIER,
          classificationTraffic({
            requests: 25_000,
            rowsPerRequest: 4,
            classes: 10,
            differFraction: 0.03,
            seed: 6,
            segments: 20,
          }),
        ),
      ).length,
    };
    console.info('serialized aggregate sizes (bytes, 100k rows, 20 segments):', sizes);
    expect(sizes.regression).toBeLessThan(40 * 1024);
    expect(sizes.classification).toBeLessThan(40 * 1024);
  });

  it('stays below the limit even at its worst: every sketch spanning 24 decades, all segment slots used', () => {
    const random = seeded(8);
    const logUniform = () => (random() < 0.5 ? -1 : 1) * 10 ** (24 * random() - 12);
    const observations: ComparisonObservation[] = Array.from({ length: 50_000 }, (_, i) => ({
      production: [logUniform(), logUniform()],
      shadow: [logUniform(), logUniform()],
      rows: [[i % 1000], [(i * 7) % 1000]],
      productionLatencyMs: 10 ** (6 * random() - 1),
      shadowLatencyMs: 10 ** (6 * random() - 1),
    }));
    const size = JSON.stringify(
      createAggregate({ kind: 'regression', segment: { feature: 'id', column: 0 } }, observations),
    ).length;
    console.info('worst-case serialized aggregate size (bytes):', size);
    expect(size).toBeLessThan(200 * 1024);
  });
});

describe('validation and deduplication', () => {
  it('rejects bad configurations with ValidationException', () => {
    expect(() => resolveComparisonConfig({ kind: 'regression', absoluteTolerance: -1 })).toThrow(
      ValidationException,
    );
    expect(() => resolveComparisonConfig({ kind: 'regression', relativeTolerance: Number.NaN })).toThrow(
      ValidationException,
    );
    expect(() => resolveComparisonConfig({ kind: 'ranking' as 'regression' })).toThrow(ValidationException);
    expect(() =>
      resolveComparisonConfig({ kind: 'regression', segment: { feature: 'f', column: -1 } }),
    ).toThrow(ValidationException);
    expect(() =>
      resolveComparisonConfig({ kind: 'regression', segment: { feature: 'f', column: 0, edges: [1, 1] } }),
    ).toThrow(ValidationException);
  });

  it('dedupeByEventId keeps the first record of each eventId, in order', () => {
    const records = [
      { eventId: 'a', n: 1 },
      { eventId: 'b', n: 2 },
      { eventId: 'a', n: 3 },
      { eventId: 'c', n: 4 },
      { eventId: 'b', n: 5 },
    ];
    expect(dedupeByEventId(records).map((r) => r.n)).toEqual([1, 2, 4]);
    expect(dedupeByEventId([])).toEqual([]);
  });
});
