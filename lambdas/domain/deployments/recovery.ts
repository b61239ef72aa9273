import { randomUUID } from 'node:crypto';
import type { EndpointRecord } from '../hosting/endpoints.js';
import { epochSeconds } from '../kernel/context.js';
import type { Log } from '../kernel/log.js';
import { COLLECTIONS } from '../kernel/records.js';
import { type RegistryStore, type StoreWrite, VersionConflictError } from '../kernel/store.js';
import { finished, MAX_DELAY_SECONDS, nextDelaySeconds, rolledBack, writeEndpoint } from './engine.js';
import { type DeploymentRecord, deploymentChanged, deploymentCreated, nextHistoryId } from './history.js';

/**
 * Endpoints left Creating or Updating by a function that died mid-way (Lambda's timeout, an
 * out-of-memory kill, a crash between two writes). The control function does that work
 * inside one request, so once its timeout has passed nobody is doing it any more; a rollout
 * is driven by step messages, so it is stalled once its next step is overdue by more than
 * the deployments queue's redeliveries. The monitor's 5-minute tick runs this, so an
 * endpoint is settled within minutes: a creation is failed (its models were never
 * checked, or their check was never recorded: delete and create it again), an update goes
 * back to the config it still serves, and a rollout is rolled back; each with a
 * FailureReason, and its history record ended in the same transaction.
 */

/** Seconds after the control function's timeout before its work counts as abandoned (clock skew, the request's own latency). */
export const ABANDONED_GRACE_SECONDS = 60;
/**
 * How late a rollout's next step may be before it counts as stalled: the deployments queue
 * delivers a failing step 5 times, 6 × the deployer's 30 s timeout apart, before its
 * dead-letter queue (infra/constructs/deployments.ts), so 15 minutes, and a margin.
 */
export const STALLED_STEP_GRACE_SECONDS = 20 * 60;

export interface RecoveryContext {
  readonly store: RegistryStore;
  readonly log?: Log;
  now(): Date;
}

export interface RecoveryOptions {
  /** The control function's timeout: after it, work begun by a request is no longer running. */
  readonly controlTimeoutSeconds: number;
}

export interface RecoveredEndpoint {
  EndpointName: string;
  from: 'Creating' | 'Updating';
  EndpointStatus: 'Failed' | 'InService';
  FailureReason: string;
}

