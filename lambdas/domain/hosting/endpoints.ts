import { captureSummary, resolveCapture } from '../data-capture/capture-config.js';
import { DEFAULT_CONTENT_TYPE_RULES } from '../data-capture/capture-record.js';
import { capturesDropped } from '../data-capture/drops.js';
import { readVerifiedModelBytes } from '../kernel/artifact.js';
import {
  arn,
  type ControlContext,
  epochSeconds,
  type ListRequest,
  page,
  toEpoch,
  view,
} from '../kernel/context.js';
import { ValidationException } from '../kernel/errors.js';
import type {
  DeploymentConfig,
  PendingDeploymentSummary,
  RuntimeCapture,
  RuntimeShadow,
  VariantSummaryView,
} from '../kernel/records.js';
import {
  COLLECTIONS,
  type EndpointInternal,
  type RuntimeVariant,
  type StoredResource,
  type Timestamp,
} from '../kernel/records.js';
import { RecordExistsError, type StoreWrite, VersionConflictError } from '../kernel/store.js';
import { checkNewTags, forgetTags, recordTags, type Tag } from '../tags/tags.js';
import {
  DEFAULT_VARIANT_WEIGHT,
  type EndpointConfigRecord,
  getEndpointConfig,
  resolveVariantModels,
} from './endpoint-configs.js';
import type { ModelRecord } from './models.js';

export type EndpointStatus = 'Creating' | 'Updating' | 'InService' | 'Failed' | 'Deleting' | 'RollingBack';

interface EndpointView {
  EndpointName: string;
  EndpointArn: string;
  EndpointConfigName: string;
  ProductionVariants: VariantSummaryView[];
  EndpointStatus: EndpointStatus;
  FailureReason?: string;
  DataCaptureConfig?: ReturnType<typeof captureSummary>;
  CreationTime: Timestamp;
  LastModifiedTime: Timestamp;
  LastDeploymentConfig?: DeploymentConfig;
  PendingDeploymentSummary?: PendingDeploymentSummary;
}
export type EndpointRecord = StoredResource<EndpointView, EndpointInternal>;

export async function getEndpoint(ctx: ControlContext, name: string): Promise<EndpointRecord> {
  const stored = await ctx.store.get<EndpointRecord>(COLLECTIONS.endpoint, name);
  if (!stored) throw new ValidationException(`Could not find endpoint "${arn(ctx, 'endpoint', name)}".`);
  return stored.data;
}

/**
 * What the data plane needs of an endpoint config: each variant's model and artifact,
 * data capture, and config-level shadow variants. Enforces the approval rule on every model.
 */
export async function resolveEndpointRuntime(
  ctx: ControlContext,
  config: EndpointConfigRecord,
): Promise<EndpointInternal> {
  const models = await resolveVariantModels(ctx, config.ProductionVariants);
  const shadowVariants = config.ShadowProductionVariants ?? [];
  const shadowModels = await resolveVariantModels(ctx, shadowVariants, 'ShadowProductionVariants');
  const variants: RuntimeVariant[] = config.ProductionVariants.map((v, i) => {
    const model = models[i] as (typeof models)[number];
    return {
      VariantName: v.VariantName,
      weight: v.InitialVariantWeight ?? DEFAULT_VARIANT_WEIGHT,
      ModelName: model.ModelName,
      artifact: model.internal.artifact,
    };
  });
  const capture = resolveCapture(config.DataCaptureConfig);
  const shadows = resolveConfigShadows(config.ProductionVariants, shadowVariants, shadowModels, capture);
  const redaction = config.internal?.captureRedaction;
  return { variants, capture, shadows, ...(redaction && { redaction }) };
}

