/**
 * The one DDSketch codec: @datadog/sketches-js's DDSketch read and written as its non-empty
 * bins, for shadow tests' stored aggregates and Model Monitor's statistics.json alike. Each
 * of those keeps its own, already published record shape (shadow-tests/sketch.ts,
 * model-monitor/statistics/sketch.ts); both are thin adapters over the bins here and one of
 * the two bin-list formats below, so stored sketches read, merge and re-encode the same way.
 *
 * Why bins, and not the library's own serialisation: `DDSketch.toProto()` needs protobufjs,
 * which the package does not depend on, and its `fromProto` drops count, sum, min and max.
 *
 * Why bins are merged here, one key at a time through `store.add`, and not by the library:
 * in sketches-js 2.1.1 `DDSketch.merge()` never merges the negative-value store
 * (DataDog/sketches-js#22), and `DenseStore._extendRange(min, max)` treats a `max` key of 0 as
 * missing (`secondKey || key`). Adding bins is exact for integer counts, so merging is
 * associative and commutative.
 */
import { DDSketch } from '@datadog/sketches-js';

/** The sketches' default relative accuracy α: quantiles within 1% of a true value. */
export const DEFAULT_RELATIVE_ACCURACY = 0.01;

type Store = DDSketch['store'];
type Mapping = DDSketch['mapping'];

/** A bin: its key in the sketch's logarithmic mapping, and how many values fell in it. */
export type Bin = readonly [key: number, count: number];

/** A fresh library sketch to feed values into with `accept`. */
export function newSketch(relativeAccuracy: number): DDSketch {
  return new DDSketch({ relativeAccuracy });
}

/** The store's non-empty bins, ascending by key. */
export function storeBins(store: Store): Bin[] {
  const bins: Bin[] = [];
  if (store.count === 0) return bins;
  for (let key = store.minKey; key <= store.maxKey; key++) {
    const count = store.bins[key - store.offset] ?? 0;
    if (count > 0) bins.push([key, count]);
  }
  return bins;
}

/**
 * Adds bins to a store one key at a time (see the module comment for why not the library's
 * merge). Bins of count 0 or less are skipped, so that they do not widen the store's key
 * range. Returns the count added.
 */
export function addBins(store: Store, bins: Iterable<Bin>): number {
  let total = 0;
  for (const [key, count] of bins) {
    if (count > 0) {
      store.add(key, count);
      total += count;
    }
  }
  return total;
}

/**
 * A sketch's bins as (representative value + `center`, count), ascending by value: the
 * negative store's bins (keyed by |value|) mirrored, then the zero bin, then the positive
 * store's.
 */
export function binPoints(
  mapping: Mapping,
  negative: readonly Bin[],
  zeros: number,
  positive: readonly Bin[],
  center = 0,
): [number, number][] {
  const points: [number, number][] = [];
  for (let i = negative.length - 1; i >= 0; i--) {
    const [key, count] = negative[i] as Bin;
    points.push([center - mapping.value(key), count]);
  }
  if (zeros > 0) points.push([center, zeros]);
  for (const [key, count] of positive) points.push([center + mapping.value(key), count]);
  return points;
}

/**
 * Shadow aggregates' bin list: `[firstKey, ...counts]`, where a negative entry `-z` stands
 * for a run of `z` empty bins, so the sparse tails of a sketch cost a few bytes. Absent
 * (undefined) for a store without bins.
 */
export const runLengthBins = {
  encode(bins: readonly Bin[]): number[] | undefined {
    const first = bins[0];
    if (!first) return undefined;
    const out: number[] = [first[0]];
    let next = first[0];
    for (const [key, count] of bins) {
      if (key > next) out.push(next - key);
      out.push(count);
      next = key + 1;
    }
    return out;
  },

  decode(encoded: readonly number[] | undefined): Bin[] {
    if (!encoded || encoded.length === 0) return [];
    const bins: Bin[] = [];
    let key = encoded[0] as number;
    for (let i = 1; i < encoded.length; i++) {
      const item = encoded[i] as number;
      if (item < 0) {
        key += -item;
      } else {
        bins.push([key, item]);
        key++;
      }
    }
    return bins;
  },
};

/** Model Monitor's bin list (statistics.json): flat `[key, count, key, count, …]`. */
export const pairBins = {
  encode(bins: readonly Bin[]): number[] {
    return bins.flat();
  },

  decode(flat: readonly number[]): Bin[] {
    const bins: Bin[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) bins.push([flat[i] as number, flat[i + 1] as number]);
    return bins;
  },
};
