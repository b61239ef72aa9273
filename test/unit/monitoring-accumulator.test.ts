import { describe, expect, it } from 'vitest';
import {
  CenteredSketch,
  DatasetAccumulator,
  FeatureAccumulator,
  featureSketch,
  IncompatibleStatisticsError,
  type Statistics,
  suggestBaseline,
} from '../../lambdas/domain/model-monitor/statistics/index.js';
import { SeededRandom } from '../support/seeded-random.js';

const NAMES = ['amount', 'count', 'channel', 'delta'];

function csvRows(r: SeededRandom, n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const missing = r.uniform() < 0.02;
    lines.push(
      [
        missing ? '' : (r.normal(100, 15) * 1).toFixed(3),
        r.poisson(4),
        ['web', 'app', 'store', `rare${Math.floor(r.uniform() * 40)}`][r.categorical([50, 30, 15, 5])],
        r.normal(-3, 2).toFixed(4),
      ].join(','),
    );
  }
  return lines.join('\n');
}

/** Numbers compared to 1e-9 relative; everything else exactly. */
function expectStatisticsClose(actual: Statistics, expected: Statistics): void {
  const close = (a: unknown, e: unknown, path: string): void => {
    if (typeof e === 'number' && typeof a === 'number') {
      expect(Math.abs(a - e), path).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)));
    } else if (Array.isArray(e)) {
      expect(Array.isArray(a) && a.length === e.length, path).toBe(true);
      e.forEach((v, i) => {
        close((a as unknown[])[i], v, `${path}[${i}]`);
      });
    } else if (e !== null && typeof e === 'object') {
      expect(Object.keys(a as object).sort(), path).toEqual(Object.keys(e).sort());
      for (const [k, v] of Object.entries(e)) close((a as Record<string, unknown>)[k], v, `${path}.${k}`);
    } else {
      expect(a, path).toEqual(e);
    }
  };
  close(actual, expected, '$');
}

describe('type inference (deequ rules)', () => {
  it.each([
    [['1', '2', ''], 'Integral'],
    [['1', '2.5'], 'Fractional'],
    [['1', '2.5', 'x'], 'String'],
    [['true', 'false'], 'String'],
    [['', ''], 'Unknown'],
    [[3, 4.5], 'Fractional'],
    [[3, null, true], 'String'],
  ])('%j → %s', (values, type) => {
    const f = new FeatureAccumulator('f');
    for (const v of values) f.addValue(v);
    expect(f.inferredType).toBe(type);
  });
});

