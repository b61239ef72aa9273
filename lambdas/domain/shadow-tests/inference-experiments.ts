import { randomUUID } from 'node:crypto';
import { DEFAULT_CONTENT_TYPE_RULES } from '../data-capture/capture-record.js';
import { fleetOf } from '../deployments/engine.js';
import { nextHistoryId, recordDeployment, servingVariants } from '../deployments/history.js';
import { type EndpointConfigRecord, getEndpointConfig } from '../hosting/endpoint-configs.js';
import type { EndpointRecord } from '../hosting/endpoints.js';
import { getModel, type ModelRecord } from '../hosting/models.js';
import {
  arn,
  type ControlContext,
  epochSeconds,
  type ListRequest,
  page,
  toEpoch,
  userContext,
  view,
} from '../kernel/context.js';
import { ApiError, ConflictException, ResourceInUse, ValidationException } from '../kernel/errors.js';
import { checkKmsKey } from '../kernel/kms-keys.js';
import { COLLECTIONS, type RuntimeShadow, type StoredResource, type Timestamp } from '../kernel/records.js';
import {
  RecordExistsError,
  retryOnConflict,
  type StoredRecord,
  VersionConflictError,
} from '../kernel/store.js';
import { checkNewTags, recordTags, type Tag } from '../tags/tags.js';
import { type ComparisonConfig, resolveComparisonConfig } from './index.js';

export type ExperimentStatus =
  | 'Creating'
  | 'Created'
  | 'Updating'
  | 'Running'
  | 'Starting'
  | 'Stopping'
  | 'Completed'
  | 'Cancelled';

interface ModelVariantConfig {
  ModelName: string;
  VariantName: string;
  InfrastructureConfig: unknown;
}

interface ShadowModeConfig {
  SourceModelVariantName: string;
  ShadowModelVariants: { ShadowModelVariantName: string; SamplingPercentage: number }[];
}

interface DataStorageConfig {
  Destination: string;
  KmsKey?: string;
  ContentType?: { CsvContentTypes?: string[]; JsonContentTypes?: string[] };
}

interface ExperimentView {
  Arn: string;
  Name: string;
  Type: 'ShadowMode';
  Schedule: { StartTime: Timestamp; EndTime: Timestamp };
  Status: ExperimentStatus;
  StatusReason?: string;
  Description?: string;
  CreationTime: Timestamp;
  CompletionTime?: Timestamp;
  LastModifiedTime: Timestamp;
  RoleArn: string;
  EndpointMetadata: { EndpointName: string; EndpointConfigName?: string; EndpointStatus?: string };
  ModelVariants: (ModelVariantConfig & { Status: 'Creating' | 'InService' | 'Deleted' })[];
  DataStorageConfig?: DataStorageConfig;
  ShadowModeConfig: ShadowModeConfig;
  KmsKey?: string;
}
export type ExperimentRecord = StoredResource<ExperimentView, { comparison?: ComparisonConfig } | undefined>;

/** SageMaker runs an experiment without an end for at most 30 days; Understudy defaults to 7. */
const DEFAULT_DURATION_SECONDS = 7 * 24 * 3600;
const ACTIVE: readonly ExperimentStatus[] = [
  'Creating',
  'Created',
  'Updating',
  'Running',
  'Starting',
  'Stopping',
];

class ExperimentNotFound extends ApiError {
  constructor(name: string) {
    super('ResourceNotFound', 400, `Inference experiment ${name} does not exist.`);
  }
}

export async function getExperiment(ctx: ControlContext, name: string) {
  const stored = await ctx.store.get<ExperimentRecord>(COLLECTIONS.inferenceExperiment, name);
  if (!stored) throw new ExperimentNotFound(name);
  return settle(ctx, stored.data, stored.version);
}

/**
 * The experiment and the version its conditional writes compare: settled first, and read again
 * when settling changed it, so the version is the stored one.
 */
async function readExperiment(ctx: ControlContext, name: string): Promise<StoredRecord<ExperimentRecord>> {
  for (;;) {
    const stored = await ctx.store.get<ExperimentRecord>(COLLECTIONS.inferenceExperiment, name);
    if (!stored) throw new ExperimentNotFound(name);
    if ((await settle(ctx, stored.data, stored.version)) === stored.data) return stored;
  }
}

async function getEndpointRecord(ctx: ControlContext, name: string) {
  const stored = await ctx.store.get<EndpointRecord>(COLLECTIONS.endpoint, name);
  if (!stored) throw new ValidationException(`Could not find endpoint "${arn(ctx, 'endpoint', name)}".`);
  return stored;
}

