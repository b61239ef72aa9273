import { captureSummary } from '../data-capture/capture-config.js';
import type { EndpointRecord } from '../hosting/endpoints.js';
import { epochSeconds } from '../kernel/context.js';
import type { AlarmSource, StepMessage, StepScheduler } from '../kernel/ports.js';
import type { FleetRuntime, PendingDeploymentSummary, RolloutState } from '../kernel/records.js';
import { COLLECTIONS } from '../kernel/records.js';
import { type RegistryStore, retryOnConflict, type StoreWrite } from '../kernel/store.js';
import { type DeploymentRecord, deploymentChanged } from './history.js';
import { shareAt } from './plan.js';

/** How often alarms are looked at during a bake. */
export const ALARM_POLL_SECONDS = 10;
/** SQS's longest DelaySeconds; longer waits are made of several messages. */
export const MAX_DELAY_SECONDS = 900;

/** What the deployer needs: the registry, alarm states, the step queue and a clock. */
export interface DeployerContext {
  readonly store: RegistryStore;
  readonly alarms: AlarmSource;
  readonly scheduler: StepScheduler;
  now(): Date;
}

export type StepOutcome = 'gone' | 'stale' | 'baking' | 'advanced' | 'completed' | 'rolled-back';

/** A step message that arrived before the write that expects it; SQS delivers it again. */
export class StepNotReadyError extends Error {
  constructor(message: StepMessage) {
    super(
      `step ${message.Tick} of deployment ${message.DeploymentId} arrived before its rollout was recorded`,
    );
    this.name = 'StepNotReadyError';
  }
}

/** Seconds until the deployer should look at a rollout again. */
export function nextDelaySeconds(rollout: RolloutState, nowSeconds: number): number {
  const remaining = Math.max(0, Math.ceil(rollout.bakeEndsAt - nowSeconds));
  const poll = rollout.plan.alarms.length > 0 ? ALARM_POLL_SECONDS : MAX_DELAY_SECONDS;
  return Math.min(remaining, poll, MAX_DELAY_SECONDS);
}

export function stepMessage(endpointName: string, rollout: RolloutState): StepMessage {
  return { EndpointName: endpointName, DeploymentId: rollout.deploymentId, Tick: rollout.tick };
}

/** DescribeEndpoint's view of a rollout in progress. */
export function pendingSummary(rollout: RolloutState): PendingDeploymentSummary {
  const percent = Math.round(rollout.share * 100);
  const baking = rollout.plan.waitSeconds > 0 || rollout.plan.alarms.length > 0;
  const status = baking
    ? {
        Status: 'Baking' as const,
        StatusMessage: `Step ${rollout.step + 1} of ${rollout.plan.steps.length} (${rollout.plan.type}): ${percent}% of traffic on the new fleet, baking until ${new Date(rollout.bakeEndsAt * 1000).toISOString()}.`,
      }
    : {
        Status: 'ActivatingTraffic' as const,
        StatusMessage: `Step ${rollout.step + 1} of ${rollout.plan.steps.length} (${rollout.plan.type}): ${percent}% of traffic on the new fleet.`,
      };
  return {
    EndpointConfigName: rollout.EndpointConfigName,
    StartTime: rollout.startedAt,
    ProductionVariants: rollout.productionVariants.map((v) => ({
      ...v,
      VariantStatus: [{ ...status, StartTime: rollout.stepStartedAt }],
    })),
  };
}

/** The endpoint with `rollout` in force (status Updating). */
export function withRollout(record: EndpointRecord, rollout: RolloutState, now: Date): EndpointRecord {
  return {
    ...record,
    EndpointStatus: 'Updating',
    PendingDeploymentSummary: pendingSummary(rollout),
    LastModifiedTime: epochSeconds(now),
    internal: { ...record.internal, rollout },
  };
}

/** What serves an endpoint now, kept so a rollback by hand can return to it. */
export function fleetOf(record: EndpointRecord): FleetRuntime {
  const { rollout: _rollout, previous: _previous, ...runtime } = record.internal;
  return { ...runtime, shadows: runtime.shadows?.filter((s) => s.experimentName === undefined) };
}