/**
 * Creates an endpoint: recorded as Creating, then each variant's artifact is fetched,
 * checked against its registered digest and opened as an ONNX session; the endpoint becomes
 * InService, or Failed with a FailureReason naming the variant and the cause. The settling
 * write is conditional on the Creating record being untouched (with `alsoWrite`'s writes in
 * the same transaction): an endpoint deleted meanwhile is not brought back, and one that a
 * recovery already failed (the function was presumed dead) keeps that answer.
 */
export async function createEndpoint(
  ctx: ControlContext,
  input: {
    EndpointName: string;
    EndpointConfigName: string;
    DeploymentConfig?: unknown;
    Tags?: readonly Tag[];
  },
  alsoWrite: (settled: EndpointRecord) => Promise<readonly StoreWrite[]> = async () => [],
) {
  const tags = checkNewTags(input.Tags);
  const endpointArn = arn(ctx, 'endpoint', input.EndpointName);
  if ((await ctx.store.get(COLLECTIONS.endpoint, input.EndpointName)) !== undefined) {
    throw new ValidationException(`Cannot create already existing endpoint "${endpointArn}".`);
  }
  const config = await getEndpointConfig(ctx, input.EndpointConfigName);
  const runtime = await resolveEndpointRuntime(ctx, config);
  const { variants } = runtime;
  const now = epochSeconds(ctx.now());
  const record: EndpointRecord = {
    EndpointName: input.EndpointName,
    EndpointArn: endpointArn,
    EndpointConfigName: config.EndpointConfigName,
    ProductionVariants: config.ProductionVariants.map((v) => ({
      VariantName: v.VariantName,
      CurrentWeight: v.InitialVariantWeight ?? DEFAULT_VARIANT_WEIGHT,
      DesiredWeight: v.InitialVariantWeight ?? DEFAULT_VARIANT_WEIGHT,
      CurrentServerlessConfig: v.ServerlessConfig,
      DesiredServerlessConfig: v.ServerlessConfig,
    })),
    EndpointStatus: 'Creating',
    CreationTime: now,
    LastModifiedTime: now,
    DataCaptureConfig: captureSummary(runtime.capture),
    internal: runtime,
  };
  try {
    await ctx.store.create(COLLECTIONS.endpoint, input.EndpointName, record);
  } catch (error) {
    if (error instanceof RecordExistsError) {
      throw new ValidationException(`Cannot create already existing endpoint "${endpointArn}".`);
    }
    throw error;
  }
  await recordTags(ctx, endpointArn, tags);
  const failure = await firstLoadFailure(ctx, [...variants, ...(runtime.shadows ?? [])]);
  const settled: EndpointRecord = {
    ...record,
    EndpointStatus: failure ? 'Failed' : 'InService',
    FailureReason: failure,
    LastModifiedTime: epochSeconds(ctx.now()),
  };
  try {
    await ctx.store.transact([
      {
        kind: 'replace',
        collection: COLLECTIONS.endpoint,
        id: input.EndpointName,
        data: settled,
        expectedVersion: CREATED_VERSION,
      },
      ...(await alsoWrite(settled)),
    ]);
  } catch (error) {
    // Someone else decided the endpoint's fate first; as on SageMaker, CreateEndpoint only
    // answers the ARN and DescribeEndpoint tells what became of it.
    if (!(error instanceof VersionConflictError)) throw error;
  }
  return { EndpointArn: endpointArn };
}

/** The version a record has when created (the store's contract: every write bumps it by one). */
const CREATED_VERSION = 1;

/** The first variant whose model does not load (a FailureReason), or undefined when all load. */
export async function firstLoadFailure(
  ctx: ControlContext,
  variants: readonly RuntimeVariant[],
): Promise<string | undefined> {
  for (const variant of variants) {
    try {
      await ctx.models.check(await readVerifiedModelBytes(ctx.artifacts, variant.artifact));
    } catch (error) {
      return `Variant ${variant.VariantName} (model ${variant.ModelName}, ${variant.artifact.uri}) failed to load: ${(error as Error).message}`.slice(
        0,
        1024,
      );
    }
  }
  return undefined;
}

