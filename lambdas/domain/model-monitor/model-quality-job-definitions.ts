/**
 * Model-quality job definitions (Create/Describe/List/DeleteModelQualityJobDefinition) and the
 * job a `ModelQuality` schedule runs from one.
 *
 * Understudy monitors real-time endpoints (`EndpointInput`): each execution joins the captured
 * predictions of its window (`StartTimeOffset` / `EndTimeOffset` back from the fire time) with
 * the labels under `GroundTruthS3Input.S3Uri`. The prediction is read from the captured output:
 * `InferenceAttribute` is the predicted label or value, `ProbabilityAttribute` the positive
 * class's score, thresholded by `ProbabilityThresholdAttribute` — a column index for CSV
 * output, a key or JSONPath for JSON. What each problem type needs is checked at creation, so
 * nothing is created that no execution could run. Container fields are recorded, not used.
 */

import { getEndpoint } from '../hosting/endpoints.js';
import { parseS3Uri } from '../kernel/artifact.js';
import { arn, type ControlContext, epochSeconds, type ListRequest, view } from '../kernel/context.js';
import { ResourceInUse, ResourceNotFound, ValidationException } from '../kernel/errors.js';
import { checkKmsKey } from '../kernel/kms-keys.js';
import { COLLECTIONS } from '../kernel/records.js';
import { RecordExistsError, type RegistryStore } from '../kernel/store.js';
import { checkNewTags, recordTags, type Tag } from '../tags/tags.js';
import { type DefinitionKind, deleteDefinition, listDefinitions } from './definition-operations.js';
import type {
  EndpointInput,
  ModelQualityJob,
  ModelQualityJobDefinitionRecord,
  ModelQualityJobDefinitionView,
} from './records.js';
import { parseIsoOffset } from './schedule-expression.js';

export function isS3Uri(uri: string | undefined): uri is string {
  return uri !== undefined && parseS3Uri(`${uri.replace(/\/+$/, '')}/x`) !== undefined;
}

export async function getModelQualityJobDefinition(
  store: RegistryStore,
  name: string,
): Promise<ModelQualityJobDefinitionRecord | undefined> {
  return (await store.get<ModelQualityJobDefinitionRecord>(COLLECTIONS.modelQualityJobDefinition, name))
    ?.data;
}

/** The analysis window's offsets back from the fire time, ms: `[start, end)`. */
export function modelQualityOffsets(input: EndpointInput): { startMs: number; endMs: number } | undefined {
  if (input.StartTimeOffset === undefined && input.EndTimeOffset === undefined) return undefined;
  if (input.StartTimeOffset === undefined || input.EndTimeOffset === undefined) {
    throw new ValidationException('EndpointInput needs both StartTimeOffset and EndTimeOffset, or neither.');
  }
  const startMs = parseIsoOffset(input.StartTimeOffset, 'EndpointInput.StartTimeOffset');
  const endMs = parseIsoOffset(input.EndTimeOffset, 'EndpointInput.EndTimeOffset');
  if (startMs > 0 || endMs > 0) {
    throw new ValidationException(
      'EndpointInput StartTimeOffset and EndTimeOffset look back from the execution time: give negative durations such as -P8D and -P1D.',
    );
  }
  if (startMs >= endMs) {
    throw new ValidationException(
      `EndpointInput.StartTimeOffset ${input.StartTimeOffset} must be earlier than EndTimeOffset ${input.EndTimeOffset}.`,
    );
  }
  return { startMs, endMs };
}

/** What the problem type needs of the endpoint input; ValidationException otherwise. */
function checkAttributes(problemType: ModelQualityJob['problemType'], input: EndpointInput): void {
  const { InferenceAttribute: inference, ProbabilityAttribute: probability } = input;
  const threshold = input.ProbabilityThresholdAttribute;
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) {
    throw new ValidationException(`ProbabilityThresholdAttribute ${threshold} must be between 0 and 1.`);
  }
  switch (problemType) {
    case 'BinaryClassification':
      if (inference === undefined && probability === undefined) {
        throw new ValidationException(
          'BinaryClassification needs EndpointInput.InferenceAttribute (the predicted label) or ProbabilityAttribute with ProbabilityThresholdAttribute (the positive class probability and its cut-off).',
        );
      }
      if (inference === undefined && threshold === undefined) {
        throw new ValidationException(
          'BinaryClassification with only ProbabilityAttribute needs ProbabilityThresholdAttribute to turn the probability into a label.',
        );
      }
      return;
    case 'MulticlassClassification':
      if (inference === undefined) {
        throw new ValidationException(
          'MulticlassClassification needs EndpointInput.InferenceAttribute: the predicted class in the endpoint output.',
        );
      }
      return;
    case 'Regression':
      if (inference === undefined) {
        throw new ValidationException(
          'Regression needs EndpointInput.InferenceAttribute: the predicted value in the endpoint output.',
        );
      }
      if (probability !== undefined || threshold !== undefined) {
        throw new ValidationException(
          'Regression takes no ProbabilityAttribute or ProbabilityThresholdAttribute: they are for classification.',
        );
      }
      return;
  }
}

