/**
 * SageMaker's `linear-learner`: a linear model (regressor, binary or multiclass classifier)
 * trained by mini-batch Adam on standardized features, with L2 (`wd`) and L1 (`l1`, a
 * proximal step) regularization and early stopping on the validation channel; exported as a
 * plain ONNX graph (Sub/Mul for the standardization, MatMul/Add, Sigmoid or Softmax, ArgMax).
 *
 * Written here rather than taken from a library: no maintained JavaScript package trains
 * regularized linear models and exposes their weights to export (ml.js's regressions are
 * unregularized closed forms, without classification), and the model is a few dozen lines.
 * SageMaker trains many models in parallel and keeps the best; this trains one, with the
 * hyperparameters' values (`auto` takes the defaults below).
 */

import { ANSWER_FORMAT_KEY, answerFormatValue } from '../inference/built-in-answers.js';
import { ValidationException } from '../kernel/errors.js';
import type {
  BuiltInAlgorithm,
  Dataset,
  TrainedModel,
  TrainingMetric,
  TrainingProgress,
} from './algorithm.js';
import {
  boolParam,
  checkKnown,
  enumParam,
  type HyperParameters,
  intParam,
  numberParam,
} from './hyperparameters.js';
import { accuracy, meanAbsoluteError, meanSquaredError, rocAuc } from './metrics.js';
import {
  attribute,
  DEFAULT_OPSET,
  ElementType,
  encodeModel,
  floatTensor,
  ML_OPSET,
  node,
  tensorInfo,
} from './onnx-writer.js';

const PREDICTOR_TYPES = ['regressor', 'binary_classifier', 'multiclass_classifier'] as const;
type PredictorType = (typeof PREDICTOR_TYPES)[number];

const KNOWN = [
  'predictor_type',
  'num_classes',
  'feature_dim',
  'epochs',
  'mini_batch_size',
  'learning_rate',
  'l1',
  'wd',
  'normalize_data',
  'normalize_label',
  'use_bias',
  'early_stopping_patience',
  'early_stopping_tolerance',
  'beta_1',
  'beta_2',
] as const;

export interface LinearSettings {
  readonly predictorType: PredictorType;
  /** 1 for a regressor or a binary classifier; num_classes for multiclass. */
  readonly outputs: number;
  readonly epochs: number;
  readonly miniBatchSize: number;
  readonly learningRate: number;
  readonly l1: number;
  readonly wd: number;
  readonly normalizeData: boolean;
  readonly normalizeLabel: boolean;
  readonly useBias: boolean;
  readonly patience: number;
  readonly tolerance: number;
  readonly beta1: number;
  readonly beta2: number;
}

/** The hyperparameters, checked; SageMaker's defaults where absent or `auto`. */
export function linearSettings(hp: HyperParameters): LinearSettings {
  checkKnown(hp, 'linear-learner', KNOWN);
  const predictorType = enumParam(hp, 'predictor_type', PREDICTOR_TYPES);
  if (!predictorType) {
    throw new ValidationException(
      `linear-learner needs the hyperparameter predictor_type: one of ${PREDICTOR_TYPES.join(', ')}.`,
    );
  }
  const multiclass = predictorType === 'multiclass_classifier';
  if (multiclass && hp.num_classes === undefined) {
    throw new ValidationException(
      'predictor_type=multiclass_classifier needs the hyperparameter num_classes (3 to 1000000).',
    );
  }
  if (!multiclass && hp.num_classes !== undefined) {
    throw new ValidationException(
      `num_classes applies only to predictor_type=multiclass_classifier, not ${predictorType}.`,
    );
  }
  intParam(hp, 'feature_dim', 0, 1, 10_000_000);
  return {
    predictorType,
    outputs: multiclass ? intParam(hp, 'num_classes', 3, 3, 1_000_000) : 1,
    epochs: intParam(hp, 'epochs', 15, 1, 1_000_000),
    miniBatchSize: intParam(hp, 'mini_batch_size', 1000, 1, 10_000_000),
    learningRate: numberParam(hp, 'learning_rate', 0.01, { min: 0, max: 1e6, exclusiveMin: true }),
    l1: numberParam(hp, 'l1', 0, { min: 0, max: 1e6 }),
    wd: numberParam(hp, 'wd', 0, { min: 0, max: 1e6 }),
    normalizeData: boolParam(hp, 'normalize_data', true),
    normalizeLabel: boolParam(hp, 'normalize_label', predictorType === 'regressor'),
    useBias: boolParam(hp, 'use_bias', true),
    patience: intParam(hp, 'early_stopping_patience', 3, 1, 1_000_000),
    tolerance: numberParam(hp, 'early_stopping_tolerance', 0.001, { min: 0, max: 1, exclusiveMin: true }),
    beta1: numberParam(hp, 'beta_1', 0.9, { min: 0, max: 1 }),
    beta2: numberParam(hp, 'beta_2', 0.999, { min: 0, max: 1 }),
  };
}