/**
 * SageMaker's view, plus `CapturesDropped`: requests sampled for capture whose copy was not
 * known to reach the mirror queue within the request path's budget (their capture may be
 * missing). SDKs ignore the extra field.
 */
export async function describeEndpoint(ctx: ControlContext, input: { EndpointName: string }) {
  const [endpoint, dropped] = await Promise.all([
    getEndpoint(ctx, input.EndpointName),
    capturesDropped(ctx.store, input.EndpointName),
  ]);
  return { ...view(endpoint), CapturesDropped: dropped };
}

export async function listEndpoints(
  ctx: ControlContext,
  input: ListRequest & {
    StatusEquals?: EndpointStatus;
    LastModifiedTimeAfter?: number | string;
    LastModifiedTimeBefore?: number | string;
  },
) {
  const after = toEpoch(input.LastModifiedTimeAfter);
  const before = toEpoch(input.LastModifiedTimeBefore);
  const endpoints = (await ctx.store.list<EndpointRecord>(COLLECTIONS.endpoint)).filter(
    (e) =>
      (!input.StatusEquals || e.EndpointStatus === input.StatusEquals) &&
      (after === undefined || e.LastModifiedTime > after) &&
      (before === undefined || e.LastModifiedTime < before),
  );
  const { items, NextToken } = page(endpoints, input, (e) => e.EndpointName);
  return {
    Endpoints: items.map((e) => ({
      EndpointName: e.EndpointName,
      EndpointArn: e.EndpointArn,
      CreationTime: e.CreationTime,
      LastModifiedTime: e.LastModifiedTime,
      EndpointStatus: e.EndpointStatus,
    })),
    NextToken,
  };
}

export async function deleteEndpoint(ctx: ControlContext, input: { EndpointName: string }) {
  const endpoint = await getEndpoint(ctx, input.EndpointName);
  await ctx.store.delete(COLLECTIONS.endpoint, input.EndpointName);
  await forgetTags(ctx, endpoint.EndpointArn);
  // The count describes this endpoint; one created later under the name starts from zero.
  await ctx.store.delete(COLLECTIONS.capturesDropped, input.EndpointName);
  return {};
}

/**
 * Shadow variants of an endpoint config (ShadowProductionVariants). As in SageMaker, a
 * shadow's share of mirrored traffic is its weight relative to the production variant's
 * (shadow weight 1 against production weight 1 mirrors every request).
 */
export function resolveConfigShadows(
  production: readonly { VariantName: string; InitialVariantWeight?: number }[],
  shadows: readonly { VariantName: string; InitialVariantWeight?: number }[],
  shadowModels: readonly ModelRecord[],
  capture: RuntimeCapture | undefined,
): RuntimeShadow[] {
  if (shadows.length === 0) return [];
  const source = production[0];
  if (!source || production.length !== 1) {
    throw new ValidationException('ShadowProductionVariants need exactly one production variant to shadow.');
  }
  const sourceWeight = source.InitialVariantWeight ?? 1;
  return shadows.map((shadow, i) => {
    const model = shadowModels[i] as ModelRecord;
    return {
      VariantName: shadow.VariantName,
      weight: 0,
      ModelName: model.ModelName,
      artifact: model.internal.artifact,
      samplingPercentage: Math.min(100, (100 * (shadow.InitialVariantWeight ?? 1)) / sourceWeight),
      sourceVariant: source.VariantName,
      destination: capture?.destination,
      ...(capture?.kmsKeyId ? { kmsKeyId: capture.kmsKeyId } : {}),
      csvContentTypes: capture?.csvContentTypes ?? DEFAULT_CONTENT_TYPE_RULES.csvContentTypes,
      jsonContentTypes: capture?.jsonContentTypes ?? DEFAULT_CONTENT_TYPE_RULES.jsonContentTypes,
    };
  });
}
