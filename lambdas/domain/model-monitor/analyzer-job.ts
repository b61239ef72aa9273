/**
 * Model Monitor's analyzer as a processing job: what `DefaultModelMonitor.suggest_baseline`
 * sends (CreateProcessingJob with the `sagemaker-model-monitor-analyzer` image) mapped onto
 * Understudy's baseline suggestion, as the analyzer container reads its request:
 *
 * - `Environment.dataset_source` is the LocalPath of the ProcessingInput holding the dataset,
 *   whose `S3Input.S3Uri` is read (an object, or every object under a prefix);
 * - `Environment.output_path` is the LocalPath of the ProcessingOutput whose `S3Output.S3Uri`
 *   receives statistics.json and constraints.json;
 * - `Environment.dataset_format` is the SDK's `DatasetFormat` as JSON:
 *   `{"csv": {"header": true, "output_columns_position": "START"}}` or `{"json": {"lines": true}}`.
 *
 * With `Environment.analysis_type=MODEL_QUALITY` (`ModelQualityMonitor.suggest_baseline`) the
 * dataset is labelled predictions and the job is the model-quality baseline
 * (model-quality-baseline.ts): `problem_type`, `inference_attribute`, `probability_attribute`,
 * `probability_threshold_attribute` and `ground_truth_attribute` say where what is.
 *
 * What Understudy cannot do as the analyzer would is refused with the reason, never ignored:
 * other images, preprocessing and post-analytics scripts, parquet, manifest, compressed or
 * non-S3 inputs.
 */
import { ValidationException } from '../kernel/errors.js';
import type { SuggestBaselineRequest } from './baseline-job.js';
import type { ModelQualityBaselineRequest } from './model-quality-baseline.js';
import type { ModelQualityProblemType } from './model-quality-run.js';
import type { ProcessingJobRequest } from './records.js';

/** What a processing job of the analyzer runs: a data-quality or a model-quality baseline. */
export type AnalyzerJob =
  | { readonly baseline: SuggestBaselineRequest }
  | { readonly modelQualityBaseline: ModelQualityBaselineRequest };

/** The analyzer's ECR repository name; SageMaker's image URIs differ by region and account. */
export const ANALYZER_REPOSITORY = 'sagemaker-model-monitor-analyzer';

/**
 * The repository name of an image URI: `[host/][path/]name[:tag][@digest]` → `name`.
 * `156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest`
 * → `sagemaker-model-monitor-analyzer`.
 */
export function repositoryName(imageUri: string): string {
  const withoutDigest = imageUri.split('@', 1)[0] ?? '';
  const last = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  return last.split(':', 1)[0] ?? '';
}

/** Environment keys of scripts the analyzer would run, which Understudy cannot. */
const SCRIPT_KEYS = {
  record_preprocessor_script: 'record preprocessor script',
  post_analytics_processor_script: 'post-analytics processor script',
} as const;

const trimSlash = (path: string) => path.replace(/\/+$/, '');