/** A trained linear model in the units of the raw features: `z = ((x - mean) * scale) · W + b`. */
export interface LinearModel {
  readonly predictorType: PredictorType;
  readonly columns: number;
  readonly outputs: number;
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** `weights[column * outputs + output]`, with the label's de-standardization folded in. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
}

/** The model's predictions in float64: a regressor's values, or each row's class scores (probabilities). */
export function predictLinear(
  model: LinearModel,
  data: Dataset,
): { values: Float64Array; labels?: Int32Array } {
  const { columns, outputs, mean, scale, weights, bias } = model;
  const z = new Float64Array(data.rows * outputs);
  for (let r = 0; r < data.rows; r++) {
    for (let k = 0; k < outputs; k++) z[r * outputs + k] = bias[k] as number;
    for (let c = 0; c < columns; c++) {
      const x = ((data.features[r * columns + c] as number) - (mean[c] as number)) * (scale[c] as number);
      for (let k = 0; k < outputs; k++)
        z[r * outputs + k] = (z[r * outputs + k] as number) + x * (weights[c * outputs + k] as number);
    }
  }
  if (model.predictorType === 'regressor') return { values: z };
  if (model.predictorType === 'binary_classifier') {
    const labels = new Int32Array(data.rows);
    const probabilities = new Float64Array(data.rows * 2);
    for (let r = 0; r < data.rows; r++) {
      const p = sigmoid(z[r] as number);
      probabilities[2 * r] = 1 - p;
      probabilities[2 * r + 1] = p;
      labels[r] = p > 1 - p ? 1 : 0;
    }
    return { values: probabilities, labels };
  }
  const labels = new Int32Array(data.rows);
  for (let r = 0; r < data.rows; r++) {
    softmaxInPlace(z, r * outputs, outputs);
    let best = 0;
    for (let k = 1; k < outputs; k++)
      if ((z[r * outputs + k] as number) > (z[r * outputs + best] as number)) best = k;
    labels[r] = best;
  }
  return { values: z, labels };
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function softmaxInPlace(z: Float64Array, offset: number, k: number): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < k; j++) max = Math.max(max, z[offset + j] as number);
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const e = Math.exp((z[offset + j] as number) - max);
    z[offset + j] = e;
    sum += e;
  }
  for (let j = 0; j < k; j++) z[offset + j] = (z[offset + j] as number) / sum;
}

function checkLabels(settings: LinearSettings, data: Dataset, channel: string, columns: number): void {
  if (data.columns !== columns) {
    throw new ValidationException(
      `The ${channel} channel has ${data.columns} feature columns, the train channel ${columns}.`,
    );
  }
  for (let i = 0; i < data.features.length; i++) {
    if (Number.isNaN(data.features[i])) {
      throw new ValidationException(
        `linear-learner takes no missing values: the ${channel} channel's row ${Math.floor(i / columns) + 1} has none in feature column ${(i % columns) + 1}.`,
      );
    }
  }
  const classes = settings.predictorType === 'binary_classifier' ? 2 : settings.outputs;
  if (settings.predictorType === 'regressor') return;
  for (let r = 0; r < data.rows; r++) {
    const y = data.labels[r] as number;
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new ValidationException(
        `predictor_type=${settings.predictorType} needs labels 0${classes === 2 ? ' or 1' : ` to ${classes - 1}`}: the ${channel} channel's row ${r + 1} has ${y}.`,
      );
    }
  }
}

