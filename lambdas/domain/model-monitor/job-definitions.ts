/**
 * Data-quality job definitions (Create/Describe/List/DeleteDataQualityJobDefinition) and the
 * job a monitoring schedule runs, whether its config holds the job inline or names a job
 * definition.
 *
 * Understudy runs `DataQuality` monitoring of real-time endpoints (`EndpointInput`) against a
 * baseline (`StatisticsResource` and `ConstraintsResource` are required). Container fields
 * (`ImageUri`, `ClusterConfig`, `RoleArn`, `NetworkConfig`, ...) are accepted, recorded and
 * shown again by DescribeProcessingJob, not used.
 */

import { arn, type ControlContext, epochSeconds, type ListRequest, view } from '../kernel/context.js';
import { ResourceInUse, ResourceNotFound, ValidationException } from '../kernel/errors.js';
import { checkKmsKey } from '../kernel/kms-keys.js';
import { COLLECTIONS } from '../kernel/records.js';
import { RecordExistsError, type RegistryStore } from '../kernel/store.js';
import { checkNewTags, recordTags, type Tag } from '../tags/tags.js';
import { type DefinitionKind, deleteDefinition, listDefinitions } from './definition-operations.js';
import { type JobOptions, jobOptions } from './job-options.js';
import { getModelQualityJobDefinition, isS3Uri, modelQualityJob } from './model-quality-job-definitions.js';
import type {
  AppSpecification,
  BaselineConfig,
  ClusterConfig,
  InlineJobDefinition,
  JobDefinitionRecord,
  JobDefinitionView,
  MonitoringInput,
  MonitoringJob,
  MonitoringOutputConfig,
  MonitoringScheduleConfig,
} from './records.js';

async function getJobDefinition(
  store: RegistryStore,
  name: string,
): Promise<JobDefinitionRecord | undefined> {
  return (await store.get<JobDefinitionRecord>(COLLECTIONS.dataQualityJobDefinition, name))?.data;
}

/** Builds the job the monitor runs; ValidationException for what Understudy cannot run. */
function buildJob(
  source: {
    baseline?: BaselineConfig;
    inputs: MonitoringInput;
    outputs: MonitoringOutputConfig;
    environment?: Record<string, string>;
    app: AppSpecification;
    cluster: ClusterConfig;
    roleArn: string;
    stopping?: { MaxRuntimeInSeconds: number };
  },
  jobDefinitionName?: string,
): { job: MonitoringJob; options: JobOptions } {
  const endpointInput = source.inputs.EndpointInput;
  if (!endpointInput) {
    throw new ValidationException(
      'Understudy monitors real-time endpoints: give EndpointInput (BatchTransformInput is not supported).',
    );
  }
  const statisticsUri = source.baseline?.StatisticsResource?.S3Uri;
  const constraintsUri = source.baseline?.ConstraintsResource?.S3Uri;
  if (!isS3Uri(statisticsUri) || !isS3Uri(constraintsUri)) {
    throw new ValidationException(
      'A data-quality job needs a baseline: BaselineConfig StatisticsResource.S3Uri and ConstraintsResource.S3Uri as s3:// URIs (see Understudy.SuggestBaseline).',
    );
  }
  const output = source.outputs.MonitoringOutputs[0]?.S3Output;
  if (!output || !isS3Uri(output.S3Uri)) {
    throw new ValidationException(
      `MonitoringOutputs[0].S3Output.S3Uri '${output?.S3Uri ?? ''}' must be an s3://bucket[/prefix] URI.`,
    );
  }
  const environment = source.environment ?? {};
  const options = jobOptions(environment, endpointInput);
  return {
    job: {
      jobDefinitionName,
      monitoringType: 'DataQuality',
      endpointInput,
      statisticsUri,
      constraintsUri,
      baseliningJobName: source.baseline?.BaseliningJobName,
      outputS3Uri: output.S3Uri.replace(/\/+$/, ''),
      outputLocalPath: output.LocalPath,
      kmsKeyId: source.outputs.KmsKeyId,
      environment,
      appSpecification: source.app,
      clusterConfig: source.cluster,
      roleArn: source.roleArn,
      maxRuntimeInSeconds: source.stopping?.MaxRuntimeInSeconds,
    },
    options,
  };
}

function jobFromDefinition(def: JobDefinitionView) {
  const { Environment, ...app } = def.DataQualityAppSpecification;
  return buildJob(
    {
      baseline: def.DataQualityBaselineConfig,
      inputs: def.DataQualityJobInput,
      outputs: def.DataQualityJobOutputConfig,
      environment: Environment,
      app,
      cluster: def.JobResources.ClusterConfig,
      roleArn: def.RoleArn,
      stopping: def.StoppingCondition,
    },
    def.JobDefinitionName,
  );
}