/** An experiment past its schedule's end has completed, whether or not anyone stopped it. */
async function settle(
  ctx: ControlContext,
  record: ExperimentRecord,
  version: number,
): Promise<ExperimentRecord> {
  const now = epochSeconds(ctx.now());
  if (record.Status !== 'Running' || now < record.Schedule.EndTime) return record;
  const completed: ExperimentRecord = {
    ...record,
    Status: 'Completed',
    StatusReason: 'The experiment reached the end of its schedule.',
    CompletionTime: record.Schedule.EndTime,
    LastModifiedTime: now,
  };
  try {
    await ctx.store.replace(COLLECTIONS.inferenceExperiment, record.Name, completed, version);
    await setEndpointShadows(ctx, record.EndpointMetadata.EndpointName, (shadows) =>
      shadows.filter((s) => s.experimentName !== record.Name),
    );
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
  }
  return completed;
}

function checkShadowMode(input: { ModelVariants: ModelVariantConfig[]; ShadowModeConfig: ShadowModeConfig }) {
  const names = new Set(input.ModelVariants.map((v) => v.VariantName));
  const { SourceModelVariantName, ShadowModelVariants } = input.ShadowModeConfig;
  if (!names.has(SourceModelVariantName)) {
    throw new ValidationException(
      `ShadowModeConfig.SourceModelVariantName ${SourceModelVariantName} is not one of ModelVariants.`,
    );
  }
  if (ShadowModelVariants.length === 0)
    throw new ValidationException('ShadowModelVariants must name a shadow.');
  for (const shadow of ShadowModelVariants) {
    if (!names.has(shadow.ShadowModelVariantName)) {
      throw new ValidationException(
        `Shadow variant ${shadow.ShadowModelVariantName} is not one of ModelVariants.`,
      );
    }
    if (shadow.ShadowModelVariantName === SourceModelVariantName) {
      throw new ValidationException('A variant cannot shadow itself.');
    }
    if (
      !Number.isInteger(shadow.SamplingPercentage) ||
      shadow.SamplingPercentage < 0 ||
      shadow.SamplingPercentage > 100
    ) {
      throw new ValidationException(
        `SamplingPercentage of ${shadow.ShadowModelVariantName} must be an integer from 0 to 100, got ${shadow.SamplingPercentage}.`,
      );
    }
  }
}

export async function createInferenceExperiment(
  ctx: ControlContext,
  input: Omit<
    ExperimentView,
    'Arn' | 'Status' | 'CreationTime' | 'LastModifiedTime' | 'EndpointMetadata' | 'ModelVariants' | 'Schedule'
  > & {
    EndpointName: string;
    ModelVariants: ModelVariantConfig[];
    Schedule?: { StartTime?: number | string; EndTime?: number | string };
    Tags?: readonly Tag[];
  },
) {
  const tags = checkNewTags(input.Tags);
  checkShadowMode(input);
  checkKmsKey(ctx, input.DataStorageConfig?.KmsKey, 'DataStorageConfig.KmsKey');
  const endpoint = (await getEndpointRecord(ctx, input.EndpointName)).data;
  if (endpoint.EndpointStatus !== 'InService') {
    throw new ValidationException(
      `Endpoint ${input.EndpointName} is ${endpoint.EndpointStatus}, not InService.`,
    );
  }
  const source = input.ModelVariants.find(
    (v) => v.VariantName === input.ShadowModeConfig.SourceModelVariantName,
  );
  if (!endpoint.internal.variants.some((v) => v.VariantName === source?.VariantName)) {
    throw new ValidationException(
      `Source variant ${source?.VariantName} is not a production variant of endpoint ${input.EndpointName}.`,
    );
  }
  for (const variant of input.ModelVariants) await getModel(ctx, variant.ModelName);
  const running = (await ctx.store.list<ExperimentRecord>(COLLECTIONS.inferenceExperiment)).find(
    (e) => e.EndpointMetadata.EndpointName === input.EndpointName && ACTIVE.includes(e.Status),
  );
  if (running) {
    throw new ResourceInUse(
      `Endpoint ${input.EndpointName} already has an active inference experiment (${running.Name}, ${running.Status}).`,
    );
  }
  const now = epochSeconds(ctx.now());
  const start = toEpoch(input.Schedule?.StartTime) ?? now;
  const end = toEpoch(input.Schedule?.EndTime) ?? start + DEFAULT_DURATION_SECONDS;
  if (end <= start) throw new ValidationException('Schedule.EndTime must be after Schedule.StartTime.');
  const { Tags: _tags, EndpointName, ...fields } = input;
  const record: ExperimentRecord = {
    ...fields,
    Arn: arn(ctx, 'inference-experiment', input.Name),
    Schedule: { StartTime: start, EndTime: end },
    Status: 'Created',
    CreationTime: now,
    LastModifiedTime: now,
    EndpointMetadata: {
      EndpointName,
      EndpointConfigName: endpoint.EndpointConfigName,
      EndpointStatus: endpoint.EndpointStatus,
    },
    ModelVariants: input.ModelVariants.map((v) => ({ ...v, Status: 'InService' })),
    internal: undefined,
  };
  try {
    await ctx.store.create(COLLECTIONS.inferenceExperiment, input.Name, record);
  } catch (error) {
    if (error instanceof RecordExistsError)
      throw new ResourceInUse(`Inference experiment ${input.Name} already exists.`);
    throw error;
  }
  await recordTags(ctx, record.Arn, tags);
  return { InferenceExperimentArn: record.Arn };
}

