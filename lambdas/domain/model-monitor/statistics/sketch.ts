/**
 * Mergeable quantile sketch per numeric feature: @datadog/sketches-js's DDSketch over values
 * shifted by a fixed `center` (the baseline's mean, when known).
 *
 * Why the shift: DDSketch guarantees *relative* accuracy α — every value is represented
 * within α·|v| — so its bins are narrow near 0 and wide far from it. A feature centred far
 * from 0 with a small spread (say timestamps, or 10,000 ± 10) would otherwise fall in a handful
 * of bins. Sketching v − center makes the error α·|v − center|: fine resolution where the
 * data are, which is what the CDF distances (L∞, KS, Wasserstein) need.
 *
 * Two sketches with the same center and α share their bin grid and merge exactly (bin counts
 * add). Sketches with different centers (partial baselines that picked their own) merge by
 * re-binning the smaller one's bin representatives into the other's grid, which adds at most
 * one more α-relative error to those values.
 *
 * The bins are read, written and merged by the shared codec (stats/ddsketch.ts, which also
 * says how it works around sketches-js 2.1.1); this class adds the center and the
 * statistics.json shape (`SketchJson`, bins as `pairBins`). The default relative accuracy α
 * bounds quantiles by 1% of their distance to the center.
 */
import type { DDSketch } from '@datadog/sketches-js';
import { cdfFromWeighted, type EmpiricalCdf } from '../../stats/cdf.js';
import {
  addBins,
  binPoints,
  DEFAULT_RELATIVE_ACCURACY,
  newSketch,
  pairBins,
  storeBins,
} from '../../stats/ddsketch.js';
import { IncompatibleStatisticsError } from './errors.js';

export { DEFAULT_RELATIVE_ACCURACY };

/**
 * The serialised sketch, stored in statistics.json under `distribution.kll.sketch`:
 * `data` holds `[positive, negative, zero]` where positive/negative are flat
 * `[key, count, key, count, …]` lists of the non-empty bins of v − center (negative keys
 * index −(v − center)) and zero is `[count of v == center]`; the fields that say how to
 * read them live beside it under `understudy`.
 */
export interface SketchJson {
  readonly type: 'DDSketch';
  readonly relative_accuracy: number;
  readonly center: number;
  readonly data: readonly [readonly number[], readonly number[], readonly [number]];
}

export class CenteredSketch {
  readonly sketch: DDSketch;

  constructor(
    readonly relativeAccuracy: number = DEFAULT_RELATIVE_ACCURACY,
    readonly center: number = 0,
  ) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
      throw new RangeError(`relative accuracy must be in (0, 1), got ${relativeAccuracy}`);
    }
    if (!Number.isFinite(center)) throw new RangeError(`sketch center must be finite, got ${center}`);
    this.sketch = newSketch(relativeAccuracy);
  }

  get count(): number {
    return this.sketch.count;
  }

  /** Adds a finite value. */
  add(value: number): void {
    this.sketch.accept(value - this.center);
  }

  /**
   * Adds values[0, count) one by one: the same bins, count, sum, min and max as `add` of each
   * in turn. One loop over a typed array instead of a call chain per value (accept → key →
   * logGamma → store.add), with the store's bounds check inlined; a key outside the bins
   * grows them through the store's own `add`.
   */
  addAll(values: Float64Array, count: number): void {
    const s = this.sketch;
    const mapping = s.mapping;
    const smallest = mapping.minPossible;
    const positive = s.store;
    const negative = s.negativeStore;
    const center = this.center;
    let zeros = 0;
    let sum = s.sum;
    let min = s.min;
    let max = s.max;
    for (let k = 0; k < count; k++) {
      const value = (values[k] as number) - center;
      if (value > smallest) {
        const key = mapping.key(value);
        if (key >= positive.minKey && key <= positive.maxKey) {
          const index = key - positive.offset;
          positive.bins[index] = (positive.bins[index] as number) + 1;
          positive.count++;
        } else positive.add(key, 1);
      } else if (value < -smallest) {
        const key = mapping.key(-value);
        if (key >= negative.minKey && key <= negative.maxKey) {
          const index = key - negative.offset;
          negative.bins[index] = (negative.bins[index] as number) + 1;
          negative.count++;
        } else negative.add(key, 1);
      } else zeros++;
      sum += value;
      if (value < min) min = value;
      if (value > max) max = value;
    }
    s.zeroCount += zeros;
    s.count += count;
    s.sum = sum;
    s.min = min;
    s.max = max;
  }

  /** Adds `weight` copies of a value. */
  addWeighted(value: number, weight: number): void {
    if (weight > 0) this.sketch.accept(value - this.center, weight);
  }

  /** The value at quantile q ∈ [0, 1], within α·|value − center|. */
  quantile(q: number): number {
    return this.center + this.sketch.getValueAtQuantile(q);
  }

  /** Merges `other` into this sketch (see the module comment for when this is exact). */
  merge(other: CenteredSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) {
      throw new IncompatibleStatisticsError(
        `cannot merge sketches of relative accuracy ${this.relativeAccuracy} and ${other.relativeAccuracy}`,
      );
    }
    if (other.count === 0) return;
    if (other.center === this.center) {
      const s = this.sketch;
      const o = other.sketch;
      const added =
        addBins(s.store, storeBins(o.store)) + addBins(s.negativeStore, storeBins(o.negativeStore));
      s.zeroCount += o.zeroCount;
      s.count += added + o.zeroCount;
      return;
    }
    for (const [value, weight] of other.points()) this.addWeighted(value, weight);
  }

  /** The bins as (representative value, count) in original units, ascending. */
  points(): [number, number][] {
    const s = this.sketch;
    return binPoints(s.mapping, storeBins(s.negativeStore), s.zeroCount, storeBins(s.store), this.center);
  }

  /** The sketch's step CDF in original units. */
  toCdf(): EmpiricalCdf {
    return cdfFromWeighted(this.points());
  }

  toJSON(): SketchJson {
    const s = this.sketch;
    return {
      type: 'DDSketch',
      relative_accuracy: this.relativeAccuracy,
      center: this.center,
      data: [pairBins.encode(storeBins(s.store)), pairBins.encode(storeBins(s.negativeStore)), [s.zeroCount]],
    };
  }

  static fromJSON(json: SketchJson): CenteredSketch {
    const sketch = new CenteredSketch(json.relative_accuracy, json.center);
    const s = sketch.sketch;
    const [pos, neg, zero] = json.data;
    const added = addBins(s.store, pairBins.decode(pos)) + addBins(s.negativeStore, pairBins.decode(neg));
    s.zeroCount = zero[0];
    s.count = added + zero[0];
    return sketch;
  }

  /** A copy sharing nothing with this sketch. */
  clone(): CenteredSketch {
    return CenteredSketch.fromJSON(this.toJSON());
  }
}
