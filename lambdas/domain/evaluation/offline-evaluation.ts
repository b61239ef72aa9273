/**
 * The offline evaluation of a model package at registration: its model run on the labelled
 * dataset its ValidationSpecification names, scored with the model-quality metrics a monitoring
 * execution computes, written in the same statistics.json layout beside a constraints.json, and
 * recorded as the package's ModelMetrics.ModelQuality.
 *
 * The model runs through the data plane's own code: the feature rows are decoded by
 * `decodeInstances` as an InvokeEndpoint text/csv body is, checked and run by `OnnxModel` from
 * the verified artifact, and read under the task its ONNX outputs declare (`inferModelTask`,
 * `comparableRows`, as shadow tests read answers). So a dataset whose columns do not fit the
 * model fails with the message a client would get, naming the row.
 *
 * It runs synchronously in CreateModelPackage (the control function, which has the onnxruntime
 * layer and loads the model at registration anyway): the dataset is bounded like one
 * InvokeEndpoint request (6 MB, 10,000 rows), and scoring 10,000 rows with the intervals takes a
 * few seconds (`npm run bench -- offline-evaluation`: ≈ 4.7 s on a loaded 2-core machine, nearly
 * all of it the metrics' bootstrap intervals), inside API Gateway's 29 s. Running it in-line is
 * what keeps registration atomic: the evaluation's files are written first, under a folder named
 * by the model's and the dataset's digests, then the package; a refused dataset registers
 * nothing. Larger datasets would need the package InProgress and a worker (the training
 * function has the layer); Understudy refuses them with the limit instead.
 */

import { createHash } from 'node:crypto';
import { OnnxModel } from '../inference/onnx-model.js';
import { DEFAULT_MAX_ROWS, decodeInstances, MAX_BODY_BYTES } from '../inference/payload.js';
import { type ArtifactSource, readVerifiedModelBytes } from '../kernel/artifact.js';
import { ApiError, ValidationException } from '../kernel/errors.js';
import type {
  ObjectStore,
  PackageEvaluationRequest,
  PackageEvaluationResult,
  PackageEvaluator,
} from '../kernel/ports.js';
import { formatMonitoringFile } from '../model-monitor/statistics/index.js';
import { labelFor } from '../model-quality/ground-truth.js';
import {
  type LabelledPredictions,
  type ModelQualityStatistics,
  modelQualityStatistics,
} from '../model-quality/metrics.js';
import type { ClassifiedRow } from '../shadow-tests/aggregate.js';
import { comparableRows, inferModelTask, type ModelTask } from '../shadow-tests/comparison-rule.js';
import {
  type EvaluationRows,
  type EvaluationSpec,
  evaluationSpec,
  splitLabels,
} from './evaluation-dataset.js';
import { suggestModelQualityConstraints } from './suggested-constraints.js';

export interface OfflineEvaluationDeps {
  readonly objects: ObjectStore;
  readonly artifacts: ArtifactSource;
}

/** The package evaluator the control plane is built with. */
export class OfflineEvaluator implements PackageEvaluator {
  constructor(private readonly deps: OfflineEvaluationDeps) {}

  evaluate(request: PackageEvaluationRequest): Promise<PackageEvaluationResult> {
    return evaluatePackage(this.deps, request);
  }
}

