import { describe, expect, it } from 'vitest';
import { ValidationException } from '../../lambdas/domain/kernel/errors.js';
import type { TrainingMetric } from '../../lambdas/domain/training/algorithm.js';
import { algorithmForImage } from '../../lambdas/domain/training/training-jobs.js';
import { boost, predict } from '../../lambdas/domain/training/xgboost/booster.js';
import { parseXGBoostParams } from '../../lambdas/domain/training/xgboost/hyperparameters.js';
import { xgboost } from '../../lambdas/domain/training/xgboost/index.js';
import {
  type ReferenceMetrics,
  reference,
  referenceSplit,
  rSquared,
  xgboostTraining,
} from '../support/gbdt-fixtures.js';

const NO_STOP = { iteration: () => {}, stopRequested: () => false };

/** Validation metrics as the reference script computes them (accuracy and AUC, or R²). */
function validationMetrics(objective: string, p: Float64Array, y: Float64Array): ReferenceMetrics {
  if (objective === 'binary:logistic') {
    let right = 0;
    for (let i = 0; i < y.length; i++) right += +((p[i] as number) > 0.5) === y[i] ? 1 : 0;
    return { accuracy: right / y.length };
  }
  return { r2: rSquared(y, p) };
}

describe('xgboost accuracy against XGBoost and LightGBM (scripts/fixtures/gbdt-reference.py)', () => {
  for (const [name, ref] of Object.entries(reference.datasets)) {
    it(`${name}: the validation metric is within 1 point of both libraries' on the same split and settings`, async () => {
      const { train, validation } = referenceSplit(name);
      const hp = Object.fromEntries(Object.entries(ref.settings).map(([k, v]) => [k, String(v)]));
      if (ref.settings.objective === 'binary:logistic') hp.eval_metric = 'auc';
      const result = boost(train, validation, parseXGBoostParams(hp), NO_STOP);
      const p = predict(result.ensemble, validation.features, validation.rows);
      const mine: Record<string, number | undefined> = {
        ...validationMetrics(String(ref.settings.objective), p, validation.labels),
        auc: result.metrics.find((m) => m.MetricName === 'validation:auc')?.Value,
      };
      for (const key of Object.keys(ref.xgboost) as (keyof ReferenceMetrics)[]) {
        for (const library of [ref.xgboost, ref.lightgbm]) {
          expect(Math.abs((mine[key] as number) - (library[key] as number)), key).toBeLessThanOrEqual(0.01);
        }
      }
    }, 120_000);
  }
});

describe('xgboost training semantics, against XGBoost 3.2 where both cut every distinct value', () => {
  for (const objective of ['reg:squarederror', 'binary:logistic'] as const) {
    it(`${objective}: gamma, lambda, alpha, min_child_weight, eta and default directions give XGBoost's predictions`, () => {
      const m = xgboostTraining.models[objective];
      const columns = m.inputs[0]?.length ?? 0;
      const features = Float64Array.from(m.inputs.flat(), (v) => v ?? Number.NaN);
      const data = { rows: m.inputs.length, columns, features, labels: Float64Array.from(m.labels) };
      const hp = Object.fromEntries(
        Object.entries(xgboostTraining.hyperparameters).map(([k, v]) => [k, String(v)]),
      );
      const { ensemble } = boost(data, undefined, parseXGBoostParams({ ...hp, objective }), NO_STOP);
      const mine = predict(ensemble, features, data.rows);
      // XGBoost sums gradients in float32; 1e-4 leaves room for that and nothing more.
      m.predictions.forEach((want, i) => {
        expect(Math.abs((mine[i] as number) - want)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want)));
      });
    });
  }
});

describe('the xgboost algorithm in the training job', () => {
  it('is what SageMaker’s XGBoost image URIs name, in either repository and any region', () => {
    for (const image of [
      '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
      '492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.5-1',
      '433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1',
    ]) {
      expect(algorithmForImage(image)).toBe(xgboost);
    }
  });
});