/** A deterministic PRNG (mulberry32) for the epoch shuffles: a job trains the same model twice. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Yields to the event loop between epochs, so the job's progress writes and stop checks run. */
const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Trains the model. The loss per row is half the squared error (regressor, on the
 * standardized label when normalize_label), the log loss (binary) or the cross-entropy
 * (multiclass), averaged, plus `wd/2 · ‖W‖²` and `l1 · ‖W‖₁`: scikit-learn's Ridge with
 * `alpha = rows · wd`, or LogisticRegression with `C = 1 / (rows · wd)`, minimize the same.
 */
export async function trainLinear(
  settings: LinearSettings,
  train: Dataset,
  validation: Dataset | undefined,
  progress: TrainingProgress,
): Promise<{ model: LinearModel; metrics: TrainingMetric[]; epochs: number }> {
  const { rows, columns } = train;
  if (rows === 0) throw new ValidationException('The train channel has no rows.');
  checkLabels(settings, train, 'train', columns);
  if (validation) checkLabels(settings, validation, 'validation', columns);
  const K = settings.outputs;
  const mean = new Float64Array(columns);
  const scale = new Float64Array(columns).fill(1);
  if (settings.normalizeData) {
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < columns; c++)
        mean[c] = (mean[c] as number) + (train.features[r * columns + c] as number) / rows;
    const variance = new Float64Array(columns);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++)
        variance[c] =
          (variance[c] as number) +
          ((train.features[r * columns + c] as number) - (mean[c] as number)) ** 2 / rows;
    }
    for (let c = 0; c < columns; c++)
      scale[c] = (variance[c] as number) > 0 ? 1 / Math.sqrt(variance[c] as number) : 1;
  }
  let labelMean = 0;
  let labelScale = 1;
  if (settings.predictorType === 'regressor' && settings.normalizeLabel) {
    for (let r = 0; r < rows; r++) labelMean += (train.labels[r] as number) / rows;
    let v = 0;
    for (let r = 0; r < rows; r++) v += ((train.labels[r] as number) - labelMean) ** 2 / rows;
    labelScale = v > 0 ? Math.sqrt(v) : 1;
  }
  const x = new Float64Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++)
      x[r * columns + c] =
        ((train.features[r * columns + c] as number) - (mean[c] as number)) * (scale[c] as number);
  }
  const P = columns * K;
  const w = new Float64Array(P);
  const b = new Float64Array(K);
  const m = new Float64Array(P + K);
  const v = new Float64Array(P + K);
  const gw = new Float64Array(P);
  const gb = new Float64Array(K);
  const dz = new Float64Array(K);
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const next = random(0x5eed);
  const batch = Math.min(settings.miniBatchSize, rows);
  const { learningRate: lr, beta1, beta2, wd, l1 } = settings;
  let step = 0;

  const snapshot = (): LinearModel => {
    // The label's standardization folded into the weights: the graph answers in label units.
    const weights = Float64Array.from(w, (value) => value * labelScale);
    const bias = Float64Array.from(b, (value) => value * labelScale + labelMean);
    return { predictorType: settings.predictorType, columns, outputs: K, mean, scale, weights, bias };
  };
  const evaluate = (model: LinearModel, data: Dataset, channel: string): TrainingMetric[] =>
    metricsOf(settings, model, data, channel, labelScale);

  let best: { model: LinearModel; loss: number; epoch: number } | undefined;
  let epochsRun = 0;
  let sinceBest = 0;
  for (let epoch = 0; epoch < settings.epochs; epoch++) {
    if (progress.stopRequested()) break;
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      const t = order[i] as number;
      order[i] = order[j] as number;
      order[j] = t;
    }
    for (let start = 0; start < rows; start += batch) {
      const end = Math.min(rows, start + batch);
      gw.fill(0);
      gb.fill(0);
      for (let q = start; q < end; q++) {
        const r = order[q] as number;
        const row = r * columns;
        for (let k = 0; k < K; k++) dz[k] = settings.useBias ? (b[k] as number) : 0;
        for (let c = 0; c < columns; c++) {
          const xc = x[row + c] as number;
          for (let k = 0; k < K; k++) dz[k] = (dz[k] as number) + xc * (w[c * K + k] as number);
        }
        const y = train.labels[r] as number;
        if (settings.predictorType === 'regressor') dz[0] = (dz[0] as number) - (y - labelMean) / labelScale;
        else if (settings.predictorType === 'binary_classifier') dz[0] = sigmoid(dz[0] as number) - y;
        else {
          softmaxInPlace(dz, 0, K);
          dz[y] = (dz[y] as number) - 1;
        }
        for (let c = 0; c < columns; c++) {
          const xc = x[row + c] as number;
          for (let k = 0; k < K; k++) gw[c * K + k] = (gw[c * K + k] as number) + xc * (dz[k] as number);
        }
        for (let k = 0; k < K; k++) gb[k] = (gb[k] as number) + (dz[k] as number);
      }
      const n = end - start;
      step++;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      for (let p = 0; p < P + K; p++) {
        const isBias = p >= P;
        if (isBias && !settings.useBias) continue;
        const value = isBias ? (b[p - P] as number) : (w[p] as number);
        const g = isBias ? (gb[p - P] as number) / n : (gw[p] as number) / n + wd * value;
        m[p] = beta1 * (m[p] as number) + (1 - beta1) * g;
        v[p] = beta2 * (v[p] as number) + (1 - beta2) * g * g;
        let updated = value - (lr * ((m[p] as number) / c1)) / (Math.sqrt((v[p] as number) / c2) + 1e-8);
        if (!isBias && l1 > 0) updated = Math.sign(updated) * Math.max(0, Math.abs(updated) - lr * l1);
        if (isBias) b[p - P] = updated;
        else w[p] = updated;
      }
    }
    epochsRun = epoch + 1;
    const model = snapshot();
    const metrics = evaluate(model, train, 'train');
    if (validation) {
      const validationMetrics = evaluate(model, validation, 'validation');
      metrics.push(...validationMetrics);
      const loss = validationMetrics.find((mt) => mt.MetricName === 'validation:objective_loss')?.Value ?? 0;
      if (!best || loss < best.loss * (1 - settings.tolerance)) {
        best = { model, loss, epoch: epochsRun };
        sinceBest = 0;
      } else if (++sinceBest >= settings.patience) {
        progress.iteration(epoch, metrics);
        break;
      }
    } else {
      best = { model, loss: 0, epoch: epochsRun };
    }
    progress.iteration(epoch, metrics);
    await pause();
  }
  const model = best?.model ?? snapshot();
  const metrics = [
    ...evaluate(model, train, 'train'),
    ...(validation ? evaluate(model, validation, 'validation') : []),
  ];
  return { model, metrics, epochs: epochsRun };
}

