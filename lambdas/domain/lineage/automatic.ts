import { createHash } from 'node:crypto';
import * as deployments from '../deployments/operations.js';
import { getEndpointConfig } from '../hosting/endpoint-configs.js';
import * as endpoints from '../hosting/endpoints.js';
import { getModel } from '../hosting/models.js';
import { arn, type ControlContext } from '../kernel/context.js';
import * as packages from '../model-registry/model-packages.js';
import * as experiments from '../shadow-tests/inference-experiments.js';
import { describeTrainingJob } from '../training/training-jobs.js';
import { addAssociation } from './associations.js';
import { createAction, createArtifact, createContext, ensureVertex } from './entities.js';
import { type AssociationType, artifactArn } from './graph.js';

/**
 * The lineage SageMaker records on its own, with its entity types (those the SageMaker
 * Python SDK's LineageSourceEnum names), recorded after the operation that creates the
 * resource succeeded:
 *
 * ```
 * DataSet artifact ──ContributedTo──▶ ModelPackage artifact ──AssociatedWith──▶ ModelGroup context
 * Model artifact (S3 URI) ──ContributedTo──▶ ModelPackage artifact
 * Model artifact, ModelPackage artifact ──ContributedTo──▶ ModelDeployment action ──AssociatedWith──▶ Endpoint context
 * DataSet artifacts (channels), Image artifact ──ContributedTo──▶ TrainingJob action ──Produced──▶ Model artifact
 * ```
 *
 * A package names its training data in `CustomerMetadataProperties.TrainingDataS3Uri`
 * (any other dataset can be tied to the package's artifact with AddAssociation). One
 * ModelDeployment action per endpoint and endpoint config, created when the endpoint starts
 * serving that config (CreateEndpoint, UpdateEndpoint, shadow promotion). Every step is
 * create-if-absent, so recording again (a retried request) changes nothing.
 *
 * These compose the registry's and hosting's operations from above, so those folders stay
 * unaware of lineage and the layer order keeps lineage on top.
 */

/** The CustomerMetadataProperties key naming the S3 URI of a package's training data. */
export const TRAINING_DATA_KEY = 'TrainingDataS3Uri';

export const ENTITY_TYPES = {
  dataSet: 'DataSet',
  model: 'Model',
  modelPackage: 'ModelPackage',
  modelGroup: 'ModelGroup',
  endpoint: 'Endpoint',
  modelDeployment: 'ModelDeployment',
  trainingJob: 'TrainingJob',
  image: 'Image',
} as const;

/**
 * The context with its clock stopped at `epochSeconds`: the lineage of a group or package is
 * dated from the resource it describes, whenever it is recorded.
 */
function asOf(ctx: ControlContext, epochSeconds: number): ControlContext {
  return { ...ctx, now: () => new Date(epochSeconds * 1000) };
}

/** A lineage name (≤ 120 characters) from parts that may together be longer. */
function lineageName(...parts: string[]): string {
  const joined = parts.join('-');
  if (joined.length <= 120) return joined;
  return `${joined.slice(0, 100)}-${createHash('sha256').update(joined).digest('hex').slice(0, 16)}`;
}

async function ensureArtifact(ctx: ControlContext, sourceUri: string, type: string, name?: string) {
  const id = artifactArn(ctx, sourceUri);
  return ensureVertex(ctx, id, () =>
    createArtifact(ctx, {
      ...(name ? { ArtifactName: name } : {}),
      Source: { SourceUri: sourceUri },
      ArtifactType: type,
    }),
  );
}

async function ensureContext(ctx: ControlContext, name: string, sourceUri: string, type: string) {
  return ensureVertex(ctx, arn(ctx, 'context', name), () =>
    createContext(ctx, {
      ContextName: name,
      Source: { SourceUri: sourceUri, SourceType: 'ARN' },
      ContextType: type,
    }),
  );
}

const associate = (ctx: ControlContext, source: string, destination: string, type: AssociationType) =>
  addAssociation(ctx, { SourceArn: source, DestinationArn: destination, AssociationType: type });

/** The ARN of a package's ModelPackage artifact (its SourceUri is the package ARN). */
export function packageArtifactArn(ctx: Pick<ControlContext, 'region' | 'accountId'>, packageArn: string) {
  return artifactArn(ctx, packageArn);
}

function groupContextName(groupName: string) {
  return lineageName(groupName, 'model-group');
}

