/**
 * One regression tree grown on gradient/hessian histograms, depth-wise, as XGBoost's `hist`
 * tree method grows it. Written here because no maintained JavaScript library trains
 * histogram GBDT (npm `ml-xgboost` is a 2018 WASM build of XGBoost that cannot export its
 * trees): rows are partitioned in place in one index array, each node's histogram sums
 * gradient and hessian per bin over its rows, and of two siblings only the smaller one's is
 * built from rows; the larger one's is its parent's minus the smaller's.
 */
import { type BinnedMatrix, type Cuts, MISSING } from './binning.js';

/** A tree as the ONNX exporter reads it; XGBoost's own model JSON holds the same arrays. */
export interface Tree {
  /** Children per node, -1 for a leaf. */
  readonly left: readonly number[];
  readonly right: readonly number[];
  readonly feature: readonly number[];
  /** float32 split values: a row goes left when its feature is `< threshold`. */
  readonly threshold: readonly number[];
  /** Where a missing value goes: XGBoost's learned default direction. */
  readonly defaultLeft: readonly boolean[];
  /** A leaf's output, learning rate applied. */
  readonly value: readonly number[];
}

/** A trained tree also knows its splits as bin codes, to route binned rows without comparing floats. */
export interface BinnedTree extends Tree {
  /** The split's missing-value slot: rows with this slot in the split's feature take the default direction. */
  readonly missingSlot: readonly number[];
  /** Rows whose (present) slot is at most this go left. */
  readonly splitSlot: readonly number[];
}

export interface TreeParams {
  readonly maxDepth: number;
  readonly eta: number;
  readonly gamma: number;
  readonly minChildWeight: number;
  readonly lambda: number;
  readonly alpha: number;
}

/** What growing a tree reads: the binned training rows and this tree's gradients. */
export interface GrowInput {
  readonly matrix: BinnedMatrix;
  readonly cuts: Cuts;
  readonly grad: Float64Array;
  readonly hess: Float64Array;
  /** The rows this tree learns from (after subsampling); reordered in place. */
  readonly rows: Uint32Array;
  /** The features this tree may split on (colsample_bytree), ascending. */
  readonly features: Int32Array;
}

/** XGBoost's rounding guard: a split must gain more than this. */
const RT_EPS = 1e-6;

function thresholdL1(g: number, alpha: number): number {
  if (g > alpha) return g - alpha;
  if (g < -alpha) return g + alpha;
  return 0;
}

interface Split {
  gain: number;
  feature: number;
  code: number;
  defaultLeft: boolean;
  leftG: number;
  leftH: number;
}

interface Pending {
  readonly node: number;
  readonly begin: number;
  readonly end: number;
  readonly g: number;
  readonly h: number;
  readonly hist: Float64Array;
}

/** Grows one tree; `rows` comes back partitioned by leaf. */
export class TreeGrower {
  private readonly scratch: Uint32Array;
  private readonly pool: Float64Array[] = [];
  /** The last tree's leaves as ranges of the `rows` it grew on: [node, begin, end] flattened. */
  readonly leafRanges: number[] = [];

  constructor(
    private readonly params: TreeParams,
    capacityRows: number,
    private readonly totalSlots: number,
  ) {
    this.scratch = new Uint32Array(capacityRows);
  }