function metricsOf(
  settings: LinearSettings,
  model: LinearModel,
  data: Dataset,
  channel: string,
  labelScale: number,
): TrainingMetric[] {
  const metric = (name: string, value: number): TrainingMetric => ({
    MetricName: `${channel}:${name}`,
    Value: value,
  });
  const { values, labels } = predictLinear(model, data);
  if (settings.predictorType === 'regressor') {
    const mse = meanSquaredError(data.labels, values);
    return [
      metric('objective_loss', mse / 2 / labelScale ** 2),
      metric('mse', mse),
      metric('rmse', Math.sqrt(mse)),
      metric('absolute_loss', meanAbsoluteError(data.labels, values)),
    ];
  }
  const K = settings.predictorType === 'binary_classifier' ? 2 : settings.outputs;
  let logLoss = 0;
  for (let r = 0; r < data.rows; r++) {
    logLoss -= Math.log(Math.max(values[r * K + (data.labels[r] as number)] as number, 1e-15)) / data.rows;
  }
  const predicted = labels ?? new Int32Array();
  if (settings.predictorType === 'binary_classifier') {
    const scores = Float64Array.from({ length: data.rows }, (_, r) => values[2 * r + 1] as number);
    const auc = rocAuc(data.labels, scores);
    return [
      metric('objective_loss', logLoss),
      metric('binary_classification_accuracy', accuracy(data.labels, predicted)),
      ...(Number.isNaN(auc) ? [] : [metric('roc_auc_score', auc)]),
    ];
  }
  return [metric('objective_loss', logLoss), metric('multiclass_accuracy', accuracy(data.labels, predicted))];
}

