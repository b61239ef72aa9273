import { randomUUID } from 'node:crypto';
import { DEFAULT_VARIANT_WEIGHT, getEndpointConfig } from '../hosting/endpoint-configs.js';
import * as hosting from '../hosting/endpoints.js';
import { type EndpointRecord, firstLoadFailure, resolveEndpointRuntime } from '../hosting/endpoints.js';
import { arn, type ControlContext, epochSeconds, userContext } from '../kernel/context.js';
import { ValidationException } from '../kernel/errors.js';
import type { DeploymentServices } from '../kernel/ports.js';
import type { DeploymentConfig, FleetRuntime, RolloutState, VariantSummaryView } from '../kernel/records.js';
import { COLLECTIONS } from '../kernel/records.js';
import { type StoreWrite, VersionConflictError } from '../kernel/store.js';
import {
  type DeployerContext,
  finished,
  nextDelaySeconds,
  rolledBack,
  stepMessage,
  takenOver,
  withRollout,
  writeEndpoint,
} from './engine.js';
import {
  type DeploymentRecord,
  deploymentChanged,
  deploymentCreated,
  describeEndpointAt as describeAt,
  type ListDeploymentHistoryInput,
  listDeploymentHistory as listHistory,
  nextHistoryId,
  recordDeployment,
  servingVariants,
} from './history.js';
import { planRollout, shareAt } from './plan.js';

/**
 * Changing what an endpoint serves: weights in place, a new endpoint config rolled out with
 * SageMaker's deployment guardrails (ALL_AT_ONCE, CANARY, LINEAR with bakes watched by
 * CloudWatch alarms), and a rollback by hand. Every change is recorded in the endpoint's
 * deployment history. The endpoint record is always replaced whole and conditionally, so
 * the data plane never sees half a change and two changes never interleave.
 */

async function readEndpoint(ctx: ControlContext, name: string) {
  const stored = await ctx.store.get<EndpointRecord>(COLLECTIONS.endpoint, name);
  if (!stored) throw new ValidationException(`Could not find endpoint "${arn(ctx, 'endpoint', name)}".`);
  return stored;
}

function inProgress(ctx: ControlContext, name: string): ValidationException {
  return new ValidationException(`Cannot update in-progress endpoint "${arn(ctx, 'endpoint', name)}".`);
}

/** SageMaker changes only an InService endpoint; anything else is refused, endpoint untouched. */
function assertUpdatable(ctx: ControlContext, endpoint: EndpointRecord): void {
  switch (endpoint.EndpointStatus) {
    case 'InService':
      return;
    case 'Failed':
      throw new ValidationException(
        `Cannot update failed endpoint "${endpoint.EndpointArn}": delete it and create it again.`,
      );
    default:
      throw inProgress(ctx, endpoint.EndpointName);
  }
}

/**
 * Replaces the endpoint if nobody changed it since `version`, with the history writes that
 * record the change in the same transaction; a concurrent change means "in progress".
 */
async function replaceEndpoint(
  ctx: ControlContext,
  record: EndpointRecord,
  version: number,
  historyWrites: readonly StoreWrite[] = [],
): Promise<number> {
  try {
    await writeEndpoint(ctx.store, record, version, historyWrites);
  } catch (error) {
    if (error instanceof VersionConflictError) throw inProgress(ctx, record.EndpointName);
    throw error;
  }
  return version + 1;
}

function services(ctx: ControlContext): DeploymentServices {
  if (!ctx.deployments) {
    throw new Error(
      'This control plane has no deployment services (alarms, step queue): rollouts that bake or watch alarms cannot run.',
    );
  }
  return ctx.deployments;
}

/** The deployer's context, from the control plane's (for tests and tools that drive both). */
export function deployerContext(ctx: ControlContext): DeployerContext {
  return { store: ctx.store, ...services(ctx), now: () => ctx.now() };
}

async function newDeployment(ctx: ControlContext, endpointName: string) {
  const start = ctx.now();
  const deploymentId = randomUUID();
  return { start, deploymentId, historyId: await nextHistoryId(ctx.store, endpointName) };
}

