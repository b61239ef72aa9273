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

type Mapping = DDSketch['mapping'];

/** A float64's bits, read as two 32-bit words (the high word holds sign, exponent, top mantissa). */
const float = new Float64Array(1);
const words = new Uint32Array(float.buffer);
const HIGH = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f ? 1 : 0;
const LOW = 1 - HIGH;

/** Mantissa bits that pick a table segment: log2(1 + m) is interpolated linearly within each. */
const SEGMENT_BITS = 10;
const SEGMENTS = 1 << SEGMENT_BITS;
const LOG2_AT = new Float64Array(SEGMENTS + 1);
for (let i = 0; i <= SEGMENTS; i++) LOG2_AT[i] = Math.log2(1 + i / SEGMENTS);
const LOG2_SLOPE = new Float64Array(SEGMENTS);
for (let i = 0; i < SEGMENTS; i++) LOG2_SLOPE[i] = (LOG2_AT[i + 1] as number) - (LOG2_AT[i] as number);
/** 2^-(52 − SEGMENT_BITS): the mantissa bits below the segment's as a fraction of it. */
const BELOW_SEGMENT = 2 ** -(52 - SEGMENT_BITS);
/**
 * Linear interpolation of log2(1 + x) over segments of width h = 2^-10 is off by at most
 * h²/8 · max|d²/dx² log2(1 + x)| = h²/(8 ln 2) ≈ 1.72e-7; the table's and the sum's rounding
 * add ~1e-13 (the exponent part is at most 1,074). Scaled by the multiplier, that is how far
 * the estimate of log2(v)·multiplier can be from the exact value, and the library's own
 * `Math.log2(v) * multiplier` is within a few ulps of it too. The margin is 5× that bound.
 */
const ESTIMATE_MARGIN = 5 * (2 ** (-2 * SEGMENT_BITS) / (8 * Math.LN2) + 1e-12);
/** Values on which a mapping's `key` must be the logarithmic formula for the estimate to stand in. */
const FORMULA_PROBES = [1e-300, 1e-9, 0.001, 0.37, 1, 1.5, 2, 3.3, 1000, 123456.789, 1e15, 1e300];

/**
 * The library's bin key, `Math.ceil(Math.log2(v) * multiplier) + offset` (LogarithmicMapping),
 * found without the logarithm for nearly every value: log2(v) is the float's exponent plus
 * log2(1 + mantissa), read from a table and interpolated. The estimate is within `margin`
 * of the library's product, so when no integer lies within `margin` of the estimate both have
 * the same ceiling; otherwise (a value within ~1e-5 of a bin edge in key units, about 1 in
 * 10,000), and for subnormals, the library's formula itself decides. So the keys are the
 * library's, always; `stats/ddsketch.ts` tests prove it over bin edges, powers of two and
 * subnormals. Hand-written: Math.log2 per value was 6% of a monitoring run.
 */
export function binKeyFunction(mapping: Mapping): (value: number) => number {
  const internals = mapping as unknown as { _multiplier?: unknown; _offset?: unknown };
  const multiplier = internals._multiplier;
  const offset = internals._offset;
  const margin = typeof multiplier === 'number' ? ESTIMATE_MARGIN * multiplier : Number.NaN;
  const library = (value: number) => mapping.key(value);
  // Only for the mapping whose formula this reproduces (LogarithmicMapping, which the package
  // does not export to compare with), and a margin that leaves room.
  if (typeof multiplier !== 'number' || typeof offset !== 'number' || !(margin > 0 && margin < 0.25)) {
    return library;
  }
  for (const probe of FORMULA_PROBES) {
    if (mapping.key(probe) !== Math.ceil(Math.log2(probe) * multiplier) + offset) return library;
  }
  return (value: number) => {
    float[0] = value;
    const high = words[HIGH] as number;
    const exponent = (high >>> 20) & 0x7ff;
    if (exponent === 0 || exponent === 0x7ff) return mapping.key(value);
    const segment = (high >>> (20 - SEGMENT_BITS)) & (SEGMENTS - 1);
    const below =
      ((high & ((1 << (20 - SEGMENT_BITS)) - 1)) * 4294967296 + (words[LOW] as number)) * BELOW_SEGMENT;
    const estimate =
      (exponent - 1023 + (LOG2_AT[segment] as number) + (LOG2_SLOPE[segment] as number) * below) * multiplier;
    const ceiling = Math.ceil(estimate);
    if (ceiling - estimate > margin && estimate - (ceiling - 1) > margin) return ceiling + offset;
    return Math.ceil(Math.log2(value) * multiplier) + offset;
  };
}

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
  /** The sketch mapping's `key`, computed without a logarithm per value (`binKeyFunction`). */
  private readonly binKey: (value: number) => number;

  constructor(
    readonly relativeAccuracy: number = DEFAULT_RELATIVE_ACCURACY,
    readonly center: number = 0,
  ) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
      throw new RangeError(`relative accuracy must be in (0, 1), got ${relativeAccuracy}`);
    }
    if (!Number.isFinite(center)) throw new RangeError(`sketch center must be finite, got ${center}`);
    this.sketch = newSketch(relativeAccuracy);
    this.binKey = binKeyFunction(this.sketch.mapping);
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
    const smallest = s.mapping.minPossible;
    const binKey = this.binKey;
    const positive = s.store;
    const negative = s.negativeStore;
    const center = this.center;
    // The stores' fields in locals, read again after a key outside the bins grew them.
    let positiveBins = positive.bins;
    let positiveMin = positive.minKey;
    let positiveMax = positive.maxKey;
    let positiveOffset = positive.offset;
    let negativeBins = negative.bins;
    let negativeMin = negative.minKey;
    let negativeMax = negative.maxKey;
    let negativeOffset = negative.offset;
    let positiveAdded = 0;
    let negativeAdded = 0;
    let zeros = 0;
    let sum = s.sum;
    let min = s.min;
    let max = s.max;
    for (let k = 0; k < count; k++) {
      const value = (values[k] as number) - center;
      if (value > smallest) {
        const key = binKey(value);
        if (key >= positiveMin && key <= positiveMax) {
          const index = key - positiveOffset;
          positiveBins[index] = (positiveBins[index] as number) + 1;
          positiveAdded++;
        } else {
          positive.add(key, 1);
          positiveBins = positive.bins;
          positiveMin = positive.minKey;
          positiveMax = positive.maxKey;
          positiveOffset = positive.offset;
        }
      } else if (value < -smallest) {
        const key = binKey(-value);
        if (key >= negativeMin && key <= negativeMax) {
          const index = key - negativeOffset;
          negativeBins[index] = (negativeBins[index] as number) + 1;
          negativeAdded++;
        } else {
          negative.add(key, 1);
          negativeBins = negative.bins;
          negativeMin = negative.minKey;
          negativeMax = negative.maxKey;
          negativeOffset = negative.offset;
        }
      } else zeros++;
      sum += value;
      if (value < min) min = value;
      if (value > max) max = value;
    }
    positive.count += positiveAdded;
    negative.count += negativeAdded;
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
