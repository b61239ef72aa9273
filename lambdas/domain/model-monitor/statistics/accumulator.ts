/**
 * Mergeable per-feature statistics. One `DatasetAccumulator` per unit of work (a capture file,
 * a slice of the baseline dataset); partial accumulators `merge()` or travel as JSON
 * (`toJSON` / `fromJSON`) between parallel workers, and the merged one writes the window's
 * statistics.json (`toStatistics`).
 *
 * Per feature it keeps, in memory that does not grow with the number of values:
 * - counts of missing, Integral, Fractional and String cells (deequ's type inference);
 * - over the numeric values: count, mean and M2 (Welford; merged with Chan et al.'s pairwise
 *   formula), a Neumaier-compensated sum, min, max, and their distribution — exact counts per
 *   value while there are at most 1,000 distinct numbers, then a DDSketch (see sketch.ts);
 * - over String values: exact counts of up to `maxDistinct` distinct values (10,000 by
 *   default); beyond that, further new values are counted only in aggregate
 *   (`other_count`) and the distinct count switches to a HyperLogLog estimate (±1.6%) —
 *   `understudy.distinct_count_exact` says which.
 * Numeric cells of a feature that turns out to be String are also counted as categories,
 * keyed by their JavaScript number text ("1.50" → "1.5"), exactly up to 1,000 distinct numbers.
 */

import type { JsonPath } from '../../kernel/json-path.js';
import { HyperLogLog } from '../../stats/hyperloglog.js';
import type { CaptureSide, Payload } from './capture.js';
import { captureSpan, decodeDataString, scanCaptureLine, stagedRow } from './capture-bytes.js';
import { CellKind, type CellVisitor, cellValue, classifyString, scanCsv, scanCsvBytes } from './cells.js';
import { IncompatibleStatisticsError } from './errors.js';
import { type LineKernel, lineKernel, MAX_REGION } from './line-kernel.js';
import type { FeatureStatistics, InferredType, Statistics } from './schemas.js';
import { CenteredSketch, DEFAULT_RELATIVE_ACCURACY, type SketchJson } from './sketch.js';

export interface AccumulatorOptions {
  /** DDSketch relative accuracy α. @default 0.01 */
  readonly relativeAccuracy?: number;
  /** Distinct String values counted exactly per feature. @default 10000 */
  readonly maxDistinct?: number;
  /** Categorical buckets written per String feature, most frequent first. @default 1000 */
  readonly maxCategoricalBuckets?: number;
}

const MAX_NUMBER_CATEGORIES = 1000;
/** `addNumber`'s value on its way to `addNumberAt`. */
const numberSlot = new Float64Array(1);
/** Integers 0 … SMALL_INTEGERS − 1 are counted in an array while the exact counts are kept. */
const SMALL_INTEGERS = 256;
/** Numeric values batched per feature before they are folded in together (8 KB). */
const BATCH_VALUES = 1024;
const DISTRIBUTION_BUCKETS = 10;

interface ResolvedOptions {
  readonly relativeAccuracy: number;
  readonly maxDistinct: number;
  readonly maxCategoricalBuckets: number;
}

function resolve(options: AccumulatorOptions = {}): ResolvedOptions {
  return {
    relativeAccuracy: options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY,
    maxDistinct: options.maxDistinct ?? 10_000,
    maxCategoricalBuckets: options.maxCategoricalBuckets ?? 1000,
  };
}

/** Serialised form of a FeatureAccumulator (internal to Understudy: not a SageMaker file). */
export interface FeatureAccumulatorJson {
  readonly name: string;
  readonly missing: number;
  readonly integral: number;
  readonly fractional: number;
  readonly strings: number;
  readonly n: number;
  readonly mean: number;
  readonly m2: number;
  readonly sum: number;
  readonly sumCompensation: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly center: number | null;
  readonly sketch: SketchJson | null;
  readonly stringCounts: readonly (readonly [string, number])[];
  readonly stringOther: number;
  readonly hll: string | null;
  readonly numberCounts: readonly (readonly [number, number])[] | null;
}

export class FeatureAccumulator {
  missing = 0;
  integral = 0;
  fractional = 0;
  strings = 0;
  /**
   * The moments of the values folded in so far (`fold`): their count, mean and sum of squared
   * deviations, compensated sum, min and max. Read through the getters, which fold first.
   */
  private foldedCount = 0;
  private foldedMean = 0;
  private foldedM2 = 0;
  private foldedSum = 0;
  private sumCompensation = 0;
  private foldedMin = Number.POSITIVE_INFINITY;
  private foldedMax = Number.NEGATIVE_INFINITY;
  /**
   * Numeric values are kept two ways, never both: exact counts per distinct value while there
   * are at most 1,000 of them (`numberCounts`; discrete features usually stay here), then a
   * DDSketch (`sketch`), into which the counts are spilled at the 1,001st distinct value.
   */
  private sketch: CenteredSketch | null = null;
  /**
   * Numeric values not yet folded in: `fold` takes them together when the batch fills and
   * before anything reads the moments, counts or sketch. Per value, adding is then a store; the
   * moments of a batch are two tight loops (no division per value, as Welford's update has),
   * and its values go into the sketch in bulk (`CenteredSketch.addAll`).
   */
  private batch: Float64Array | null = null;
  private batchCount = 0;
  private readonly center: number | undefined;
  private stringCounts = new Map<string, number>();
  private stringOther = 0;
  private hll: HyperLogLog | null = null;
  /**
   * The exact counts, in the order the values were first seen, without the counts of small
   * integers since the last `numberCounts` (read it, never this, outside `addNumber`).
   */
  private countsByValue: Map<number, number> | null = new Map();
  /**
   * Counts of the integers 0 … 255 not yet folded into `countsByValue` (where each seen one has
   * its key, in first-seen order): a discrete feature's values counted without a Map lookup
   * and set per value (22 ns). `numberCounts` folds them in.
   */
  private smallCounts: Float64Array | null = null;
  private readonly options: ResolvedOptions;