// ---------------------------------------------------------------------------------------
// UpdateEndpointWeightsAndCapacities

interface DesiredWeightAndCapacity {
  VariantName: string;
  DesiredWeight?: number;
  DesiredInstanceCount?: number;
  ServerlessUpdateConfig?: { MaxConcurrency?: number; ProvisionedConcurrency?: number };
}

/**
 * Changes variant weights (and serverless concurrency settings, recorded) in place: the
 * endpoint goes Updating, then InService with the new weights, which the data plane picks
 * up within its cache TTL. Unknown or repeated variant names, negative or non-numeric
 * weights, or weights that would all be 0 are refused with the endpoint unchanged.
 */
export async function updateEndpointWeightsAndCapacities(
  ctx: ControlContext,
  input: { EndpointName: string; DesiredWeightsAndCapacities: DesiredWeightAndCapacity[] },
) {
  const { data: endpoint, version } = await readEndpoint(ctx, input.EndpointName);
  assertUpdatable(ctx, endpoint);
  const desired = new Map<string, DesiredWeightAndCapacity>();
  for (const [i, entry] of input.DesiredWeightsAndCapacities.entries()) {
    if (desired.has(entry.VariantName)) {
      throw new ValidationException(
        `Variant ${entry.VariantName} appears more than once in DesiredWeightsAndCapacities.`,
      );
    }
    const weight = entry.DesiredWeight;
    if (weight !== undefined && (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0)) {
      throw new ValidationException(
        `DesiredWeightsAndCapacities[${i}].DesiredWeight must be a number greater than or equal to 0, got ${JSON.stringify(weight)}.`,
      );
    }
    desired.set(entry.VariantName, entry);
  }
  const known = new Set(endpoint.ProductionVariants.map((v) => v.VariantName));
  const unknown = [...desired.keys()].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new ValidationException(
      `The variant(s) [${unknown.join(', ')}] are not present on endpoint ${endpoint.EndpointArn} (its variants: ${[...known].join(', ')}).`,
    );
  }
  const weightOf = (name: string, current: number) => desired.get(name)?.DesiredWeight ?? current;
  const total = endpoint.internal.variants.reduce((sum, v) => sum + weightOf(v.VariantName, v.weight), 0);
  if (total <= 0) {
    throw new ValidationException(
      'The sum of the variants\u2019 weights must be positive: at least one variant needs traffic.',
    );
  }
  const summaries = endpoint.ProductionVariants.map((v) => {
    const update = desired.get(v.VariantName);
    if (!update) return v;
    const serverless = update.ServerlessUpdateConfig
      ? { ...(v.DesiredServerlessConfig ?? {}), ...update.ServerlessUpdateConfig }
      : v.DesiredServerlessConfig;
    return {
      ...v,
      DesiredWeight: update.DesiredWeight ?? v.DesiredWeight,
      ...(serverless
        ? { DesiredServerlessConfig: serverless as VariantSummaryView['DesiredServerlessConfig'] }
        : {}),
    };
  });
  const updating: EndpointRecord = {
    ...endpoint,
    EndpointStatus: 'Updating',
    ProductionVariants: summaries,
    LastModifiedTime: epochSeconds(ctx.now()),
  };
  const next = await replaceEndpoint(ctx, updating, version);
  const deployment = await newDeployment(ctx, endpoint.EndpointName);
  const settled: EndpointRecord = {
    ...updating,
    EndpointStatus: 'InService',
    ProductionVariants: summaries.map((v) => ({
      ...v,
      CurrentWeight: v.DesiredWeight,
      ...(v.DesiredServerlessConfig ? { CurrentServerlessConfig: v.DesiredServerlessConfig } : {}),
    })),
    LastModifiedTime: epochSeconds(ctx.now()),
    internal: {
      ...endpoint.internal,
      variants: endpoint.internal.variants.map((v) => ({ ...v, weight: weightOf(v.VariantName, v.weight) })),
    },
  };
  const record: DeploymentRecord = {
    ...(await historyBase(ctx, endpoint, deployment, 'UpdateEndpointWeightsAndCapacities')),
    TargetEndpointConfigName: endpoint.EndpointConfigName,
    TargetVariants: await servingVariants(ctx, endpoint.EndpointConfigName, settled.internal.variants),
    DeploymentStatus: 'Succeeded',
    DesiredWeights: [...desired.values()].flatMap((d) =>
      d.DesiredWeight === undefined ? [] : [{ VariantName: d.VariantName, DesiredWeight: d.DesiredWeight }],
    ),
    EndTime: epochSeconds(ctx.now()),
  };
  await replaceEndpoint(ctx, settled, next, [deploymentCreated(deployment.historyId, record)]);
  return { EndpointArn: endpoint.EndpointArn };
}