function parseDatasetFormat(text: string | undefined): SuggestBaselineRequest['DatasetFormat'] {
  if (text === undefined) {
    throw new ValidationException(
      'Environment.dataset_format is required for the analyzer: {"csv": {"header": true}} or {"json": {"lines": true}}.',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationException(`Environment.dataset_format is not JSON: ${text}`);
  }
  const format = (value ?? {}) as Record<string, Record<string, unknown> | undefined>;
  if (format.csv && typeof format.csv === 'object') {
    const position = format.csv.output_columns_position;
    // Where the model's output columns are only matters when outputs are told apart from
    // features; a data-quality baseline describes every column alike, as the analyzer does.
    if (position !== undefined && position !== 'START' && position !== 'END') {
      throw new ValidationException(
        `Environment.dataset_format csv.output_columns_position must be START or END, not ${JSON.stringify(position)}.`,
      );
    }
    return { Csv: { Header: format.csv.header !== false } };
  }
  if (format.json && typeof format.json === 'object') {
    if (format.json.lines === false) {
      throw new ValidationException(
        'Environment.dataset_format json needs "lines": true: Understudy reads JSON Lines datasets (one object per line).',
      );
    }
    return { Json: { Line: true } };
  }
  throw new ValidationException(
    `Environment.dataset_format ${text} is not one Understudy reads: use {"csv": {"header": true}} or {"json": {"lines": true}} (parquet and capture files are not read for a baseline).`,
  );
}

/**
 * The baseline suggestion a CreateProcessingJob request stands for, or a ValidationException
 * saying why Understudy cannot run it. Checks the request alone; buckets are checked by the caller.
 */
export function analyzerJob(request: ProcessingJobRequest): AnalyzerJob {
  const image = request.AppSpecification.ImageUri;
  if (repositoryName(image) !== ANALYZER_REPOSITORY) {
    throw new ValidationException(
      `AppSpecification.ImageUri ${image} is not an image Understudy runs. Understudy runs Model Monitor's analyzer (the ${ANALYZER_REPOSITORY} image of any region or account, any tag), which suggests a data-quality baseline; run other containers on SageMaker.`,
    );
  }
  const { ContainerEntrypoint, ContainerArguments } = request.AppSpecification;
  if (ContainerEntrypoint?.length || ContainerArguments?.length) {
    throw new ValidationException(
      'AppSpecification.ContainerEntrypoint and ContainerArguments cannot be run: Understudy runs the analyzer itself, as its default entrypoint does.',
    );
  }
  const env = request.Environment ?? {};
  const analysis = env.analysis_type;
  if (analysis !== undefined && analysis !== 'DATA_QUALITY' && analysis !== 'MODEL_QUALITY') {
    throw new ValidationException(
      `Environment.analysis_type ${analysis} is not one Understudy runs: the analyzer runs DATA_QUALITY and MODEL_QUALITY baselines.`,
    );
  }
  for (const [key, what] of Object.entries(SCRIPT_KEYS)) {
    if (env[key] !== undefined) {
      throw new ValidationException(
        `Environment.${key} names a ${what} (${env[key]}), which Understudy cannot run: it runs no user code. Preprocess the dataset before baselining, or leave the script out.`,
      );
    }
  }
  if (env.categorical_drift_method !== undefined) {
    throw new ValidationException(
      `Environment.categorical_drift_method (monitoring_config_override) is not applied to suggested constraints yet; suggest the baseline without it and set monitoring_config.distribution_constraints.categorical_drift_method to ${env.categorical_drift_method} in constraints.json.`,
    );
  }
  const DatasetFormat = parseDatasetFormat(env.dataset_format);

  const source = env.dataset_source;
  if (source === undefined) {
    throw new ValidationException(
      'Environment.dataset_source is required: the LocalPath of the ProcessingInput that holds the dataset.',
    );
  }
  const input = (request.ProcessingInputs ?? []).find(
    (i) => i.S3Input?.LocalPath !== undefined && trimSlash(i.S3Input.LocalPath) === trimSlash(source),
  );
  if (!input?.S3Input) {
    throw new ValidationException(
      `No ProcessingInput has S3Input.LocalPath ${source} (Environment.dataset_source): the dataset input is missing.`,
    );
  }
  const s3Input = input.S3Input;
  if (!/^s3:\/\/[^/]+/.test(s3Input.S3Uri)) {
    throw new ValidationException(
      `ProcessingInput ${input.InputName}: S3Uri ${s3Input.S3Uri} is not an s3://bucket/key URI.`,
    );
  }
  if (s3Input.S3DataType === 'ManifestFile') {
    throw new ValidationException(
      `ProcessingInput ${input.InputName}: S3DataType ManifestFile is not read; give the dataset as an S3Prefix (an object or a prefix).`,
    );
  }
  if (s3Input.S3CompressionType === 'Gzip') {
    throw new ValidationException(
      `ProcessingInput ${input.InputName}: S3CompressionType Gzip is not read; give the dataset uncompressed.`,
    );
  }

  const outputPath = env.output_path;
  if (outputPath === undefined) {
    throw new ValidationException(
      'Environment.output_path is required: the LocalPath of the ProcessingOutput that receives statistics.json and constraints.json.',
    );
  }
  const output = (request.ProcessingOutputConfig?.Outputs ?? []).find(
    (o) => o.S3Output?.LocalPath !== undefined && trimSlash(o.S3Output.LocalPath) === trimSlash(outputPath),
  );
  if (!output?.S3Output) {
    throw new ValidationException(
      `No ProcessingOutput has S3Output.LocalPath ${outputPath} (Environment.output_path): the output is missing.`,
    );
  }
  if (!/^s3:\/\/[^/]+/.test(output.S3Output.S3Uri)) {
    throw new ValidationException(
      `ProcessingOutput ${output.OutputName}: S3Uri ${output.S3Output.S3Uri} is not an s3://bucket/key URI.`,
    );
  }
  const KmsKeyId = request.ProcessingOutputConfig?.KmsKeyId;
  const baseline: SuggestBaselineRequest = {
    DatasetS3Uri: s3Input.S3Uri,
    DatasetFormat,
    OutputS3Uri: output.S3Output.S3Uri,
    ...(KmsKeyId && { KmsKeyId }),
  };
  if (analysis !== 'MODEL_QUALITY') return { baseline };
  return { modelQualityBaseline: { ...baseline, ...modelQualityAttributes(env, DatasetFormat) } };
}

const PROBLEM_TYPES: readonly ModelQualityProblemType[] = [
  'BinaryClassification',
  'MulticlassClassification',
  'Regression',
];

/** The model-quality analyzer's attributes, checked as CreateModelQualityJobDefinition checks its own. */
function modelQualityAttributes(
  env: Record<string, string>,
  format: SuggestBaselineRequest['DatasetFormat'],
): Omit<ModelQualityBaselineRequest, keyof SuggestBaselineRequest> {
  const ProblemType = env.problem_type as ModelQualityProblemType | undefined;
  if (ProblemType === undefined || !PROBLEM_TYPES.includes(ProblemType)) {
    throw new ValidationException(
      `Environment.problem_type ${ProblemType === undefined ? 'is required for' : `${JSON.stringify(ProblemType)} is not one of`} the model-quality analyzer: ${PROBLEM_TYPES.join(' | ')}.`,
    );
  }
  const GroundTruthAttribute = env.ground_truth_attribute;
  if (GroundTruthAttribute === undefined || GroundTruthAttribute.trim() === '') {
    throw new ValidationException(
      'Environment.ground_truth_attribute is required for the model-quality analyzer: the column (or JSON key) of the dataset holding the true labels.',
    );
  }
  const InferenceAttribute = env.inference_attribute;
  const ProbabilityAttribute = env.probability_attribute;
  const thresholdText = env.probability_threshold_attribute;
  const ProbabilityThresholdAttribute = thresholdText === undefined ? undefined : Number(thresholdText);
  if (
    ProbabilityThresholdAttribute !== undefined &&
    (thresholdText?.trim() === '' ||
      !Number.isFinite(ProbabilityThresholdAttribute) ||
      ProbabilityThresholdAttribute < 0 ||
      ProbabilityThresholdAttribute > 1)
  ) {
    throw new ValidationException(
      `Environment.probability_threshold_attribute ${JSON.stringify(thresholdText)} must be a number from 0 to 1.`,
    );
  }
  if (ProblemType === 'BinaryClassification') {
    if (InferenceAttribute === undefined && ProbabilityAttribute === undefined) {
      throw new ValidationException(
        'BinaryClassification needs Environment.inference_attribute (the predicted label) or probability_attribute (the positive class probability, thresholded by probability_threshold_attribute).',
      );
    }
  } else {
    if (InferenceAttribute === undefined) {
      throw new ValidationException(
        `${ProblemType} needs Environment.inference_attribute: the column (or JSON key) of the predicted ${ProblemType === 'Regression' ? 'value' : 'label'}.`,
      );
    }
    if (ProbabilityAttribute !== undefined || ProbabilityThresholdAttribute !== undefined) {
      throw new ValidationException(
        `Environment.probability_attribute and probability_threshold_attribute apply to BinaryClassification only, not ${ProblemType}.`,
      );
    }
  }
  if ('Csv' in format && format.Csv.Header === false) {
    for (const [key, value] of Object.entries({
      inference_attribute: InferenceAttribute,
      probability_attribute: ProbabilityAttribute,
      ground_truth_attribute: GroundTruthAttribute,
    })) {
      if (value !== undefined && !/^\d+$/.test(value.trim())) {
        throw new ValidationException(
          `Environment.${key} '${value}' must be a 0-based column index: the CSV dataset has no header to name columns.`,
        );
      }
    }
  }
  return {
    ProblemType,
    GroundTruthAttribute,
    ...(InferenceAttribute !== undefined && { InferenceAttribute }),
    ...(ProbabilityAttribute !== undefined && { ProbabilityAttribute }),
    ...(ProbabilityThresholdAttribute !== undefined && { ProbabilityThresholdAttribute }),
  };
}