export async function evaluatePackage(
  deps: OfflineEvaluationDeps,
  request: PackageEvaluationRequest,
): Promise<PackageEvaluationResult> {
  const spec = evaluationSpec(request.specification);
  const text = await readDataset(deps.objects, spec.datasetUri);
  const rows = splitLabels(text, spec, DEFAULT_MAX_ROWS);
  const featureBytes = Buffer.byteLength(rows.featuresCsv, 'utf8');
  if (featureBytes > MAX_BODY_BYTES) {
    throw new ValidationException(
      `The evaluation dataset ${spec.datasetUri} holds ${featureBytes} bytes of features; an evaluation at registration takes at most ${MAX_BODY_BYTES} (6 MB, one InvokeEndpoint request).`,
    );
  }
  const statistics = await scoreModel(deps.artifacts, request.artifact, spec, rows);
  const constraints = suggestModelQualityConstraints(statistics);
  // Named by what it evaluates: a retried registration writes the same files again.
  const digest = createHash('sha256')
    .update(request.artifact.sha256)
    .update('\0')
    .update(text)
    .update('\0')
    .update(JSON.stringify(spec))
    .digest('hex');
  const folder = `${spec.outputUri}/${request.groupName}/evaluation-${digest.slice(0, 16)}`;
  const files = {
    Statistics: { uri: `${folder}/statistics.json`, body: formatMonitoringFile(statistics) },
    Constraints: { uri: `${folder}/constraints.json`, body: formatMonitoringFile(constraints) },
  };
  await Promise.all(Object.values(files).map((f) => deps.objects.putText(f.uri, f.body, 'application/json')));
  const source = (f: { uri: string; body: string }) => ({
    ContentType: 'application/json',
    S3Uri: f.uri,
    ContentDigest: `sha256:${createHash('sha256').update(f.body).digest('hex')}`,
  });
  return {
    modelQuality: { Statistics: source(files.Statistics), Constraints: source(files.Constraints) },
    validationStatuses: [{ Name: spec.profileName, Status: 'Completed' }],
  };
}

/** The dataset's text: the object itself, else every object under the prefix in key order. */
async function readDataset(objects: ObjectStore, uri: string): Promise<string> {
  const exact = await objects.getText(uri);
  if (exact !== undefined) return exact;
  const listed = (await objects.list(uri)).filter((o) => !o.key.endsWith('/'));
  if (listed.length === 0) {
    throw new ValidationException(`The evaluation dataset ${uri} does not exist: no object at or under it.`);
  }
  const parts = await Promise.all(listed.map((o) => objects.getText(o.uri)));
  return parts.map((p) => (p ?? '').replace(/\r?\n?$/, '\n')).join('');
}

/** Runs the model on the rows as the data plane would and scores its predictions. */
async function scoreModel(
  artifacts: ArtifactSource,
  artifact: PackageEvaluationRequest['artifact'],
  spec: EvaluationSpec,
  rows: EvaluationRows,
): Promise<ModelQualityStatistics> {
  const model = await OnnxModel.load(await readVerifiedModelBytes(artifacts, artifact));
  try {
    const refused = (error: unknown): never => {
      if (error instanceof ApiError && error.type !== 'ValidationException') {
        throw new ValidationException(
          `The evaluation dataset ${spec.datasetUri} does not fit the model's input (${model.input.name}, ${model.input.type}): ${error.message.replace(/^CSV line (\d+)/, (_, n) => `line ${rows.lines[Number(n) - 1] ?? n}`).replace(/^row (\d+)/, (_, n) => `line ${rows.lines[Number(n) - 1] ?? n}`)}`,
          { cause: error },
        );
      }
      throw error;
    };
    let outputs: Awaited<ReturnType<OnnxModel['predict']>>;
    try {
      outputs = await model.predict(decodeInstances(Buffer.from(rows.featuresCsv, 'utf8'), 'text/csv'));
    } catch (error) {
      return refused(error);
    }
    const task = inferModelTask(model.outputs);
    const chosen = chooseOutputs(
      task,
      spec,
      model.outputs.map((o) => o.name),
    );
    return modelQualityStatistics(labelled(spec, comparableRows(chosen, outputs), rows));
  } finally {
    await model.release();
  }
}