/** The fields every history record has, with what served before the change (`SourceVariants`). */
async function historyBase(
  ctx: ControlContext,
  endpoint: EndpointRecord,
  deployment: { start: Date; deploymentId: string },
  type: DeploymentRecord['DeploymentType'],
): Promise<Omit<DeploymentRecord, 'TargetEndpointConfigName' | 'DeploymentStatus'>> {
  return {
    EndpointName: endpoint.EndpointName,
    DeploymentId: deployment.deploymentId,
    DeploymentType: type,
    SourceEndpointConfigName: endpoint.EndpointConfigName,
    SourceVariants: await servingVariants(ctx, endpoint.EndpointConfigName, endpoint.internal.variants),
    StartTime: epochSeconds(deployment.start),
    CreatedBy: userContext(ctx),
  };
}

// ---------------------------------------------------------------------------------------
// UpdateEndpoint

type VariantProperty = 'DesiredInstanceCount' | 'DesiredWeight' | 'DataCaptureConfig';

interface UpdateEndpointInput {
  EndpointName: string;
  EndpointConfigName: string;
  RetainAllVariantProperties?: boolean;
  ExcludeRetainedVariantProperties?: { VariantPropertyType: VariantProperty }[];
  DeploymentConfig?: DeploymentConfig;
  RetainDeploymentConfig?: boolean;
}

/**
 * Moves an endpoint to another endpoint config. The call checks everything it can first
 * (config, models and their approval, deployment policy, that the alarms exist) and refuses
 * bad input with the endpoint untouched; then the endpoint goes Updating and the new
 * config's models are loaded. A model that does not load ends the update as SageMaker does:
 * InService on the old config with a FailureReason. Without baking or alarms the new config
 * takes over at once; otherwise traffic shifts step by step, driven by step messages the
 * deployer handles (see `runDeploymentStep`).
 */