export async function createModelPackageGroup(
  ctx: ControlContext,
  input: Parameters<typeof packages.createModelPackageGroup>[1],
) {
  const out = await packages.createModelPackageGroup(ctx, input);
  const group = await packages.describeModelPackageGroup(ctx, input);
  await ensureContext(
    asOf(ctx, group.CreationTime),
    groupContextName(input.ModelPackageGroupName),
    out.ModelPackageGroupArn,
    ENTITY_TYPES.modelGroup,
  );
  return out;
}

export async function createModelPackage(
  ctx: ControlContext,
  input: Parameters<typeof packages.createModelPackage>[1],
) {
  const out = await packages.createModelPackage(ctx, input);
  await recordPackageLineage(ctx, out.ModelPackageArn);
  return out;
}

/** The package's artifact, its model data, its group's context and its training data, associated. */
export async function recordPackageLineage(caller: ControlContext, packageArn: string): Promise<string> {
  const pkg = await packages.getModelPackage(caller, packageArn);
  const ctx = asOf(caller, pkg.CreationTime);
  const group = await packages.describeModelPackageGroup(ctx, {
    ModelPackageGroupName: pkg.ModelPackageGroupName,
  });
  const [packageArtifact, modelArtifact, groupContext] = await Promise.all([
    ensureArtifact(
      ctx,
      pkg.ModelPackageArn,
      ENTITY_TYPES.modelPackage,
      lineageName(pkg.ModelPackageGroupName, String(pkg.ModelPackageVersion)),
    ),
    ensureArtifact(ctx, pkg.internal.artifact.uri, ENTITY_TYPES.model),
    ensureContext(
      ctx,
      groupContextName(pkg.ModelPackageGroupName),
      group.ModelPackageGroupArn,
      ENTITY_TYPES.modelGroup,
    ),
  ]);
  const dataset = pkg.CustomerMetadataProperties?.[TRAINING_DATA_KEY];
  await Promise.all([
    associate(ctx, modelArtifact, packageArtifact, 'ContributedTo'),
    associate(ctx, packageArtifact, groupContext, 'AssociatedWith'),
    dataset
      ? ensureArtifact(ctx, dataset, ENTITY_TYPES.dataSet).then((d) =>
          associate(ctx, d, packageArtifact, 'ContributedTo'),
        )
      : undefined,
  ]);
  return packageArtifact;
}

export async function createEndpoint(
  ctx: ControlContext,
  input: Parameters<typeof deployments.createEndpoint>[1],
) {
  const out = await deployments.createEndpoint(ctx, input);
  await recordDeploymentLineage(ctx, input.EndpointName, input.EndpointConfigName);
  return out;
}

export async function updateEndpoint(
  ctx: ControlContext,
  input: Parameters<typeof deployments.updateEndpoint>[1],
) {
  const out = await deployments.updateEndpoint(ctx, input);
  // Recorded once the new config serves traffic (a canary's first step counts); a refused or
  // failed update deployed nothing.
  const endpoint = await endpoints.getEndpoint(ctx, input.EndpointName);
  const serving = [endpoint.EndpointConfigName, endpoint.internal.rollout?.EndpointConfigName];
  if (serving.includes(input.EndpointConfigName)) {
    await recordDeploymentLineage(ctx, input.EndpointName, input.EndpointConfigName);
  }
  return out;
}

/**
 * The endpoint's context and a ModelDeployment action for the config, with each production
 * variant's model artifact (and package artifact, when the model came from a package)
 * contributing to it.
 */
export async function recordDeploymentLineage(
  ctx: ControlContext,
  endpointName: string,
  endpointConfigName: string,
): Promise<void> {
  const config = await getEndpointConfig(ctx, endpointConfigName);
  const endpointArn = arn(ctx, 'endpoint', endpointName);
  const actionName = lineageName(endpointName, endpointConfigName);
  const [endpointContext, action] = await Promise.all([
    ensureContext(ctx, lineageName(endpointName, 'endpoint'), endpointArn, ENTITY_TYPES.endpoint),
    ensureVertex(ctx, arn(ctx, 'action', actionName), () =>
      createAction(ctx, {
        ActionName: actionName,
        Source: { SourceUri: config.EndpointConfigArn, SourceType: 'ARN' },
        ActionType: ENTITY_TYPES.modelDeployment,
        Status: 'Completed',
        Properties: { EndpointName: endpointName, EndpointConfigName: config.EndpointConfigName },
      }),
    ),
  ]);
  await associate(ctx, action, endpointContext, 'AssociatedWith');
  for (const variant of config.ProductionVariants) {
    if (!variant.ModelName) continue;
    const model = await getModel(ctx, variant.ModelName);
    const modelArtifact = await ensureArtifact(ctx, model.internal.artifact.uri, ENTITY_TYPES.model);
    await associate(ctx, modelArtifact, action, 'ContributedTo');
    if (model.internal.modelPackageArn) {
      const packageArtifact = await recordPackageLineage(ctx, model.internal.modelPackageArn);
      await associate(ctx, packageArtifact, action, 'ContributedTo');
    }
  }
}

