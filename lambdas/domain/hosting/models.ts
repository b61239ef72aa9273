import {
  arn,
  type ControlContext,
  epochSeconds,
  type ListRequest,
  page,
  registerArtifact,
  view,
} from '../kernel/context.js';
import { ValidationException } from '../kernel/errors.js';
import { COLLECTIONS, type ModelInternal, type StoredResource, type Timestamp } from '../kernel/records.js';
import { RecordExistsError } from '../kernel/store.js';
import { containerArtifactUri, getModelPackage } from '../model-registry/model-packages.js';
import { checkNewTags, forgetTags, recordTags, type Tag } from '../tags/tags.js';

interface ContainerDefinition {
  Image?: string;
  ModelDataUrl?: string;
  ModelPackageName?: string;
  ModelDataSource?: { S3DataSource?: { S3Uri: string; S3DataType: string; CompressionType: string } };
  [key: string]: unknown;
}

interface ModelView {
  ModelName: string;
  ModelArn: string;
  PrimaryContainer?: ContainerDefinition;
  Containers?: ContainerDefinition[];
  ExecutionRoleArn?: string;
  InferenceExecutionConfig?: unknown;
  VpcConfig?: unknown;
  EnableNetworkIsolation?: boolean;
  CreationTime: Timestamp;
}
export type ModelRecord = StoredResource<ModelView, ModelInternal>;

export async function getModel(ctx: ControlContext, name: string): Promise<ModelRecord> {
  const stored = await ctx.store.get<ModelRecord>(COLLECTIONS.model, name);
  if (!stored) throw new ValidationException(`Could not find model "${arn(ctx, 'model', name)}".`);
  return stored.data;
}

export async function createModel(
  ctx: ControlContext,
  input: Omit<ModelView, 'ModelArn' | 'CreationTime'> & { Tags?: readonly Tag[] },
) {
  const tags = checkNewTags(input.Tags);
  const containers = input.Containers ?? [];
  if (input.PrimaryContainer && containers.length > 0) {
    throw new ValidationException('Specify either PrimaryContainer or Containers, not both.');
  }
  const container = input.PrimaryContainer ?? containers[0];
  if (!container) throw new ValidationException('PrimaryContainer is required: it names the model artifact.');
  if (containers.length > 1) {
    throw new ValidationException(
      `Understudy serves one ONNX model per model; got ${containers.length} containers.`,
    );
  }
  if ((await ctx.store.get(COLLECTIONS.model, input.ModelName)) !== undefined) {
    throw new ValidationException(
      `Cannot create already existing model "${arn(ctx, 'model', input.ModelName)}".`,
    );
  }
  let internal: ModelInternal;
  if (container.ModelPackageName) {
    const pkg = await getModelPackage(ctx, container.ModelPackageName);
    internal = { artifact: pkg.internal.artifact, modelPackageArn: pkg.ModelPackageArn };
  } else {
    internal = { artifact: await registerArtifact(ctx, containerArtifactUri(container, 'PrimaryContainer')) };
  }
  const { Tags: _tags, ...fields } = input;
  const record: ModelRecord = {
    ...fields,
    ModelArn: arn(ctx, 'model', input.ModelName),
    CreationTime: epochSeconds(ctx.now()),
    internal,
  };
  try {
    await ctx.store.create(COLLECTIONS.model, input.ModelName, record);
  } catch (error) {
    if (error instanceof RecordExistsError) {
      throw new ValidationException(`Cannot create already existing model "${record.ModelArn}".`);
    }
    throw error;
  }
  await recordTags(ctx, record.ModelArn, tags);
  return { ModelArn: record.ModelArn };
}

export async function describeModel(ctx: ControlContext, input: { ModelName: string }) {
  return view(await getModel(ctx, input.ModelName));
}

export async function listModels(ctx: ControlContext, input: ListRequest) {
  const models = await ctx.store.list<ModelRecord>(COLLECTIONS.model);
  const { items, NextToken } = page(models, input, (m) => m.ModelName);
  return {
    Models: items.map((m) => ({
      ModelName: m.ModelName,
      ModelArn: m.ModelArn,
      CreationTime: m.CreationTime,
    })),
    NextToken,
  };
}

export async function deleteModel(ctx: ControlContext, input: { ModelName: string }) {
  const model = await getModel(ctx, input.ModelName);
  await ctx.store.delete(COLLECTIONS.model, input.ModelName);
  await forgetTags(ctx, model.ModelArn);
  return {};
}
