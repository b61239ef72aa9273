/**
 * The `xgboost` algorithm's reference fixtures, made by XGBoost and LightGBM in
 * scripts/fixtures/gbdt-reference.py: datasets as SageMaker CSV (label first), XGBoost's own
 * trees with its predictions, and both libraries' validation metrics.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../../lambdas/domain/training/algorithm.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'gbdt');

export interface XGBoostTreesFixture {
  readonly trees: readonly {
    left: number[];
    right: number[];
    feature: number[];
    split_conditions: number[];
    default_left: boolean[];
  }[];
  readonly tree_info: readonly number[];
  readonly base_score: number | number[];
  readonly columns: number;
  readonly inputs: readonly (number | null)[][];
  /** XGBoost's predict: one value per row, or class probabilities per row for multi:softprob. */
  readonly predictions: readonly (number | number[])[];
  readonly margins: readonly (number | number[])[];
}

export const xgboostTrees = JSON.parse(readFileSync(path.join(DIR, 'xgboost-trees.json'), 'utf8')) as {
  models: Record<'reg:squarederror' | 'binary:logistic' | 'multi:softprob', XGBoostTreesFixture>;
};

/** XGBoost trained on rows whose every distinct value is a cut, with its predictions on them. */
export const xgboostTraining = JSON.parse(readFileSync(path.join(DIR, 'xgboost-training.json'), 'utf8')) as {
  hyperparameters: Record<string, number>;
  models: Record<
    'reg:squarederror' | 'binary:logistic',
    { inputs: (number | null)[][]; labels: number[]; predictions: number[] }
  >;
};

export interface ReferenceMetrics {
  readonly accuracy?: number;
  readonly auc?: number;
  readonly r2?: number;
}

export const reference = JSON.parse(readFileSync(path.join(DIR, 'reference.json'), 'utf8')) as {
  train_fraction: number;
  datasets: Record<
    string,
    {
      settings: Record<string, string | number>;
      xgboost: ReferenceMetrics;
      lightgbm: ReferenceMetrics;
    }
  >;
};

/** A SageMaker CSV (no header, label first; `nan` for a missing cell) as a Dataset. */
export function parseCsv(text: string): Dataset {
  const lines = text.trim().split('\n');
  const columns = (lines[0]?.split(',').length ?? 1) - 1;
  const features = new Float64Array(lines.length * columns);
  const labels = new Float64Array(lines.length);
  lines.forEach((line, r) => {
    const cells = line.split(',').map(Number);
    labels[r] = cells[0] as number;
    for (let c = 0; c < columns; c++) features[r * columns + c] = cells[c + 1] as number;
  });
  return { rows: lines.length, columns, features, labels };
}

/** Rows [begin, end) of a dataset. */
export function sliceRows(data: Dataset, begin: number, end: number): Dataset {
  return {
    rows: end - begin,
    columns: data.columns,
    features: data.features.slice(begin * data.columns, end * data.columns),
    labels: data.labels.slice(begin, end),
  };
}

/** The fixture's train and validation split, as the reference script made it. */
export function referenceSplit(name: string): { train: Dataset; validation: Dataset } {
  const data = parseCsv(readFileSync(path.join(DIR, name), 'utf8'));
  const cut = Math.floor(reference.train_fraction * data.rows);
  return { train: sliceRows(data, 0, cut), validation: sliceRows(data, cut, data.rows) };
}

/** R² of predictions `p` for labels `y`, as scikit-learn's r2_score computes it. */
export function rSquared(y: Float64Array, p: Float64Array): number {
  let mean = 0;
  for (const v of y) mean += v / y.length;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    residual += ((y[i] as number) - (p[i] as number)) ** 2;
    total += ((y[i] as number) - mean) ** 2;
  }
  return 1 - residual / total;
}