describe('merge', () => {
  const r = new SeededRandom(11);
  const part1 = csvRows(r, 3000);
  const part2 = csvRows(r, 2000);
  const centers = { amount: 100, count: 4, delta: -3 };

  it('merging two halves gives the statistics of processing everything at once', () => {
    const all = new DatasetAccumulator(NAMES, { centers });
    all.addPayload({ data: part1, contentType: 'text/csv' });
    all.addPayload({ data: part2, contentType: 'text/csv' });
    const a = new DatasetAccumulator(NAMES, { centers });
    a.addPayload({ data: part1, contentType: 'text/csv' });
    const b = new DatasetAccumulator(NAMES, { centers });
    b.addPayload({ data: part2, contentType: 'text/csv' });
    expectStatisticsClose(a.merge(b).toStatistics(), all.toStatistics());
    expect(a.summary).toEqual(all.summary);
  });

  it('survives a JSON round trip between workers', () => {
    const a = new DatasetAccumulator(NAMES, { centers });
    a.addPayload({ data: part1, contentType: 'text/csv' });
    a.addPayload({ data: '1,2,web,3,extra', contentType: 'text/csv' });
    const copy = DatasetAccumulator.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    expect(copy.toStatistics()).toEqual(a.toStatistics());
    const b = new DatasetAccumulator(NAMES, { centers });
    b.addPayload({ data: part2, contentType: 'text/csv' });
    expectStatisticsClose(copy.merge(b).toStatistics(), a.merge(b).toStatistics());
  });

  it('keeps negative values when sketches merge (works around DataDog/sketches-js#22)', () => {
    const x = new CenteredSketch(0.01, 0);
    const y = new CenteredSketch(0.01, 0);
    for (let i = 1; i <= 100; i++) x.add(-i);
    for (let i = 1; i <= 100; i++) y.add(i % 2 ? -i : i);
    x.merge(y);
    expect(x.count).toBe(200);
    expect(x.points().reduce((s, [, c]) => s + c, 0)).toBe(200);
    expect(x.quantile(0)).toBeCloseTo(-100, 0);
    expect(x.quantile(0.5)).toBeLessThan(0);
  });

  it('merges sketches with different centers approximately (within 2α)', () => {
    const r2 = new SeededRandom(5);
    const values = Array.from({ length: 4000 }, () => r2.normal(1000, 5));
    const a = new FeatureAccumulator('x');
    const b = new FeatureAccumulator('x');
    values.forEach((v, i) => {
      (i < 2000 ? a : b).addNumber(v, false);
    });
    a.merge(b);
    const sorted = [...values].sort((p, q) => p - q);
    const sketch = a.numericSketch();
    for (const q of [0.05, 0.5, 0.95]) {
      const exact = sorted[Math.floor(q * (sorted.length - 1))] as number;
      expect(Math.abs(sketch.quantile(q) - exact)).toBeLessThanOrEqual(
        0.021 * Math.abs(exact - sketch.center) + 0.05,
      );
    }
  });

  it('refuses to merge different features', () => {
    expect(() => new FeatureAccumulator('a').merge(new FeatureAccumulator('b'))).toThrow(
      IncompatibleStatisticsError,
    );
    expect(() => new DatasetAccumulator(['a']).merge(new DatasetAccumulator(['b']))).toThrow(
      IncompatibleStatisticsError,
    );
  });
});