export async function updateEndpoint(ctx: ControlContext, input: UpdateEndpointInput) {
  const { data: endpoint, version } = await readEndpoint(ctx, input.EndpointName);
  assertUpdatable(ctx, endpoint);
  if (input.RetainDeploymentConfig && input.DeploymentConfig) {
    throw new ValidationException('Specify either DeploymentConfig or RetainDeploymentConfig, not both.');
  }
  const deploymentConfig = input.RetainDeploymentConfig
    ? endpoint.LastDeploymentConfig
    : input.DeploymentConfig;
  const plan = planRollout(deploymentConfig);
  const needsDeployer = plan.waitSeconds > 0 || plan.alarms.length > 0;
  if (needsDeployer) services(ctx);
  if (plan.alarms.length > 0) {
    const states = await services(ctx).alarms.states(plan.alarms);
    const missing = plan.alarms.filter((name) => !states.has(name));
    if (missing.length > 0) {
      throw new ValidationException(
        `DeploymentConfig.AutoRollbackConfiguration names CloudWatch alarm(s) that do not exist: ${missing.join(', ')}.`,
      );
    }
  }
  const config = await getEndpointConfig(ctx, input.EndpointConfigName);
  const resolved = await resolveEndpointRuntime(ctx, config);
  const retain = new Set<VariantProperty>(
    input.RetainAllVariantProperties
      ? (['DesiredInstanceCount', 'DesiredWeight', 'DataCaptureConfig'] as const).filter(
          (p) => !(input.ExcludeRetainedVariantProperties ?? []).some((e) => e.VariantPropertyType === p),
        )
      : [],
  );
  const currentWeight = new Map(endpoint.internal.variants.map((v) => [v.VariantName, v.weight]));
  const weightOf = (name: string, configured: number) =>
    retain.has('DesiredWeight') ? (currentWeight.get(name) ?? configured) : configured;
  const runtime: FleetRuntime = {
    ...resolved,
    variants: resolved.variants.map((v) => ({ ...v, weight: weightOf(v.VariantName, v.weight) })),
    // Retained capture keeps the redaction it was written under.
    ...(retain.has('DataCaptureConfig')
      ? { capture: endpoint.internal.capture, redaction: endpoint.internal.redaction }
      : {}),
  };
  if (runtime.variants.reduce((sum, v) => sum + v.weight, 0) <= 0) {
    throw new ValidationException(
      'With the retained weights, no variant of the new endpoint config would receive traffic.',
    );
  }
  const productionVariants: VariantSummaryView[] = config.ProductionVariants.map((v) => {
    const weight = weightOf(v.VariantName, v.InitialVariantWeight ?? DEFAULT_VARIANT_WEIGHT);
    return {
      VariantName: v.VariantName,
      CurrentWeight: weight,
      DesiredWeight: weight,
      CurrentServerlessConfig: v.ServerlessConfig,
      DesiredServerlessConfig: v.ServerlessConfig,
    };
  });

  const deployment = await newDeployment(ctx, endpoint.EndpointName);
  const startS = epochSeconds(deployment.start);
  const { FailureReason: _failure, ...clean } = endpoint;
  const updating: EndpointRecord = {
    ...clean,
    EndpointStatus: 'Updating',
    ...(deploymentConfig ? { LastDeploymentConfig: deploymentConfig } : {}),
    PendingDeploymentSummary: {
      EndpointConfigName: config.EndpointConfigName,
      StartTime: startS,
      ProductionVariants: productionVariants.map((v) => ({
        ...v,
        VariantStatus: [
          { Status: 'Creating', StatusMessage: 'Loading the models of the new fleet.', StartTime: startS },
        ],
      })),
    },
    LastModifiedTime: startS,
  };
  const history: DeploymentRecord = {
    ...(await historyBase(ctx, endpoint, deployment, 'UpdateEndpoint')),
    TargetEndpointConfigName: config.EndpointConfigName,
    TargetVariants: await servingVariants(ctx, config.EndpointConfigName, runtime.variants),
    DeploymentStatus: 'InProgress',
    TrafficRoutingType: plan.type,
    ...(deploymentConfig ? { DeploymentConfig: deploymentConfig } : {}),
    Steps: [],
  };
  // The endpoint goes Updating and its history record InProgress together: whoever finds it
  // stalled (recovery.ts) finds the record to end as well.
  let current = await replaceEndpoint(ctx, updating, version, [
    deploymentCreated(deployment.historyId, history),
  ]);

  const failure = await firstLoadFailure(ctx, [...runtime.variants, ...(runtime.shadows ?? [])]);
  if (failure) {
    const reason = `Update to endpoint config ${config.EndpointConfigName} failed; the endpoint still serves ${endpoint.EndpointConfigName}. ${failure}`;
    const { PendingDeploymentSummary: _p, ...rest } = updating;
    await replaceEndpoint(
      ctx,
      {
        ...rest,
        EndpointStatus: 'InService',
        FailureReason: reason.slice(0, 1024),
        LastModifiedTime: epochSeconds(ctx.now()),
      },
      current,
      await finishHistory(ctx, deployment.historyId, 'Failed', reason),
    );
    return { EndpointArn: endpoint.EndpointArn };
  }

  const target = { EndpointConfigName: config.EndpointConfigName, productionVariants, runtime };
  if (!needsDeployer) {
    await replaceEndpoint(
      ctx,
      takenOver(updating, target, ctx.now()),
      current,
      await finishHistory(ctx, deployment.historyId, 'Succeeded', undefined, [100]),
    );
    return { EndpointArn: endpoint.EndpointArn };
  }

  const nowS = epochSeconds(ctx.now());
  const rollout: RolloutState = {
    deploymentId: deployment.deploymentId,
    historyId: deployment.historyId,
    EndpointConfigName: config.EndpointConfigName,
    runtime,
    productionVariants,
    plan,
    step: 0,
    share: shareAt(plan, 0),
    startedAt: startS,
    stepStartedAt: nowS,
    bakeEndsAt: nowS + plan.waitSeconds,
    tick: 0,
  };
  current = await replaceEndpoint(
    ctx,
    withRollout(updating, rollout, ctx.now()),
    current,
    await finishHistory(ctx, deployment.historyId, 'InProgress', undefined, [plan.steps[0] ?? 100]),
  );
  try {
    await services(ctx).scheduler.schedule(
      stepMessage(endpoint.EndpointName, rollout),
      nextDelaySeconds(rollout, nowS),
    );
  } catch (error) {
    // No message, no rollout: put all traffic back on the old config before reporting the failure.
    const reason = `Deployment of endpoint config ${config.EndpointConfigName} could not be scheduled: ${(error as Error).message}`;
    const stored = await ctx.store.get<EndpointRecord>(COLLECTIONS.endpoint, endpoint.EndpointName);
    if (stored?.data.internal.rollout?.deploymentId === rollout.deploymentId) {
      await writeEndpoint(
        ctx.store,
        rolledBack(stored.data, reason, ctx.now()),
        stored.version,
        await finished(ctx.store, rollout, 'Failed', epochSeconds(ctx.now()), reason),
      );
    }
    throw error;
  }
  return { EndpointArn: endpoint.EndpointArn };
}