function jobFromInline(def: InlineJobDefinition) {
  if (def.MonitoringInputs.length !== 1) {
    throw new ValidationException('MonitoringInputs must hold exactly one input.');
  }
  return buildJob({
    baseline: def.BaselineConfig,
    inputs: def.MonitoringInputs[0] as MonitoringInput,
    outputs: def.MonitoringOutputConfig,
    environment: def.Environment,
    app: def.MonitoringAppSpecification,
    cluster: def.MonitoringResources.ClusterConfig,
    roleArn: def.RoleArn,
    stopping: def.StoppingCondition,
  });
}

/**
 * The job a schedule runs, read afresh (a job definition is looked up by name). Throws
 * ValidationException when it cannot be resolved.
 */
export async function resolveScheduleJob(
  store: RegistryStore,
  config: MonitoringScheduleConfig,
): Promise<{ job: MonitoringJob; options: JobOptions }> {
  const inline = config.MonitoringJobDefinition;
  const name = config.MonitoringJobDefinitionName;
  if ((inline === undefined) === (name === undefined)) {
    throw new ValidationException(
      'MonitoringScheduleConfig needs exactly one of MonitoringJobDefinition and MonitoringJobDefinitionName.',
    );
  }
  const type = config.MonitoringType ?? 'DataQuality';
  if (type === 'ModelQuality') {
    if (inline) {
      throw new ValidationException(
        'A ModelQuality schedule names a model-quality job definition: give MonitoringJobDefinitionName (see CreateModelQualityJobDefinition).',
      );
    }
    const def = await getModelQualityJobDefinition(store, name as string);
    if (!def) throw new ValidationException(`Model quality job definition ${name} does not exist.`);
    const job = modelQualityJob(def);
    // The prediction attributes are read by the model-quality runner, not as JSONPaths: only
    // the captured output is needed.
    return { job, options: { ...jobOptions(job.environment, {}), analyseInput: false, analyseOutput: true } };
  }
  if (type !== 'DataQuality') {
    throw new ValidationException(
      `MonitoringType ${type} is not supported: Understudy runs DataQuality and ModelQuality monitoring.`,
    );
  }
  if (inline) return jobFromInline(inline);
  const def = await getJobDefinition(store, name as string);
  if (!def) throw new ValidationException(`Data quality job definition ${name} does not exist.`);
  return jobFromDefinition(def);
}

export async function createDataQualityJobDefinition(
  ctx: ControlContext,
  input: Omit<JobDefinitionView, 'JobDefinitionArn' | 'CreationTime'> & { Tags?: readonly Tag[] },
) {
  const tags = checkNewTags(input.Tags);
  const { Tags: _tags, ...fields } = input;
  const record: JobDefinitionRecord = {
    ...fields,
    JobDefinitionArn: arn(ctx, 'data-quality-job-definition', input.JobDefinitionName),
    CreationTime: epochSeconds(ctx.now()),
    internal: undefined,
  };
  checkKmsKey(ctx, jobFromDefinition(record).job.kmsKeyId, 'DataQualityJobOutputConfig.KmsKeyId');
  try {
    await ctx.store.create(COLLECTIONS.dataQualityJobDefinition, input.JobDefinitionName, record);
  } catch (error) {
    if (error instanceof RecordExistsError) {
      throw new ResourceInUse(`Data quality job definition ${input.JobDefinitionName} already exists.`);
    }
    throw error;
  }
  await recordTags(ctx, record.JobDefinitionArn, tags);
  return { JobDefinitionArn: record.JobDefinitionArn };
}

export async function describeDataQualityJobDefinition(
  ctx: ControlContext,
  input: { JobDefinitionName: string },
) {
  const def = await getJobDefinition(ctx.store, input.JobDefinitionName);
  if (!def)
    throw new ResourceNotFound(`Data quality job definition ${input.JobDefinitionName} does not exist.`);
  return view(def);
}

const DATA_QUALITY: DefinitionKind<JobDefinitionRecord> = {
  collection: COLLECTIONS.dataQualityJobDefinition,
  monitoringType: 'DataQuality',
  label: 'Data quality job definition',
  endpointOf: (d) => d.DataQualityJobInput.EndpointInput?.EndpointName,
};

export function listDataQualityJobDefinitions(
  ctx: ControlContext,
  input: ListRequest & { EndpointName?: string },
) {
  return listDefinitions(ctx, DATA_QUALITY, input);
}

export function deleteDataQualityJobDefinition(ctx: ControlContext, input: { JobDefinitionName: string }) {
  return deleteDefinition(ctx, DATA_QUALITY, input.JobDefinitionName);
}
