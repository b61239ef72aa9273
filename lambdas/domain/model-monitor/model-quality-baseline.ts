/**
 * The model-quality analyzer's baseline (`analysis_type=MODEL_QUALITY`, what
 * `ModelQualityMonitor.suggest_baseline` of the SageMaker Python SDK starts): a labelled dataset
 * of predictions on S3 scored as a monitoring execution scores captures, written as SageMaker's
 * model-quality statistics.json and a constraints.json suggested from it.
 *
 * The dataset holds one prediction per row. `InferenceAttribute`, `ProbabilityAttribute` and
 * `GroundTruthAttribute` name its columns: a header's column name or a 0-based index for CSV,
 * a key or `$.`JSONPath for JSON Lines. Without an inference attribute the binary label is the
 * probability thresholded at `ProbabilityThresholdAttribute` (default 0.5), as in an execution.
 *
 * Suggested constraints: every metric that has a value, with its baseline value as the
 * threshold; `LessThanThreshold` for metrics where higher is better, `GreaterThanThreshold` for
 * error rates and errors (false_positive_rate, false_negative_rate, mae, mse, rmse), as the
 * analyzer suggests them. SageMaker's users loosen them before monitoring; so should ours.
 */

import { ValidationException } from '../kernel/errors.js';
import type { ObjectStore } from '../kernel/ports.js';
import { violationOperator } from '../model-quality/direction.js';
import {
  type Metric,
  type ModelQualityStatistics,
  modelQualityStatistics,
} from '../model-quality/metrics.js';
import { datasetFiles, MAX_DATASET_BYTES } from './baseline-job.js';
import { ExecutionFailure } from './execution-support.js';
import {
  type ComparisonOperator,
  labelledPredictions,
  type ModelQualityProblemType,
  metricsOf,
  type Prediction,
} from './model-quality-run.js';
import type { ModelQualityBaselineRequest } from './records.js';

export type { ModelQualityBaselineRequest } from './records.js';

import { type CellVisitor, scanCsv } from './statistics/cells.js';
import {
  compileJsonPath,
  formatMonitoringFile,
  InvalidJsonPathError,
  MonitoringError,
  readCsvHeader,
} from './statistics/index.js';

export interface ModelQualityBaselineResult {
  readonly StatisticsS3Uri: string;
  readonly ConstraintsS3Uri: string;
  readonly Rows: number;
}

const CONSTRAINTS_KEY = {
  BinaryClassification: 'binary_classification_constraints',
  MulticlassClassification: 'multiclass_classification_constraints',
  Regression: 'regression_constraints',
} as const;

/** Metrics that are not quality measures of the model and get no constraint. */
const NOT_CONSTRAINED = /(_best_constant_classifier$|^confusion_matrix$|_curve$)/;

/** SageMaker's suggested model-quality constraints from baseline statistics. */
export function suggestModelQualityConstraints(
  statistics: ModelQualityStatistics,
  problemType: ModelQualityProblemType,
): Record<string, unknown> {
  const constraints: Record<string, { threshold: number; comparison_operator: ComparisonOperator }> = {};
  for (const [name, metric] of Object.entries(metricsOf(statistics, problemType))) {
    const value = (metric as Metric | undefined)?.value;
    if (NOT_CONSTRAINED.test(name) || typeof value !== 'number' || !Number.isFinite(value)) continue;
    constraints[name] = {
      threshold: value,
      comparison_operator: violationOperator(name),
    };
  }
  return { version: 0, [CONSTRAINTS_KEY[problemType]]: constraints };
}

type Cell = string | number | undefined;

/** Rows of a CSV body as arrays of cells (numbers where the cell is one). */
function csvRows(body: string): Cell[][] {
  const rows: Cell[][] = [];
  let row: Cell[] = [];
  const visitor: CellVisitor = {
    numberCell: (column, value) => {
      row[column] = value;
    },
    stringCell: (column, value) => {
      row[column] = value;
    },
    missingCell: (column) => {
      row[column] = undefined;
    },
    endRow: () => {
      rows.push(row);
      row = [];
    },
  };
  try {
    scanCsv(body, visitor);
  } catch (error) {
    throw new MonitoringError((error as Error).message);
  }
  return rows;
}

/** Where an attribute is in a CSV row: the header's column of that name, else a 0-based index. */
function csvColumn(attribute: string, header: readonly string[] | undefined, field: string): number {
  const named = header?.indexOf(attribute) ?? -1;
  if (named >= 0) return named;
  if (/^\d+$/.test(attribute.trim())) return Number(attribute);
  throw new ValidationException(
    `${field} '${attribute}' is neither a column of the dataset's header (${header?.join(',') ?? 'no header'}) nor a column index.`,
  );
}

/** Reads an attribute from a JSON Lines record: a `$.`JSONPath, else a key. */
function jsonReader(attribute: string, field: string): (doc: unknown) => unknown {
  if (attribute.trim().startsWith('$')) {
    try {
      const path = compileJsonPath(attribute);
      return (doc) => path.evaluate(doc)[0];
    } catch (error) {
      if (error instanceof InvalidJsonPathError)
        throw new ValidationException(`${field} '${attribute}' is not a JSONPath: ${error.message}`);
      throw error;
    }
  }
  return (doc) =>
    doc && typeof doc === 'object' && !Array.isArray(doc)
      ? (doc as Record<string, unknown>)[attribute]
      : undefined;
}

