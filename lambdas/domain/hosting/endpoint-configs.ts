import { checkDataCaptureConfig, type DataCaptureConfig } from '../data-capture/capture-config.js';
import { arn, type ControlContext, epochSeconds, type ListRequest, page, view } from '../kernel/context.js';
import { ValidationException } from '../kernel/errors.js';
import { checkKmsKey } from '../kernel/kms-keys.js';
import type { EndpointConfigInternal, ServerlessConfig } from '../kernel/records.js';
import { COLLECTIONS, type StoredResource, type Timestamp } from '../kernel/records.js';
import { RecordExistsError } from '../kernel/store.js';
import { getModelPackage } from '../model-registry/model-packages.js';
import { checkNewTags, forgetTags, recordTags, type Tag } from '../tags/tags.js';
import { getModel, type ModelRecord } from './models.js';

export interface ProductionVariant {
  VariantName: string;
  ModelName?: string;
  InitialVariantWeight?: number;
  InitialInstanceCount?: number;
  InstanceType?: string;
  ServerlessConfig?: ServerlessConfig;
  [key: string]: unknown;
}

interface EndpointConfigView {
  EndpointConfigName: string;
  EndpointConfigArn: string;
  ProductionVariants: ProductionVariant[];
  ShadowProductionVariants?: ProductionVariant[];
  DataCaptureConfig?: DataCaptureConfig;
  KmsKeyId?: string;
  ExecutionRoleArn?: string;
  VpcConfig?: unknown;
  EnableNetworkIsolation?: boolean;
  AsyncInferenceConfig?: unknown;
  ExplainerConfig?: unknown;
  MetricsConfig?: unknown;
  CreationTime: Timestamp;
}
export type EndpointConfigRecord = StoredResource<EndpointConfigView, EndpointConfigInternal | undefined>;

/** The weight a variant gets when the config leaves InitialVariantWeight out (SageMaker's default). */
export const DEFAULT_VARIANT_WEIGHT = 1;

export async function getEndpointConfig(ctx: ControlContext, name: string): Promise<EndpointConfigRecord> {
  const stored = await ctx.store.get<EndpointConfigRecord>(COLLECTIONS.endpointConfig, name);
  if (!stored) {
    throw new ValidationException(
      `Could not find endpoint configuration "${arn(ctx, 'endpoint-config', name)}".`,
    );
  }
  return stored.data;
}

/**
 * Resolves the models of a config's variants and enforces the registry's rule: a model
 * created from a model package may serve only while that package is Approved.
 */
export async function resolveVariantModels(
  ctx: ControlContext,
  variants: readonly ProductionVariant[],
  field = 'ProductionVariants',
): Promise<ModelRecord[]> {
  return Promise.all(
    variants.map(async (variant, i) => {
      if (!variant.ModelName) throw new ValidationException(`${field}[${i}].ModelName is required.`);
      const model = await getModel(ctx, variant.ModelName);
      if (model.internal.modelPackageArn) {
        const pkg = await getModelPackage(ctx, model.internal.modelPackageArn);
        if (pkg.ModelApprovalStatus !== 'Approved') {
          throw new ValidationException(
            `Model ${model.ModelName} comes from model package ${pkg.ModelPackageArn}, which is ${pkg.ModelApprovalStatus}: only an Approved model package may back an endpoint variant.`,
          );
        }
      }
      return model;
    }),
  );
}

function checkVariants(variants: readonly ProductionVariant[], shadows: readonly ProductionVariant[]): void {
  const names = new Set<string>();
  for (const v of [...variants, ...shadows]) {
    const key = v.VariantName.toLowerCase();
    if (names.has(key))
      throw new ValidationException(`Variant name ${v.VariantName} is used more than once.`);
    names.add(key);
  }
  const total = variants.reduce((sum, v) => sum + (v.InitialVariantWeight ?? DEFAULT_VARIANT_WEIGHT), 0);
  if (total <= 0) {
    throw new ValidationException(
      'The sum of InitialVariantWeight over ProductionVariants must be positive: at least one variant needs traffic.',
    );
  }
}

export async function createEndpointConfig(
  ctx: ControlContext,
  input: Omit<EndpointConfigView, 'EndpointConfigArn' | 'CreationTime'> & { Tags?: readonly Tag[] },
) {
  const tags = checkNewTags(input.Tags);
  const configArn = arn(ctx, 'endpoint-config', input.EndpointConfigName);
  if ((await ctx.store.get(COLLECTIONS.endpointConfig, input.EndpointConfigName)) !== undefined) {
    throw new ValidationException(`Cannot create already existing endpoint configuration "${configArn}".`);
  }
  const shadows = input.ShadowProductionVariants ?? [];
  checkVariants(input.ProductionVariants, shadows);
  checkDataCaptureConfig(input.DataCaptureConfig);
  checkKmsKey(ctx, input.DataCaptureConfig?.KmsKeyId, 'DataCaptureConfig.KmsKeyId');
  await resolveVariantModels(ctx, input.ProductionVariants);
  await resolveVariantModels(ctx, shadows, 'ShadowProductionVariants');
  const { Tags: _tags, ...fields } = input;
  const record: EndpointConfigRecord = {
    ...fields,
    ProductionVariants: input.ProductionVariants.map((v) => ({
      ...v,
      InitialVariantWeight: v.InitialVariantWeight ?? DEFAULT_VARIANT_WEIGHT,
    })),
    EndpointConfigArn: configArn,
    CreationTime: epochSeconds(ctx.now()),
    internal: undefined,
  };
  try {
    await ctx.store.create(COLLECTIONS.endpointConfig, input.EndpointConfigName, record);
  } catch (error) {
    if (error instanceof RecordExistsError) {
      throw new ValidationException(`Cannot create already existing endpoint configuration "${configArn}".`);
    }
    throw error;
  }
  await recordTags(ctx, configArn, tags);
  return { EndpointConfigArn: configArn };
}

/** SageMaker's view, plus `CaptureRedaction` when one is configured (SDKs ignore the extra field). */
export async function describeEndpointConfig(ctx: ControlContext, input: { EndpointConfigName: string }) {
  const config = await getEndpointConfig(ctx, input.EndpointConfigName);
  const redaction = config.internal?.captureRedaction;
  return { ...view(config), ...(redaction && { CaptureRedaction: redaction }) };
}

export async function listEndpointConfigs(ctx: ControlContext, input: ListRequest) {
  const configs = await ctx.store.list<EndpointConfigRecord>(COLLECTIONS.endpointConfig);
  const { items, NextToken } = page(configs, input, (c) => c.EndpointConfigName);
  return {
    EndpointConfigs: items.map((c) => ({
      EndpointConfigName: c.EndpointConfigName,
      EndpointConfigArn: c.EndpointConfigArn,
      CreationTime: c.CreationTime,
    })),
    NextToken,
  };
}

export async function deleteEndpointConfig(ctx: ControlContext, input: { EndpointConfigName: string }) {
  const config = await getEndpointConfig(ctx, input.EndpointConfigName);
  await ctx.store.delete(COLLECTIONS.endpointConfig, input.EndpointConfigName);
  await forgetTags(ctx, config.EndpointConfigArn);
  return {};
}