/** The history write that goes with an update's next endpoint write (same transaction). */
async function finishHistory(
  ctx: ControlContext,
  id: string,
  status: DeploymentRecord['DeploymentStatus'],
  reason?: string,
  firstStep?: number[],
): Promise<StoreWrite[]> {
  const now = epochSeconds(ctx.now());
  return deploymentChanged(ctx.store, id, (record) => ({
    ...record,
    DeploymentStatus: status,
    ...(status === 'InProgress' ? {} : { EndTime: now }),
    ...(reason ? { FailureReason: reason } : {}),
    ...(firstStep ? { Steps: firstStep.map((p) => ({ TrafficPercentage: p, StartTime: now })) } : {}),
  }));
}

// ---------------------------------------------------------------------------------------
// Understudy.RollbackEndpoint

/**
 * Returns an endpoint to the config it served before its last change, in one call: a
 * rollout in progress is stopped (all traffic back on the old config); an InService endpoint
 * goes back to its previous config at once, after checking its models still load.
 */
export async function rollbackEndpoint(ctx: ControlContext, input: { EndpointName: string }) {
  const { data: endpoint, version } = await readEndpoint(ctx, input.EndpointName);
  const now = ctx.now();
  const rollout = endpoint.internal.rollout;
  if (rollout) {
    const reason = `Deployment of endpoint config ${rollout.EndpointConfigName} was rolled back to ${endpoint.EndpointConfigName} by hand (Understudy.RollbackEndpoint by ${ctx.caller.accessKeyId}).`;
    await replaceEndpoint(
      ctx,
      rolledBack(endpoint, reason, now),
      version,
      await finished(ctx.store, rollout, 'RolledBack', epochSeconds(now), reason),
    );
    return { EndpointArn: endpoint.EndpointArn, EndpointConfigName: endpoint.EndpointConfigName };
  }
  assertUpdatable(ctx, endpoint);
  const previous = endpoint.internal.previous;
  if (!previous) {
    throw new ValidationException(
      `Endpoint ${endpoint.EndpointArn} has no previous endpoint config to return to: it has served ${endpoint.EndpointConfigName} since it was created.`,
    );
  }
  const failure = await firstLoadFailure(ctx, [
    ...previous.runtime.variants,
    ...(previous.runtime.shadows ?? []),
  ]);
  if (failure) {
    throw new ValidationException(
      `Cannot roll endpoint ${endpoint.EndpointName} back to ${previous.EndpointConfigName}: ${failure}`,
    );
  }
  const deployment = await newDeployment(ctx, endpoint.EndpointName);
  const restored = takenOver(
    endpoint,
    {
      EndpointConfigName: previous.EndpointConfigName,
      productionVariants: previous.productionVariants,
      runtime: previous.runtime,
    },
    now,
  );
  const record: DeploymentRecord = {
    ...(await historyBase(ctx, endpoint, deployment, 'RollbackEndpoint')),
    TargetEndpointConfigName: previous.EndpointConfigName,
    TargetVariants: await servingVariants(ctx, previous.EndpointConfigName, previous.runtime.variants),
    DeploymentStatus: 'Succeeded',
    Steps: [{ TrafficPercentage: 100, StartTime: epochSeconds(now) }],
    EndTime: epochSeconds(ctx.now()),
  };
  await replaceEndpoint(ctx, restored, version, [deploymentCreated(deployment.historyId, record)]);
  return { EndpointArn: endpoint.EndpointArn, EndpointConfigName: previous.EndpointConfigName };
}