  /**
   * @param center where the sketch is centred (use the baseline's mean). Without one, the mean
   * of the values seen when the sketch is created (at the 1,001st distinct value); accumulators
   * that chose different centers still merge, approximately (see sketch.ts).
   */
  constructor(
    readonly name: string,
    options: AccumulatorOptions = {},
    center?: number,
  ) {
    this.options = resolve(options);
    this.center = center !== undefined && Number.isFinite(center) ? center : undefined;
  }

  /** Numeric values seen (the batched ones included): every number is Integral or Fractional. */
  get n(): number {
    return this.integral + this.fractional;
  }

  /** Cells that held a value (numeric or string). */
  get present(): number {
    return this.integral + this.fractional + this.strings;
  }

  addNumber(x: number, integral: boolean): void {
    numberSlot[0] = x;
    this.addNumberAt(numberSlot, 0, integral);
  }

  /**
   * `addNumber(values[index], integral)`. The capture reader's path: a double passed to a
   * call that is not inlined travels boxed (a heap number allocated per value, ~230 bytes of
   * garbage a record at 20 features), one read here from the typed array does not.
   */
  addNumberAt(values: Float64Array, index: number, integral: boolean): void {
    if (integral) this.integral++;
    else this.fractional++;
    let batch = this.batch;
    if (batch === null) {
      batch = new Float64Array(BATCH_VALUES);
      this.batch = batch;
    }
    batch[this.batchCount++] = values[index] as number;
    if (this.batchCount === BATCH_VALUES) this.fold();
  }

