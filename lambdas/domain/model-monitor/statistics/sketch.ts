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
/**
 * The multiplier, offset and estimate margin of a mapping whose key is the logarithmic formula
 * `Math.ceil(Math.log2(v) * multiplier) + offset` (LogarithmicMapping, which the package does
 * not export to compare with), when the margin leaves room; undefined for any other mapping.
 */
function logarithmicFormula(
  mapping: Mapping,
): { multiplier: number; offset: number; margin: number } | undefined {
  const internals = mapping as unknown as { _multiplier?: unknown; _offset?: unknown };
  const multiplier = internals._multiplier;
  const offset = internals._offset;
  if (typeof multiplier !== 'number' || typeof offset !== 'number') return undefined;
  const margin = ESTIMATE_MARGIN * multiplier;
  if (!(margin > 0 && margin < 0.25)) return undefined;
  for (const probe of FORMULA_PROBES) {
    if (mapping.key(probe) !== Math.ceil(Math.log2(probe) * multiplier) + offset) return undefined;
  }
  return { multiplier, offset, margin };
}

export function binKeyFunction(mapping: Mapping): (value: number) => number {
  const formula = logarithmicFormula(mapping);
  if (formula === undefined) return (value: number) => mapping.key(value);
  const { multiplier, offset, margin } = formula;
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
 * Bin keys of |v| looked up by v's float exponent and the top `SEGMENT_BITS` bits of its
 * mantissa, for one mapping (shared by every sketch of that mapping: `keyTableFor`). A segment
 * (1/1,024 of an octave) that lies inside one bin holds that bin's key; one that holds a bin
 * edge (about 35 of an octave's 1,024 at α = 0.01), and exponent 0 (zero, subnormals) or 2047
 * (infinities, NaN), hold 0: their values take `binKeyFunction`'s key, one by one. A segment
 * is filled only when no integer lies within `margin` of log2(v)·multiplier over its whole
 * range (both ends computed with Math.log2, the true product being monotonic), so every value
 * in it has the library's key; both ends are checked against the library's key besides. An
 * exponent's 1,024 segments are filled when a value first needs them (4 KB; the table's 8 MB
 * are reserved, not touched). Hand-written: the key per value was half of the sketch's time.
 */
export class KeyTable {
  /**
   * Per exponent and segment: key − `bases[exponent]` (≥ 1), or 0 (not filled, or holding a bin
   * edge). 16 bits, relative to the exponent's base, so that the segments values use stay in
   * the first-level cache (2 KB an exponent, where key − one base for all took 4).
   */
  readonly codes = new Int16Array(2048 << SEGMENT_BITS);
  /** Per exponent: key = code + bases[exponent] (set when the exponent is filled). */
  readonly bases = new Int32Array(2048);
  /** Below every key of a positive normal float (log2 ≥ −1,022). */
  readonly base: number;
  private readonly filled = new Uint8Array(2048);

  constructor(
    private readonly mapping: Mapping,
    private readonly multiplier: number,
    private readonly offset: number,
    private readonly margin: number,
    /** The exact key for the values the table does not hold. */
    readonly exactKey: (value: number) => number,
  ) {
    // Below every key of a positive normal float (log2 ≥ −1,022).
    this.base = Math.floor(-1024 * multiplier) + offset - 2;
  }

  /** Fills an exponent's segments; false for exponents the table never holds. */
  fill(exponent: number): boolean {
    if (exponent <= 0 || exponent >= 2047) return false;
    if (this.filled[exponent] === 1) return true;
    this.filled[exponent] = 1;
    const { mapping, multiplier, margin, codes } = this;
    // Below the keys of the exponent's octave, which span at most multiplier + 1 (codes ≥ 2).
    const base = Math.floor((exponent - 1023) * multiplier) + this.offset - 2;
    this.bases[exponent] = base;
    for (let segment = 0; segment < SEGMENTS; segment++) {
      const high = (exponent << 20) | (segment << (20 - SEGMENT_BITS));
      words[HIGH] = high;
      words[LOW] = 0;
      const lowest = float[0] as number;
      words[HIGH] = high | ((1 << (20 - SEGMENT_BITS)) - 1);
      words[LOW] = 0xffffffff;
      const highest = float[0] as number;
      const from = Math.log2(lowest) * multiplier - margin;
      const to = Math.log2(highest) * multiplier + margin;
      const key = Math.ceil(from) + this.offset;
      const code = key - base;
      if (
        Math.floor(to) < Math.ceil(from) &&
        code >= 1 &&
        code <= 32767 &&
        mapping.key(lowest) === key &&
        mapping.key(highest) === key
      ) {
        codes[(exponent << SEGMENT_BITS) | segment] = code;
      }
    }
    return true;
  }

  /** The library's key of a value > minPossible, through the table (tests compare it with the library). */
  key(value: number): number {
    float[0] = value;
    const index = (words[HIGH] as number) >>> (20 - SEGMENT_BITS);
    const code = this.codes[index] as number;
    if (code !== 0) return code + (this.bases[index >>> SEGMENT_BITS] as number);
    if (this.fill(index >>> SEGMENT_BITS)) {
      const filled = this.codes[index] as number;
      if (filled !== 0) return filled + (this.bases[index >>> SEGMENT_BITS] as number);
    }
    return this.exactKey(value);
  }
}

const keyTables = new Map<string, KeyTable>();

/** Keys a sketch counts in its own array (16 MB at most); keys beyond go to the library's store. */
const MAX_COUNTED_KEYS = 1 << 20;

/**
 * The key table of a logarithmic mapping (the one `binKeyFunction` reproduces), shared by
 * every sketch of the same multiplier and offset; undefined for any other mapping, or keys too
 * large for an Int32Array (α below ~1e-6).
 */
export function keyTableFor(mapping: Mapping): KeyTable | undefined {
  const formula = logarithmicFormula(mapping);
  if (formula === undefined) return undefined;
  const { multiplier, offset, margin } = formula;
  // Keys and their differences within ±2^29, so that 2·(key − low) + 1 stays an int32.
  if (!(multiplier * 2100 + Math.abs(offset) < 2 ** 29)) return undefined;
  const id = `${multiplier}:${offset}`;
  let table = keyTables.get(id);
  if (table === undefined) {
    table = new KeyTable(mapping, multiplier, offset, margin, binKeyFunction(mapping));
    keyTables.set(id, table);
  }
  return table;
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
  private readonly library: DDSketch;
  /** The sketch mapping's `key`, computed without a logarithm per value (`binKeyFunction`). */
  private readonly binKey: (value: number) => number;
  private readonly table: KeyTable | undefined;
  /**
   * Counts `addAll` added and the library's stores do not hold yet: index 2·(key − countsLow)
   * for a positive value's key, + 1 for a negative one's. One typed array for both signs, so
   * that the sign picks an index, not a branch (which the CPU mispredicts on half of the
   * values of a feature centred on its mean); moved into the stores (`settle`) before anything
   * reads them.
   */
  private counts = new Float64Array(0);
  private countsLow = 0;
  private unsettled = false;

  constructor(
    readonly relativeAccuracy: number = DEFAULT_RELATIVE_ACCURACY,
    readonly center: number = 0,
  ) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
      throw new RangeError(`relative accuracy must be in (0, 1), got ${relativeAccuracy}`);
    }
    if (!Number.isFinite(center)) throw new RangeError(`sketch center must be finite, got ${center}`);
    this.library = newSketch(relativeAccuracy);
    this.binKey = binKeyFunction(this.library.mapping);
    this.table = keyTableFor(this.library.mapping);
  }

  /** The library sketch, holding every value added. */
  get sketch(): DDSketch {
    if (this.unsettled) this.settle();
    return this.library;
  }

  get count(): number {
    return this.library.count;
  }

  /** Adds a finite value. */
  add(value: number): void {
    this.library.accept(value - this.center);
  }

  /**
   * Adds values[0, count) one by one: the same bins, count, sum, min and max as `add` of each
   * in turn. One loop over a typed array instead of a call chain per value (accept → key →
   * logGamma → store.add): the key from the shared table (`KeyTable`), the count into `counts`.
   */
  addAll(values: Float64Array, count: number): void {
    const table = this.table;
    if (table === undefined) {
      this.addAllExact(values, count);
      return;
    }
    const s = this.library;
    const smallest = s.mapping.minPossible;
    const codes = table.codes;
    const bases = table.bases;
    const base = table.base;
    const center = this.center;
    let counts = this.counts;
    let low = this.countsLow;
    let zeros = 0;
    let sum = s.sum;
    let min = s.min;
    let max = s.max;
    for (let k = 0; k < count; k++) {
      const value = (values[k] as number) - center;
      sum += value;
      if (value < min) min = value;
      if (value > max) max = value;
      float[0] = value;
      const high = words[HIGH] as number;
      const segment = (high & 0x7fffffff) >>> (20 - SEGMENT_BITS);
      const code = codes[segment] as number;
      let key: number;
      if (code !== 0) key = code + (bases[segment >>> SEGMENT_BITS] as number);
      else {
        const magnitude = value < 0 ? -value : value;
        // NaN lands here too and, as in the library's accept, counts as a zero.
        if (!(magnitude > smallest)) {
          zeros++;
          continue;
        }
        key = table.key(magnitude);
        if (!(key - base >= 1 && key - base < 2 ** 30)) {
          // An infinity's key: the library's store takes it as accept would.
          (high >>> 31 ? s.negativeStore : s.store).add(key, 1);
          continue;
        }
      }
      const index = ((key - low) << 1) | (high >>> 31);
      if (index >>> 0 < counts.length) counts[index] = (counts[index] as number) + 1;
      else {
        this.countAt(key, high >>> 31);
        counts = this.counts;
        low = this.countsLow;
      }
    }
    this.unsettled = true;
    s.zeroCount += zeros;
    s.count += count;
    s.sum = sum;
    s.min = min;
    s.max = max;
  }

  /**
   * Counts one value of `key` and sign (1: negative) in `counts`, growing it to hold the key;
   * a key that would stretch it beyond `MAX_COUNTED_KEYS` goes to the library's store instead.
   */
  private countAt(key: number, negative: number): void {
    const old = this.counts;
    const oldLow = this.countsLow;
    const oldSpan = old.length >> 1;
    // Room beyond the new key: 64 keys (a feature's keys span a few hundred), or the old span,
    // so that keys arriving one by one further out grow the array a logarithmic number of times.
    const room = Math.max(64, oldSpan);
    let low = key - room;
    let high = key + room;
    if (oldSpan > 0) {
      low = key < oldLow ? key - room : oldLow;
      high = key >= oldLow + oldSpan ? key + room : oldLow + oldSpan - 1;
    }
    // Every key lies above the table's base and within 2^30 of it: with low ≥ base, 2·(key − low)
    // is an int32 and a key below low a negative index.
    const base = (this.table as KeyTable).base;
    low = Math.max(low, base);
    high = Math.min(high, base + 2 ** 30);
    if (high - low + 1 > MAX_COUNTED_KEYS || key < low || key > high) {
      (negative ? this.library.negativeStore : this.library.store).add(key, 1);
      return;
    }
    const counts = new Float64Array((high - low + 1) * 2);
    if (oldSpan > 0) counts.set(old, (oldLow - low) * 2);
    this.counts = counts;
    this.countsLow = low;
    const index = ((key - low) << 1) | negative;
    counts[index] = (counts[index] as number) + 1;
  }

  /** Moves `counts` into the library's stores (same bins whatever the order: counts add). */
  private settle(): void {
    this.unsettled = false;
    const counts = this.counts;
    const low = this.countsLow;
    const s = this.library;
    for (let index = 0; index < counts.length; index++) {
      const c = counts[index] as number;
      if (c > 0) {
        (index & 1 ? s.negativeStore : s.store).add(low + (index >> 1), c);
        counts[index] = 0;
      }
    }
  }

  /** `addAll` through the library's stores, for a mapping without a key table. */
  private addAllExact(values: Float64Array, count: number): void {
    const s = this.library;
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