describe('xgboost training', () => {
  const { train, validation } = referenceSplit('breast-cancer.csv');

  it('validates through parseXGBoostParams', () => {
    expect(() => xgboost.validate({ num_round: '10', eta: '2' })).toThrow(ValidationException);
    expect(() => xgboost.validate({ num_round: '10' })).not.toThrow();
  });

  it('is deterministic given a seed, and the seed matters when sampling', async () => {
    const hp = { objective: 'binary:logistic', num_round: '20', subsample: '0.7', colsample_bytree: '0.5' };
    const a = await xgboost.train(train, validation, { ...hp, seed: '1' }, NO_STOP);
    const b = await xgboost.train(train, validation, { ...hp, seed: '1' }, NO_STOP);
    const c = await xgboost.train(train, validation, { ...hp, seed: '2' }, NO_STOP);
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true);
    expect(Buffer.from(a.onnx).equals(Buffer.from(c.onnx))).toBe(false);
  });

  it('reports each round’s metrics on both channels and names them as SageMaker does', async () => {
    const seen: [number, readonly TrainingMetric[]][] = [];
    const model = await xgboost.train(
      train,
      validation,
      { objective: 'binary:logistic', num_round: '5', eval_metric: 'error,logloss' },
      { iteration: (i, m) => seen.push([i, m]), stopRequested: () => false },
    );
    expect(seen.map(([i]) => i)).toEqual([0, 1, 2, 3, 4]);
    expect(seen[4]?.[1].map((m) => m.MetricName)).toEqual([
      'train:error',
      'train:logloss',
      'validation:error',
      'validation:logloss',
    ]);
    expect(model.metrics).toEqual(seen[4]?.[1]);
    expect(model.iterations).toBe(5);
  });

  it('stops early on the validation channel’s last metric and keeps the best round', async () => {
    const seen: number[] = [];
    const model = await xgboost.train(
      train,
      validation,
      {
        objective: 'binary:logistic',
        num_round: '500',
        eta: '0.5',
        eval_metric: 'logloss',
        early_stopping_rounds: '5',
      },
      {
        iteration: (_, m) => seen.push(m.find((x) => x.MetricName === 'validation:logloss')?.Value ?? 0),
        stopRequested: () => false,
      },
    );
    const best = seen.indexOf(Math.min(...seen));
    expect(seen.length).toBeLessThan(500);
    expect(seen.length).toBe(best + 1 + 5);
    expect(model.iterations).toBe(best + 1);
    expect(model.metrics.find((m) => m.MetricName === 'validation:logloss')?.Value).toBe(seen[best]);
  });

  it('ends when the job asks it to stop', async () => {
    let rounds = 0;
    const model = await xgboost.train(
      train,
      undefined,
      { objective: 'binary:logistic', num_round: '100' },
      {
        iteration: () => rounds++,
        stopRequested: () => rounds >= 3,
      },
    );
    expect(model.iterations).toBe(3);
  });

  it('refuses labels the objective cannot learn, and early stopping without a validation channel', async () => {
    await expect(
      xgboost.train(
        train,
        undefined,
        { objective: 'multi:softprob', num_class: '3', num_round: '2' },
        NO_STOP,
      ),
    ).resolves.toBeDefined();
    const bad = { ...train, labels: train.labels.map((y, i) => (i === 7 ? 2 : y)) };
    await expect(
      xgboost.train(bad, undefined, { objective: 'binary:logistic', num_round: '2' }, NO_STOP),
    ).rejects.toThrow(/train channel's label on row 8 is 2; objective binary:logistic needs in \[0, 1\]/);
    await expect(
      xgboost.train(train, undefined, { num_round: '2', early_stopping_rounds: '3' }, NO_STOP),
    ).rejects.toThrow(/early_stopping_rounds needs a validation channel/);
  });
});
