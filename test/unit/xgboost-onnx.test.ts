import { describe, expect, it } from 'vitest';
import { OnnxModel } from '../../lambdas/domain/inference/onnx-model.js';
import type { Dataset } from '../../lambdas/domain/training/algorithm.js';
import { boost, type Ensemble, predict } from '../../lambdas/domain/training/xgboost/booster.js';
import { type Objective, parseXGBoostParams } from '../../lambdas/domain/training/xgboost/hyperparameters.js';
import { exportOnnx } from '../../lambdas/domain/training/xgboost/onnx-export.js';
import { xgboostTrees } from '../support/gbdt-fixtures.js';
import { SeededRandom } from '../support/seeded-random.js';

const NO_STOP = { iteration: () => {}, stopRequested: () => false };

/** onnxruntime's outputs by name, as plain numbers. */
async function runOnnx(bytes: Uint8Array, rows: readonly (readonly (number | null)[])[]) {
  const model = await OnnxModel.load(bytes);
  // The payload layer turns a JSON null into NaN; here the rows go in as numbers already.
  const outputs = await model.predict(rows.map((row) => row.map((v) => v ?? Number.NaN)) as number[][]);
  return Object.fromEntries(outputs.map((o) => [o.name, o.rows as unknown[]]));
}

/**
 * |a - b| within 1e-5, relative to `scale` beyond 1: onnxruntime sums in float32 (about 7
 * significant digits), so a prediction near 0 made of terms near 100 is good to about 1e-5 × 100.
 */
function expectClose(actual: number, want: number, scale = Math.abs(want)) {
  expect(Math.abs(actual - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want), scale));
}

/** XGBoost's model JSON as Understudy's ensemble: the exporter's input, made by XGBoost. */
function ensembleFromXGBoost(objective: Objective): Ensemble {
  const m = xgboostTrees.models[objective];
  const groups = objective === 'multi:softprob' ? 3 : 1;
  const base = [m.base_score].flat();
  // XGBoost stores base_score in the output space: a probability for binary:logistic.
  const margin = (b: number) => (objective === 'binary:logistic' ? Math.log(b / (1 - b)) : b);
  return {
    objective,
    columns: m.columns,
    groups,
    baseMargin: Array.from({ length: groups }, (_, k) => margin((base[k] ?? base[0]) as number)),
    trees: m.trees.map((t) => ({
      left: t.left,
      right: t.right,
      feature: t.feature,
      threshold: t.split_conditions,
      defaultLeft: t.default_left,
      value: t.split_conditions,
    })),
    treeGroup: m.tree_info,
  };
}

function syntheticRows(
  rows: number,
  columns: number,
  seed: number,
): { features: Float64Array; x: number[][] } {
  const random = new SeededRandom(seed);
  const features = new Float64Array(rows * columns);
  for (let i = 0; i < features.length; i++)
    features[i] = random.uniform() < 0.08 ? Number.NaN : random.normal(0, 1);
  const x = Array.from({ length: rows }, (_, r) =>
    Array.from(features.subarray(r * columns, (r + 1) * columns)),
  );
  return { features, x };
}

function labelled(objective: Objective, seed: number, rows = 1500, columns = 6): Dataset {
  const { features } = syntheticRows(rows, columns, seed);
  const random = new SeededRandom(seed + 1);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const v = (c: number) => {
      const x = features[r * columns + c] as number;
      return Number.isNaN(x) ? 1 : x;
    };
    const m = v(0) * v(1) + Math.sin(2 * v(2)) - v(3) + random.normal(0, 0.3);
    labels[r] =
      objective === 'reg:squarederror'
        ? 100 + 40 * m
        : objective === 'binary:logistic'
          ? +(m > 0)
          : m < -0.8
            ? 0
            : m < 0.4
              ? 1
              : 2;
  }
  return { rows, columns, features, labels };
}

describe('the xgboost ONNX exporter, given XGBoost 3.2’s own trees', () => {
  for (const objective of ['reg:squarederror', 'binary:logistic', 'multi:softprob'] as const) {
    it(`${objective}: onnxruntime answers what XGBoost's predict answers, missing values included`, async () => {
      const m = xgboostTrees.models[objective];
      expect(m.inputs.flat().some((v) => v === null)).toBe(true);
      const ensemble = ensembleFromXGBoost(objective);
      const margins = (await runOnnx(exportOnnx(ensemble, { margin: true }), m.inputs)).margin as number[][];
      m.margins.forEach((want, i) => {
        [want].flat().forEach((w, k) => {
          expectClose(margins[i]?.[k] as number, w);
        });
      });
      const out = await runOnnx(exportOnnx(ensemble), m.inputs);
      if (objective === 'reg:squarederror') {
        m.predictions.forEach((want, i) => {
          expectClose((out.score as number[][])[i]?.[0] as number, want as number);
        });
        return;
      }
      const probabilities = out.probabilities as number[][];
      m.predictions.forEach((want, i) => {
        const row =
          objective === 'binary:logistic' ? [1 - (want as number), want as number] : (want as number[]);
        row.forEach((p, k) => {
          expectClose(probabilities[i]?.[k] as number, p);
        });
        expect(out.label?.[i]).toBe(row.indexOf(Math.max(...row)));
      });
    });
  }
});

describe('the xgboost ONNX model of a trained ensemble', () => {
  for (const objective of ['reg:squarederror', 'binary:logistic', 'multi:softprob'] as const) {
    it(`${objective}: onnxruntime's predictions equal the trainer's own on held-out rows`, async () => {
      const params = parseXGBoostParams({
        objective,
        num_round: '30',
        max_depth: '5',
        subsample: '0.8',
        colsample_bytree: '0.8',
        ...(objective === 'multi:softprob' && { num_class: '3' }),
      });
      const { ensemble } = boost(labelled(objective, 1), undefined, params, NO_STOP);
      const heldOut = syntheticRows(300, 6, 99);
      const mine = predict(ensemble, heldOut.features, 300);
      const out = await runOnnx(exportOnnx(ensemble), heldOut.x);
      for (let r = 0; r < 300; r++) {
        if (objective === 'reg:squarederror') {
          // The terms summed are the base score (about 100 here) and the leaves.
          expectClose((out.score as number[][])[r]?.[0] as number, mine[r] as number, ensemble.baseMargin[0]);
        } else if (objective === 'binary:logistic') {
          expectClose((out.probabilities as number[][])[r]?.[1] as number, mine[r] as number);
          expect(out.label?.[r]).toBe((mine[r] as number) > 0.5 ? 1 : 0);
        } else {
          const row = Array.from(mine.subarray(r * 3, r * 3 + 3));
          row.forEach((p, k) => {
            expectClose((out.probabilities as number[][])[r]?.[k] as number, p);
          });
          expect(out.label?.[r]).toBe(row.indexOf(Math.max(...row)));
        }
      }
    });
  }

  it('declares the outputs the shadow comparison reads a classifier from: label int64 [N], probabilities float [N, C]', async () => {
    const params = parseXGBoostParams({ objective: 'binary:logistic', num_round: '2' });
    const { ensemble } = boost(labelled('binary:logistic', 3, 200), undefined, params, NO_STOP);
    const model = await OnnxModel.load(exportOnnx(ensemble));
    expect(model.input).toMatchObject({ name: 'features', type: 'float32', rowShape: [6] });
    expect(model.outputs).toEqual([
      { name: 'label', type: 'int64', shape: [undefined] },
      { name: 'probabilities', type: 'float32', shape: [undefined, 2] },
    ]);
  });
});
