import type { ModelRecord } from '../hosting/models.js';
import { type ControlContext, decodeToken, encodeToken } from '../kernel/context.js';
import type { DeploymentConfig, RuntimeVariant, TrafficRoutingConfigType } from '../kernel/records.js';
import { COLLECTIONS, type Timestamp } from '../kernel/records.js';
import { type RegistryStore, retryOnConflict, type StoreWrite } from '../kernel/store.js';
import { getModelPackage } from '../model-registry/model-packages.js';

export type DeploymentKind =
  | 'CreateEndpoint'
  | 'UpdateEndpoint'
  | 'UpdateEndpointWeightsAndCapacities'
  | 'RollbackEndpoint'
  | 'PromoteShadow'
  | 'DeleteEndpoint';
export type DeploymentStatus = 'InProgress' | 'Succeeded' | 'RolledBack' | 'Failed';

/**
 * One production variant as a change left it: which model version it serves and its weight
 * within its config. Kept on the history record, so the answer outlives the endpoint config,
 * the model and the package it names.
 */
export interface ServingVariant {
  EndpointConfigName: string;
  VariantName: string;
  ModelName: string;
  Weight: number;
  ModelPackageArn?: string;
  ModelPackageVersion?: number;
  /** The package's approval status when the change was made. */
  ModelApprovalStatus?: string;
  ModelDataUrl: string;
  ModelDataSha256: string;
}

/**
 * One change of what an endpoint serves, as `Understudy.ListDeploymentHistory` returns it:
 * its creation, a config rollout (with its steps), a weights update, a rollback by hand, a
 * shadow's promotion, its deletion. `SourceVariants` served before, `TargetVariants` after
 * (during a rollout, the two share traffic by the last step's percentage).
 */
export interface DeploymentRecord {
  EndpointName: string;
  DeploymentId: string;
  DeploymentType: DeploymentKind;
  DeploymentStatus: DeploymentStatus;
  SourceEndpointConfigName: string;
  TargetEndpointConfigName: string;
  TrafficRoutingType?: TrafficRoutingConfigType;
  DeploymentConfig?: DeploymentConfig;
  /** For weights updates: the weights asked for. */
  DesiredWeights?: { VariantName: string; DesiredWeight: number }[];
  /** Traffic on the new config after each step taken, and when. */
  Steps?: { TrafficPercentage: number; StartTime: Timestamp }[];
  SourceVariants?: ServingVariant[];
  TargetVariants?: ServingVariant[];
  StartTime: Timestamp;
  EndTime?: Timestamp;
  FailureReason?: string;
  /** Why the change was made, when the caller said (a promotion's Reason). */
  Reason?: string;
  CreatedBy: { UserProfileName: string };
}

/**
 * A new history record id: the endpoint's name and its next deployment number, so records
 * list in the order the changes were made (endpoint names cannot contain `#`).
 */
export async function nextHistoryId(store: RegistryStore, endpointName: string): Promise<string> {
  const sequence = await store.increment(COLLECTIONS.deploymentCounter, endpointName);
  return `${endpointName}#${String(sequence).padStart(12, '0')}`;
}

/**
 * The variants of a fleet as a history record keeps them: the model each serves, and the
 * package version (and its approval status then) the model came from.
 */
export async function servingVariants(
  ctx: ControlContext,
  endpointConfigName: string,
  variants: readonly RuntimeVariant[],
): Promise<ServingVariant[]> {
  return Promise.all(
    variants.map(async (v) => {
      const model = await ctx.store.get<ModelRecord>(COLLECTIONS.model, v.ModelName);
      const packageArn = model?.data.internal.modelPackageArn;
      const pkg = packageArn ? await getModelPackage(ctx, packageArn).catch(() => undefined) : undefined;
      return {
        EndpointConfigName: endpointConfigName,
        VariantName: v.VariantName,
        ModelName: v.ModelName,
        Weight: v.weight,
        ...(pkg
          ? {
              ModelPackageArn: pkg.ModelPackageArn,
              ModelPackageVersion: pkg.ModelPackageVersion,
              ModelApprovalStatus: pkg.ModelApprovalStatus,
            }
          : {}),
        ModelDataUrl: v.artifact.uri,
        ModelDataSha256: v.artifact.sha256,
      };
    }),
  );
}

export async function recordDeployment(store: RegistryStore, id: string, record: DeploymentRecord) {
  await store.create(COLLECTIONS.deploymentHistory, id, record);
}

/** A new history record as one write of a transaction (written with the endpoint change it records). */
export function deploymentCreated(id: string, record: DeploymentRecord): StoreWrite {
  return { kind: 'create', collection: COLLECTIONS.deploymentHistory, id, data: record };
}

/**
 * `change` applied to a history record, as one conditional write of a transaction (none when
 * the record vanished): committed with the endpoint write it describes, so a crash between
 * the two cannot leave an endpoint settled and its history InProgress, or the reverse.
 */
