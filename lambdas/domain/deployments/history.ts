import { decodeToken, encodeToken } from '../kernel/context.js';
import type { DeploymentConfig, TrafficRoutingConfigType } from '../kernel/records.js';
import { COLLECTIONS, type Timestamp } from '../kernel/records.js';
import type { RegistryStore } from '../kernel/store.js';

export type DeploymentKind = 'UpdateEndpoint' | 'UpdateEndpointWeightsAndCapacities' | 'RollbackEndpoint';
export type DeploymentStatus = 'InProgress' | 'Succeeded' | 'RolledBack' | 'Failed';

/**
 * One change of what an endpoint serves, as `Understudy.ListDeploymentHistory` returns it:
 * a config rollout (with its steps), a weights update or a rollback by hand.
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
  StartTime: Timestamp;
  EndTime?: Timestamp;
  FailureReason?: string;
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

export async function recordDeployment(store: RegistryStore, id: string, record: DeploymentRecord) {
  await store.create(COLLECTIONS.deploymentHistory, id, record);
}

/** Applies `change` to a history record; a record that vanished is left alone. */
export async function updateDeployment(
  store: RegistryStore,
  id: string,
  change: (record: DeploymentRecord) => DeploymentRecord,
): Promise<void> {
  const stored = await store.get<DeploymentRecord>(COLLECTIONS.deploymentHistory, id);
  if (!stored) return;
  await store.replace(COLLECTIONS.deploymentHistory, id, change(stored.data));
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
