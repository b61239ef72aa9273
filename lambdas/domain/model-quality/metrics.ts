/**
 * Model-quality metrics in SageMaker's statistics.json layout ("Model quality metrics and Amazon
 * CloudWatch monitoring"): `binary_classification_metrics`, `multiclass_classification_metrics`
 * or `regression_metrics`, each metric `{value, standard_deviation}` — plus Understudy's
 * `confidence_interval` beside them. Conventions follow scikit-learn (an undefined precision,
 * recall or F-score is 0) and SageMaker's examples: the confusion matrix is keyed by the true
 * label, then the predicted one; the best constant binary classifier always predicts 1, the
 * multiclass one the most frequent true label; TNR is 1 − FPR and FNR is 1 − TPR.
 */
import {
  curveAreas,
  type PrecisionRecallCurve,
  precisionRecallCurve,
  type RocCurve,
  rocAuc,
  rocCurve,
} from './curves.js';
import {
  bootstrapIntervals,
  type ConfidenceInterval,
  DEFAULT_BOOTSTRAP_RESAMPLES,
  DEFAULT_SEED,
  proportionInterval,
  type Sampler,
  type Scorer,
  seededSampler,
  standardDeviationSubsamples,
  standardDeviations,
} from './resampling.js';

export type ProblemType = 'BinaryClassification' | 'MulticlassClassification' | 'Regression';

/** One metric as statistics.json holds it. */
export interface Metric {
  readonly value: number | 'NaN';
  readonly standard_deviation: number | 'NaN';
  readonly confidence_interval: ConfidenceInterval;
}

/** `{true label: {predicted label: count}}`. */
export type ConfusionMatrix = Record<string, Record<string, number>>;

export interface MetricOptions {
  /** Seed of the subsamples and resamples; the same inputs and seed give the same file. */
  readonly seed?: number;
  readonly confidenceLevel?: number;
  readonly bootstrapResamples?: number;
  /** The standard deviation's subsamples, given instead of drawn (tests compare with numpy's). */
  readonly subsamples?: readonly (readonly number[])[];
}

export const BINARY_METRICS = [
  'accuracy',
  'precision',
  'recall',
  'f0_5',
  'f1',
  'f2',
  'true_positive_rate',
  'true_negative_rate',
  'false_positive_rate',
  'false_negative_rate',
  'auc',
  'au_prc',
  'accuracy_best_constant_classifier',
  'precision_best_constant_classifier',
  'recall_best_constant_classifier',
  'f0_5_best_constant_classifier',
  'f1_best_constant_classifier',
  'f2_best_constant_classifier',
] as const;
export type BinaryMetricName = (typeof BINARY_METRICS)[number];

export const MULTICLASS_METRICS = [
  'accuracy',
  'weighted_recall',
  'weighted_precision',
  'weighted_f0_5',
  'weighted_f1',
  'weighted_f2',
  'accuracy_best_constant_classifier',
  'weighted_recall_best_constant_classifier',
  'weighted_precision_best_constant_classifier',
  'weighted_f0_5_best_constant_classifier',
  'weighted_f1_best_constant_classifier',
  'weighted_f2_best_constant_classifier',
] as const;
export type MulticlassMetricName = (typeof MULTICLASS_METRICS)[number];

export const REGRESSION_METRICS = ['mae', 'mse', 'rmse', 'r2'] as const;
export type RegressionMetricName = (typeof REGRESSION_METRICS)[number];

export type BinaryClassificationMetrics = Record<BinaryMetricName, Metric> & {
  readonly confusion_matrix: ConfusionMatrix;
  readonly receiver_operating_characteristic_curve: RocCurve;
  readonly precision_recall_curve: PrecisionRecallCurve;
};
export type MulticlassClassificationMetrics = Record<MulticlassMetricName, Metric> & {
  readonly confusion_matrix: ConfusionMatrix;
  /** Understudy's addition when class probabilities are known: one-vs-rest AUC, weighted by support. */
  readonly weighted_auc?: Metric;
};
export type RegressionMetrics = Record<RegressionMetricName, Metric>;

/** Labelled binary predictions: labels 0 or 1, and the score behind each prediction if known. */
export interface BinaryData {
  readonly actual: readonly number[];
  readonly predicted: readonly number[];
  /** The positive class's probability; without it the predicted label is the score. */
  readonly probability?: readonly number[];
}

export interface MulticlassData {
  readonly actual: readonly string[];
  readonly predicted: readonly string[];
  /** Per-row probabilities of `classes`, in that order. */
  readonly probabilities?: {
    readonly classes: readonly string[];
    readonly rows: readonly (readonly number[])[];
  };
}