/** The task the problem type reads the outputs under; ValidationException when it does not match. */
function chooseOutputs(
  task: ModelTask | undefined,
  spec: EvaluationSpec,
  names: readonly string[],
): ModelTask {
  for (const name of [spec.inferenceAttribute, spec.probabilityAttribute]) {
    if (name !== undefined && !names.includes(name)) {
      throw new ValidationException(
        `The model has no output '${name}' (inference_attribute / probability_attribute name ONNX outputs); it has ${names.join(', ')}.`,
      );
    }
  }
  const wanted = spec.problemType === 'Regression' ? 'regression' : 'classification';
  if (spec.problemType === 'Regression' && spec.inferenceAttribute !== undefined) {
    return { kind: 'regression', outputs: spec.inferenceAttribute, value: spec.inferenceAttribute };
  }
  if (spec.problemType !== 'Regression' && (spec.inferenceAttribute ?? spec.probabilityAttribute)) {
    const label = spec.inferenceAttribute ?? (task?.kind === 'classification' ? task.label : undefined);
    const probabilities =
      spec.probabilityAttribute ?? (task?.kind === 'classification' ? task.probabilities : undefined);
    return {
      kind: 'classification',
      outputs: [label, probabilities].filter(Boolean).join(' + '),
      ...(label !== undefined && { label }),
      ...(probabilities !== undefined && { probabilities }),
    };
  }
  if (!task || task.kind !== wanted) {
    throw new ValidationException(
      `ProblemType ${spec.problemType} does not match the model's output: its ONNX outputs (${task?.outputs ?? names.join(', ')}) make it ${task ? (task.kind === 'regression' ? 'a regressor' : 'a classifier') : 'neither a classifier nor a regressor'}${spec.problemType === 'Regression' ? '' : ' (a classifier has an integer or string label output, or class probabilities)'}. Name the output with inference_attribute if it is another.`,
    );
  }
  return task;
}

/** Labels and predictions of the problem type; ValidationException naming the first row that does not fit. */
function labelled(
  spec: EvaluationSpec,
  predictions: readonly unknown[],
  rows: EvaluationRows,
): LabelledPredictions {
  const at = (i: number) => `line ${rows.lines[i]} of ${spec.datasetUri}`;
  const mismatch = (i: number, value: unknown, needs: string) =>
    new ValidationException(
      `ProblemType ${spec.problemType} does not match the model's output: its prediction for ${at(i)} is ${JSON.stringify(value)}, and ${spec.problemType} needs ${needs}.`,
    );
  switch (spec.problemType) {
    case 'BinaryClassification': {
      const actual = rows.labels.map((l, i) => labelFor('BinaryClassification', l, at(i)));
      const classified = predictions as readonly ClassifiedRow[];
      const probability: number[] = [];
      const predicted = classified.map((row, i) => {
        const scores = row.scores;
        if (scores && scores.length > 2) throw mismatch(i, scores, 'at most two class probabilities');
        const score = scores === undefined ? undefined : (scores[scores.length - 1] as number);
        if (score !== undefined) probability.push(score);
        const label = row.label ?? (score === undefined ? undefined : score >= 0.5 ? 1 : 0);
        const text = String(label).trim().toLowerCase();
        if (text === '1' || text === 'true') return 1;
        if (text === '0' || text === 'false') return 0;
        throw mismatch(i, label, 'a predicted label of 0 or 1');
      });
      return {
        problemType: 'BinaryClassification',
        actual,
        predicted,
        ...(probability.length === predicted.length && { probability }),
      };
    }
    case 'MulticlassClassification': {
      const classified = predictions as readonly ClassifiedRow[];
      const actual = rows.labels.map((l, i) => labelFor('MulticlassClassification', l, at(i)));
      const predicted = classified.map((row, i) => {
        if (row.label === undefined) throw mismatch(i, row.scores, 'a predicted class (a label output)');
        return String(row.label);
      });
      // Class indices against class names, say: every prediction would count as wrong.
      const named = new Set(actual);
      if (!predicted.some((p) => named.has(p))) {
        const sample = (values: readonly string[]) => [...new Set(values)].sort().slice(0, 5).join(', ');
        throw new ValidationException(
          `The model's predicted classes (${sample(predicted)}) share none with the labels of ${spec.datasetUri} (${sample(actual)}): label the dataset with the classes the model outputs.`,
        );
      }
      return { problemType: 'MulticlassClassification', actual, predicted };
    }
    case 'Regression':
      return {
        problemType: 'Regression',
        actual: rows.labels.map((l, i) => labelFor('Regression', l, at(i))),
        predicted: predictions.map((p, i) => {
          const value = Array.isArray(p) && p.length === 1 ? p[0] : p;
          if (typeof value !== 'number' || !Number.isFinite(value))
            throw mismatch(i, p, 'one number per row');
          return value;
        }),
      };
  }
}