  /**
   * Folds the batched values into the moments (in the order they came: the compensated sum,
   * min and max are those of adding them one by one) and into the exact counts or the sketch.
   */
  private fold(): void {
    const count = this.batchCount;
    if (count === 0) return;
    // First, so that what this calls (a spill's `flushed`, `numberCounts`) does not fold again.
    this.batchCount = 0;
    const batch = this.batch as Float64Array;
    let sum = this.foldedSum;
    let compensation = this.sumCompensation;
    let min = this.foldedMin;
    let max = this.foldedMax;
    let batchSum = 0;
    for (let k = 0; k < count; k++) {
      const x = batch[k] as number;
      // Neumaier's compensated summation.
      const t = sum + x;
      compensation += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
      sum = t;
      batchSum += x;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    this.foldedSum = sum;
    this.sumCompensation = compensation;
    this.foldedMin = min;
    this.foldedMax = max;
    // The batch's mean and squared deviations (two passes, with the rounding of the first
    // corrected), combined with the running ones as two accumulators merge.
    const batchMean = batchSum / count;
    let squares = 0;
    let deviations = 0;
    for (let k = 0; k < count; k++) {
      const d = (batch[k] as number) - batchMean;
      squares += d * d;
      deviations += d;
    }
    this.addMoments(count, batchMean, squares - (deviations * deviations) / count);
    let k = 0;
    for (; k < count; k++) {
      const counts = this.countsByValue;
      if (counts === null) break;
      this.countNumberAt(batch, k, counts);
    }
    if (k === 0) (this.sketch as CenteredSketch).addAll(batch, count);
    else if (k < count) (this.sketch as CenteredSketch).addAll(batch.subarray(k, count), count - k);
  }

  /** Combines the moments of `count` more values with the folded ones (Chan, Golub and LeVeque). */
  private addMoments(count: number, mean: number, m2: number): void {
    const before = this.foldedCount;
    const n = before + count;
    if (before === 0) {
      this.foldedMean = mean;
      this.foldedM2 = m2;
    } else {
      const delta = mean - this.foldedMean;
      this.foldedM2 += m2 + (delta * delta * before * count) / n;
      this.foldedMean += (delta * count) / n;
    }
    this.foldedCount = n;
  }

  /** Mean of the numeric values. */
  get mean(): number {
    this.fold();
    return this.foldedMean;
  }

  get min(): number {
    this.fold();
    return this.foldedMin;
  }

  get max(): number {
    this.fold();
    return this.foldedMax;
  }

  /**
   * Counts values[index] exactly, while there are at most 1,000 distinct numbers: apart from
   * `addNumberAt`, so that the part every value takes stays small enough for V8 to inline
   * into the capture reader's loop.
   */
  private countNumberAt(values: Float64Array, index: number, counts: Map<number, number>): void {
    const x = values[index] as number;
    if (x >= 0 && x < SMALL_INTEGERS && (x | 0) === x) {
      let small = this.smallCounts;
      if (small === null) {
        small = new Float64Array(SMALL_INTEGERS);
        this.smallCounts = small;
      }
      const seen = small[x] as number;
      if (seen > 0) {
        small[x] = seen + 1;
        return;
      }
      // First since the last fold: the key goes into the map (if new), the count stays here.
      if (counts.has(x)) {
        small[x] = 1;
        return;
      }
      if (counts.size < MAX_NUMBER_CATEGORIES) {
        counts.set(x, 0);
        small[x] = 1;
        return;
      }
      this.spill();
      (this.sketch as CenteredSketch).add(x);
      return;
    }
    const c = counts.get(x);
    if (c !== undefined) counts.set(x, c + 1);
    else if (counts.size < MAX_NUMBER_CATEGORIES) counts.set(x, 1);
    else {
      this.spill();
      (this.sketch as CenteredSketch).add(x);
    }
  }

  /** The exact counts per value (first seen first), or null once they went into the sketch. */
  private get numberCounts(): Map<number, number> | null {
    this.fold();
    const counts = this.countsByValue;
    const small = this.smallCounts;
    if (counts !== null && small !== null) {
      for (let x = 0; x < SMALL_INTEGERS; x++) {
        const count = small[x] as number;
        if (count > 0) {
          counts.set(x, (counts.get(x) ?? 0) + count);
          small[x] = 0;
        }
      }
    }
    return counts;
  }

  /** The sketch with every value added so far. */
  private flushed(): CenteredSketch | null {
    this.fold();
    return this.sketch;
  }

  addString(value: string): void {
    this.strings++;
    const counts = this.stringCounts;
    const c = counts.get(value);
    if (c !== undefined) {
      counts.set(value, c + 1);
      return;
    }
    if (counts.size < this.options.maxDistinct) {
      counts.set(value, 1);
      this.hll?.add(value);
      return;
    }
    this.stringOther++;
    this.distinctSketch().add(value);
  }

  addMissing(): void {
    this.missing++;
  }

  /** Adds a JSON or JavaScript value, typed as deequ would type its text. */
  addValue(value: unknown): void {
    switch (typeof value) {
      case 'number':
        if (Number.isFinite(value)) this.addNumber(value, Number.isInteger(value));
        else this.addString(String(value));
        return;
      case 'string': {
        const kind = classifyString(value);
        if (kind === CellKind.Missing) this.addMissing();
        else if (kind === CellKind.String) this.addString(value);
        else this.addNumber(cellValue, kind === CellKind.Integral);
        return;
      }
      case 'boolean':
        this.addString(value ? 'true' : 'false');
        return;
      case 'undefined':
        this.addMissing();
        return;
      case 'bigint':
        this.addNumber(Number(value), true);
        return;
      default:
        if (value === null) this.addMissing();
        else this.addString(JSON.stringify(value) ?? String(value));
    }
  }

  private newSketch(): CenteredSketch {
    const center = this.center ?? (this.n > 0 && Number.isFinite(this.mean) ? this.mean : 0);
    return new CenteredSketch(this.options.relativeAccuracy, center);
  }

  /** Switches from exact counts to the sketch, moving the counts into it. */
  private spill(): void {
    const sketch = this.flushed() ?? this.newSketch();
    for (const [value, count] of this.numberCounts ?? []) sketch.addWeighted(value, count);
    this.sketch = sketch;
    this.countsByValue = null;
  }

  private distinctSketch(): HyperLogLog {
    if (this.hll === null) {
      this.hll = new HyperLogLog();
      for (const key of this.stringCounts.keys()) this.hll.add(key);
    }
    return this.hll;
  }

  /** A DDSketch of the numeric values (built from the exact counts while those are kept). */
  numericSketch(): CenteredSketch {
    if (this.numberCounts === null) return this.flushed() as CenteredSketch;
    const sketch = this.newSketch();
    for (const [value, count] of this.numberCounts) sketch.addWeighted(value, count);
    return sketch;
  }

  /** Population standard deviation of the numeric values (deequ's StandardDeviation). */
  get stdDev(): number {
    this.fold();
    return this.n > 0 ? Math.sqrt(Math.max(0, this.foldedM2 / this.n)) : 0;
  }

  /** The compensated sum. */
  get total(): number {
    this.fold();
    return this.foldedSum + this.sumCompensation;
  }

  /** Model Monitor's inferred type, by deequ's rule: any String → String; any Fractional → Fractional. */
  get inferredType(): InferredType {
    if (this.present === 0) return 'Unknown';
    if (this.strings > 0) return 'String';
    if (this.fractional > 0) return 'Fractional';
    return 'Integral';
  }

  merge(other: FeatureAccumulator): this {
    if (other.name !== this.name) {
      throw new IncompatibleStatisticsError(`cannot merge feature '${other.name}' into '${this.name}'`);
    }
    this.fold();
    other.fold();
    const hadValues = this.n > 0;
    this.missing += other.missing;
    this.integral += other.integral;
    this.fractional += other.fractional;
    this.strings += other.strings;
    if (other.n > 0) {
      this.addMoments(other.foldedCount, other.foldedMean, other.foldedM2);
      const mine = this.foldedSum;
      const theirs = other.foldedSum;
      const t = mine + theirs;
      this.sumCompensation +=
        other.sumCompensation + (Math.abs(mine) >= Math.abs(theirs) ? mine - t + theirs : theirs - t + mine);
      this.foldedSum = t;
      if (other.foldedMin < this.foldedMin) this.foldedMin = other.foldedMin;
      if (other.foldedMax > this.foldedMax) this.foldedMax = other.foldedMax;
      this.mergeNumbers(other, hadValues);
    }
    for (const [value, count] of other.stringCounts) {
      const c = this.stringCounts.get(value);
      if (c !== undefined) this.stringCounts.set(value, c + count);
      else if (this.stringCounts.size < this.options.maxDistinct) {
        this.stringCounts.set(value, count);
        this.hll?.add(value);
      } else {
        this.stringOther += count;
        this.distinctSketch().add(value);
      }
    }
    this.stringOther += other.stringOther;
    if (other.hll !== null) this.distinctSketch().merge(other.hll);
    return this;
  }

  private mergeNumbers(other: FeatureAccumulator, hadValues: boolean): void {
    const mineCounts = this.numberCounts;
    const theirCounts = other.numberCounts;
    if (mineCounts !== null && theirCounts !== null) {
      for (const [value, count] of theirCounts) {
        mineCounts.set(value, (mineCounts.get(value) ?? 0) + count);
      }
      if (mineCounts.size > MAX_NUMBER_CATEGORIES) this.spill();
      return;
    }
    const theirs = other.flushed();
    this.fold();
    if (!hadValues && this.center === undefined && theirs !== null) {
      // Nothing here yet: adopt their sketch (and its center) as it is.
      this.sketch = theirs.clone();
      this.countsByValue = null;
      return;
    }
    if (this.numberCounts !== null) this.spill();
    const mine = this.sketch as CenteredSketch;
    if (other.numberCounts !== null) {
      for (const [value, count] of other.numberCounts) mine.addWeighted(value, count);
    } else if (theirs !== null) {
      if (theirs.center === mine.center || mine.count >= theirs.count) {
        mine.merge(theirs);
      } else {
        // Re-bin the smaller sketch into the larger one's grid.
        const merged = theirs.clone();
        merged.merge(mine);
        this.sketch = merged;
      }
    }
  }

  /** Categorical counts of every value seen (Strings, and numbers as text), most frequent first. */
  categories(): {
    buckets: { value: string; count: number }[];
    other: number;
    distinct: number;
    exact: boolean;
  } {
    const merged = new Map(this.stringCounts);
    let exact = this.hll === null;
    let other = this.stringOther;
    let distinct = this.hll !== null ? Math.max(this.hll.estimate(), merged.size) : merged.size;
    if (this.n > 0) {
      if (this.numberCounts === null) {
        exact = false;
        other += this.n;
        distinct += MAX_NUMBER_CATEGORIES;
      } else {
        for (const [value, count] of this.numberCounts) {
          const key = String(value);
          const c = merged.get(key);
          if (c === undefined) distinct++;
          merged.set(key, (c ?? 0) + count);
        }
      }
    }
    const sorted = [...merged].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const kept = sorted.slice(0, this.options.maxCategoricalBuckets);
    for (const [, count] of sorted.slice(this.options.maxCategoricalBuckets)) other += count;
    return { buckets: kept.map(([value, count]) => ({ value, count })), other, distinct, exact };
  }

  /**
   * This feature in statistics.json's schema, over `rows` dataset rows (rows where the column
   * was absent count as missing).
   */
  toStatistics(rows: number): FeatureStatistics {
    const present = this.present;
    const numMissing = Math.max(this.missing, rows - present);
    const type = this.inferredType;
    const feature: FeatureStatistics = { name: this.name, inferred_type: type };
    const understudy: NonNullable<FeatureStatistics['understudy']> = {
      type_counts: { integral: this.integral, fractional: this.fractional, string: this.strings },
    };
    if (this.n > 0 || type === 'Integral' || type === 'Fractional') {
      const sketch = this.numericSketch();
      const hasValues = this.n > 0;
      const exact = this.exactValues();
      feature.numerical_statistics = {
        common: { num_present: this.n, num_missing: numMissing + (present - this.n) },
        mean: hasValues ? this.mean : 0,
        sum: hasValues ? this.total : 0,
        std_dev: this.stdDev,
        min: hasValues ? this.min : 0,
        max: hasValues ? this.max : 0,
        distribution: {
          kll: {
            buckets: hasValues ? this.equalWidthBuckets(exact ?? sketch.points()) : [],
            sketch: {
              parameters: { c: sketch.relativeAccuracy, k: 0 },
              data: sketch.toJSON().data.map((part) => [...part]),
              understudy: {
                type: 'DDSketch',
                relative_accuracy: sketch.relativeAccuracy,
                center: sketch.center,
                ...(exact ? { values: exact.flat() } : {}),
              },
            },
          },
        },
      };
    }
    if (type === 'String' || type === 'Unknown') {
      const { buckets, other, distinct, exact } = this.categories();
      feature.string_statistics = {
        common: { num_present: present, num_missing: numMissing },
        distinct_count: distinct,
        distribution: { categorical: { buckets } },
      };
      understudy.distinct_count_exact = exact;
      understudy.other_count = other;
    }
    feature.understudy = understudy;
    return feature;
  }

  /**
   * The numeric values with their counts, ascending, while the feature has at most 1,000
   * distinct numbers (else null). Written beside the sketch: for discrete features the CDF is
   * then exact, and atoms (the integer 3) compare exactly across sketches whose bins differ.
   */
  exactValues(): [number, number][] | null {
    if (this.numberCounts === null || this.n === 0) return null;
    return [...this.numberCounts].sort((a, b) => a[0] - b[0]);
  }

  /** Model Monitor's 10 equal-width buckets between min and max, counted from (value, count) points. */
  private equalWidthBuckets(
    points: readonly (readonly [number, number])[],
  ): { lower_bound: number; upper_bound: number; count: number }[] {
    const width = (this.max - this.min) / DISTRIBUTION_BUCKETS;
    const counts = new Array<number>(DISTRIBUTION_BUCKETS).fill(0);
    for (const [value, count] of points) {
      const index = width > 0 ? Math.floor((value - this.min) / width) : 0;
      const k = Math.min(DISTRIBUTION_BUCKETS - 1, Math.max(0, index));
      counts[k] = (counts[k] as number) + count;
    }
    return counts.map((count, i) => ({
      lower_bound: this.min + i * width,
      upper_bound: i === DISTRIBUTION_BUCKETS - 1 ? this.max : this.min + (i + 1) * width,
      count,
    }));
  }

  toJSON(): FeatureAccumulatorJson {
    this.fold();
    return {
      name: this.name,
      missing: this.missing,
      integral: this.integral,
      fractional: this.fractional,
      strings: this.strings,
      n: this.n,
      mean: this.foldedMean,
      m2: this.foldedM2,
      sum: this.foldedSum,
      sumCompensation: this.sumCompensation,
      min: this.n > 0 ? this.foldedMin : null,
      max: this.n > 0 ? this.foldedMax : null,
      center: this.center ?? null,
      sketch: this.flushed()?.toJSON() ?? null,
      stringCounts: [...this.stringCounts],
      stringOther: this.stringOther,
      hll: this.hll?.toBase64() ?? null,
      numberCounts: this.numberCounts === null ? null : [...this.numberCounts],
    };
  }

  static fromJSON(json: FeatureAccumulatorJson, options: AccumulatorOptions = {}): FeatureAccumulator {
    const relativeAccuracy = json.sketch?.relative_accuracy ?? options.relativeAccuracy;
    const acc = new FeatureAccumulator(
      json.name,
      relativeAccuracy === undefined ? options : { ...options, relativeAccuracy },
      json.center ?? undefined,
    );
    acc.missing = json.missing;
    acc.integral = json.integral;
    acc.fractional = json.fractional;
    acc.strings = json.strings;
    acc.foldedCount = json.n;
    acc.foldedMean = json.mean;
    acc.foldedM2 = json.m2;
    acc.foldedSum = json.sum;
    acc.sumCompensation = json.sumCompensation;
    acc.foldedMin = json.min ?? Number.POSITIVE_INFINITY;
    acc.foldedMax = json.max ?? Number.NEGATIVE_INFINITY;
    if (json.sketch !== null) acc.sketch = CenteredSketch.fromJSON(json.sketch);
    acc.stringCounts = new Map(json.stringCounts);
    acc.stringOther = json.stringOther;
    acc.hll = json.hll === null ? null : HyperLogLog.fromBase64(json.hll);
    acc.countsByValue = json.numberCounts === null ? null : new Map(json.numberCounts);
    return acc;
  }
}

/** How the records of a window parsed. */
export interface ParseSummary {
  /** Payloads offered (capture records, or dataset files for a baseline). */
  readonly records: number;
  /** Rows they held (a CSV body or a JSON `instances` list can hold several). */
  readonly rows: number;
  /** Payloads that could not be parsed at all; they add no rows. */
  readonly unparseable: number;
  /** Up to 10 distinct reasons, for the report. */
  readonly errors: readonly string[];
}

export interface DatasetAccumulatorOptions extends AccumulatorOptions {
  /** Sketch centers by feature name (the monitor passes the baseline's means). */
  readonly centers?: Readonly<Record<string, number>>;
}

export interface DatasetAccumulatorJson {
  readonly version: 1;
  readonly featureNames: readonly string[];
  readonly records: number;
  readonly rows: number;
  readonly unparseable: number;
  readonly errors: readonly string[];
  readonly features: readonly FeatureAccumulatorJson[];
  readonly extras: readonly FeatureAccumulatorJson[];
}

/** Options for reading JSON payloads. */
export interface PayloadOptions {
  /** Where the features are (see kernel/json-path.ts). Without it: `instances`, a bare array, or an object. */
  readonly jsonPath?: JsonPath;
}

const MAX_ERROR_SAMPLES = 10;
const NOT_A_CAPTURE_INPUT = 'not a capture record with captureData.endpointInput.data';
const NOT_A_CAPTURE_OUTPUT = 'not a capture record with captureData.endpointOutput.data';

/** How to read a capture file: which side of each record, and where JSON payloads hold the features. */
export interface CaptureReadOptions extends PayloadOptions {
  /** @default 'endpointInput' */
  readonly side?: CaptureSide;
}

/** One accumulator a `CaptureReader` feeds, with the side it reads. */
export interface CaptureTarget extends CaptureReadOptions {
  readonly accumulator: DatasetAccumulator;
}

/**
 * Reads a capture file that arrives in chunks (an S3 object's stream): `push` each chunk,
 * then `end`. Every complete line goes to each target's accumulator at once (one side each:
 * input and output analysed in the same pass over the bytes); only a line cut by a chunk
 * boundary is copied, so memory holds a chunk and the longest line, whatever the file's size.
 */
/** The longest carried line start that goes into the kernel's memory with the next chunk. */
const MAX_CARRIED = 1 << 16;

export class CaptureReader {
  /** Records each target added (rows parsed), in the order of the targets. */
  readonly added: number[];
  private carry = new Uint8Array(0);
  private carried = 0;