export interface RegressionData {
  readonly actual: readonly number[];
  readonly predicted: readonly number[];
}

/** F-beta from counts, 0 when undefined (scikit-learn's `zero_division=0`). */
function fBeta(tp: number, fp: number, fn: number, beta: number): number {
  const b2 = beta * beta;
  const denominator = (1 + b2) * tp + b2 * fn + fp;
  return denominator === 0 ? 0 : ((1 + b2) * tp) / denominator;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

export function binaryClassificationMetrics(
  data: BinaryData,
  options: MetricOptions = {},
): BinaryClassificationMetrics {
  const { actual, predicted } = data;
  checkLengths(actual.length, predicted.length, data.probability?.length);
  for (const [what, values] of [
    ['true label', actual],
    ['predicted label', predicted],
  ] as const) {
    const bad = values.find((v) => v !== 0 && v !== 1);
    if (bad !== undefined) throw new RangeError(`a binary ${what} must be 0 or 1; got ${bad}`);
  }
  const scores = data.probability ?? predicted;
  const counts = (indices: readonly number[]) => {
    let tp = 0;
    let fp = 0;
    let tn = 0;
    let fn = 0;
    for (const i of indices) {
      const a = actual[i];
      const p = predicted[i];
      if (a === 1) p === 1 ? tp++ : fn++;
      else p === 1 ? fp++ : tn++;
    }
    return { tp, fp, tn, fn };
  };
  const scorer: Scorer<BinaryMetricName> = (indices) => {
    const { tp, fp, tn, fn } = counts(indices);
    const areas = curveAreas(actual, scores, indices);
    const n = indices.length;
    const positives = tp + fn;
    const fpr = ratio(fp, fp + tn);
    const tpr = ratio(tp, positives);
    // Always predicting 1: every positive found, every negative a false positive.
    const constant = { tp: positives, fp: n - positives, fn: 0 };
    return {
      accuracy: ratio(tp + tn, n),
      precision: ratio(tp, tp + fp),
      recall: tpr,
      f0_5: fBeta(tp, fp, fn, 0.5),
      f1: fBeta(tp, fp, fn, 1),
      f2: fBeta(tp, fp, fn, 2),
      true_positive_rate: tpr,
      true_negative_rate: 1 - fpr,
      false_positive_rate: fpr,
      false_negative_rate: 1 - tpr,
      auc: areas.auc,
      au_prc: areas.averagePrecision,
      accuracy_best_constant_classifier: ratio(positives, n),
      precision_best_constant_classifier: ratio(positives, n),
      recall_best_constant_classifier: ratio(positives, positives),
      f0_5_best_constant_classifier: fBeta(constant.tp, constant.fp, constant.fn, 0.5),
      f1_best_constant_classifier: fBeta(constant.tp, constant.fp, constant.fn, 1),
      f2_best_constant_classifier: fBeta(constant.tp, constant.fp, constant.fn, 2),
    };
  };
  const all = range(actual.length);
  const { tp, fp, tn, fn } = counts(all);
  const n = actual.length;
  const positives = tp + fn;
  const proportions: Partial<Record<BinaryMetricName, readonly [number, number]>> = {
    accuracy: [tp + tn, n],
    precision: [tp, tp + fp],
    recall: [tp, positives],
    true_positive_rate: [tp, positives],
    true_negative_rate: [tn, tn + fp],
    false_positive_rate: [fp, tn + fp],
    false_negative_rate: [fn, positives],
    accuracy_best_constant_classifier: [positives, n],
    precision_best_constant_classifier: [positives, n],
    recall_best_constant_classifier: [positives, positives],
  };
  return {
    confusion_matrix: { '0': { '0': tn, '1': fp }, '1': { '0': fn, '1': tp } },
    ...evaluate(BINARY_METRICS, scorer, n, proportions, options),
    receiver_operating_characteristic_curve: rocCurve(actual, scores, all),
    precision_recall_curve: precisionRecallCurve(actual, scores, all),
  };
}

export function multiclassClassificationMetrics(
  data: MulticlassData,
  options: MetricOptions = {},
): MulticlassClassificationMetrics {
  const { actual, predicted, probabilities } = data;
  checkLengths(actual.length, predicted.length, probabilities?.rows.length);
  const classes = [...new Set([...actual, ...predicted])].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const truth = actual.map((c) => index.get(c) as number);
  const guess = predicted.map((c) => index.get(c) as number);
  const k = classes.length;
  const scorer: Scorer<MulticlassMetricName> = (indices) => {
    const support = new Array<number>(k).fill(0);
    const hits = new Array<number>(k).fill(0);
    const said = new Array<number>(k).fill(0);
    for (const i of indices) {
      const t = truth[i] as number;
      const g = guess[i] as number;
      support[t] = (support[t] as number) + 1;
      said[g] = (said[g] as number) + 1;
      if (t === g) hits[t] = (hits[t] as number) + 1;
    }
    const n = indices.length;
    const weighted = (f: (c: number) => number) => {
      let s = 0;
      for (let c = 0; c < k; c++) s += (support[c] as number) * f(c);
      return ratio(s, n);
    };
    const f = (beta: number) => (c: number) =>
      fBeta(
        hits[c] as number,
        (said[c] as number) - (hits[c] as number),
        (support[c] as number) - (hits[c] as number),
        beta,
      );
    // The most frequent true label, the first in sorted order on a tie (numpy's argmax).
    let majority = 0;
    for (let c = 1; c < k; c++) if ((support[c] as number) > (support[majority] as number)) majority = c;
    const share = ratio(support[majority] as number, n);
    // Always predicting the majority class: only that class has precision (its share) and
    // recall (1), so each weighted score is the share times that class's score.
    const constantF = (beta: number) =>
      share * fBeta(support[majority] as number, n - (support[majority] as number), 0, beta);
    const accuracy = ratio(
      hits.reduce((a, b) => a + b, 0),
      n,
    );
    return {
      accuracy,
      weighted_recall: weighted((c) => ratio(hits[c] as number, support[c] as number)),
      weighted_precision: weighted((c) => ratio(hits[c] as number, said[c] as number)),
      weighted_f0_5: weighted(f(0.5)),
      weighted_f1: weighted(f(1)),
      weighted_f2: weighted(f(2)),
      accuracy_best_constant_classifier: share,
      weighted_recall_best_constant_classifier: share,
      weighted_precision_best_constant_classifier: share * share,
      weighted_f0_5_best_constant_classifier: constantF(0.5),
      weighted_f1_best_constant_classifier: constantF(1),
      weighted_f2_best_constant_classifier: constantF(2),
    };
  };
  const n = actual.length;
  const matrix: ConfusionMatrix = {};
  for (const a of classes) matrix[a] = Object.fromEntries(classes.map((p) => [p, 0]));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const row = matrix[actual[i] as string] as Record<string, number>;
    row[predicted[i] as string] = (row[predicted[i] as string] as number) + 1;
    if (actual[i] === predicted[i]) correct++;
  }
  const majorityCount = Math.max(0, ...classes.map((c) => actual.filter((a) => a === c).length));
  const proportions: Partial<Record<MulticlassMetricName, readonly [number, number]>> = {
    accuracy: [correct, n],
    // Weighted recall is accuracy: Σ (support/n)·(hits/support) = hits/n.
    weighted_recall: [correct, n],
    accuracy_best_constant_classifier: [majorityCount, n],
    weighted_recall_best_constant_classifier: [majorityCount, n],
  };
  const metrics = evaluate(MULTICLASS_METRICS, scorer, n, proportions, options);
  if (!probabilities) return { confusion_matrix: matrix, ...metrics };
  return { confusion_matrix: matrix, ...metrics, weighted_auc: weightedAuc(actual, probabilities, options) };
}

