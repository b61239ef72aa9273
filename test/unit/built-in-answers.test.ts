/**
 * An endpoint serving a model Understudy's built-in algorithms trained answers as SageMaker's
 * containers do. The expected shapes are SageMaker's documented ones ("Linear learner response
 * formats"; sagemaker-xgboost-container's serve.py: CSV by default, one row a line, JSON
 * `{"predictions": [{"score": ...}]}`), filled with the ONNX graph's own outputs as onnxruntime
 * computes them; the metadata is read back with onnx-proto's full decoder.
 */
import type { Context } from 'aws-lambda';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import {
  ANSWER_FORMAT_KEY,
  builtInAnswerOf,
  modelMetadata,
} from '../../lambdas/domain/inference/built-in-answers.js';
import { OnnxModel } from '../../lambdas/domain/inference/onnx-model.js';
import { sha256Hex } from '../../lambdas/domain/kernel/artifact.js';
import type { EndpointInternal } from '../../lambdas/domain/kernel/records.js';
import type { Dataset, TrainingProgress } from '../../lambdas/domain/training/algorithm.js';
import { linearLearner } from '../../lambdas/domain/training/linear-learner.js';
import { xgboost } from '../../lambdas/domain/training/xgboost/index.js';
import { INVOKER_KEY, invokeHandlerFor } from '../support/invoke-handler.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';
import { seeded } from '../support/seeded-random.js';
import { signedInvokeEvent } from '../support/signed-event.js';

const NOW = new Date('2026-12-02T07:00:00Z');
const progress: TrainingProgress = { iteration: () => undefined, stopRequested: () => false };

/** 120 rows × 3 features; labels by `label(x)`. */
function dataset(label: (x: number[]) => number): Dataset {
  const random = seeded(7);
  const rows = 120;
  const features = new Float64Array(rows * 3);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const x = [random() * 4 - 2, random() * 4 - 2, random() * 4 - 2];
    features.set(x, r * 3);
    labels[r] = label(x);
  }
  return { rows, columns: 3, features, labels };
}
const binary = dataset((x) => ((x[0] as number) + (x[1] as number) > 0 ? 1 : 0));
const multiclass = dataset((x) => ((x[0] as number) > 0.7 ? 2 : (x[0] as number) > -0.7 ? 1 : 0));
const regression = dataset((x) => 3 * (x[0] as number) - (x[2] as number));
const ROWS = [
  [0.5, 1.25, -0.5],
  [-1.5, -0.25, 1],
  [1.75, -1, 0.25],
];
const CSV_BODY = `${ROWS.map((r) => r.join(',')).join('\n')}\n`;

/** The graph's outputs by name for ROWS, as onnxruntime computes them. */
async function outputsOf(onnx: Uint8Array): Promise<Record<string, unknown[]>> {
  const model = await OnnxModel.load(onnx);
  const outputs = await model.predict(ROWS);
  await model.release();
  return Object.fromEntries(outputs.map((o) => [o.name, [...o.rows]]));
}

async function invoke(onnx: Uint8Array, accept?: string) {
  const artifacts = new MemoryArtifactSource();
  const uri = artifacts.put('s3://m/model.onnx', onnx);
  const internal: EndpointInternal = {
    variants: [
      {
        VariantName: 'main',
        weight: 1,
        ModelName: 'trained',
        artifact: { uri, sha256: sha256Hex(onnx), sizeBytes: onnx.length },
      },
    ],
  } as EndpointInternal;
  const { handler } = await invokeHandlerFor(internal, artifacts, { now: NOW, seed: 1 });
  // No Accept is sent as an empty one (the signed event's helper always has the header).
  const headers = { 'content-type': 'text/csv', accept: accept ?? '' };
  const event = await signedInvokeEvent({
    key: INVOKER_KEY,
    now: NOW,
    endpoint: 'ep',
    body: CSV_BODY,
    headers,
  });
  const response = await handler(event, {} as Context);
  expect(response.statusCode).toBe(200);
  return { contentType: String(response.headers?.['Content-Type']), body: String(response.body) };
}

const csvLines = (body: string) =>
  body
    .split('\n')
    .slice(0, -1)
    .map((line) => line.split(',').map(Number));