/** The runtime shadows an experiment puts on its endpoint. */
async function experimentShadows(
  ctx: ControlContext,
  experiment: ExperimentRecord,
  endpoint: EndpointRecord,
) {
  const storage = experiment.DataStorageConfig;
  const capture = endpoint.internal.capture;
  const shadows: RuntimeShadow[] = [];
  for (const config of experiment.ShadowModeConfig.ShadowModelVariants) {
    const variant = experiment.ModelVariants.find((v) => v.VariantName === config.ShadowModelVariantName);
    const model = await getModel(ctx, variant?.ModelName ?? '');
    shadows.push({
      VariantName: config.ShadowModelVariantName,
      weight: 0,
      ModelName: model.ModelName,
      artifact: model.internal.artifact,
      samplingPercentage: config.SamplingPercentage,
      sourceVariant: experiment.ShadowModeConfig.SourceModelVariantName,
      destination: storage?.Destination.replace(/\/+$/, '') ?? capture?.destination,
      // DataStorageConfig's key goes with its destination; without one, the capture's key.
      ...((storage ? storage.KmsKey : capture?.kmsKeyId)
        ? { kmsKeyId: storage ? storage.KmsKey : capture?.kmsKeyId }
        : {}),
      csvContentTypes:
        storage?.ContentType?.CsvContentTypes ??
        capture?.csvContentTypes ??
        DEFAULT_CONTENT_TYPE_RULES.csvContentTypes,
      jsonContentTypes:
        storage?.ContentType?.JsonContentTypes ??
        capture?.jsonContentTypes ??
        DEFAULT_CONTENT_TYPE_RULES.jsonContentTypes,
      experimentName: experiment.Name,
      endsAt: experiment.Schedule.EndTime,
      comparison: experiment.internal?.comparison,
    });
  }
  return shadows;
}

/** Tries at writing an endpoint's shadows before answering ConflictException (an API call waits on it). */
const SHADOW_WRITE_ATTEMPTS = 5;

/** Replaces an endpoint's shadows in one conditional write (the data plane sees old or new, never half). */
async function setEndpointShadows(
  ctx: ControlContext,
  endpointName: string,
  change: (
    shadows: readonly RuntimeShadow[],
    endpoint: EndpointRecord,
  ) => RuntimeShadow[] | Promise<RuntimeShadow[]>,
  extra: (endpoint: EndpointRecord) => Partial<EndpointRecord> = () => ({}),
) {
  try {
    return await retryOnConflict(
      async () => {
        const stored = await getEndpointRecord(ctx, endpointName);
        const shadows = await change(stored.data.internal.shadows ?? [], stored.data);
        const updated: EndpointRecord = {
          ...stored.data,
          ...extra(stored.data),
          LastModifiedTime: epochSeconds(ctx.now()),
        };
        updated.internal = { ...updated.internal, shadows };
        await ctx.store.replace(COLLECTIONS.endpoint, endpointName, updated, stored.version);
        return updated;
      },
      { maxAttempts: SHADOW_WRITE_ATTEMPTS },
    );
  } catch (error) {
    // A caller waiting on an API answer gets a retryable error, not the store's.
    if (error instanceof VersionConflictError) {
      throw new ConflictException(`Endpoint ${endpointName} kept changing; try again.`);
    }
    throw error;
  }
}