/** Settles every endpoint whose work was abandoned; returns what it did. */
export async function recoverStalledEndpoints(
  ctx: RecoveryContext,
  options: RecoveryOptions,
): Promise<RecoveredEndpoint[]> {
  const nowS = epochSeconds(ctx.now());
  const candidates = (await ctx.store.list<EndpointRecord>(COLLECTIONS.endpoint)).filter((e) =>
    abandoned(e, nowS, options),
  );
  const recovered: RecoveredEndpoint[] = [];
  for (const candidate of candidates) {
    try {
      const outcome = await recoverOne(ctx, candidate.EndpointName, nowS, options);
      if (outcome) {
        recovered.push(outcome);
        ctx.log?.warn('stalled endpoint settled', { ...outcome });
      }
    } catch (error) {
      // Changed under us: someone is working on it after all, or another recovery won.
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
  return recovered;
}

function abandoned(endpoint: EndpointRecord, nowS: number, options: RecoveryOptions): boolean {
  const idle = nowS - endpoint.LastModifiedTime;
  if (endpoint.EndpointStatus === 'Creating') {
    return idle > options.controlTimeoutSeconds + ABANDONED_GRACE_SECONDS;
  }
  if (endpoint.EndpointStatus !== 'Updating') return false;
  const rollout = endpoint.internal.rollout;
  if (!rollout) return idle > options.controlTimeoutSeconds + ABANDONED_GRACE_SECONDS;
  // The deployer rewrites the endpoint (LastModifiedTime) at every step it schedules.
  const due = endpoint.LastModifiedTime + nextDelaySeconds(rollout, endpoint.LastModifiedTime);
  return nowS > Math.min(due, endpoint.LastModifiedTime + MAX_DELAY_SECONDS) + STALLED_STEP_GRACE_SECONDS;
}

async function recoverOne(
  ctx: RecoveryContext,
  name: string,
  nowS: number,
  options: RecoveryOptions,
): Promise<RecoveredEndpoint | undefined> {
  const stored = await ctx.store.get<EndpointRecord>(COLLECTIONS.endpoint, name);
  // Read again: the listing may be stale, and the write below is conditional on this version.
  if (!stored || !abandoned(stored.data, nowS, options)) return undefined;
  const endpoint = stored.data;
  const now = ctx.now();
  const since = new Date(endpoint.LastModifiedTime * 1000).toISOString();

  if (endpoint.EndpointStatus === 'Creating') {
    const reason = `CreateEndpoint did not finish: the control function stopped before it recorded whether the models of endpoint config ${endpoint.EndpointConfigName} load (Creating since ${since}). Delete the endpoint and create it again.`;
    const failed: EndpointRecord = {
      ...endpoint,
      EndpointStatus: 'Failed',
      FailureReason: reason,
      LastModifiedTime: nowS,
    };
    const record: DeploymentRecord = {
      EndpointName: name,
      DeploymentId: randomUUID(),
      DeploymentType: 'CreateEndpoint',
      DeploymentStatus: 'Failed',
      SourceEndpointConfigName: endpoint.EndpointConfigName,
      TargetEndpointConfigName: endpoint.EndpointConfigName,
      TargetVariants: [],
      StartTime: endpoint.CreationTime,
      EndTime: nowS,
      FailureReason: reason,
      CreatedBy: { UserProfileName: 'understudy-recovery' },
    };
    await writeEndpoint(ctx.store, failed, stored.version, [
      deploymentCreated(await nextHistoryId(ctx.store, name), record),
    ]);
    return { EndpointName: name, from: 'Creating', EndpointStatus: 'Failed', FailureReason: reason };
  }

  const rollout = endpoint.internal.rollout;
  if (rollout) {
    const reason = `Deployment of endpoint config ${rollout.EndpointConfigName} was rolled back to ${endpoint.EndpointConfigName}: its next step was due by ${new Date((endpoint.LastModifiedTime + nextDelaySeconds(rollout, endpoint.LastModifiedTime)) * 1000).toISOString()} and never ran (step message lost or dead-lettered).`;
    await writeEndpoint(
      ctx.store,
      rolledBack(endpoint, reason, now),
      stored.version,
      await finished(ctx.store, rollout, 'Failed', nowS, reason),
    );
    return { EndpointName: name, from: 'Updating', EndpointStatus: 'InService', FailureReason: reason };
  }

  // An UpdateEndpoint (PendingDeploymentSummary names its target) or a weights update that
  // stopped before its settling write: what serves (`internal`) was never changed, so the
  // endpoint goes back to InService as it was, its asked-for weights dropped.
  const target = endpoint.PendingDeploymentSummary?.EndpointConfigName;
  const reason = target
    ? `Update to endpoint config ${target} did not finish: the control function stopped before the new models were checked (Updating since ${since}); the endpoint still serves ${endpoint.EndpointConfigName}. Call UpdateEndpoint again.`
    : `UpdateEndpointWeightsAndCapacities did not finish: the control function stopped before the new weights were applied (Updating since ${since}); the weights are unchanged. Call it again.`;
  const { PendingDeploymentSummary: _pending, ...rest } = endpoint;
  const restored: EndpointRecord = {
    ...rest,
    EndpointStatus: 'InService',
    FailureReason: reason,
    ProductionVariants: endpoint.ProductionVariants.map((v) => ({
      ...v,
      DesiredWeight: v.CurrentWeight,
      ...(v.CurrentServerlessConfig ? { DesiredServerlessConfig: v.CurrentServerlessConfig } : {}),
    })),
    LastModifiedTime: nowS,
  };
  await writeEndpoint(
    ctx.store,
    restored,
    stored.version,
    await openHistoryEnded(ctx.store, name, nowS, reason),
  );
  return { EndpointName: name, from: 'Updating', EndpointStatus: 'InService', FailureReason: reason };
}

/** Ends the endpoint's latest history record if it is still InProgress (an update's, written with its Updating state). */
async function openHistoryEnded(
  store: RegistryStore,
  name: string,
  nowS: number,
  reason: string,
): Promise<StoreWrite[]> {
  const id = await latestHistoryId(store, name);
  const latest = id ? await store.get<DeploymentRecord>(COLLECTIONS.deploymentHistory, id) : undefined;
  if (!id || latest?.data.DeploymentStatus !== 'InProgress') return [];
  return deploymentChanged(store, id, (h) => ({
    ...h,
    DeploymentStatus: 'Failed',
    EndTime: nowS,
    FailureReason: reason,
  }));
}

/** The id of the endpoint's latest history record: ids are the name and a 12-digit sequence. */
async function latestHistoryId(store: RegistryStore, name: string): Promise<string | undefined> {
  // The counter holds the last sequence handed out; a number taken by a write that never
  // landed has no record, so look below it.
  const counter = await store.get<number>(COLLECTIONS.deploymentCounter, name);
  if (!counter) return undefined;
  for (let sequence = counter.data; sequence > 0; sequence--) {
    const id = `${name}#${String(sequence).padStart(12, '0')}`;
    if (await store.get(COLLECTIONS.deploymentHistory, id)) return id;
  }
  return undefined;
}
