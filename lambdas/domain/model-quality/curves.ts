/**
 * Threshold curves of a binary classifier's scores — ROC and precision–recall — and the areas
 * under them, with scikit-learn's conventions (`roc_curve`, `precision_recall_curve`,
 * `roc_auc_score`, `average_precision_score`): tied scores make one point, the ROC curve drops
 * collinear intermediate points and starts at (0, 0), an undefined precision is 0.
 *
 * Hand-written: no maintained npm package computes these curves with scikit-learn's tie and
 * point-dropping rules, and SageMaker's files are compared with scikit-learn's numbers.
 */

/** The ROC curve as SageMaker's statistics.json lists it. */
export interface RocCurve {
  readonly false_positive_rates: number[];
  readonly true_positive_rates: number[];
}

/** The precision–recall curve as SageMaker's statistics.json lists it: recall ascending. */
export interface PrecisionRecallCurve {
  readonly precisions: number[];
  readonly recalls: number[];
}

/** Cumulative true and false positives at each distinct score, highest score first. */
interface Cumulative {
  readonly tps: number[];
  readonly fps: number[];
}

function cumulative(
  actual: readonly number[],
  scores: readonly number[],
  indices: readonly number[],
): Cumulative {
  const order = [...indices].sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    if (actual[i] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[i]) {
      tps.push(tp);
      fps.push(fp);
    }
  }
  return { tps, fps };
}

/** scikit-learn's `roc_curve(drop_intermediate=True)` over the rows in `indices`. */
export function rocCurve(
  actual: readonly number[],
  scores: readonly number[],
  indices: readonly number[],
): RocCurve {
  return rocFrom(cumulative(actual, scores, indices));
}

function rocFrom({ tps, fps }: Cumulative): RocCurve {
  const keep: number[] = [];
  for (let k = 0; k < tps.length; k++) {
    const interior = k > 0 && k < tps.length - 1;
    const collinear =
      interior &&
      (fps[k + 1] as number) - 2 * (fps[k] as number) + (fps[k - 1] as number) === 0 &&
      (tps[k + 1] as number) - 2 * (tps[k] as number) + (tps[k - 1] as number) === 0;
    if (!collinear) keep.push(k);
  }
  const positives = tps[tps.length - 1] ?? 0;
  const negatives = fps[fps.length - 1] ?? 0;
  return {
    false_positive_rates: [0, ...keep.map((k) => (fps[k] as number) / negatives)],
    true_positive_rates: [0, ...keep.map((k) => (tps[k] as number) / positives)],
  };
}

/**
 * scikit-learn's `precision_recall_curve`, listed from recall 0 (precision 1) upwards as
 * SageMaker's file does (scikit-learn lists the same points in the opposite order).
 */
export function precisionRecallCurve(
  actual: readonly number[],
  scores: readonly number[],
  indices: readonly number[],
): PrecisionRecallCurve {
  return precisionRecallFrom(cumulative(actual, scores, indices));
}

function precisionRecallFrom({ tps, fps }: Cumulative): PrecisionRecallCurve {
  const positives = tps[tps.length - 1] ?? 0;
  return {
    precisions: [
      1,
      ...tps.map((tp, k) => (tp + (fps[k] as number) === 0 ? 0 : tp / (tp + (fps[k] as number)))),
    ],
    recalls: [0, ...tps.map((tp) => (positives === 0 ? 1 : tp / positives))],
  };
}

/** Area under the ROC curve by the trapezoidal rule (`roc_auc_score`); NaN with one class. */
export function rocAuc(
  actual: readonly number[],
  scores: readonly number[],
  indices: readonly number[],
): number {
  return aucFrom(rocFrom(cumulative(actual, scores, indices)));
}

/** Average precision, the step-wise area under the PR curve (`average_precision_score`). */
export function averagePrecision(
  actual: readonly number[],
  scores: readonly number[],
  indices: readonly number[],
): number {
  return averagePrecisionFrom(precisionRecallFrom(cumulative(actual, scores, indices)));
}

/** ROC AUC and average precision from one sort of the rows (the resampling loops call this). */
export function curveAreas(
  actual: readonly number[],
  scores: readonly number[],
  indices: readonly number[],
): { auc: number; averagePrecision: number } {
  const counts = cumulative(actual, scores, indices);
  return {
    auc: aucFrom(rocFrom(counts)),
    averagePrecision: averagePrecisionFrom(precisionRecallFrom(counts)),
  };
}

function aucFrom({ false_positive_rates: x, true_positive_rates: y }: RocCurve): number {
  let area = 0;
  for (let k = 1; k < x.length; k++)
    area += (((x[k] as number) - (x[k - 1] as number)) * ((y[k] as number) + (y[k - 1] as number))) / 2;
  return area;
}

function averagePrecisionFrom({ precisions, recalls }: PrecisionRecallCurve): number {
  let area = 0;
  for (let k = 1; k < recalls.length; k++)
    area += ((recalls[k] as number) - (recalls[k - 1] as number)) * (precisions[k] as number);
  return area;
}