export async function startInferenceExperiment(ctx: ControlContext, input: { Name: string }) {
  // Conditional on the version read, retried on a fresh read: a concurrent change is never lost.
  return retryOnConflict(async () => {
    const { data: experiment, version } = await readExperiment(ctx, input.Name);
    if (experiment.Status !== 'Created') {
      throw new ConflictException(
        `Inference experiment ${input.Name} is ${experiment.Status}; only a Created experiment can start.`,
      );
    }
    await setEndpointShadows(ctx, experiment.EndpointMetadata.EndpointName, async (shadows, endpoint) => [
      ...shadows.filter((s) => s.experimentName === undefined),
      ...(await experimentShadows(ctx, experiment, endpoint)),
    ]);
    const now = epochSeconds(ctx.now());
    await ctx.store.replace(
      COLLECTIONS.inferenceExperiment,
      input.Name,
      {
        ...experiment,
        Status: 'Running',
        StatusReason: undefined,
        Schedule: { ...experiment.Schedule, StartTime: Math.min(experiment.Schedule.StartTime, now) },
        LastModifiedTime: now,
      } satisfies ExperimentRecord,
      version,
    );
    return { InferenceExperimentArn: experiment.Arn };
  });
}

export async function updateInferenceExperiment(
  ctx: ControlContext,
  input: {
    Name: string;
    Schedule?: { StartTime?: number | string; EndTime?: number | string };
    Description?: string;
    ModelVariants?: ModelVariantConfig[];
    DataStorageConfig?: DataStorageConfig;
    ShadowModeConfig?: ShadowModeConfig;
  },
) {
  return retryOnConflict(() => updateOnce(ctx, input));
}

/** One attempt of UpdateInferenceExperiment, conditional on the version it read. */
async function updateOnce(ctx: ControlContext, input: Parameters<typeof updateInferenceExperiment>[1]) {
  checkKmsKey(ctx, input.DataStorageConfig?.KmsKey, 'DataStorageConfig.KmsKey');
  const { data: experiment, version } = await readExperiment(ctx, input.Name);
  if (experiment.Status !== 'Created' && experiment.Status !== 'Running') {
    throw new ConflictException(
      `Inference experiment ${input.Name} is ${experiment.Status} and cannot change.`,
    );
  }
  const updated: ExperimentRecord = {
    ...experiment,
    Description: input.Description ?? experiment.Description,
    ModelVariants:
      input.ModelVariants?.map((v) => ({ ...v, Status: 'InService' as const })) ?? experiment.ModelVariants,
    DataStorageConfig: input.DataStorageConfig ?? experiment.DataStorageConfig,
    ShadowModeConfig: input.ShadowModeConfig ?? experiment.ShadowModeConfig,
    Schedule: {
      StartTime: toEpoch(input.Schedule?.StartTime) ?? experiment.Schedule.StartTime,
      EndTime: toEpoch(input.Schedule?.EndTime) ?? experiment.Schedule.EndTime,
    },
    LastModifiedTime: epochSeconds(ctx.now()),
  };
  checkShadowMode(updated);
  if (
    updated.ShadowModeConfig.SourceModelVariantName !== experiment.ShadowModeConfig.SourceModelVariantName
  ) {
    throw new ValidationException('The source variant of a created experiment cannot change.');
  }
  for (const variant of updated.ModelVariants) await getModel(ctx, variant.ModelName);
  if (experiment.Status === 'Running') {
    await setEndpointShadows(ctx, experiment.EndpointMetadata.EndpointName, async (shadows, endpoint) => [
      ...shadows.filter((s) => s.experimentName !== experiment.Name),
      ...(await experimentShadows(ctx, updated, endpoint)),
    ]);
  }
  await ctx.store.replace(COLLECTIONS.inferenceExperiment, input.Name, updated, version);
  return { InferenceExperimentArn: experiment.Arn };
}

/**
 * Stops a running experiment. Each variant's action: Promote (the shadow's model replaces the
 * source variant's, as a new endpoint config, in one atomic switch), Remove, or Retain (keeps
 * mirroring as a config-level shadow of the endpoint).
 */