describe('statistics of one feature', () => {
  it('writes 10 equal-width buckets from min to max whose counts add up to the values', () => {
    const r = new SeededRandom(2);
    const { statistics } = suggestBaseline(
      Array.from({ length: 5000 }, () => [r.exponential(0.5)]),
      ['wait'],
    );
    const stats = statistics.features[0]?.numerical_statistics;
    const buckets = stats?.distribution?.kll?.buckets ?? [];
    expect(buckets).toHaveLength(10);
    expect(buckets[0]?.lower_bound).toBe(stats?.min);
    expect(buckets[9]?.upper_bound).toBe(stats?.max);
    expect(buckets.reduce((s, b) => s + b.count, 0)).toBe(5000);
    expect(buckets[0]?.count).toBeGreaterThan(buckets[5]?.count ?? Number.POSITIVE_INFINITY);
    expect(featureSketch(statistics, 'wait')?.count).toBe(5000);
  });

  it('counts distinct strings exactly up to the cap, then estimates (HyperLogLog, ±1.6%)', () => {
    const small = new FeatureAccumulator('id', { maxDistinct: 100 });
    for (let i = 0; i < 1000; i++) small.addString(`v${i % 80}`);
    expect(small.categories()).toMatchObject({ distinct: 80, exact: true, other: 0 });
    const big = new FeatureAccumulator('id', { maxDistinct: 100, maxCategoricalBuckets: 10 });
    for (let i = 0; i < 20_000; i++) big.addString(`user-${i % 5000}`);
    const c = big.categories();
    expect(c.exact).toBe(false);
    expect(Math.abs(c.distinct - 5000) / 5000).toBeLessThan(0.05);
    expect(c.buckets).toHaveLength(10);
    expect(c.buckets.reduce((s, b) => s + b.count, 0) + c.other).toBe(20_000);
    const stats = big.toStatistics(20_000);
    expect(stats.understudy).toMatchObject({ distinct_count_exact: false });
  });

  it('counts numbers as categories when a String feature also holds numbers', () => {
    const f = new FeatureAccumulator('code');
    for (const v of ['A', '1', '1.50', 'A', '2']) f.addValue(v);
    const stats = f.toStatistics(5);
    expect(stats.inferred_type).toBe('String');
    expect(stats.string_statistics?.distinct_count).toBe(4);
    expect(stats.string_statistics?.distribution?.categorical?.buckets).toEqual([
      { value: 'A', count: 2 },
      { value: '1', count: 1 },
      { value: '1.5', count: 1 },
      { value: '2', count: 1 },
    ]);
    expect(stats.numerical_statistics?.common).toEqual({ num_present: 3, num_missing: 2 });
  });

  it('counts small integers exactly, in first-seen order, through reads, JSON round trips, merges and the spill', () => {
    // The reference: a Map per accumulator, each value counted where it is added.
    const r = new SeededRandom(31);
    const values = () =>
      Array.from({ length: 4000 }, () => {
        const u = r.uniform();
        if (u < 0.6) return r.poisson(3);
        if (u < 0.7) return Math.floor(r.uniform() * 300); // 256 and over: the Map's path
        if (u < 0.75) return [-0, 255, 256, -1, 0.5, 1e9, 255.5][Math.floor(r.uniform() * 7)] as number;
        return Math.floor(r.uniform() * 20);
      });
    const count = (reference: Map<number, number>, xs: readonly number[]) => {
      for (const x of xs) reference.set(x, (reference.get(x) ?? 0) + 1);
    };
    const a = new FeatureAccumulator('k', {}, 5);
    const b = new FeatureAccumulator('k', {}, 5);
    const refA = new Map<number, number>();
    const refB = new Map<number, number>();
    for (let round = 0; round < 3; round++) {
      const xs = values();
      for (const x of xs) a.addNumber(x, Number.isInteger(x));
      count(refA, xs);
      const ys = values().reverse();
      for (const y of ys) b.addNumber(y, Number.isInteger(y));
      count(refB, ys);
      // A read in the middle (the counts are folded), then more values on top.
      expect(a.toJSON().numberCounts).toEqual([...refA]);
    }
    const restored = FeatureAccumulator.fromJSON(b.toJSON());
    const more = values();
    for (const x of more) restored.addNumber(x, Number.isInteger(x));
    count(refB, more);
    a.merge(restored);
    for (const [x, c] of refB) refA.set(x, (refA.get(x) ?? 0) + c);
    expect(a.toJSON().numberCounts).toEqual([...refA]);
    expect(a.exactValues()).toEqual([...refA].sort((p, q) => p[0] - q[0]));

    // Up to 1,000 distinct values, then a new small integer moves them all into the sketch.
    const f = new FeatureAccumulator('k', {}, 500);
    const ref = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const x = i % 3 === 0 ? i % 7 : 1000 + (i % 997);
      f.addNumber(x, true);
      count(ref, [x]);
    }
    expect(ref.size).toBe(1004);
    expect(f.toJSON().numberCounts).toBeNull();
    const g = new FeatureAccumulator('k', {}, 500);
    const refG = new Map<number, number>();
    const firsts = [...Array.from({ length: 993 }, (_, i) => 1000 + i), 3, 3, 0, 7];
    for (const x of firsts) {
      g.addNumber(x, true);
      count(refG, [x]);
    }
    expect(g.toJSON().numberCounts).toEqual([...refG]);
    for (const x of [1, 2, 4, 5, 6]) g.addNumber(x, true); // 996 … 1,000 distinct
    g.addNumber(8, true); // the 1,001st
    const sketch = new CenteredSketch(0.01, 500);
    for (const [x, c] of refG) sketch.addWeighted(x, c);
    for (const x of [1, 2, 4, 5, 6]) sketch.addWeighted(x, 1);
    sketch.add(8);
    expect(g.toJSON().numberCounts).toBeNull();
    expect(g.toJSON().sketch).toEqual(sketch.toJSON());
  });

  it('reports an empty window as zero rows and no features', () => {
    const acc = new DatasetAccumulator(NAMES);
    expect(acc.toStatistics()).toEqual({ version: 0, dataset: { item_count: 0 }, features: [] });
  });
});