/**
 * The endpoint once `target` has taken over all traffic: its config, variants, capture and
 * shadows replace the old ones, which become `previous`. Shadows of running inference
 * experiments belong to the endpoint, not to a config, and stay.
 */
export function takenOver(
  record: EndpointRecord,
  target: {
    EndpointConfigName: string;
    productionVariants: EndpointRecord['ProductionVariants'];
    runtime: FleetRuntime;
  },
  now: Date,
): EndpointRecord {
  const {
    FailureReason: _failure,
    PendingDeploymentSummary: _pending,
    internal: _internal,
    DataCaptureConfig: _capture,
    ...rest
  } = record;
  const experimentShadows = (record.internal.shadows ?? []).filter((s) => s.experimentName !== undefined);
  const shadows = [...(target.runtime.shadows ?? []), ...experimentShadows];
  const dataCapture = captureSummary(target.runtime.capture);
  return {
    ...rest,
    EndpointConfigName: target.EndpointConfigName,
    ProductionVariants: target.productionVariants,
    EndpointStatus: 'InService',
    LastModifiedTime: epochSeconds(now),
    ...(dataCapture ? { DataCaptureConfig: dataCapture } : {}),
    internal: {
      ...target.runtime,
      ...(shadows.length > 0 ? { shadows } : { shadows: undefined }),
      previous: {
        EndpointConfigName: record.EndpointConfigName,
        productionVariants: record.ProductionVariants,
        runtime: fleetOf(record),
      },
    },
  };
}

/** The endpoint back on its old config, all traffic there, reporting why. */
export function rolledBack(record: EndpointRecord, reason: string, now: Date): EndpointRecord {
  const { PendingDeploymentSummary: _pending, ...rest } = record;
  const { rollout: _rollout, ...internal } = record.internal;
  return {
    ...rest,
    EndpointStatus: 'InService',
    FailureReason: reason.slice(0, 1024),
    LastModifiedTime: epochSeconds(now),
    internal,
  };
}