  grow(input: GrowInput, count: number): BinnedTree {
    const { grad, hess, rows } = input;
    const tree = {
      left: [] as number[],
      right: [] as number[],
      feature: [] as number[],
      threshold: [] as number[],
      defaultLeft: [] as boolean[],
      value: [] as number[],
      missingSlot: [] as number[],
      splitSlot: [] as number[],
    };
    const addNode = () => {
      tree.left.push(-1);
      tree.right.push(-1);
      tree.feature.push(0);
      tree.threshold.push(0);
      tree.defaultLeft.push(true);
      tree.value.push(0);
      tree.missingSlot.push(0);
      tree.splitSlot.push(0);
      return tree.left.length - 1;
    };
    let g = 0;
    let h = 0;
    for (let i = 0; i < count; i++) {
      const r = rows[i] as number;
      g += grad[r] as number;
      h += hess[r] as number;
    }
    const rootHist = this.take();
    this.build(input, 0, count, rootHist);
    this.leafRanges.length = 0;
    let level: Pending[] = [{ node: addNode(), begin: 0, end: count, g, h, hist: rootHist }];
    for (let depth = 0; level.length > 0; depth++) {
      const next: Pending[] = [];
      for (const p of level) {
        const split = depth < this.params.maxDepth ? this.bestSplit(input, p) : undefined;
        if (!split) {
          tree.value[p.node] = this.params.eta * this.weight(p.g, p.h);
          this.leafRanges.push(p.node, p.begin, p.end);
          this.pool.push(p.hist);
          continue;
        }
        const mid = this.partition(input, p.begin, p.end, split);
        const l = addNode();
        const r = addNode();
        tree.left[p.node] = l;
        tree.right[p.node] = r;
        tree.feature[p.node] = split.feature;
        tree.threshold[p.node] = thresholdOf(
          input.cuts.perFeature[split.feature] as Float32Array,
          split.code,
        );
        tree.defaultLeft[p.node] = split.defaultLeft;
        tree.missingSlot[p.node] = input.cuts.offsets[split.feature] as number;
        tree.splitSlot[p.node] = (input.cuts.offsets[split.feature] as number) + split.code;
        const leftRows = mid - p.begin;
        const rightRows = p.end - mid;
        // Build the smaller child's histogram from its rows; the larger one takes the parent's, minus it.
        const small = this.take();
        const large = p.hist;
        if (leftRows <= rightRows) this.build(input, p.begin, mid, small);
        else this.build(input, mid, p.end, small);
        this.subtract(large, small);
        const [leftHist, rightHist] = leftRows <= rightRows ? [small, large] : [large, small];
        next.push(
          { node: l, begin: p.begin, end: mid, g: split.leftG, h: split.leftH, hist: leftHist },
          { node: r, begin: mid, end: p.end, g: p.g - split.leftG, h: p.h - split.leftH, hist: rightHist },
        );
      }
      level = next;
    }
    return tree;
  }

  private take(): Float64Array {
    const hist = this.pool.pop();
    if (!hist) return new Float64Array(this.totalSlots * 2);
    hist.fill(0);
    return hist;
  }

  /** Sums gradient and hessian per histogram slot over rows[begin, end): the hot loop. */
  private build(input: GrowInput, begin: number, end: number, hist: Float64Array): void {
    const { grad, hess, rows, features } = input;
    const { codes, columns } = input.matrix;
    const nf = features.length;
    if (nf === columns) {
      // Every feature: the row's cells are read in order, with no indirection.
      for (let i = begin; i < end; i++) {
        const r = rows[i] as number;
        const g = grad[r] as number;
        const h = hess[r] as number;
        const base = r * columns;
        for (let f = 0; f < columns; f++) {
          const s = (codes[base + f] as number) << 1;
          hist[s] = (hist[s] as number) + g;
          hist[s + 1] = (hist[s + 1] as number) + h;
        }
      }
      return;
    }
    for (let i = begin; i < end; i++) {
      const r = rows[i] as number;
      const g = grad[r] as number;
      const h = hess[r] as number;
      const base = r * columns;
      for (let j = 0; j < nf; j++) {
        const s = (codes[base + (features[j] as number)] as number) << 1;
        hist[s] = (hist[s] as number) + g;
        hist[s + 1] = (hist[s + 1] as number) + h;
      }
    }
  }

  /** large -= small, slot by slot: the larger sibling's histogram from its parent's. */
  private subtract(large: Float64Array, small: Float64Array): void {
    for (let i = 0; i < large.length; i++) large[i] = (large[i] as number) - (small[i] as number);
  }

  private gainOf(g: number, h: number): number {
    if (h < this.params.minChildWeight || h <= 0) return 0;
    const t = thresholdL1(g, this.params.alpha);
    return (t * t) / (h + this.params.lambda);
  }

  private weight(g: number, h: number): number {
    if (h < this.params.minChildWeight || h <= 0) return 0;
    return -thresholdL1(g, this.params.alpha) / (h + this.params.lambda);
  }

