import { DDSketch } from '@datadog/sketches-js';

/**
 * A DDSketch (relative-error quantile sketch) in a compact, JSON-safe form.
 *
 * Bins are encoded per store as `[firstKey, ...counts]` where a negative entry `-z` stands
 * for a run of `z` empty bins, so the sparse tails of a sketch cost a few bytes. `min` and
 * `max` are `null` while the sketch is empty (JSON has no infinities).
 *
 * Why not `DDSketch.toProto()`: its `fromProto` drops count, sum, min and max. Why not
 * `DDSketch.merge()`: in @datadog/sketches-js 2.1.1 it never merges the negative-value store
 * (DataDog/sketches-js#22), and `DenseStore._extendRange(min, max)` treats a `max` key of 0
 * as missing (`secondKey || key`). Merging here re-adds bins one key at a time through
 * `store.add`, which is exact for integer counts, so merge is associative and commutative.
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

/** The sketches' default relative accuracy: quantiles are within 1% of a true value. */
export const DEFAULT_RELATIVE_ACCURACY = 0.01;

export const EMPTY_SKETCH: SketchData = { count: 0, sum: 0, min: null, max: null, zeros: 0 };

type Store = DDSketch['store'];

/** A fresh library sketch to feed values into with `accept`. */
export function newSketch(relativeAccuracy: number): DDSketch {
  return new DDSketch({ relativeAccuracy });
}

/** Adds a value when it is a finite number (NaN or infinities would corrupt the sketch). */
export function acceptFinite(sketch: DDSketch, value: number): void {
  if (Number.isFinite(value)) sketch.accept(value);
}

export function encodeSketch(sketch: DDSketch): SketchData {
  const positive = encodeStore(sketch.store);
  const negative = encodeStore(sketch.negativeStore);
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
  addBins(sketch.store, data.positive);
  addBins(sketch.negativeStore, data.negative);
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
  addBins(sketch.store, b.positive);
  addBins(sketch.negativeStore, b.negative);
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
  const mapping = newSketch(relativeAccuracy).mapping;
  const bins: { value: number; count: number }[] = [];
  const negative = storeEntries(data.negative);
  for (let i = negative.length - 1; i >= 0; i--) {
    const [key, count] = negative[i] as [number, number];
    bins.push({ value: -mapping.value(key), count });
  }
  if (data.zeros > 0) bins.push({ value: 0, count: data.zeros });
  for (const [key, count] of storeEntries(data.positive)) bins.push({ value: mapping.value(key), count });
  return bins;
}

function encodeStore(store: Store): number[] | undefined {
  if (store.count === 0) return undefined;
  const out: number[] = [store.minKey];
  let zeroRun = 0;
  for (let key = store.minKey; key <= store.maxKey; key++) {
    const count = store.bins[key - store.offset] ?? 0;
    if (count === 0) {
      zeroRun++;
      continue;
    }
    if (zeroRun > 0) out.push(-zeroRun);
    zeroRun = 0;
    out.push(count);
  }
  return out;
}

/** (key, count) pairs of an encoded store, ascending by key. */
function storeEntries(encoded: readonly number[] | undefined): [number, number][] {
  if (!encoded || encoded.length === 0) return [];
  const entries: [number, number][] = [];
  let key = encoded[0] as number;
  for (let i = 1; i < encoded.length; i++) {
    const item = encoded[i] as number;
    if (item < 0) {
      key += -item;
    } else {
      entries.push([key, item]);
      key++;
    }
  }
  return entries;
}

function addBins(store: Store, encoded: readonly number[] | undefined): void {
  for (const [key, count] of storeEntries(encoded)) store.add(key, count);
}