  constructor(private readonly targets: readonly CaptureTarget[]) {
    this.added = targets.map(() => 0);
  }

  push(chunk: Uint8Array): void {
    const kernel = lineKernel();
    // (A long line carried over many chunks keeps the path below, which appends each once.)
    if (kernel !== undefined && this.carried <= MAX_CARRIED && this.carried + chunk.length <= MAX_REGION) {
      this.pushThrough(kernel, chunk);
      return;
    }
    // Buffer's indexOf is memchr; a plain Uint8Array is viewed as one without a copy.
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let from = 0;
    if (this.carried > 0) {
      const nl = bytes.indexOf(10);
      if (nl < 0) {
        this.keep(bytes, 0, bytes.length);
        return;
      }
      this.keep(bytes, 0, nl);
      this.line(this.carry, 0, this.carried);
      this.carried = 0;
      from = nl + 1;
    }
    this.lines(bytes, from);
  }

  /** Each complete line of bytes from `from` on; what follows the last newline is carried. */
  private lines(bytes: Buffer, from: number): void {
    for (;;) {
      const nl = bytes.indexOf(10, from);
      if (nl < 0) break;
      this.line(bytes, from, nl);
      from = nl + 1;
    }
    if (from < bytes.length) this.keep(bytes, from, bytes.length);
  }