describe('xgboost endpoints answer as SageMaker’s XGBoost container', () => {
  it('binary:logistic: CSV by default, one probability of class 1 a line; JSON as {"predictions": [{"score"}]}', async () => {
    const { onnx } = await xgboost.train(
      binary,
      undefined,
      { objective: 'binary:logistic', num_round: '5', max_depth: '2' },
      progress,
    );
    const probabilities = (await outputsOf(onnx)).probabilities as number[][];
    const p1 = probabilities.map((p) => p[1] as number);
    const csv = await invoke(onnx);
    expect(csv.contentType).toMatch(/^text\/csv/);
    expect(csv.body.endsWith('\n')).toBe(true);
    expect(csvLines(csv.body)).toEqual(p1.map((p) => [p]));
    expect((await invoke(onnx, '*/*')).body).toBe(csv.body);
    const json = await invoke(onnx, 'application/json');
    expect(json.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(json.body)).toEqual({ predictions: p1.map((score) => ({ score })) });
  });

  it('multi:softprob: each row’s class probabilities, comma-separated; JSON score lists', async () => {
    const { onnx } = await xgboost.train(
      multiclass,
      undefined,
      { objective: 'multi:softprob', num_class: '3', num_round: '4', max_depth: '2' },
      progress,
    );
    const probabilities = (await outputsOf(onnx)).probabilities as number[][];
    expect(csvLines((await invoke(onnx, 'text/csv')).body)).toEqual(probabilities);
    expect(JSON.parse((await invoke(onnx, 'application/json')).body)).toEqual({
      predictions: probabilities.map((score) => ({ score })),
    });
  });

  it('reg:squarederror: one prediction a line', async () => {
    const { onnx } = await xgboost.train(
      regression,
      undefined,
      { objective: 'reg:squarederror', num_round: '4' },
      progress,
    );
    const score = ((await outputsOf(onnx)).score as number[][]).map((s) => s[0]);
    expect(csvLines((await invoke(onnx)).body)).toEqual(score.map((s) => [s]));
    expect(JSON.parse((await invoke(onnx, 'application/json')).body)).toEqual({
      predictions: score.map((s) => ({ score: s })),
    });
  });
});

describe('linear-learner endpoints answer as SageMaker’s linear-learner container', () => {
  it('binary_classifier: {"predictions": [{"score": P(1), "predicted_label"}]}, JSON by default', async () => {
    const { onnx } = await linearLearner.train(
      binary,
      undefined,
      { predictor_type: 'binary_classifier', epochs: '3' },
      progress,
    );
    const outputs = await outputsOf(onnx);
    const probabilities = outputs.probabilities as number[][];
    const expected = {
      predictions: probabilities.map((p, r) => ({ score: p[1], predicted_label: outputs.label?.[r] })),
    };
    expect(JSON.parse((await invoke(onnx)).body)).toEqual(expected);
    expect(JSON.parse((await invoke(onnx, 'application/json')).body)).toEqual(expected);
    expect(expected.predictions.map((p) => p.predicted_label)).toEqual(
      probabilities.map((p) => ((p[1] as number) > 0.5 ? 1 : 0)),
    );
  });

  it('multiclass_classifier: score is the class probabilities; regressor: {"score": y}', async () => {
    const multi = (
      await linearLearner.train(
        multiclass,
        undefined,
        { predictor_type: 'multiclass_classifier', num_classes: '3', epochs: '3' },
        progress,
      )
    ).onnx;
    const outputs = await outputsOf(multi);
    expect(JSON.parse((await invoke(multi, 'application/json')).body)).toEqual({
      predictions: (outputs.probabilities as number[][]).map((score, r) => ({
        score,
        predicted_label: outputs.label?.[r],
      })),
    });
    const regressor = (
      await linearLearner.train(regression, undefined, { predictor_type: 'regressor', epochs: '3' }, progress)
    ).onnx;
    const score = ((await outputsOf(regressor)).score as number[][]).map((s) => s[0]);
    expect(JSON.parse((await invoke(regressor, 'application/json')).body)).toEqual({
      predictions: score.map((s) => ({ score: s })),
    });
  });
});

describe('the answer format in the ONNX metadata', () => {
  it('is what onnx-proto decodes from metadata_props, and absent from ordinary models', async () => {
    const { onnx } = await xgboost.train(
      binary,
      undefined,
      { objective: 'binary:logistic', num_round: '2' },
      progress,
    );
    const decoded = onnxProto.onnx.ModelProto.decode(onnx);
    const entry = decoded.metadataProps.find((p) => p.key === ANSWER_FORMAT_KEY);
    expect(entry?.value).toBe('xgboost/binary:logistic');
    expect(modelMetadata(onnx, ANSWER_FORMAT_KEY)).toBe(entry?.value);
    expect(builtInAnswerOf(onnx, ['label', 'probabilities'])?.format).toEqual({
      algorithm: 'xgboost',
      variant: 'binary:logistic',
    });
    // Outputs other than the trainer's: the ordinary answer.
    expect(builtInAnswerOf(onnx, ['output'])).toBeUndefined();
    const ordinary = new Uint8Array(fixture('regressor.onnx'));
    expect(modelMetadata(ordinary, ANSWER_FORMAT_KEY)).toBeUndefined();
    expect((await OnnxModel.load(ordinary)).answer).toBeUndefined();
    // Truncated or foreign bytes are no format (the loader reports what is wrong with them).
    expect(modelMetadata(onnx.subarray(0, onnx.length - 3), ANSWER_FORMAT_KEY)).toBeUndefined();
    expect(modelMetadata(new Uint8Array([0xff, 0xff, 0xff]), ANSWER_FORMAT_KEY)).toBeUndefined();
  });
});