// ---------------------------------------------------------------------------------------
// CreateEndpoint and DeleteEndpoint, recorded

/**
 * CreateEndpoint, recorded as the endpoint's first deployment (Failed when a model did not
 * load): the history record is written in the transaction that settles the endpoint.
 */
export async function createEndpoint(
  ctx: ControlContext,
  input: Parameters<typeof hosting.createEndpoint>[1],
) {
  return hosting.createEndpoint(ctx, input, async (endpoint) => [
    deploymentCreated(
      (await newDeployment(ctx, endpoint.EndpointName)).historyId,
      await createdRecord(ctx, endpoint),
    ),
  ]);
}

/** The history record of an endpoint's creation, as it settled. */
async function createdRecord(ctx: ControlContext, endpoint: EndpointRecord): Promise<DeploymentRecord> {
  const failed = endpoint.EndpointStatus === 'Failed';
  return {
    EndpointName: endpoint.EndpointName,
    DeploymentId: randomUUID(),
    DeploymentType: 'CreateEndpoint',
    DeploymentStatus: failed ? 'Failed' : 'Succeeded',
    SourceEndpointConfigName: endpoint.EndpointConfigName,
    TargetEndpointConfigName: endpoint.EndpointConfigName,
    TargetVariants: failed
      ? []
      : await servingVariants(ctx, endpoint.EndpointConfigName, endpoint.internal.variants),
    StartTime: endpoint.CreationTime,
    EndTime: epochSeconds(ctx.now()),
    ...(endpoint.FailureReason ? { FailureReason: endpoint.FailureReason } : {}),
    CreatedBy: userContext(ctx),
  };
}

/** DeleteEndpoint, recorded: from then on nothing serves under the name. */
export async function deleteEndpoint(ctx: ControlContext, input: { EndpointName: string }) {
  const { data: endpoint } = await readEndpoint(ctx, input.EndpointName);
  const deployment = await newDeployment(ctx, input.EndpointName);
  const out = await hosting.deleteEndpoint(ctx, input);
  await recordDeployment(ctx.store, deployment.historyId, {
    ...(await historyBase(ctx, endpoint, deployment, 'DeleteEndpoint')),
    TargetEndpointConfigName: endpoint.EndpointConfigName,
    TargetVariants: [],
    DeploymentStatus: 'Succeeded',
    EndTime: epochSeconds(ctx.now()),
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Understudy.ListDeploymentHistory, Understudy.DescribeEndpointAt

export async function listDeploymentHistory(ctx: ControlContext, input: ListDeploymentHistoryInput) {
  return listHistory(ctx.store, input);
}

export async function describeEndpointAt(ctx: ControlContext, input: { EndpointName: string; At: number }) {
  return describeAt(ctx.store, input);
}
