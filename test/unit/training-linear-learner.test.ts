import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Dataset, TrainingProgress } from '../../lambdas/domain/training/algorithm.js';
import { parseChannel } from '../../lambdas/domain/training/channels.js';
import {
  linearLearner,
  linearOnnx,
  linearSettings,
  predictLinear,
  trainLinear,
} from '../../lambdas/domain/training/linear-learner.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;
const dir = new URL('../fixtures/training/', import.meta.url);
/** scikit-learn's metrics on the same splits: scripts/fixtures/training-reference.py. */
const reference = JSON.parse(readFileSync(new URL('reference.json', dir), 'utf8'));

function dataset(name: string): Dataset {
  return parseChannel([{ key: name, text: readFileSync(new URL(`${name}.csv`, dir), 'utf8') }], 'csv', name);
}

const quiet: TrainingProgress = { iteration: () => {}, stopRequested: () => false };

async function onnxOutputs(onnx: Uint8Array, data: Dataset) {
  const session = await ort.InferenceSession.create(onnx);
  const input = new ort.Tensor('float32', Float32Array.from(data.features), [data.rows, data.columns]);
  return session.run({ features: input });
}

const metric = (metrics: readonly { MetricName: string; Value: number }[], name: string) =>
  metrics.find((m) => m.MetricName === name)?.Value ?? Number.NaN;

describe('linear-learner against scikit-learn on the same splits', () => {
  it('regressor on vega-datasets cars: validation R² within 1 point of Ridge; ONNX equals the trainer to 1e-5', async () => {
    const [train, validation] = [dataset('cars-train'), dataset('cars-validation')];
    const hp = {
      predictor_type: 'regressor',
      epochs: '200',
      mini_batch_size: '32',
      learning_rate: '0.01',
      wd: '0.001',
    };
    const { model, metrics } = await trainLinear(linearSettings(hp), train, validation, quiet);
    const r2 = 1 - metric(metrics, 'validation:mse') / reference.cars.validation_label_variance;
    expect(Math.abs(r2 - reference.cars['validation:r2'])).toBeLessThan(0.01);

    const mine = predictLinear(model, validation).values;
    const out = await onnxOutputs(linearOnnx(model), validation);
    const score = out.score?.data as Float32Array;
    expect(out.score?.dims).toEqual([validation.rows, 1]);
    for (let i = 0; i < validation.rows; i++) {
      expect(
        Math.abs((score[i] as number) - (mine[i] as number)) / Math.max(1, Math.abs(mine[i] as number)),
      ).toBeLessThan(1e-5);
    }
  });

  it('multiclass on vega-datasets penguins: accuracy within 1 point of LogisticRegression; label and probabilities', async () => {
    const [train, validation] = [dataset('penguins-train'), dataset('penguins-validation')];
    const hp = {
      predictor_type: 'multiclass_classifier',
      num_classes: '3',
      epochs: '100',
      mini_batch_size: '32',
      wd: '0.001',
    };
    const { model, metrics } = await trainLinear(linearSettings(hp), train, validation, quiet);
    expect(
      Math.abs(metric(metrics, 'validation:multiclass_accuracy') - reference.penguins['validation:accuracy']),
    ).toBeLessThanOrEqual(0.01);

    const mine = predictLinear(model, validation);
    const out = await onnxOutputs(linearOnnx(model), validation);
    expect(Array.from(out.label?.data as BigInt64Array, Number)).toEqual(Array.from(mine.labels ?? []));
    const probabilities = out.probabilities?.data as Float32Array;
    for (let i = 0; i < mine.values.length; i++) {
      expect(Math.abs((probabilities[i] as number) - (mine.values[i] as number))).toBeLessThan(1e-5);
    }
  });

  it('binary on a synthetic set (4,000 × 10): accuracy and AUC within 1 point of LogisticRegression', async () => {
    const [train, validation] = [dataset('synthetic-train'), dataset('synthetic-validation')];
    const hp = { predictor_type: 'binary_classifier', epochs: '30', mini_batch_size: '100', wd: '0.001' };
    const { model, metrics } = await trainLinear(linearSettings(hp), train, validation, quiet);
    const ref = reference.synthetic;
    expect(
      Math.abs(metric(metrics, 'validation:binary_classification_accuracy') - ref['validation:accuracy']),
    ).toBeLessThan(0.01);
    expect(
      Math.abs(metric(metrics, 'validation:roc_auc_score') - ref['validation:roc_auc_score']),
    ).toBeLessThan(0.01);

    const mine = predictLinear(model, validation);
    const out = await onnxOutputs(linearOnnx(model), validation);
    expect(out.probabilities?.dims).toEqual([validation.rows, 2]);
    const probabilities = out.probabilities?.data as Float32Array;
    for (let i = 0; i < mine.values.length; i++) {
      expect(Math.abs((probabilities[i] as number) - (mine.values[i] as number))).toBeLessThan(1e-5);
    }
  });

  it('stops early when the validation loss no longer improves, and when asked to stop', async () => {
    const [train, validation] = [dataset('penguins-train'), dataset('penguins-validation')];
    const hp = {
      predictor_type: 'multiclass_classifier',
      num_classes: '3',
      epochs: '1000',
      mini_batch_size: '16',
      learning_rate: '0.1',
      early_stopping_patience: '2',
      early_stopping_tolerance: '0.05',
    };
    const early = await linearLearner.train(train, validation, hp, quiet);
    expect(early.iterations).toBeLessThan(1000);
    let seen = 0;
    const stopping: TrainingProgress = { iteration: () => void seen++, stopRequested: () => seen >= 3 };
    expect((await linearLearner.train(train, undefined, hp, stopping)).iterations).toBe(3);
  });
});