/** One-vs-rest AUC per class of the probability columns, weighted by each class's support. */
function weightedAuc(
  actual: readonly string[],
  probabilities: NonNullable<MulticlassData['probabilities']>,
  options: MetricOptions,
): Metric {
  const { classes, rows } = probabilities;
  for (const row of rows)
    if (row.length !== classes.length)
      throw new RangeError(`each probability row needs ${classes.length} values; got ${row.length}`);
  const known = new Set(classes);
  const stray = actual.find((a) => !known.has(a));
  if (stray !== undefined) throw new RangeError(`true label ${stray} has no probability column`);
  const columns = classes.map((c, j) => ({
    actual: actual.map((a) => (a === c ? 1 : 0)),
    scores: rows.map((r) => r[j] as number),
  }));
  const scorer: Scorer<'weighted_auc'> = (indices) => {
    let sum = 0;
    for (const col of columns) {
      let support = 0;
      for (const i of indices) support += col.actual[i] as number;
      if (support > 0) sum += support * rocAuc(col.actual, col.scores, indices);
    }
    return { weighted_auc: ratio(sum, indices.length) };
  };
  return evaluate(['weighted_auc'], scorer, actual.length, {}, options).weighted_auc;
}

export function regressionMetrics(data: RegressionData, options: MetricOptions = {}): RegressionMetrics {
  const { actual, predicted } = data;
  checkLengths(actual.length, predicted.length);
  const bad = [...actual, ...predicted].find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new RangeError(`regression values must be finite numbers; got ${bad}`);
  const scorer: Scorer<RegressionMetricName> = (indices) => {
    const n = indices.length;
    let absolute = 0;
    let squared = 0;
    let sum = 0;
    for (const i of indices) {
      const e = (actual[i] as number) - (predicted[i] as number);
      absolute += Math.abs(e);
      squared += e * e;
      sum += actual[i] as number;
    }
    const mean = sum / n;
    let total = 0;
    for (const i of indices) total += ((actual[i] as number) - mean) ** 2;
    const mse = squared / n;
    // scikit-learn's r2_score: 1 for a perfect fit of constant truth, 0 for an imperfect one.
    const r2 = total === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / total;
    return { mae: absolute / n, mse, rmse: Math.sqrt(mse), r2 };
  };
  return evaluate(REGRESSION_METRICS, scorer, actual.length, {}, options);
}