/** A promoted shadow serves under a new endpoint config: that is a deployment too. */
export async function stopInferenceExperiment(
  ctx: ControlContext,
  input: Parameters<typeof experiments.stopInferenceExperiment>[1],
) {
  const experiment = await experiments.describeInferenceExperiment(ctx, { Name: input.Name });
  const endpointName = experiment.EndpointMetadata.EndpointName;
  const before = (await endpoints.getEndpoint(ctx, endpointName)).EndpointConfigName;
  const out = await experiments.stopInferenceExperiment(ctx, input);
  const after = (await endpoints.getEndpoint(ctx, endpointName)).EndpointConfigName;
  if (after !== before) await recordDeploymentLineage(ctx, endpointName, after);
  return out;
}

/**
 * A completed training job, as SageMaker records one: its input channels as DataSet artifacts
 * and its training image as an Image artifact contributing to the job, and the job producing
 * its `model.tar.gz` as a Model artifact — the same artifact (by S3 URI) that a package or a
 * deployment of that model data contributes from, so the graph (and TraceInference) reaches
 * from a prediction back to the job and its data. SageMaker makes the job a trial component
 * (`{job}-aws-training-job`, source the job's ARN); Understudy's lineage has no trial
 * components, so an action of type TrainingJob under that name stands in, with the
 * hyperparameters as its properties. A package the job registered (ModelPackageConfig) gets
 * its lineage here too: the training function registers through the registry, below lineage.
 * Create-if-absent throughout: recording twice changes nothing. Other outcomes record nothing.
 */
export async function recordTrainingJobLineage(caller: ControlContext, jobName: string): Promise<void> {
  const job = await describeTrainingJob(caller, { TrainingJobName: jobName });
  const modelData = job.ModelArtifacts?.S3ModelArtifacts;
  if (job.TrainingJobStatus !== 'Completed' || !modelData) return;
  const ctx = asOf(caller, job.TrainingEndTime ?? job.CreationTime);
  const actionName = lineageName(jobName, 'aws-training-job');
  const hyperParameters = Object.entries(job.HyperParameters ?? {}).slice(0, 28);
  const image = job.AlgorithmSpecification?.TrainingImage;
  const [action, model] = await Promise.all([
    ensureVertex(ctx, arn(ctx, 'action', actionName), () =>
      createAction(ctx, {
        ActionName: actionName,
        Source: { SourceUri: job.TrainingJobArn, SourceType: 'SageMakerTrainingJob' },
        ActionType: ENTITY_TYPES.trainingJob,
        Status: 'Completed',
        Properties: {
          TrainingJobName: jobName,
          ...(image ? { TrainingImage: image } : {}),
          ...Object.fromEntries(hyperParameters),
        },
      }),
    ),
    ensureArtifact(ctx, modelData, ENTITY_TYPES.model),
  ]);
  const inputs = await Promise.all([
    ...(job.InputDataConfig ?? []).flatMap((channel) => {
      const uri = channel.DataSource.S3DataSource?.S3Uri;
      return uri
        ? [ensureArtifact(ctx, uri, ENTITY_TYPES.dataSet, lineageName(jobName, channel.ChannelName))]
        : [];
    }),
    ...(image ? [ensureArtifact(ctx, image, ENTITY_TYPES.image)] : []),
  ]);
  await Promise.all([
    associate(ctx, action, model, 'Produced'),
    ...inputs.map((input) => associate(ctx, input, action, 'ContributedTo')),
  ]);
  if (job.OutputModelPackageArn) await recordPackageLineage(caller, job.OutputModelPackageArn);
}