describe('linear-learner hyperparameters and data', () => {
  it.each([
    [{}, /predictor_type/],
    [
      { predictor_type: 'ranker' },
      /predictor_type='ranker'.*one of regressor, binary_classifier, multiclass_classifier/,
    ],
    [{ predictor_type: 'multiclass_classifier' }, /num_classes/],
    [{ predictor_type: 'multiclass_classifier', num_classes: '2' }, /num_classes='2'.*from 3/],
    [{ predictor_type: 'regressor', epochs: '0' }, /epochs='0'/],
    [{ predictor_type: 'regressor', learning_rate: '-1' }, /learning_rate='-1'/],
    [{ predictor_type: 'regressor', wd: 'lots' }, /wd='lots'/],
    [{ predictor_type: 'regressor', normalize_data: 'yes' }, /normalize_data='yes'.*true or false/],
    [{ predictor_type: 'regressor', objective: 'reg:squarederror' }, /no hyperparameter objective/],
  ])('refuses %j', (hp, message) => {
    expect(() => linearLearner.validate(hp)).toThrow(message);
  });

  it('refuses labels a classifier cannot take, and missing values', async () => {
    const data = parseChannel([{ key: 'k', text: '2,1.5\n0,2\n' }], 'csv', 'train');
    await expect(
      linearLearner.train(data, undefined, { predictor_type: 'binary_classifier' }, quiet),
    ).rejects.toThrow(/labels 0 or 1.*row 1 has 2/);
    const missing = parseChannel([{ key: 'k', text: '1,1.5\n0,\n' }], 'csv', 'train');
    await expect(
      linearLearner.train(missing, undefined, { predictor_type: 'regressor' }, quiet),
    ).rejects.toThrow(/no missing values.*row 2/);
  });

  it('reads CSV and JSON Lines; names the line of a non-numeric feature or a row without features', () => {
    const csv = parseChannel([{ key: 'a.csv', text: '1,2,3\r\n0,4,5\n' }], 'csv', 'train');
    const json = parseChannel(
      [{ key: 'a.jsonl', text: '{"label":1,"features":[2,3]}\n[0,4,5]\n' }],
      'jsonlines',
      'train',
    );
    for (const d of [csv, json]) {
      expect([d.rows, d.columns, [...d.labels], [...d.features]]).toEqual([2, 2, [1, 0], [2, 3, 4, 5]]);
    }
    expect(() => parseChannel([{ key: 'a.csv', text: '1,2\n0,red\n' }], 'csv', 'train')).toThrow(
      /Channel train, a.csv line 2: feature 1 'red' is not a number/,
    );
    expect(() => parseChannel([{ key: 'a.csv', text: '1\n' }], 'csv', 'validation')).toThrow(
      /needs the label.*1 value\.$/,
    );
    expect(() => parseChannel([{ key: 'a.csv', text: 'label,x\n1,2\n' }], 'csv', 'train')).toThrow(
      /the label 'label'/,
    );
  });
});