interface Row {
  readonly prediction: unknown;
  readonly score: unknown;
  readonly label: unknown;
}

async function readRows(objects: ObjectStore, request: ModelQualityBaselineRequest): Promise<Row[]> {
  const files = await datasetFiles(objects, request.DatasetS3Uri, MAX_DATASET_BYTES);
  const rows: Row[] = [];
  const { InferenceAttribute, ProbabilityAttribute, GroundTruthAttribute } = request;
  if ('Csv' in request.DatasetFormat) {
    const header = request.DatasetFormat.Csv.Header !== false;
    for (const file of files) {
      if (file.text.trim() === '') continue;
      const { featureNames, body } = header
        ? readCsvHeader(file.text)
        : { featureNames: undefined, body: file.text };
      const at = (attribute: string | undefined, field: string) =>
        attribute === undefined ? undefined : csvColumn(attribute, featureNames, field);
      const inference = at(InferenceAttribute, 'inference_attribute');
      const probability = at(ProbabilityAttribute, 'probability_attribute');
      const truth = at(GroundTruthAttribute, 'ground_truth_attribute') as number;
      for (const cells of csvRows(body)) {
        rows.push({
          prediction: inference === undefined ? undefined : cells[inference],
          score: probability === undefined ? undefined : cells[probability],
          label: cells[truth],
        });
      }
    }
    return rows;
  }
  const read = (attribute: string | undefined, field: string) =>
    attribute === undefined ? () => undefined : jsonReader(attribute, field);
  const inference = read(InferenceAttribute, 'inference_attribute');
  const probability = read(ProbabilityAttribute, 'probability_attribute');
  const truth = read(GroundTruthAttribute, 'ground_truth_attribute');
  for (const file of files) {
    for (const [i, line] of file.text.split('\n').entries()) {
      if (line.trim() === '') continue;
      let doc: unknown;
      try {
        doc = JSON.parse(line);
      } catch {
        throw new MonitoringError(`line ${i + 1} of ${file.uri} is not JSON`);
      }
      rows.push({ prediction: inference(doc), score: probability(doc), label: truth(doc) });
    }
  }
  return rows;
}

/** Reads the dataset, scores it and writes statistics.json and constraints.json. Bad input → ValidationException. */
export async function suggestModelQualityBaselineJob(
  objects: ObjectStore,
  request: ModelQualityBaselineRequest,
): Promise<ModelQualityBaselineResult> {
  let rows: Row[];
  try {
    rows = await readRows(objects, request);
  } catch (error) {
    if (error instanceof MonitoringError)
      throw new ValidationException(
        `The dataset at ${request.DatasetS3Uri} cannot be used: ${error.message}.`,
      );
    throw error;
  }
  if (rows.length === 0) {
    throw new ValidationException(`The dataset at ${request.DatasetS3Uri} is empty: it holds no rows.`);
  }
  const threshold = request.ProbabilityThresholdAttribute ?? 0.5;
  const joined = rows.map((row, i) => {
    const id = String(i + 1);
    const score = row.score === undefined || row.score === '' ? undefined : Number(row.score);
    if (request.ProbabilityAttribute !== undefined && (score === undefined || !Number.isFinite(score))) {
      throw new ValidationException(
        `Row ${id} of the dataset has no numeric probability in '${request.ProbabilityAttribute}' (probability_attribute): ${JSON.stringify(row.score)}.`,
      );
    }
    let label: string | number;
    if (request.InferenceAttribute !== undefined) {
      if (typeof row.prediction !== 'string' && typeof row.prediction !== 'number') {
        throw new ValidationException(
          `Row ${id} of the dataset has no prediction in '${request.InferenceAttribute}' (inference_attribute).`,
        );
      }
      label = row.prediction;
    } else {
      label = (score as number) >= threshold ? 1 : 0;
    }
    if (typeof row.label !== 'string' && typeof row.label !== 'number' && typeof row.label !== 'boolean') {
      throw new ValidationException(
        `Row ${id} of the dataset has no ground truth in '${request.GroundTruthAttribute}' (ground_truth_attribute).`,
      );
    }
    const prediction: Prediction = { label, ...(score !== undefined ? { score } : {}) };
    return { eventId: `row ${id}`, prediction, label: row.label };
  });
  let statistics: ModelQualityStatistics;
  try {
    statistics = modelQualityStatistics(
      labelledPredictions(request.ProblemType, request.InferenceAttribute !== undefined, joined, (id) => id),
    );
  } catch (error) {
    if (error instanceof ExecutionFailure) throw new ValidationException(error.message);
    throw error;
  }
  const out = request.OutputS3Uri.replace(/\/+$/, '');
  const StatisticsS3Uri = `${out}/statistics.json`;
  const ConstraintsS3Uri = `${out}/constraints.json`;
  const encryption = { kmsKeyId: request.KmsKeyId };
  const constraints = suggestModelQualityConstraints(statistics, request.ProblemType);
  await objects.putText(StatisticsS3Uri, formatMonitoringFile(statistics), 'application/json', encryption);
  await objects.putText(ConstraintsS3Uri, formatMonitoringFile(constraints), 'application/json', encryption);
  return { StatisticsS3Uri, ConstraintsS3Uri, Rows: rows.length };
}