export async function stopInferenceExperiment(
  ctx: ControlContext,
  input: {
    Name: string;
    ModelVariantActions: Record<string, 'Promote' | 'Remove' | 'Retain'>;
    DesiredModelVariants?: ModelVariantConfig[];
    DesiredState?: 'Completed' | 'Cancelled';
    Reason?: string;
  },
) {
  const { data: experiment, version } = await readExperiment(ctx, input.Name);
  if (experiment.Status !== 'Running') {
    throw new ConflictException(
      `Inference experiment ${input.Name} is ${experiment.Status}; only a Running experiment can be stopped${
        Object.values(input.ModelVariantActions).includes('Promote') ? ' or promoted' : ''
      }.`,
    );
  }
  const shadowNames = experiment.ShadowModeConfig.ShadowModelVariants.map((s) => s.ShadowModelVariantName);
  const source = experiment.ShadowModeConfig.SourceModelVariantName;
  for (const [variant, action] of Object.entries(input.ModelVariantActions)) {
    if (variant !== source && !shadowNames.includes(variant)) {
      throw new ValidationException(
        `ModelVariantActions names ${variant}, which is not a variant of ${input.Name}.`,
      );
    }
    if (action === 'Promote' && variant === source) {
      throw new ValidationException(`${variant} is the source variant; promote a shadow variant.`);
    }
  }
  const promoted = Object.entries(input.ModelVariantActions).filter(([, a]) => a === 'Promote');
  if (promoted.length > 1) throw new ValidationException('Only one shadow variant can be promoted.');
  const promote = promoted[0]?.[0];
  const endpointName = experiment.EndpointMetadata.EndpointName;
  const now = epochSeconds(ctx.now());

  let newConfig: EndpointConfigRecord | undefined;
  let promotedModel: ModelRecord | undefined;
  let before: EndpointRecord | undefined;
  if (promote) {
    const shadowModel = await getModel(
      ctx,
      experiment.ModelVariants.find((v) => v.VariantName === promote)?.ModelName ?? '',
    );
    const endpoint = (await getEndpointRecord(ctx, endpointName)).data;
    before = endpoint;
    const current = await getEndpointConfig(ctx, endpoint.EndpointConfigName);
    const name = `${endpointName}-promoted-${Math.floor(now)}`.slice(0, 63);
    newConfig = {
      ...current,
      EndpointConfigName: name,
      EndpointConfigArn: arn(ctx, 'endpoint-config', name),
      CreationTime: now,
      ProductionVariants: current.ProductionVariants.map((v) =>
        v.VariantName === source ? { ...v, ModelName: shadowModel.ModelName } : v,
      ),
    };
    await ctx.store.create(COLLECTIONS.endpointConfig, name, newConfig);
    promotedModel = shadowModel;
  }
  const updatedEndpoint = await setEndpointShadows(
    ctx,
    endpointName,
    async (shadows, endpoint) => {
      const kept = shadows.filter((s) => s.experimentName !== experiment.Name);
      const retained = (await experimentShadows(ctx, experiment, endpoint))
        .filter((s) => input.ModelVariantActions[s.VariantName] === 'Retain')
        .map((s) => ({ ...s, experimentName: undefined, endsAt: undefined }));
      return [...kept, ...retained];
    },
    (endpoint) => {
      if (!promote || !newConfig || !promotedModel) return {};
      const model = promotedModel;
      return {
        EndpointConfigName: newConfig.EndpointConfigName,
        internal: {
          ...endpoint.internal,
          // What served before the promotion, so Understudy.RollbackEndpoint can return to it.
          previous: {
            EndpointConfigName: endpoint.EndpointConfigName,
            productionVariants: endpoint.ProductionVariants,
            runtime: fleetOf(endpoint),
          },
          variants: endpoint.internal.variants.map((v) =>
            v.VariantName === source
              ? { ...v, ModelName: model.ModelName, artifact: model.internal.artifact }
              : v,
          ),
        },
      };
    },
  );
  const stopped: ExperimentRecord = {
    ...experiment,
    Status: input.DesiredState ?? 'Completed',
    StatusReason: input.Reason,
    CompletionTime: now,
    LastModifiedTime: now,
    EndpointMetadata: {
      ...experiment.EndpointMetadata,
      EndpointConfigName: updatedEndpoint.EndpointConfigName,
    },
    ModelVariants: experiment.ModelVariants.map((v) => ({
      ...v,
      Status: input.ModelVariantActions[v.VariantName] === 'Remove' ? 'Deleted' : v.Status,
    })),
  };
  // Conditional on the version read: a change that landed meanwhile (an update, another stop)
  // is not overwritten; this stop answers a typed conflict instead (Describe, then decide).
  try {
    await ctx.store.replace(COLLECTIONS.inferenceExperiment, input.Name, stopped, version);
  } catch (error) {
    if (error instanceof VersionConflictError) {
      throw new ConflictException(
        `Inference experiment ${input.Name} changed while it was being stopped; describe it and retry.`,
      );
    }
    throw error;
  }
  if (promote && newConfig && before) {
    // One history, one order: the promotion takes the endpoint's next deployment number.
    const historyId = await nextHistoryId(ctx.store, endpointName);
    await recordDeployment(ctx.store, historyId, {
      EndpointName: endpointName,
      DeploymentId: randomUUID(),
      DeploymentType: 'PromoteShadow',
      DeploymentStatus: 'Succeeded',
      SourceEndpointConfigName: before.EndpointConfigName,
      TargetEndpointConfigName: newConfig.EndpointConfigName,
      SourceVariants: await servingVariants(ctx, before.EndpointConfigName, before.internal.variants),
      TargetVariants: await servingVariants(
        ctx,
        newConfig.EndpointConfigName,
        updatedEndpoint.internal.variants,
      ),
      StartTime: now,
      EndTime: now,
      Reason: input.Reason ?? `Promoted shadow variant ${promote} of inference experiment ${input.Name}`,
      CreatedBy: userContext(ctx),
    });
  }
  return { InferenceExperimentArn: experiment.Arn };
}