/**
 * The ONNX graph: input `features` float [N, columns]. A regressor answers `score` float [N, 1];
 * a classifier `label` int64 [N] and `probabilities` float [N, classes] (the names and types the
 * shadow comparison reads a classifier from).
 */
export function linearOnnx(model: LinearModel): Uint8Array {
  const { columns, outputs: K } = model;
  const initializers = [
    floatTensor('mean', [columns], model.mean),
    floatTensor('scale', [columns], model.scale),
    floatTensor('weights', [columns, K], model.weights),
    floatTensor('bias', [K], model.bias),
  ];
  const nodes = [
    node('Sub', ['features', 'mean'], ['centered']),
    node('Mul', ['centered', 'scale'], ['standardized']),
    node('MatMul', ['standardized', 'weights'], ['product']),
  ];
  const classifier = model.predictorType !== 'regressor';
  nodes.push(node('Add', ['product', 'bias'], [classifier ? 'logits' : 'score']));
  if (model.predictorType === 'binary_classifier') {
    initializers.push(floatTensor('one', [1], [1]));
    nodes.push(
      node('Sigmoid', ['logits'], ['positive']),
      node('Sub', ['one', 'positive'], ['negative']),
      node('Concat', ['negative', 'positive'], ['probabilities'], [attribute('axis', 1, 'int')]),
    );
  } else if (model.predictorType === 'multiclass_classifier') {
    nodes.push(node('Softmax', ['logits'], ['probabilities'], [attribute('axis', 1, 'int')]));
  }
  if (classifier) {
    nodes.push(
      node(
        'ArgMax',
        ['probabilities'],
        ['label'],
        [attribute('axis', 1, 'int'), attribute('keepdims', 0, 'int')],
      ),
    );
  }
  const classes = model.predictorType === 'binary_classifier' ? 2 : K;
  return encodeModel({
    graphName: 'linear-learner',
    docString: `Understudy linear-learner, predictor_type=${model.predictorType}`,
    opsets: [DEFAULT_OPSET, ML_OPSET],
    nodes,
    initializers,
    inputs: [tensorInfo('features', ElementType.FLOAT, ['N', columns])],
    outputs: classifier
      ? [
          tensorInfo('label', ElementType.INT64, ['N']),
          tensorInfo('probabilities', ElementType.FLOAT, ['N', classes]),
        ]
      : [tensorInfo('score', ElementType.FLOAT, ['N', 1])],
    // The endpoint answers as SageMaker's linear-learner container does (inference/built-in-answers.ts).
    metadata: {
      [ANSWER_FORMAT_KEY]: answerFormatValue({ algorithm: 'linear-learner', variant: model.predictorType }),
    },
  });
}

export const linearLearner: BuiltInAlgorithm = {
  name: 'linear-learner',
  validate(hyperParameters) {
    linearSettings(hyperParameters);
  },
  // bench/linear-learner.bench.ts: 113 ns per value per epoch (binary, 100,000 × 20, the epoch's
  // metrics included); each class's weights add as much again.
  cost(hyperParameters) {
    const settings = linearSettings(hyperParameters);
    return { iterations: settings.epochs, nanosecondsPerValue: 120 * settings.outputs };
  },
  async train(train, validation, hyperParameters, progress): Promise<TrainedModel> {
    const settings = linearSettings(hyperParameters);
    const { model, metrics, epochs } = await trainLinear(settings, train, validation, progress);
    return { onnx: linearOnnx(model), metrics, iterations: epochs };
  },
};
