/**
 * How a model package names its labelled evaluation dataset, and the dataset read into what the
 * endpoint would be sent (feature rows as CSV) and the labels beside them.
 *
 * SageMaker's own word for "run the model on a dataset when it is registered" is
 * CreateModelPackage's `ValidationSpecification`: one profile whose transform job reads
 * `TransformInput.DataSource.S3DataSource.S3Uri` and writes under `TransformOutput.S3OutputPath`.
 * Understudy reads it so, rather than a CustomerMetadataProperties convention or an operation of
 * its own: the request is SageMaker's, SDKs send it unchanged (`ModelPackage` / `register()` take
 * `validation_specification`), and ModelPackageStatusDetails.ValidationStatuses, which SageMaker
 * fills from these profiles, says the evaluation ran. What SageMaker's transform job has no field
 * for (the problem type and the label column) goes in the transform's `Environment`, under the
 * names SageMaker's model-quality analyzer takes them (`ModelQualityMonitor.suggest_baseline`):
 * `problem_type`, `ground_truth_attribute`, `inference_attribute`, `probability_attribute`,
 * `dataset_format`.
 *
 * The dataset is CSV (`ContentType` text/csv or absent, no compression). By default it has no
 * header and the label is the first column — the layout of the built-in algorithms' train and
 * validation channels, so a training job's validation channel evaluates its model as it is.
 * `dataset_format` `{"csv": {"header": true}}` says the first line names the columns, and
 * `ground_truth_attribute` names the label column (a name with a header, else a 0-based index).
 * Every other column is a feature, in order. It is bounded like one InvokeEndpoint request
 * (6 MB of features, 10,000 rows), which is what lets it run while CreateModelPackage waits.
 */

import { ValidationException } from '../kernel/errors.js';
import type { ProblemType } from '../model-quality/metrics.js';

export const PROBLEM_TYPES = ['BinaryClassification', 'MulticlassClassification', 'Regression'] as const;

/** What a ValidationSpecification asks of the evaluation. */
export interface EvaluationSpec {
  readonly profileName: string;
  readonly datasetUri: string;
  readonly outputUri: string;
  readonly problemType: ProblemType;
  readonly header: boolean;
  /** The label column: its name (with a header) or its 0-based index. */
  readonly groundTruthAttribute: string;
  /** ONNX output names to read the prediction and the positive class's probability from. */
  readonly inferenceAttribute?: string;
  readonly probabilityAttribute?: string;
}

interface ValidationSpecificationInput {
  ValidationProfiles?: {
    ProfileName?: string;
    TransformJobDefinition?: {
      Environment?: Record<string, string>;
      TransformInput?: {
        DataSource?: { S3DataSource?: { S3DataType?: string; S3Uri?: string } };
        ContentType?: string;
        CompressionType?: string;
      };
      TransformOutput?: { S3OutputPath?: string };
    };
  }[];
}

const where = 'ValidationSpecification.ValidationProfiles[0].TransformJobDefinition';

/** The evaluation a ValidationSpecification describes; ValidationException for what cannot run. */
export function evaluationSpec(specification: unknown): EvaluationSpec {
  const profiles = (specification as ValidationSpecificationInput | undefined)?.ValidationProfiles ?? [];
  const profile = profiles[0];
  if (profiles.length !== 1 || !profile?.ProfileName || !profile.TransformJobDefinition) {
    throw new ValidationException(
      'ValidationSpecification needs exactly one ValidationProfile with a TransformJobDefinition: its input is the labelled evaluation dataset.',
    );
  }
  const job = profile.TransformJobDefinition;
  const source = job.TransformInput?.DataSource?.S3DataSource;
  if (!source?.S3Uri?.startsWith('s3://')) {
    throw new ValidationException(
      `${where}.TransformInput.DataSource.S3DataSource.S3Uri must be an s3:// URI.`,
    );
  }
  if (source.S3DataType !== 'S3Prefix') {
    throw new ValidationException(
      `${where}.TransformInput.DataSource.S3DataSource.S3DataType must be S3Prefix (the CSV object, or a prefix whose objects are read in key order); got ${source.S3DataType}.`,
    );
  }
  const contentType = job.TransformInput?.ContentType;
  if (contentType !== undefined && contentType.split(';')[0]?.trim().toLowerCase() !== 'text/csv') {
    throw new ValidationException(
      `${where}.TransformInput.ContentType ${contentType}: the evaluation dataset must be text/csv.`,
    );
  }
  if ((job.TransformInput?.CompressionType ?? 'None') !== 'None') {
    throw new ValidationException(`${where}.TransformInput.CompressionType must be None.`);
  }
  const output = job.TransformOutput?.S3OutputPath;
  if (!output?.startsWith('s3://')) {
    throw new ValidationException(`${where}.TransformOutput.S3OutputPath must be an s3:// URI.`);
  }
  const env = job.Environment ?? {};
  const problemType = env.problem_type;
  if (!PROBLEM_TYPES.includes(problemType as ProblemType)) {
    throw new ValidationException(
      `${where}.Environment.problem_type must be one of ${PROBLEM_TYPES.join(', ')}; got ${problemType === undefined ? 'nothing' : JSON.stringify(problemType)}.`,
    );
  }
  return {
    profileName: profile.ProfileName,
    datasetUri: source.S3Uri,
    outputUri: output.replace(/\/+$/, ''),
    problemType: problemType as ProblemType,
    header: headerOf(env.dataset_format),
    groundTruthAttribute: env.ground_truth_attribute ?? '0',
    ...(env.inference_attribute !== undefined && { inferenceAttribute: env.inference_attribute }),
    ...(env.probability_attribute !== undefined && { probabilityAttribute: env.probability_attribute }),
  };
}