/** The job a definition runs; ValidationException for what Understudy cannot run. */
export function modelQualityJob(def: ModelQualityJobDefinitionView): ModelQualityJob {
  const endpointInput = def.ModelQualityJobInput.EndpointInput;
  if (!endpointInput) {
    throw new ValidationException(
      'Understudy monitors real-time endpoints: give ModelQualityJobInput.EndpointInput (BatchTransformInput is not supported).',
    );
  }
  const { Environment, ProblemType, ...app } = def.ModelQualityAppSpecification;
  if (!ProblemType) {
    throw new ValidationException(
      'ModelQualityAppSpecification.ProblemType is required: BinaryClassification, MulticlassClassification or Regression.',
    );
  }
  checkAttributes(ProblemType, endpointInput);
  modelQualityOffsets(endpointInput);
  const groundTruth = def.ModelQualityJobInput.GroundTruthS3Input?.S3Uri;
  if (!isS3Uri(groundTruth) || !groundTruth.startsWith('s3://')) {
    throw new ValidationException(
      `ModelQualityJobInput.GroundTruthS3Input.S3Uri '${groundTruth ?? ''}' must be an s3://bucket[/prefix] URI.`,
    );
  }
  const constraintsUri = def.ModelQualityBaselineConfig?.ConstraintsResource?.S3Uri;
  if (constraintsUri !== undefined && (!isS3Uri(constraintsUri) || !constraintsUri.startsWith('s3://'))) {
    throw new ValidationException(
      `ModelQualityBaselineConfig.ConstraintsResource.S3Uri '${constraintsUri}' must be an s3:// URI.`,
    );
  }
  const output = def.ModelQualityJobOutputConfig.MonitoringOutputs[0]?.S3Output;
  if (!output || !isS3Uri(output.S3Uri) || !output.S3Uri.startsWith('s3://')) {
    throw new ValidationException(
      `MonitoringOutputs[0].S3Output.S3Uri '${output?.S3Uri ?? ''}' must be an s3://bucket[/prefix] URI.`,
    );
  }
  return {
    jobDefinitionName: def.JobDefinitionName,
    monitoringType: 'ModelQuality',
    problemType: ProblemType,
    endpointInput,
    groundTruthS3Uri: groundTruth.replace(/\/+$/, ''),
    ...(constraintsUri ? { constraintsUri } : {}),
    baseliningJobName: def.ModelQualityBaselineConfig?.BaseliningJobName,
    outputS3Uri: output.S3Uri.replace(/\/+$/, ''),
    outputLocalPath: output.LocalPath,
    kmsKeyId: def.ModelQualityJobOutputConfig.KmsKeyId,
    environment: Environment ?? {},
    appSpecification: app,
    clusterConfig: def.JobResources.ClusterConfig,
    roleArn: def.RoleArn,
    maxRuntimeInSeconds: def.StoppingCondition?.MaxRuntimeInSeconds,
  };
}

export async function createModelQualityJobDefinition(
  ctx: ControlContext,
  input: Omit<ModelQualityJobDefinitionView, 'JobDefinitionArn' | 'CreationTime'> & {
    Tags?: readonly Tag[];
  },
) {
  const tags = checkNewTags(input.Tags);
  const { Tags: _tags, ...fields } = input;
  const record: ModelQualityJobDefinitionRecord = {
    ...fields,
    JobDefinitionArn: arn(ctx, 'model-quality-job-definition', input.JobDefinitionName),
    CreationTime: epochSeconds(ctx.now()),
    internal: undefined,
  };
  const job = modelQualityJob(record);
  checkKmsKey(ctx, job.kmsKeyId, 'ModelQualityJobOutputConfig.KmsKeyId');
  await getEndpoint(ctx, job.endpointInput.EndpointName);
  try {
    await ctx.store.create(COLLECTIONS.modelQualityJobDefinition, input.JobDefinitionName, record);
  } catch (error) {
    if (error instanceof RecordExistsError) {
      throw new ResourceInUse(`Model quality job definition ${input.JobDefinitionName} already exists.`);
    }
    throw error;
  }
  await recordTags(ctx, record.JobDefinitionArn, tags);
  return { JobDefinitionArn: record.JobDefinitionArn };
}

export async function describeModelQualityJobDefinition(
  ctx: ControlContext,
  input: { JobDefinitionName: string },
) {
  const def = await getModelQualityJobDefinition(ctx.store, input.JobDefinitionName);
  if (!def) {
    throw new ResourceNotFound(`Model quality job definition ${input.JobDefinitionName} does not exist.`);
  }
  return view(def);
}

const MODEL_QUALITY: DefinitionKind<ModelQualityJobDefinitionRecord> = {
  collection: COLLECTIONS.modelQualityJobDefinition,
  monitoringType: 'ModelQuality',
  label: 'Model quality job definition',
  endpointOf: (d) => d.ModelQualityJobInput.EndpointInput?.EndpointName,
};

export function listModelQualityJobDefinitions(
  ctx: ControlContext,
  input: ListRequest & { EndpointName?: string },
) {
  return listDefinitions(ctx, MODEL_QUALITY, input);
}

export function deleteModelQualityJobDefinition(ctx: ControlContext, input: { JobDefinitionName: string }) {
  return deleteDefinition(ctx, MODEL_QUALITY, input.JobDefinitionName);
}