export async function describeInferenceExperiment(ctx: ControlContext, input: { Name: string }) {
  const experiment = await getExperiment(ctx, input.Name);
  const endpoint = await ctx.store.get<EndpointRecord>(
    COLLECTIONS.endpoint,
    experiment.EndpointMetadata.EndpointName,
  );
  return view({
    ...experiment,
    EndpointMetadata: {
      ...experiment.EndpointMetadata,
      EndpointStatus: endpoint?.data.EndpointStatus ?? 'OutOfService',
      FailureReason: endpoint?.data.FailureReason,
    },
  });
}

export async function listInferenceExperiments(
  ctx: ControlContext,
  input: ListRequest & {
    StatusEquals?: ExperimentStatus;
    Type?: string;
    LastModifiedTimeAfter?: number | string;
    LastModifiedTimeBefore?: number | string;
  },
) {
  const stored = await ctx.store.list<ExperimentRecord>(COLLECTIONS.inferenceExperiment);
  const settled = await Promise.all(
    stored.map(async (e) => (e.Status === 'Running' ? await getExperiment(ctx, e.Name) : e)),
  );
  const after = toEpoch(input.LastModifiedTimeAfter);
  const before = toEpoch(input.LastModifiedTimeBefore);
  const matching = settled.filter(
    (e) =>
      (!input.StatusEquals || e.Status === input.StatusEquals) &&
      (!input.Type || e.Type === input.Type) &&
      (after === undefined || e.LastModifiedTime > after) &&
      (before === undefined || e.LastModifiedTime < before),
  );
  const { items, NextToken } = page(matching, input, (e) => e.Name, {
    keys: { Status: (a, b) => a.Status.localeCompare(b.Status) },
  });
  return {
    InferenceExperiments: items.map((e) => ({
      Name: e.Name,
      Type: e.Type,
      Schedule: e.Schedule,
      Status: e.Status,
      StatusReason: e.StatusReason,
      Description: e.Description,
      CreationTime: e.CreationTime,
      CompletionTime: e.CompletionTime,
      LastModifiedTime: e.LastModifiedTime,
      RoleArn: e.RoleArn,
    })),
    NextToken,
  };
}

/**
 * Sets how an experiment's shadows are compared with production (task kind, tolerances, a
 * segment feature). Only before it starts: aggregates built under one configuration never
 * merge with another's.
 */
export async function configureShadowComparison(ctx: ControlContext, name: string, config: ComparisonConfig) {
  return retryOnConflict(async () => {
    const { data: experiment, version } = await readExperiment(ctx, name);
    if (experiment.Status !== 'Created') {
      throw new ConflictException(
        `Inference experiment ${name} is ${experiment.Status}; configure its comparison before starting it.`,
      );
    }
    resolveComparisonConfig(config);
    await ctx.store.replace(
      COLLECTIONS.inferenceExperiment,
      name,
      {
        ...experiment,
        LastModifiedTime: epochSeconds(ctx.now()),
        internal: { comparison: config },
      } satisfies ExperimentRecord,
      version,
    );
    return { InferenceExperimentArn: experiment.Arn };
  });
}