export async function deploymentChanged(
  store: RegistryStore,
  id: string,
  change: (record: DeploymentRecord) => DeploymentRecord,
): Promise<StoreWrite[]> {
  const stored = await store.get<DeploymentRecord>(COLLECTIONS.deploymentHistory, id);
  if (!stored) return [];
  return [
    {
      kind: 'replace',
      collection: COLLECTIONS.deploymentHistory,
      id,
      data: change(stored.data),
      expectedVersion: stored.version,
    },
  ];
}

/**
 * Applies `change` to a history record on its own, conditionally on the version read (a
 * concurrent change is read again, never overwritten); a record that vanished is left alone.
 */
export async function updateDeployment(
  store: RegistryStore,
  id: string,
  change: (record: DeploymentRecord) => DeploymentRecord,
): Promise<void> {
  await retryOnConflict(async () => {
    const writes = await deploymentChanged(store, id, change);
    if (writes.length > 0) await store.transact(writes);
  });
}

export interface ListDeploymentHistoryInput {
  EndpointName: string;
  SortOrder?: 'Ascending' | 'Descending';
  MaxResults?: number;
  NextToken?: string;
}

/** Deployments of an endpoint, newest first unless asked otherwise; kept after the endpoint is deleted. */
export async function listDeploymentHistory(store: RegistryStore, input: ListDeploymentHistoryInput) {
  const records = await store.list<DeploymentRecord>(COLLECTIONS.deploymentHistory, `${input.EndpointName}#`);
  if ((input.SortOrder ?? 'Descending') === 'Descending') records.reverse();
  const start = decodeToken(input.NextToken);
  const size = input.MaxResults ?? 50;
  const items = records.slice(start, start + size);
  const next = start + size < records.length ? encodeToken(start + size) : undefined;
  return next ? { Deployments: items, NextToken: next } : { Deployments: items };
}

/** One variant serving at a moment, with its share of the endpoint's untargeted traffic. */
export interface ServingShare extends ServingVariant {
  TrafficShare: number;
}

function shares(variants: readonly ServingVariant[], fleetShare: number): ServingShare[] {
  const total = variants.reduce((sum, v) => sum + v.Weight, 0);
  return variants.map((v) => ({ ...v, TrafficShare: total > 0 ? (fleetShare * v.Weight) / total : 0 }));
}

/**
 * What served an endpoint at `at` (epoch seconds), from its history: the change in force
 * then and each variant's share of traffic. During a rollout the old fleet keeps
 * (1 − step) and the new one the step's percentage; a rollout that was rolled back or
 * failed leaves the old fleet. Nothing serves before the first record or after a deletion.
 */
export function servingAt(
  history: readonly DeploymentRecord[],
  at: Timestamp,
): { deployment?: DeploymentRecord; variants: ServingShare[] } {
  const before = history.filter((r) => r.StartTime <= at && (r.TargetVariants || r.SourceVariants));
  const deployment = before.at(-1);
  if (!deployment || deployment.DeploymentType === 'DeleteEndpoint') return { deployment, variants: [] };
  const source = deployment.SourceVariants ?? [];
  const target = deployment.TargetVariants ?? [];
  if (deployment.DeploymentType !== 'UpdateEndpoint') return { deployment, variants: shares(target, 1) };
  const ended = deployment.EndTime !== undefined && deployment.EndTime <= at;
  if (deployment.DeploymentStatus === 'Failed' || (ended && deployment.DeploymentStatus === 'RolledBack')) {
    return { deployment, variants: shares(source, 1) };
  }
  if (ended && deployment.DeploymentStatus === 'Succeeded')
    return { deployment, variants: shares(target, 1) };
  const step = (deployment.Steps ?? []).filter((s) => s.StartTime <= at).at(-1);
  const share = (step?.TrafficPercentage ?? 0) / 100;
  return {
    deployment,
    variants: [...shares(source, 1 - share), ...shares(target, share)].filter((v) => v.TrafficShare > 0),
  };
}

/** `Understudy.DescribeEndpointAt`: the versions serving an endpoint at a time, and their shares. */
export async function describeEndpointAt(store: RegistryStore, input: { EndpointName: string; At: number }) {
  const history = await store.list<DeploymentRecord>(COLLECTIONS.deploymentHistory, `${input.EndpointName}#`);
  const { deployment, variants } = servingAt(history, input.At);
  return {
    EndpointName: input.EndpointName,
    At: input.At,
    ProductionVariants: variants,
    ...(deployment
      ? {
          Deployment: {
            DeploymentId: deployment.DeploymentId,
            DeploymentType: deployment.DeploymentType,
            DeploymentStatus: deployment.DeploymentStatus,
            StartTime: deployment.StartTime,
            CreatedBy: deployment.CreatedBy,
          },
        }
      : {}),
  };
}