/** Why the rollout must stop, judging by its alarms; undefined when all are quiet. */
export async function alarmTrouble(
  alarms: AlarmSource,
  names: readonly string[],
): Promise<string | undefined> {
  if (names.length === 0) return undefined;
  const states = await alarms.states(names);
  const firing = names.filter((name) => states.get(name) === 'ALARM');
  if (firing.length > 0) return `CloudWatch alarm(s) ${firing.join(', ')} in ALARM state`;
  const missing = names.filter((name) => !states.has(name));
  if (missing.length > 0) return `CloudWatch alarm(s) ${missing.join(', ')} no longer exist`;
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Handles one step message: looks at the rollout again, then rolls it back (an alarm in
 * ALARM, the execution timeout passed), keeps baking (schedules the next look), shifts more
 * traffic to the new fleet, or completes it. Idempotent: a message whose tick is not the
 * rollout's is dropped, and every write is conditional on the version read.
 */
export async function runDeploymentStep(ctx: DeployerContext, message: StepMessage): Promise<StepOutcome> {
  // Six tries, as before: a conflicting write means the rollout changed under us, so look again.
  return retryOnConflict(() => lookAndAdvance(ctx, message), { maxAttempts: 6 });
}

async function lookAndAdvance(ctx: DeployerContext, message: StepMessage): Promise<StepOutcome> {
  for (let wait = 0; ; wait++) {
    const stored = await ctx.store.get<EndpointRecord>(COLLECTIONS.endpoint, message.EndpointName);
    const rollout = stored?.data.internal.rollout;
    if (!stored || !rollout || rollout.deploymentId !== message.DeploymentId) return 'gone';
    if (message.Tick < rollout.tick) return 'stale';
    if (message.Tick === rollout.tick) return advance(ctx, stored.data, stored.version, rollout);
    // The message was sent just before the write recording its tick: give the write a moment.
    if (wait >= 5) throw new StepNotReadyError(message);
    await sleep(200);
  }
}

async function advance(
  ctx: DeployerContext,
  record: EndpointRecord,
  version: number,
  rollout: RolloutState,
): Promise<StepOutcome> {
  const now = ctx.now();
  const nowS = epochSeconds(now);
  const { plan } = rollout;
  const where = `step ${rollout.step + 1} of ${plan.steps.length}, ${Math.round(rollout.share * 100)}% of traffic on endpoint config ${rollout.EndpointConfigName}`;
  let trouble: string | undefined;
  if (nowS - rollout.startedAt > plan.maxExecutionSeconds) {
    trouble = `the deployment exceeded MaximumExecutionTimeoutInSeconds (${plan.maxExecutionSeconds} s)`;
  } else {
    trouble = await alarmTrouble(ctx.alarms, plan.alarms);
  }
  if (trouble) {
    const reason = `Deployment of endpoint config ${rollout.EndpointConfigName} was rolled back to ${record.EndpointConfigName}: ${trouble} (${where}).`;
    await writeEndpoint(ctx.store, rolledBack(record, reason, now), version, [
      ...(await finished(ctx.store, rollout, 'RolledBack', nowS, reason)),
    ]);
    return 'rolled-back';
  }
  if (nowS < rollout.bakeEndsAt) {
    const next: RolloutState = { ...rollout, tick: rollout.tick + 1 };
    await schedule(ctx, record, version, next, nowS, now);
    return 'baking';
  }
  if (rollout.step + 1 < plan.steps.length) {
    const step = rollout.step + 1;
    const next: RolloutState = {
      ...rollout,
      step,
      share: shareAt(plan, step),
      stepStartedAt: nowS,
      bakeEndsAt: nowS + plan.waitSeconds,
      tick: rollout.tick + 1,
    };
    await schedule(
      ctx,
      record,
      version,
      next,
      nowS,
      now,
      await deploymentChanged(ctx.store, rollout.historyId, (h) => ({
        ...h,
        Steps: [...(h.Steps ?? []), { TrafficPercentage: plan.steps[step] ?? 100, StartTime: nowS }],
      })),
    );
    return 'advanced';
  }
  const completed = takenOver(
    record,
    {
      EndpointConfigName: rollout.EndpointConfigName,
      productionVariants: rollout.productionVariants,
      runtime: rollout.runtime,
    },
    now,
  );
  await writeEndpoint(ctx.store, completed, version, await finished(ctx.store, rollout, 'Succeeded', nowS));
  return 'completed';
}

/**
 * Sends the message for `next` first, then records `next` (with `historyWrites`, in one
 * transaction): if the write fails the message finds a tick that is not its own and is
 * dropped or retried, so no rollout is left without a message that can move it.
 */
async function schedule(
  ctx: DeployerContext,
  record: EndpointRecord,
  version: number,
  next: RolloutState,
  nowS: number,
  now: Date,
  historyWrites: readonly StoreWrite[] = [],
): Promise<void> {
  await ctx.scheduler.schedule(stepMessage(record.EndpointName, next), nextDelaySeconds(next, nowS));
  await writeEndpoint(ctx.store, withRollout(record, next, now), version, historyWrites);
}

/**
 * Replaces the endpoint if it is still at `version`, together with the history writes that
 * record the change (one transaction: both land or neither does, so a crash in between
 * cannot leave the history saying InProgress about a settled endpoint). A conflict throws
 * VersionConflictError.
 */
export async function writeEndpoint(
  store: RegistryStore,
  record: EndpointRecord,
  version: number,
  historyWrites: readonly StoreWrite[] = [],
): Promise<void> {
  if (historyWrites.length === 0) {
    await store.replace(COLLECTIONS.endpoint, record.EndpointName, record, version);
    return;
  }
  await store.transact([
    {
      kind: 'replace',
      collection: COLLECTIONS.endpoint,
      id: record.EndpointName,
      data: record,
      expectedVersion: version,
    },
    ...historyWrites,
  ]);
}

/** The history write ending a rollout's record (for the transaction that ends the rollout). */
export async function finished(
  store: RegistryStore,
  rollout: RolloutState,
  status: DeploymentRecord['DeploymentStatus'],
  endTime: number,
  reason?: string,
): Promise<StoreWrite[]> {
  return deploymentChanged(store, rollout.historyId, (h) => ({
    ...h,
    DeploymentStatus: status,
    EndTime: endTime,
    ...(reason ? { FailureReason: reason } : {}),
  }));
}
