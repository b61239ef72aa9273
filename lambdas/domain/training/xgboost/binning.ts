/**
 * Features pre-binned once into quantile bins, as XGBoost's `hist` method does: each feature's
 * split candidates are at most `max_bin` cut values taken from its (float32) data, and each cell
 * becomes a small code, so that training reads one byte or two per cell instead of eight.
 */

/** A code of 0 marks a missing value; a present value v gets 1 + (number of cuts <= v). */
export const MISSING = 0;

export interface Cuts {
  /** Per feature, ascending float32 cut values; a value goes left of cut i when it is `< cuts[i]`. */
  readonly perFeature: readonly Float32Array[];
  /** `offsets[f]` is feature f's first histogram slot; it has `cuts.length + 2` slots (missing, bins). */
  readonly offsets: Int32Array;
  readonly totalSlots: number;
}

export type Codes = Uint16Array | Uint32Array;

/**
 * A binned matrix: `codes[row * columns + feature]` is the cell's histogram slot, its feature's
 * offset plus its code, so that building a histogram adds no offset per cell (XGBoost's layout).
 */
export interface BinnedMatrix {
  readonly rows: number;
  readonly columns: number;
  readonly codes: Codes;
  /**
   * The same slots column-major, `byFeature[feature * rows + row]`: partitioning a node reads
   * one feature of rows in ascending order, which row-major would read a cache line apart.
   */
  readonly byFeature: Codes;
}

/**
 * Cut values from the training features: every distinct value when a feature has at most
 * `maxBin` of them, else the values at `maxBin` evenly spaced ranks. Values are rounded to
 * float32 first, as the ONNX model will see them, so that training and serving split alike.
 */
export function findCuts(features: Float64Array, rows: number, columns: number, maxBin: number): Cuts {
  const perFeature: Float32Array[] = [];
  const column = new Float32Array(rows);
  for (let f = 0; f < columns; f++) {
    let present = 0;
    for (let r = 0; r < rows; r++) {
      const v = features[r * columns + f] as number;
      if (!Number.isNaN(v)) column[present++] = v;
    }
    const sorted = column.subarray(0, present).sort();
    const distinct: number[] = [];
    for (let i = 0; i < present; i++) {
      const v = sorted[i] as number;
      if (distinct.length === 0 || v !== distinct[distinct.length - 1]) distinct.push(v);
    }
    // The first value is no cut (nothing would go left of it); bin k then holds values in [cut k-1, cut k).
    let cuts: number[];
    if (distinct.length <= maxBin) cuts = distinct.slice(1);
    else {
      cuts = [];
      for (let k = 1; k < maxBin; k++) {
        const v = sorted[Math.floor((k * present) / maxBin)] as number;
        if (v !== cuts[cuts.length - 1] && v !== sorted[0]) cuts.push(v);
      }
    }
    perFeature.push(Float32Array.from(cuts));
  }
  const offsets = new Int32Array(columns + 1);
  for (let f = 0; f < columns; f++)
    offsets[f + 1] = (offsets[f] as number) + (perFeature[f] as Float32Array).length + 2;
  return { perFeature, offsets, totalSlots: offsets[columns] as number };
}

/** The code of a value under one feature's cuts: 0 when missing, else 1 + the count of cuts <= v. */
export function codeOf(cuts: Float32Array, value: number): number {
  if (Number.isNaN(value)) return MISSING;
  const v = Math.fround(value);
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cuts[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

/** Bins rows (training or validation) with the training data's cuts. */
export function binRows(features: Float64Array, rows: number, columns: number, cuts: Cuts): BinnedMatrix {
  const make = () =>
    cuts.totalSlots <= 0xffff ? new Uint16Array(rows * columns) : new Uint32Array(rows * columns);
  const codes = make();
  const byFeature = make();
  for (let f = 0; f < columns; f++) {
    const featureCuts = cuts.perFeature[f] as Float32Array;
    const offset = cuts.offsets[f] as number;
    for (let r = 0; r < rows; r++) {
      const i = r * columns + f;
      const slot = offset + codeOf(featureCuts, features[i] as number);
      codes[i] = slot;
      byFeature[f * rows + r] = slot;
    }
  }
  return { rows, columns, codes, byFeature };
}
