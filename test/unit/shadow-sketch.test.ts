import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RELATIVE_ACCURACY as ACCURACY,
  acceptFinite,
  decodeSketch,
  EMPTY_SKETCH,
  encodeSketch,
  mergeSketches,
  newSketch,
  type SketchData,
  sketchBins,
  sketchQuantiles,
} from '../../lambdas/domain/shadow-tests/sketch.js';
import { normal, seeded } from '../support/seeded-random.js';

function sketchOf(values: readonly number[]): SketchData {
  const sketch = newSketch(ACCURACY);
  for (const v of values) acceptFinite(sketch, v);
  return encodeSketch(sketch);
}

/** The exact q-quantile by the library's rank rule (lower value at rank q·(n−1)). */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

const random = seeded(7);
const mixed = Array.from({ length: 5000 }, () => 3 * normal(random));
const positive = Array.from({ length: 5000 }, () => Math.exp(normal(random)));

describe('compact DDSketch encoding', () => {
  it('round-trips through JSON without losing count, sum, min, max or bins', () => {
    const data = sketchOf([...mixed, 0, 0]);
    const copy = JSON.parse(JSON.stringify(data)) as SketchData;
    expect(copy).toEqual(data);
    expect(encodeSketch(decodeSketch(copy, ACCURACY))).toEqual(data);
    expect(copy.count).toBe(5002);
    expect(copy.zeros).toBe(2);
    expect(copy.min).toBe(Math.min(...mixed));
  });

  it('encodes runs of empty bins as negative numbers', () => {
    const data = sketchOf([1, 1, 100]);
    expect(data.positive?.[1]).toBe(2);
    expect(data.positive?.some((c, i) => i > 0 && c < 0)).toBe(true);
    expect(data.positive?.filter((c, i) => i > 0 && c > 0)).toEqual([2, 1]);
  });

  it('keeps quantiles within the relative accuracy, negatives included', () => {
    const sorted = [...mixed].sort((a, b) => a - b);
    const qs = [0.01, 0.1, 0.5, 0.9, 0.99];
    const estimates = sketchQuantiles(sketchOf(mixed), qs, ACCURACY);
    for (const [i, q] of qs.entries()) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs((estimates[i] as number) - exact)).toBeLessThanOrEqual(
        ACCURACY * Math.abs(exact) + 1e-12,
      );
    }
  });

  it('reports null quantiles and no bins when empty', () => {
    expect(sketchQuantiles(EMPTY_SKETCH, [0.5], ACCURACY)).toEqual([null]);
    expect(sketchBins(EMPTY_SKETCH, ACCURACY)).toEqual([]);
  });

  it('lists bins in ascending order of value, with their counts', () => {
    const bins = sketchBins(sketchOf([-5, -5, 0, 2, 40]), ACCURACY);
    expect(bins.map((b) => b.count)).toEqual([2, 1, 1, 1]);
    expect(bins.map((b) => Math.round(b.value))).toEqual([-5, 0, 2, 40]);
  });

  it('ignores values that are not finite', () => {
    const sketch = newSketch(ACCURACY);
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, 1]) acceptFinite(sketch, v);
    expect(sketch.count).toBe(1);
  });
});

describe('mergeSketches', () => {
  it('equals the sketch of all values, negative values included (sketches-js#22 worked around)', () => {
    const a = mixed.slice(0, 2000);
    const b = mixed.slice(2000);
    const merged = mergeSketches(sketchOf(a), sketchOf(b), ACCURACY);
    const whole = sketchOf(mixed);
    expect({ ...merged, sum: 0 }).toEqual({ ...whole, sum: 0 });
    expect(merged.sum).toBeCloseTo(whole.sum, 9);
  });

  it('merges a store whose largest key is 0 (values near 1) without losing bins', () => {
    const merged = mergeSketches(sketchOf([0.5, 0.6]), sketchOf([1, 1]), ACCURACY);
    expect(merged).toEqual(sketchOf([0.5, 0.6, 1, 1]));
    expect(sketchQuantiles(merged, [0.99], ACCURACY)[0]).toBeCloseTo(1, 1);
  });

  it('is commutative and associative, with the empty sketch as identity', () => {
    const [x, y, z] = [positive.slice(0, 100), mixed.slice(0, 300), positive.slice(100, 1000)].map(
      sketchOf,
    ) as [SketchData, SketchData, SketchData];
    const strip = (s: SketchData) => ({ ...s, sum: Math.round(s.sum * 1e6) });
    expect(strip(mergeSketches(x, y, ACCURACY))).toEqual(strip(mergeSketches(y, x, ACCURACY)));
    expect(strip(mergeSketches(mergeSketches(x, y, ACCURACY), z, ACCURACY))).toEqual(
      strip(mergeSketches(x, mergeSketches(y, z, ACCURACY), ACCURACY)),
    );
    expect(mergeSketches(x, EMPTY_SKETCH, ACCURACY)).toEqual(x);
    expect(mergeSketches(EMPTY_SKETCH, x, ACCURACY)).toEqual(x);
  });
});