  /**
   * The best split over the node's features and bins, trying missing values on either side
   * (XGBoost's learned default direction); undefined when none gains more than gamma.
   */
  private bestSplit(input: GrowInput, p: Pending): Split | undefined {
    const { minChildWeight, gamma, lambda, alpha } = this.params;
    // gainOf inlined: this loop runs once per (node, feature, bin) and dominates small nodes.
    const gainOf = (g: number, h: number) => {
      const t = g > alpha ? g - alpha : g < -alpha ? g + alpha : 0;
      return (t * t) / (h + lambda);
    };
    const parentGain = this.gainOf(p.g, p.h);
    const offsets = input.cuts.offsets;
    const hist = p.hist;
    const features = input.features;
    let best: Split | undefined;
    let bestGain = RT_EPS;
    for (let j = 0; j < features.length; j++) {
      const f = features[j] as number;
      const first = offsets[f] as number;
      const slots = (offsets[f + 1] as number) - first;
      const gm = hist[(first + MISSING) * 2] as number;
      const hm = hist[(first + MISSING) * 2 + 1] as number;
      let gl = 0;
      let hl = 0;
      // Candidate c sends present codes 1..c left: c = 0 sends only the missing values left,
      // c = slots - 1 every present value, splitting missing from present as XGBoost does.
      for (let c = 0; c < slots; c++) {
        if (c > 0) {
          const bh = hist[(first + c) * 2 + 1] as number;
          // An empty bin moves nothing: the candidate equals the one before it.
          if (bh === 0) continue;
          gl += hist[(first + c) * 2] as number;
          hl += bh;
        }
        // Missing values to the left first, so that a node without any defaults to the left;
        // then, when the node has some, to the right (written out twice: this is the hot loop).
        let lg = gl + gm;
        let lh = hl + hm;
        let rh = p.h - lh;
        if (lh >= minChildWeight && rh >= minChildWeight && lh > 0 && rh > 0) {
          const gain = gainOf(lg, lh) + gainOf(p.g - lg, rh) - parentGain;
          if (gain > bestGain) {
            bestGain = gain;
            best = { gain, feature: f, code: c, defaultLeft: true, leftG: lg, leftH: lh };
          }
        }
        if (hm > 0) {
          lg = gl;
          lh = hl;
          rh = p.h - lh;
          if (lh >= minChildWeight && rh >= minChildWeight && lh > 0 && rh > 0) {
            const gain = gainOf(lg, lh) + gainOf(p.g - lg, rh) - parentGain;
            if (gain > bestGain) {
              bestGain = gain;
              best = { gain, feature: f, code: c, defaultLeft: false, leftG: lg, leftH: lh };
            }
          }
        }
      }
    }
    return best && best.gain >= gamma ? best : undefined;
  }

  /** Stable partition of rows[begin, end) by the split; returns where the right child starts. */
  private partition(input: GrowInput, begin: number, end: number, split: Split): number {
    const { rows } = input;
    const codes = input.matrix.byFeature;
    const column = split.feature * input.matrix.rows;
    const scratch = this.scratch;
    const { feature, defaultLeft } = split;
    const missing = (input.cuts.offsets[feature] as number) + MISSING;
    const last = missing + split.code;
    let l = begin;
    let r = 0;
    for (let i = begin; i < end; i++) {
      const row = rows[i] as number;
      const c = codes[column + row] as number;
      if (c === missing ? defaultLeft : c <= last) rows[l++] = row;
      else scratch[r++] = row;
    }
    rows.set(scratch.subarray(0, r), l);
    return l;
  }
}

/**
 * The float32 value that sends codes 1..code left under `x < threshold`: the cut above them,
 * or -Infinity (nothing present goes left) and +Infinity (everything present does).
 */
function thresholdOf(cuts: Float32Array, code: number): number {
  if (code === 0) return Number.NEGATIVE_INFINITY;
  return code - 1 < cuts.length ? (cuts[code - 1] as number) : Number.POSITIVE_INFINITY;
}

/** The leaf a binned row lands in. */
export function leafOfCodes(tree: BinnedTree, codes: BinnedMatrix['codes'], base: number): number {
  // Row-major: one row's walk stays within its cache line.
  let node = 0;
  while ((tree.left[node] as number) >= 0) {
    const c = codes[base + (tree.feature[node] as number)] as number;
    const goLeft =
      c === tree.missingSlot[node]
        ? (tree.defaultLeft[node] as boolean)
        : c <= (tree.splitSlot[node] as number);
    node = (goLeft ? tree.left[node] : tree.right[node]) as number;
  }
  return node;
}

/** The leaf a raw row lands in, compared in float32 as ONNX compares. */
export function leafOfValues(tree: Tree, features: Float64Array, base: number): number {
  let node = 0;
  while ((tree.left[node] as number) >= 0) {
    const x = features[base + (tree.feature[node] as number)] as number;
    const goLeft = Number.isNaN(x)
      ? (tree.defaultLeft[node] as boolean)
      : Math.fround(x) < (tree.threshold[node] as number);
    node = (goLeft ? tree.left[node] : tree.right[node]) as number;
  }
  return node;
}
