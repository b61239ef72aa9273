/**
 * The boosting loop: each round, gradients from the current margins, one tree per output group
 * on a row sample and a column sample, margins moved by the new trees; metrics on both
 * channels after each round, and early stopping on the validation channel's last metric.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { ValidationException } from '../../kernel/errors.js';
import type { Dataset, TrainingMetric, TrainingProgress } from '../algorithm.js';
import { type BinnedMatrix, binRows, findCuts } from './binning.js';
import type { Objective, XGBoostParams } from './hyperparameters.js';
import { evaluate, MAXIMIZED } from './metrics.js';
import { baseMargins, checkLabels, gradients, transform } from './objective.js';
import { type BinnedTree, leafOfCodes, leafOfValues, type Tree, TreeGrower } from './tree.js';

/** A trained model: trees summed per output group on top of a base margin. */
export interface Ensemble {
  readonly objective: Objective;
  readonly columns: number;
  /** Output groups: the class count for multi:softprob, else 1. */
  readonly groups: number;
  readonly baseMargin: readonly number[];
  readonly trees: readonly Tree[];
  /** The group each tree adds to. */
  readonly treeGroup: readonly number[];
}

export interface BoostResult {
  readonly ensemble: Ensemble;
  /** Rounds kept (the best one's, after early stopping). */
  readonly rounds: number;
  readonly metrics: readonly TrainingMetric[];
}

/** Raw margins (`rows × groups`) of raw features, compared in float32 as the ONNX model compares. */
export function predictMargins(ensemble: Ensemble, features: Float64Array, rows: number): Float64Array {
  const { groups, columns } = ensemble;
  const margins = new Float64Array(rows * groups);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < groups; k++) margins[r * groups + k] = ensemble.baseMargin[k] as number;
  ensemble.trees.forEach((tree, t) => {
    const k = ensemble.treeGroup[t] as number;
    for (let r = 0; r < rows; r++) {
      margins[r * groups + k] =
        (margins[r * groups + k] as number) +
        (tree.value[leafOfValues(tree, features, r * columns)] as number);
    }
  });
  return margins;
}

/** Predictions in the objective's output space: values, P(class 1), or class probabilities per row. */
export function predict(ensemble: Ensemble, features: Float64Array, rows: number): Float64Array {
  return transform(ensemble.objective, predictMargins(ensemble, features, rows), ensemble.groups);
}

/** A channel being evaluated as the model grows: its binned rows and running margins. */
interface Watched {
  readonly name: 'train' | 'validation';
  readonly data: Dataset;
  readonly binned: BinnedMatrix;
  readonly margins: Float64Array;
}

function addTree(w: Watched, tree: BinnedTree, group: number, groups: number): void {
  const { codes, columns, rows } = w.binned;
  for (let r = 0; r < rows; r++) {
    const i = r * groups + group;
    w.margins[i] = (w.margins[i] as number) + (tree.value[leafOfCodes(tree, codes, r * columns)] as number);
  }
}