/**
 * Each metric's value on all rows, SageMaker's standard deviation and the confidence interval:
 * Wilson for the metrics listed in `proportions` (successes, trials), bootstrap for the rest.
 */
function evaluate<M extends string>(
  metrics: readonly M[],
  scorer: Scorer<M>,
  n: number,
  proportions: Partial<Record<M, readonly [number, number]>>,
  options: MetricOptions,
): Record<M, Metric> {
  if (n === 0) throw new RangeError('model-quality metrics need at least one labelled prediction');
  const level = options.confidenceLevel ?? 0.95;
  const sampler: Sampler = seededSampler(options.seed ?? DEFAULT_SEED);
  const subsamples = options.subsamples ?? standardDeviationSubsamples(n, sampler);
  const values = scorer(range(n));
  const deviations = standardDeviations(metrics, scorer, subsamples);
  const others = metrics.filter((m) => proportions[m] === undefined);
  const resamples =
    others.length === 0
      ? []
      : Array.from({ length: options.bootstrapResamples ?? DEFAULT_BOOTSTRAP_RESAMPLES }, () =>
          sampler.withReplacement(n),
        );
  const intervals = bootstrapIntervals(others, scorer, resamples, level);
  const out = {} as Record<M, Metric>;
  for (const m of metrics) {
    const counts = proportions[m];
    out[m] = {
      value: Number.isFinite(values[m]) ? values[m] : 'NaN',
      standard_deviation: deviations[m],
      confidence_interval: counts ? proportionInterval(counts[0], counts[1], level) : intervals[m],
    };
  }
  return out;
}

function checkLengths(actual: number, predicted: number, scores?: number): void {
  if (actual !== predicted || (scores !== undefined && scores !== actual))
    throw new RangeError(
      `true labels, predictions${scores === undefined ? '' : ' and scores'} must pair up; got ${actual}, ${predicted}${scores === undefined ? '' : `, ${scores}`}`,
    );
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Labelled predictions of one problem type, as the analyzer or a monitoring execution joins them. */
export type LabelledPredictions =
  | ({ readonly problemType: 'BinaryClassification' } & BinaryData)
  | ({ readonly problemType: 'MulticlassClassification' } & MulticlassData)
  | ({ readonly problemType: 'Regression' } & RegressionData);

/** SageMaker's model-quality statistics.json. */
export interface ModelQualityStatistics {
  readonly version: 0;
  readonly dataset: { readonly item_count: number };
  readonly binary_classification_metrics?: BinaryClassificationMetrics;
  readonly multiclass_classification_metrics?: MulticlassClassificationMetrics;
  readonly regression_metrics?: RegressionMetrics;
}

/** The whole statistics.json for labelled predictions of one problem type. */
export function modelQualityStatistics(
  data: LabelledPredictions,
  options: MetricOptions = {},
): ModelQualityStatistics {
  const dataset = { item_count: data.actual.length };
  switch (data.problemType) {
    case 'BinaryClassification':
      return {
        version: 0,
        dataset,
        binary_classification_metrics: binaryClassificationMetrics(data, options),
      };
    case 'MulticlassClassification':
      return {
        version: 0,
        dataset,
        multiclass_classification_metrics: multiclassClassificationMetrics(data, options),
      };
    case 'Regression':
      return { version: 0, dataset, regression_metrics: regressionMetrics(data, options) };
  }
}
