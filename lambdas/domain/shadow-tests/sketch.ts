import type { DDSketch } from '@datadog/sketches-js';
import {
  addBins,
  binPoints,
  DEFAULT_RELATIVE_ACCURACY,
  newSketch,
  runLengthBins,
  storeBins,
} from '../stats/ddsketch.js';

export { DEFAULT_RELATIVE_ACCURACY, newSketch };

/**
 * A DDSketch (relative-error quantile sketch) as shadow aggregates store it: count, sum, min
 * and max beside each store's bins in the run-length format of stats/ddsketch.ts
 * (`runLengthBins`). `min` and `max` are `null` while the sketch is empty (JSON has no
 * infinities). The bins, and how they merge, are the shared codec's.
 */
export interface SketchData {
  readonly count: number;
  readonly sum: number;
  readonly min: number | null;
  readonly max: number | null;
  /** Values too close to 0 for a log mapping (|v| ≤ ~1e-308), 0 included. */
  readonly zeros: number;
  /** Positive values' bins; absent when there are none. */
  readonly positive?: readonly number[];
  /** Negative values' bins, keyed by |value|; absent when there are none. */
  readonly negative?: readonly number[];
}

export const EMPTY_SKETCH: SketchData = { count: 0, sum: 0, min: null, max: null, zeros: 0 };

/** Adds a value when it is a finite number (NaN or infinities would corrupt the sketch). */
export function acceptFinite(sketch: DDSketch, value: number): void {
  if (Number.isFinite(value)) sketch.accept(value);
}

export function encodeSketch(sketch: DDSketch): SketchData {
  const positive = runLengthBins.encode(storeBins(sketch.store));
  const negative = runLengthBins.encode(storeBins(sketch.negativeStore));
  return {
    count: sketch.count,
    sum: sketch.sum,
    min: sketch.count > 0 ? sketch.min : null,
    max: sketch.count > 0 ? sketch.max : null,
    zeros: sketch.zeroCount,
    ...(positive && { positive }),
    ...(negative && { negative }),
  };
}

export function decodeSketch(data: SketchData, relativeAccuracy: number): DDSketch {
  const sketch = newSketch(relativeAccuracy);
  addBins(sketch.store, runLengthBins.decode(data.positive));
  addBins(sketch.negativeStore, runLengthBins.decode(data.negative));
  sketch.zeroCount = data.zeros;
  sketch.count = data.count;
  sketch.sum = data.sum;
  sketch.min = data.min ?? Number.POSITIVE_INFINITY;
  sketch.max = data.max ?? Number.NEGATIVE_INFINITY;
  return sketch;
}

/** The sketch of the union of two multisets of values (exact on bins and counts). */
export function mergeSketches(a: SketchData, b: SketchData, relativeAccuracy: number): SketchData {
  if (b.count === 0) return a;
  if (a.count === 0) return b;
  const sketch = decodeSketch(a, relativeAccuracy);
  addBins(sketch.store, runLengthBins.decode(b.positive));
  addBins(sketch.negativeStore, runLengthBins.decode(b.negative));
  sketch.zeroCount += b.zeros;
  sketch.count += b.count;
  sketch.sum += b.sum;
  sketch.min = Math.min(sketch.min, b.min ?? Number.POSITIVE_INFINITY);
  sketch.max = Math.max(sketch.max, b.max ?? Number.NEGATIVE_INFINITY);
  return encodeSketch(sketch);
}

/** Quantiles (each within the relative accuracy of a true value); `null` when empty. */
export function sketchQuantiles(
  data: SketchData,
  quantiles: readonly number[],
  relativeAccuracy: number,
): (number | null)[] {
  if (data.count === 0) return quantiles.map(() => null);
  const sketch = decodeSketch(data, relativeAccuracy);
  // Clamp into [min, max]: a bin's representative value can fall just outside the data.
  return quantiles.map((q) => Math.min(Math.max(sketch.getValueAtQuantile(q), data.min ?? 0), data.max ?? 0));
}

/** The sketch's bins as (representative value, count), ascending by value. */
export function sketchBins(data: SketchData, relativeAccuracy: number): { value: number; count: number }[] {
  return binPoints(
    newSketch(relativeAccuracy).mapping,
    runLengthBins.decode(data.negative),
    data.zeros,
    runLengthBins.decode(data.positive),
  ).map(([value, count]) => ({ value, count }));
}