function sampleColumns(rng: RandomGenerator, columns: number, fraction: number): Int32Array {
  const all = Int32Array.from({ length: columns }, (_, i) => i);
  if (fraction >= 1) return all;
  // XGBoost keeps max(1, floor(fraction × columns)) columns, drawn without replacement.
  const keep = Math.max(1, Math.floor(fraction * columns));
  for (let i = 0; i < keep; i++) {
    const j = i + Math.floor(uniformFloat64(rng) * (columns - i));
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.subarray(0, keep).sort();
}

export function boost(
  train: Dataset,
  validation: Dataset | undefined,
  params: XGBoostParams,
  progress: TrainingProgress,
): BoostResult {
  if (train.rows === 0) throw new ValidationException('The train channel has no rows');
  if (validation && validation.columns !== train.columns) {
    throw new ValidationException(
      `The validation channel has ${validation.columns} feature columns; the train channel has ${train.columns}`,
    );
  }
  if (params.earlyStoppingRounds !== undefined && !validation) {
    throw new ValidationException('Hyperparameter early_stopping_rounds needs a validation channel');
  }
  checkLabels(train.labels, params, 'train');
  if (validation) checkLabels(validation.labels, params, 'validation');

  const groups = params.numClass;
  const base = baseMargins(train.labels, params);
  const cuts = findCuts(train.features, train.rows, train.columns, params.maxBin);
  const watch = (name: Watched['name'], data: Dataset): Watched => {
    const margins = new Float64Array(data.rows * groups);
    for (let i = 0; i < margins.length; i++) margins[i] = base[i % groups] as number;
    return { name, data, binned: binRows(data.features, data.rows, data.columns, cuts), margins };
  };
  const watched = [watch('train', train), ...(validation ? [watch('validation', validation)] : [])];
  const trainWatch = watched[0] as Watched;

  const grad = Array.from({ length: groups }, () => new Float64Array(train.rows));
  const hess = Array.from({ length: groups }, () => new Float64Array(train.rows));
  const rows = new Uint32Array(train.rows);
  const grower = new TreeGrower(params, train.rows, cuts.totalSlots);
  const rng = xoroshiro128plus(params.seed);
  const trees: BinnedTree[] = [];
  const treeGroup: number[] = [];

  const stopMetric = params.evalMetrics[params.evalMetrics.length - 1];
  const maximize = stopMetric !== undefined && MAXIMIZED.has(stopMetric);
  let best = { round: -1, score: Number.NaN, metrics: [] as TrainingMetric[] };
  let last: TrainingMetric[] = [];

  for (let round = 0; round < params.numRound && !progress.stopRequested(); round++) {
    gradients(params.objective, trainWatch.margins, train.labels, grad, hess);
    let count = 0;
    for (let r = 0; r < train.rows; r++)
      if (params.subsample >= 1 || uniformFloat64(rng) < params.subsample) rows[count++] = r;
    for (let k = 0; k < groups; k++) {
      const features = sampleColumns(rng, train.columns, params.colsampleBytree);
      const tree = grower.grow(
        {
          matrix: trainWatch.binned,
          cuts,
          grad: grad[k] as Float64Array,
          hess: hess[k] as Float64Array,
          rows,
          features,
        },
        count,
      );
      trees.push(tree);
      treeGroup.push(k);
      if (count === train.rows) {
        // Every training row is in one of the leaves' ranges: no need to walk the tree for them.
        const ranges = grower.leafRanges;
        const margins = trainWatch.margins;
        for (let l = 0; l < ranges.length; l += 3) {
          const value = tree.value[ranges[l] as number] as number;
          for (let i = ranges[l + 1] as number; i < (ranges[l + 2] as number); i++) {
            const m = (rows[i] as number) * groups + k;
            margins[m] = (margins[m] as number) + value;
          }
        }
      }
      for (const w of watched) if (w !== trainWatch || count < train.rows) addTree(w, tree, k, groups);
    }

    const metrics: TrainingMetric[] = [];
    for (const w of watched) {
      const predictions = transform(params.objective, w.margins, groups);
      for (const metric of params.evalMetrics) {
        metrics.push({
          MetricName: `${w.name}:${metric}`,
          Value: evaluate(metric, predictions, w.data.labels, groups),
        });
      }
    }
    progress.iteration(round, metrics);
    last = metrics;

    // The score that decides: the validation channel's last metric, else the train channel's.
    const score = metrics[metrics.length - 1]?.Value ?? Number.NaN;
    const better = best.round < 0 || (maximize ? score > best.score : score < best.score);
    if (better) best = { round, score, metrics };
    if (params.earlyStoppingRounds !== undefined && round - best.round >= params.earlyStoppingRounds) break;
  }
  // Early stopping keeps the best round's trees, as XGBoost's EarlyStopping(save_best=True) does.
  const rounds = params.earlyStoppingRounds !== undefined ? best.round + 1 : trees.length / groups;
  return {
    ensemble: {
      objective: params.objective,
      columns: train.columns,
      groups,
      baseMargin: base,
      trees: trees.slice(0, rounds * groups),
      treeGroup: treeGroup.slice(0, rounds * groups),
    },
    rounds,
    metrics: params.earlyStoppingRounds !== undefined ? best.metrics : last,
  };
}