  /**
   * With the line kernel loaded: the carried start of a line and the chunk are copied into the
   * kernel's memory, where it matches each line in place (no copy per line); what is left of
   * the chunk after its last newline is carried out again, as another reader may use that
   * memory before this one's next chunk.
   */
  private pushThrough(kernel: LineKernel, chunk: Uint8Array): void {
    const total = this.carried + chunk.length;
    const bytes = kernel.region(total);
    if (this.carried > 0) bytes.set(this.carry.subarray(0, this.carried), 0);
    bytes.set(chunk, this.carried);
    this.carried = 0;
    this.lines(bytes, 0);
  }

  /** The last line, if the file does not end with a newline. */
  end(): void {
    if (this.carried > 0) this.line(this.carry, 0, this.carried);
    this.carried = 0;
  }

  private keep(bytes: Uint8Array, start: number, end: number): void {
    const needed = this.carried + end - start;
    if (needed > this.carry.length) {
      const bigger = new Uint8Array(Math.max(needed, this.carry.length * 2, 4096));
      bigger.set(this.carry.subarray(0, this.carried));
      this.carry = bigger;
    }
    this.carry.set(bytes.subarray(start, end), this.carried);
    this.carried = needed;
  }

  private line(bytes: Uint8Array, start: number, end: number): void {
    // Blank lines are skipped (a lone '\r' of a CRLF file among them).
    if (end === start || (end === start + 1 && (bytes[start] as number) <= 32)) return;
    const targets = this.targets;
    for (let t = 0; t < targets.length; t++) {
      const target = targets[t] as CaptureTarget;
      const side = target.side ?? 'endpointInput';
      if (target.accumulator.addCaptureLine(bytes, start, end, side, target)) {
        this.added[t] = (this.added[t] as number) + 1;
      }
    }
  }
}

/** Strips parameters (`; charset=utf-8`) and case from a media type. */
function mediaType(contentType: string): string {
  return (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

const JSON_LINES = new Set([
  'application/jsonlines',
  'application/x-jsonlines',
  'application/jsonl',
  'application/json-lines',
]);

/**
 * Per-dataset accumulator: the baseline's features by position (CSV columns) and by name
 * (JSON objects); cells beyond them become extra features (`_c<index>` for positions, the
 * key for names), which the checks report as extra columns.
 */
export class DatasetAccumulator implements CellVisitor {
  readonly features: FeatureAccumulator[];
  private readonly byName = new Map<string, FeatureAccumulator>();
  private readonly extras = new Map<string, FeatureAccumulator>();
  private readonly extraByColumn: (FeatureAccumulator | undefined)[] = [];
  private readonly options: DatasetAccumulatorOptions;
  records = 0;
  rows = 0;
  unparseable = 0;
  private readonly errors: string[] = [];

  constructor(
    readonly featureNames: readonly string[],
    options: DatasetAccumulatorOptions = {},
  ) {
    const seen = new Set<string>();
    for (const name of featureNames) {
      if (seen.has(name)) throw new IncompatibleStatisticsError(`feature name '${name}' appears twice`);
      seen.add(name);
    }
    this.options = options;
    this.features = featureNames.map(
      (name) => new FeatureAccumulator(name, options, options.centers?.[name]),
    );
    for (const f of this.features) this.byName.set(f.name, f);
  }

  /**
   * An accumulator for a monitoring window against `baseline`: same feature names, sketches
   * centred on the baseline's means so that they share its bin grid.
   */
  static forBaseline(baseline: Statistics, options: AccumulatorOptions = {}): DatasetAccumulator {
    const centers: Record<string, number> = {};
    for (const f of baseline.features) {
      const center =
        f.numerical_statistics?.distribution?.kll?.sketch?.understudy?.center ?? f.numerical_statistics?.mean;
      if (center !== undefined && Number.isFinite(center)) centers[f.name] = center;
    }
    const relativeAccuracy =
      options.relativeAccuracy ??
      baseline.features.find((f) => f.numerical_statistics?.distribution?.kll?.sketch?.understudy)
        ?.numerical_statistics?.distribution?.kll?.sketch?.understudy?.relative_accuracy;
    return new DatasetAccumulator(
      baseline.features.map((f) => f.name),
      { ...options, ...(relativeAccuracy === undefined ? {} : { relativeAccuracy }), centers },
    );
  }

  get summary(): ParseSummary {
    return {
      records: this.records,
      rows: this.rows,
      unparseable: this.unparseable,
      errors: [...this.errors],
    };
  }

  /** The extra (not in the baseline) features seen so far. */
  get extraFeatures(): FeatureAccumulator[] {
    return [...this.extras.values()];
  }

  // CellVisitor: the CSV scanner calls these for every cell.
  numberCell(column: number, value: number, integral: boolean): void {
    this.column(column).addNumber(value, integral);
  }

  stringCell(column: number, value: string): void {
    this.column(column).addString(value);
  }

  missingCell(column: number): void {
    this.column(column).addMissing();
  }

  endRow(): void {
    this.rows++;
  }

  private column(index: number): FeatureAccumulator {
    return this.features[index] ?? this.extraByColumn[index] ?? this.extraColumn(index);
  }

  private extraColumn(index: number): FeatureAccumulator {
    const acc = this.extra(`_c${index}`);
    this.extraByColumn[index] = acc;
    return acc;
  }

  private extra(name: string): FeatureAccumulator {
    let acc = this.extras.get(name);
    if (acc === undefined) {
      acc = new FeatureAccumulator(name, this.options);
      this.extras.set(name, acc);
    }
    return acc;
  }

  /** Adds one row of positional cells (any JSON-ish values). */
  addRow(cells: readonly unknown[]): void {
    for (let i = 0; i < cells.length; i++) this.column(i).addValue(cells[i]);
    this.rows++;
  }

  /** Adds one row of named cells; names outside the baseline become extra features. */
  addNamedRow(record: Readonly<Record<string, unknown>>): void {
    for (const key of Object.keys(record)) {
      (this.byName.get(key) ?? this.extra(key)).addValue(record[key]);
    }
    this.rows++;
  }

  /** Counts a record that could not be parsed; `reason` is kept (up to 10 distinct) for the report. */
  addUnparseable(reason: string): void {
    this.records++;
    this.unparseable++;
    if (this.errors.length < MAX_ERROR_SAMPLES && !this.errors.includes(reason)) this.errors.push(reason);
  }

  /**
   * Parses one payload and adds its rows. Never throws for bad data: a payload that cannot
   * be read is counted as unparseable (and false is returned).
   */
  addPayload(payload: Payload, options: PayloadOptions = {}): boolean {
    return this.addText(payload.data, payload.contentType, options);
  }

  /**
   * Adds every record of a data-capture file (JSON Lines): the `side` of each record
   * (endpointInput by default; endpointOutput for prediction drift) is decoded and parsed as
   * `addPayload` does. Lines that are not capture records count as unparseable. Returns the
   * number of records added. (The text is read as its UTF-8 bytes: see `addCaptureBytes`.)
   */
  addCaptureFile(text: string, options: CaptureReadOptions = {}): number {
    return this.addCaptureBytes(Buffer.from(text, 'utf8'), options);
  }

  /**
   * `addCaptureFile` over the file's UTF-8 bytes (whole lines; a last line without a newline
   * counts). For files that arrive in chunks, `CaptureReader` feeds the lines as they complete.
   */
  addCaptureBytes(bytes: Uint8Array, options: CaptureReadOptions = {}): number {
    const reader = new CaptureReader([{ accumulator: this, ...options }]);
    reader.push(bytes);
    reader.end();
    return reader.added[0] as number;
  }

  /**
   * Adds the capture record on the line bytes[start, end) (no newline; blank lines are not
   * passed here). False when it added no rows (then it was counted as unparseable).
   */
  addCaptureLine(
    bytes: Uint8Array,
    start: number,
    end: number,
    side: CaptureSide,
    options: PayloadOptions,
  ): boolean {
    if (!scanCaptureLine(bytes, start, end, side)) {
      this.addUnparseable(side === 'endpointInput' ? NOT_A_CAPTURE_INPUT : NOT_A_CAPTURE_OUTPUT);
      return false;
    }
    const encoding = captureSpan.encoding;
    if (encoding !== this.lastEncoding) {
      this.lastEncoding = encoding;
      this.lastEncodingUpper = encoding?.toUpperCase();
    }
    // As decodeCaptureData: the media type, else by encoding; BASE64 holds the bytes.
    const upper = this.lastEncodingUpper;
    const contentType =
      captureSpan.observedContentType ?? (upper === 'JSON' ? 'application/json' : 'text/csv');
    if (upper === 'BASE64') {
      const decoded = Buffer.from(decodeDataString(bytes), 'base64');
      if (!this.isCsv(contentType)) return this.addText(decoded.toString('utf8'), contentType, options);
      const before = this.rows;
      try {
        scanCsvBytes(decoded, 0, decoded.length, this);
      } catch (error) {
        this.addUnparseable(`CSV: ${(error as Error).message}`);
        return false;
      }
      return this.countCsvRecord(before);
    }
    if (captureSpan.dataStaged && this.isCsv(contentType)) {
      // The common case: a CSV payload without escapes, read as the line was scanned.
      const before = this.rows;
      this.commitStagedRow();
      return this.countCsvRecord(before);
    }
    return this.addText(decodeDataString(bytes), contentType, options);
  }

  private countCsvRecord(rowsBefore: number): boolean {
    if (this.rows === rowsBefore) {
      this.addUnparseable('CSV: the body holds no rows');
      return false;
    }
    this.records++;
    return true;
  }

  /** Adds the row `scanCaptureLine` staged (no row for an empty payload). */
  private commitStagedRow(): void {
    const { columns, kinds, values, strings } = stagedRow;
    if (columns === 0) return;
    const features = this.features;
    for (let column = 0; column < columns; column++) {
      const feature = (features[column] as FeatureAccumulator | undefined) ?? this.column(column);
      const kind = kinds[column] as number;
      // One call site for both numeric kinds, so that V8 inlines addNumberAt once.
      if (kind === CellKind.Integral || kind === CellKind.Fractional) {
        feature.addNumberAt(values, column, kind === CellKind.Integral);
      } else if (kind === CellKind.Missing) feature.addMissing();
      else feature.addString(strings[column] as string);
    }
    this.rows++;
  }

  private lastEncoding: string | undefined = undefined;
  private lastEncodingUpper: string | undefined = undefined;

  private isCsv(contentType: string): boolean {
    if (contentType !== this.lastContentType) {
      this.lastContentType = contentType;
      this.lastMediaType = mediaType(contentType);
    }
    return this.lastMediaType === 'text/csv' || this.lastMediaType === 'application/csv';
  }

  private lastContentType = '';
  private lastMediaType = '';

  private addText(data: string, contentType: string, options: PayloadOptions): boolean {
    // Every record of a capture file usually has the same content type: parse it once.
    if (contentType !== this.lastContentType) {
      this.lastContentType = contentType;
      this.lastMediaType = mediaType(contentType);
    }
    const type = this.lastMediaType;
    if (type === 'text/csv' || type === 'application/csv') {
      const before = this.rows;
      try {
        scanCsv(data, this);
      } catch (error) {
        // The rows before the bad quote were added: keep them, count the record as unparseable.
        this.addUnparseable(`CSV: ${(error as Error).message}`);
        return false;
      }
      if (this.rows === before) {
        this.addUnparseable('CSV: the body holds no rows');
        return false;
      }
      this.records++;
      return true;
    }
    if (type === 'application/json' || type.endsWith('+json')) {
      return this.addJsonDocuments([data], options);
    }
    if (JSON_LINES.has(type)) {
      return this.addJsonDocuments(
        data.split('\n').filter((line) => line.trim() !== ''),
        options,
      );
    }
    this.addUnparseable(`unsupported content type '${contentType}'`);
    return false;
  }

  private addJsonDocuments(texts: readonly string[], options: PayloadOptions): boolean {
    const rows: unknown[] = [];
    try {
      for (const text of texts) {
        const doc: unknown = JSON.parse(text);
        collectRows(doc, options.jsonPath, rows);
      }
    } catch (error) {
      this.addUnparseable(`JSON: ${(error as Error).message}`);
      return false;
    }
    if (rows.length === 0) {
      this.addUnparseable(
        options.jsonPath
          ? `JSON: the path ${options.jsonPath.expression} matches nothing`
          : 'JSON: the body holds no rows',
      );
      return false;
    }
    for (const row of rows) {
      if (Array.isArray(row)) this.addRow(row);
      else if (row !== null && typeof row === 'object') this.addNamedRow(row as Record<string, unknown>);
      else this.addRow([row]);
    }
    this.records++;
    return true;
  }

  merge(other: DatasetAccumulator): this {
    if (other.featureNames.join('\u0000') !== this.featureNames.join('\u0000')) {
      throw new IncompatibleStatisticsError('cannot merge accumulators built for different features');
    }
    this.features.forEach((f, i) => {
      f.merge(other.features[i] as FeatureAccumulator);
    });
    for (const [name, acc] of other.extras) {
      const mine = this.extras.get(name);
      if (mine) mine.merge(acc);
      else this.extras.set(name, FeatureAccumulator.fromJSON(acc.toJSON(), this.options));
    }
    this.extraByColumn.length = 0;
    this.records += other.records;
    this.rows += other.rows;
    this.unparseable += other.unparseable;
    for (const e of other.errors) {
      if (this.errors.length < MAX_ERROR_SAMPLES && !this.errors.includes(e)) this.errors.push(e);
    }
    return this;
  }

  /**
   * The window's statistics.json. Features whose column never appeared in any row are left
   * out (the checks report them as missing columns); extra columns follow the baseline's.
   */
  toStatistics(): Statistics {
    const features: FeatureStatistics[] = [];
    if (this.rows > 0) {
      for (const f of [...this.features, ...this.extras.values()]) {
        // A missing cell still means the column was there; no cell at all means it was not.
        if (f.present + f.missing > 0) features.push(f.toStatistics(this.rows));
      }
    }
    return { version: 0, dataset: { item_count: this.rows }, features };
  }

  toJSON(): DatasetAccumulatorJson {
    return {
      version: 1,
      featureNames: [...this.featureNames],
      records: this.records,
      rows: this.rows,
      unparseable: this.unparseable,
      errors: [...this.errors],
      features: this.features.map((f) => f.toJSON()),
      extras: [...this.extras.values()].map((f) => f.toJSON()),
    };
  }

  static fromJSON(json: DatasetAccumulatorJson, options: AccumulatorOptions = {}): DatasetAccumulator {
    if (json.version !== 1)
      throw new IncompatibleStatisticsError(`unknown accumulator version ${String(json.version)}`);
    const acc = new DatasetAccumulator(json.featureNames, options);
    json.features.forEach((f, i) => {
      acc.features[i] = FeatureAccumulator.fromJSON(f, options);
      acc.byName.set(f.name, acc.features[i] as FeatureAccumulator);
    });
    for (const f of json.extras) acc.extras.set(f.name, FeatureAccumulator.fromJSON(f, options));
    acc.records = json.records;
    acc.rows = json.rows;
    acc.unparseable = json.unparseable;
    acc.errors.push(...json.errors);
    return acc;
  }
}

/**
 * Turns a parsed JSON document into rows. With a path: a wildcard path yields one row per
 * match; a single match is read as below. Without: `{"instances": [...]}` is its list; an
 * array of arrays/objects is one row per element; an array of scalars is one row; an object
 * is one named row; a scalar is a one-cell row.
 */
function collectRows(doc: unknown, path: JsonPath | undefined, out: unknown[]): void {
  if (path !== undefined) {
    const nodes = path.evaluate(doc);
    if (path.multiple) out.push(...nodes);
    else for (const node of nodes) rowsOf(node, out);
    return;
  }
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc) && 'instances' in doc) {
    const instances = (doc as { instances: unknown }).instances;
    if (Array.isArray(instances)) {
      rowsOf(instances, out);
      return;
    }
  }
  rowsOf(doc, out);
}

function rowsOf(node: unknown, out: unknown[]): void {
  if (Array.isArray(node)) {
    if (node.length > 0 && node.every((x) => x !== null && typeof x === 'object')) out.push(...node);
    else if (node.length > 0) out.push(node);
    return;
  }
  if (node !== undefined) out.push(node);
}