/** `dataset_format` as the model-quality analyzer takes it: `{"csv": {"header": true}}`. */
function headerOf(format: string | undefined): boolean {
  if (format === undefined) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(format);
  } catch {
    parsed = undefined;
  }
  const csv = (parsed as { csv?: { header?: unknown } } | undefined)?.csv;
  if (!csv || typeof csv !== 'object' || (csv.header !== undefined && typeof csv.header !== 'boolean')) {
    throw new ValidationException(
      `${where}.Environment.dataset_format must be {"csv": {"header": true|false}}; got ${format}.`,
    );
  }
  return csv.header === true;
}

/** The dataset split into the features the model is sent and the labels they are scored against. */
export interface EvaluationRows {
  /** The feature columns, one CSV line per row, as an InvokeEndpoint body would carry them. */
  readonly featuresCsv: string;
  /** Each row's label text, in row order. */
  readonly labels: readonly string[];
  /** The dataset line of each row (1-based), for messages. */
  readonly lines: readonly number[];
}

/** Splits the dataset's label column from its features; ValidationException when it is missing. */
export function splitLabels(text: string, spec: EvaluationSpec, maxRows: number): EvaluationRows {
  const all = text.split(/\r?\n/);
  while (all.length > 0 && all[all.length - 1]?.trim() === '') all.pop();
  let first = 0;
  let labelIndex: number;
  if (spec.header) {
    const names = (all[0] ?? '').split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    labelIndex = names.indexOf(spec.groundTruthAttribute);
    if (labelIndex < 0) {
      throw new ValidationException(
        `The evaluation dataset ${spec.datasetUri} has no label column '${spec.groundTruthAttribute}' (ground_truth_attribute); its header names ${names.join(', ')}.`,
      );
    }
    first = 1;
  } else {
    labelIndex = Number(spec.groundTruthAttribute);
    if (!Number.isInteger(labelIndex) || labelIndex < 0) {
      throw new ValidationException(
        `ground_truth_attribute '${spec.groundTruthAttribute}' must be a 0-based column index: the evaluation dataset has no header (dataset_format {"csv": {"header": true}} names columns).`,
      );
    }
  }
  const rows = all.length - first;
  if (rows <= 0) throw new ValidationException(`The evaluation dataset ${spec.datasetUri} holds no rows.`);
  if (rows > maxRows) {
    throw new ValidationException(
      `The evaluation dataset ${spec.datasetUri} holds ${rows} rows; an evaluation at registration takes at most ${maxRows} (as one InvokeEndpoint request).`,
    );
  }
  const features: string[] = [];
  const labels: string[] = [];
  const lines: number[] = [];
  for (let i = first; i < all.length; i++) {
    const cells = (all[i] as string).split(',');
    if (cells.length <= labelIndex) {
      throw new ValidationException(
        `Line ${i + 1} of the evaluation dataset ${spec.datasetUri} has ${cells.length} columns: the label column (ground_truth_attribute ${spec.groundTruthAttribute}, index ${labelIndex}) is missing.`,
      );
    }
    if (cells.length === 1) {
      throw new ValidationException(
        `Line ${i + 1} of the evaluation dataset ${spec.datasetUri} holds only the label: the features are missing.`,
      );
    }
    labels.push((cells[labelIndex] as string).trim().replace(/^"(.*)"$/, '$1'));
    cells.splice(labelIndex, 1);
    features.push(cells.join(','));
    lines.push(i + 1);
  }
  return { featuresCsv: `${features.join('\n')}\n`, labels, lines };
}
